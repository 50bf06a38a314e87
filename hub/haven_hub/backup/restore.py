"""``haven restore SRC``: a backup put back whole, or not at all.

1. The manifest's own digest, then every file's SHA-256, are checked; any difference is
   refused before anything is touched.
2. The backup must fit the settings (the same databases, on the same engines, the same
   folders), and the hub must be stopped (its pid file names no live process) unless
   ``--force``.
3. Every folder of state is rebuilt beside the live one (``.NAME.haven-restore``), with the
   SQLite databases inside it, modes and owners as they were.
4. A journal beside the data folder says a restore from SRC is under way; PostgreSQL
   databases are restored, each in one transaction; then each rebuilt folder is swapped
   with the live one in one step (:mod:`.exchange`). The state that was there is kept as
   ``NAME.replaced-<time>``, never deleted.
5. The journal is removed. A restore that died in between is finished by running the
   same command again (a mark inside each rebuilt folder tells a folder already swapped in
   from one that was not); a restore from another backup is refused until then.

With the default layout (everything under ``hub.data_dir``, SQLite) step 4 is one swap: a
crash leaves either the old state or the new, never a mix.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import databases, manifest, trees, volumes
from .exchange import exchange
from .make import DATABASES, FILES, VOLUMES
from ..settings import Settings, SettingsError
from .state import HavenState, Root, StateError

Fault = Callable[[str], None]
# Written into each rebuilt folder before it is swapped in, removed once the swap is journalled:
# a restore that died right after a swap finds it in the live folder and does not swap again.
SWAP_MARK = ".haven-restore-swapped"


@dataclass
class Restored:
    replaced: list[Path] = field(default_factory=list)  # where the state that was there now is
    resumed: bool = False


def hub_pid(state: HavenState) -> int | None:
    """The pid of a running hub, from its pid file (None when there is none or it is stale)."""
    try:
        pid = int(state.hub_pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _marked(root: Path) -> bool:
    return (root / SWAP_MARK).exists()


def journal_path(state: HavenState) -> Path:
    return _journal_of(state.roots[0].path)


def _journal_of(data: Path) -> Path:
    return data.with_name(f".{data.name}.haven-restore.json")


class InterruptedRestore(SettingsError):
    """A restore was cut short: the state may be part old, part restored."""


def require_no_interrupted_restore(settings: Settings) -> None:
    """The hub does not start on a restore that was cut short (it would serve a mix)."""
    journal = _journal_of(settings.hub.data_dir)
    started = _read_journal(journal)
    if started:
        raise InterruptedRestore(f"the hub refuses to start: a restore from {started['source']} was interrupted "
                                 f"({journal}); finish it with `haven restore {started['source']}`")


def _staged(path: Path) -> Path:
    return path.with_name(f".{path.name}.haven-restore")


def check_fits(state: HavenState, record: manifest.Manifest) -> None:
    problems = []
    for database in state.databases:
        saved = record.databases.get(database.name)
        if saved is not None and saved["engine"] != database.engine:
            problems.append(f"the backup's {database.name} database is {saved['engine']}, the settings name "
                            f"{database.engine}: move it with the engines' own tools, then restore")
    labels = {root.label for root in state.roots}
    if set(record.roots) - labels:
        problems.append(f"the backup holds the folders {sorted(record.roots)}, the settings place state in "
                        f"{sorted(labels)}: restore with settings that place the folders as the backup's did")
    if "data" not in record.roots:
        problems.append("the backup holds no data folder (hub.data_dir)")
    for root in state.roots:
        if os.path.ismount(root.path):
            problems.append(f"{root.path} is the root of a mounted filesystem, so it cannot be swapped in one "
                            "step: keep Haven's folders inside the mount (docs/backup-and-upgrade.md)")
    if problems:
        raise StateError("the backup does not fit these settings; nothing was restored:\n"
                         + "\n".join(f"  - {line}" for line in problems))


def restore_backup(state: HavenState, source: Path, force: bool = False, with_volumes: bool = True,
                   log: Callable[[str], None] = lambda _line: None, fault: Fault = lambda _point: None) -> Restored:
    source = source.resolve()
    journal = journal_path(state)
    resumed = _resume(journal, source)
    record = manifest.read(source)
    log(f"checking the SHA-256 of every file in {source}")
    manifest.verify(source, record)
    check_fits(state, record)
    pid = hub_pid(state)
    if pid is not None and not force:
        raise StateError(f"the hub is running (pid {pid}, from {state.hub_pid_file}): stop it first, or "
                         "restore over the running Haven with --force; nothing was restored")
    outcome = Restored(resumed=resumed)
    roots = [root for root in state.roots if root.label in record.roots]
    swapped = set(_read_journal(journal).get("swapped", []))
    for root in roots:
        if root.label in swapped or _marked(root.path):
            continue  # swapped by the run that died; what is beside it is the old state
        staged = _staged(root.path)
        if staged.exists():
            shutil.rmtree(staged)  # half rebuilt by the run that died, before any swap
        log(f"rebuilding {root.path} beside it")
        trees.load_tree(source, f"{FILES}/{root.label}", record, staged)
        (staged / SWAP_MARK).write_text(str(source))
    outside = [(database, record.databases[database.name]) for database in state.databases
               if database.name in record.databases and record.databases[database.name]["file"].startswith(DATABASES)]
    for database, saved in outside:
        if database.engine == "sqlite":
            _staged(database.path).unlink(missing_ok=True)
            databases.load_sqlite(source / saved["file"], _staged(database.path))
    fault("staged")

    _write_journal(journal, source, sorted(swapped))
    changed = resumed  # whether any live state was replaced yet: until then, a failure undoes the journal
    try:
        for database, saved in outside:
            if database.engine == "postgresql":
                log(f"restoring the {database.name} database (PostgreSQL, one transaction)")
                databases.load_postgresql(database, source / saved["file"])
                changed = True
                fault(f"database {database.name}")
        _swap_roots(roots, swapped, journal, source, outcome, fault, log)
    except Exception:
        if not changed and not swapped:
            _abandon(journal, roots, outside)
        raise
    for database, _saved in outside:
        if database.engine == "sqlite":
            for sidecar in ("-wal", "-shm", "-journal"):  # the old database's, never to be replayed into the new
                database.path.with_name(database.path.name + sidecar).unlink(missing_ok=True)
            os.replace(_staged(database.path), database.path)
    if with_volumes:
        volumes.load_volumes(source, VOLUMES, record, log)
    journal.unlink()
    return outcome


def _swap_roots(roots: list[Root], swapped: set[str], journal: Path, source: Path, outcome: Restored,
                fault: Fault, log: Callable[[str], None]) -> None:
    """Each rebuilt folder swapped with the live one in one step, the old state set aside;
    ``swapped`` grows with each, and the journal with it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for root in roots:
        staged, replaced = _staged(root.path), root.path.with_name(f"{root.path.name}.replaced-{stamp}")
        if root.label not in swapped and not _marked(root.path):
            log(f"swapping in {root.path}")
            if root.path.exists():
                exchange(staged, root.path)
            else:
                root.path.parent.mkdir(parents=True, exist_ok=True)
                os.rename(staged, root.path)
            fault(f"swapped {root.label}")
        # The swap is done: the mark inside says so until the old state is set aside and journalled.
        if staged.exists():
            os.rename(staged, replaced)
            outcome.replaced.append(replaced)
        swapped.add(root.label)
        _write_journal(journal, source, sorted(swapped))
        (root.path / SWAP_MARK).unlink(missing_ok=True)


def _abandon(journal: Path, roots: list[Root], outside: list) -> None:
    """A restore that failed before it replaced anything leaves no trace: no journal, no rebuilt folders."""
    if any(_marked(root.path) for root in roots):
        return  # a folder was swapped in after all: what is beside it is the old state, and the journal stays
    for root in roots:
        shutil.rmtree(_staged(root.path), ignore_errors=True)
    for database, _saved in outside:
        if database.engine == "sqlite":
            _staged(database.path).unlink(missing_ok=True)
    journal.unlink(missing_ok=True)

def _read_journal(journal: Path) -> dict:
    try:
        return json.loads(journal.read_text())
    except FileNotFoundError:
        return {}


def _resume(journal: Path, source: Path) -> bool:
    started = _read_journal(journal)
    if not started:
        return False
    if started["source"] != str(source):
        raise StateError(f"a restore from {started['source']} was interrupted ({journal}): finish it first "
                         f"with `haven restore {started['source']}`; nothing was restored")
    return True


def _write_journal(journal: Path, source: Path, swapped: list[str]) -> list[str]:
    temporary = journal.with_name(journal.name + ".new")
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        json.dump({"source": str(source), "swapped": swapped}, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, journal)
    return swapped
