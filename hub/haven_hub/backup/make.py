"""``haven backup DEST``: one consistent, private, checksummed copy of a Haven's whole state.

Order matters. The databases are copied first, each as one consistent snapshot (with its
audit chain's head file, as a pair that agrees); the folders after them. Submitted files
are written to the blob store before the request that names them is committed and never
change, so every blob the copied egress database names is in the copied blob store (one
written after the snapshot is an orphan, which ``haven egress fsck --clean`` removes).

The backup is written to ``DEST.partial`` and renamed to ``DEST`` once its manifest is on
disk: a backup that was cut short never looks complete, and a second run into the same
``DEST`` refuses instead of mixing two backups.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from ..host_state import make_private_dir
from . import databases, manifest, trees, volumes
from .manifest import Entry, Manifest
from .state import Database, HavenState, StateError, is_state

FILES = "files"
DATABASES = "databases"
VOLUMES = "volumes"
PENDING = ".databases-pending"


def database_file(database: Database, state: HavenState) -> str:
    """Where a database lies in the backup: a SQLite file inside a folder of state lies where it
    lives (so restoring the folder restores it), anything else under ``databases/``."""
    if database.engine == "sqlite":
        inside = state.root_of(database.path)
        if inside is not None:
            root, relative = inside
            return f"{FILES}/{root.label}/{relative.as_posix()}"
        return f"{DATABASES}/{database.name}.sqlite"
    return f"{DATABASES}/{database.name}.pgdump"


def make_backup(state: HavenState, destination: Path, haven_version: str, with_volumes: bool = True,
                log: Callable[[str], None] = lambda _line: None) -> Manifest:
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise StateError(f"{destination} already exists: a backup goes into a new folder (e.g. one named by the date)")
    partial = destination.with_name(destination.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)  # what an earlier run that was cut short left
    make_private_dir(partial)
    record = Manifest(created=datetime.now(UTC).isoformat(timespec="seconds"), haven_version=haven_version)
    # Database files and head files are copied by the database step, never by the folder walk.
    taken = set()
    pending = partial / PENDING
    pending.mkdir(mode=0o700)
    for database in state.databases:
        if not databases.exists(database):
            record.notes.append(f"the {database.name} database {database.path} does not exist; not backed up")
            continue
        log(f"database {database.name} ({database.engine})")
        copy = pending / database.name
        if database.chain is not None:
            note = databases.save_with_chain(database, database.chain, copy, pending / f"{database.name}.head")
            if note:
                record.notes.append(note)
            taken.add(database.chain.head_file)
        else:
            databases.save(database, copy)
        if database.engine == "sqlite":
            taken.add(database.path)
        record.databases[database.name] = {"engine": database.engine, "file": database_file(database, state)}

    (partial / FILES).mkdir(mode=0o700)
    record.entries[FILES] = Entry("dir", 0o700, os.geteuid(), os.getegid())
    for root in state.roots:
        if not root.path.is_dir():
            record.notes.append(f"{root.path} ({root.label}) does not exist; not backed up")
            continue
        log(f"folder {root.path}")
        record.roots[root.label] = str(root.path)

        def keep(relative: Path, root_path: Path = root.path) -> bool:
            return is_state(relative) and root_path / relative not in taken

        trees.save_tree(root.path, partial, f"{FILES}/{root.label}", record, keep)

    (partial / DATABASES).mkdir(mode=0o700)
    record.entries[DATABASES] = Entry("dir", 0o700, os.geteuid(), os.getegid())
    for database in state.databases:
        if database.name not in record.databases:
            continue
        _place(pending / database.name, record.databases[database.name]["file"], partial, record, database.path
               if database.engine == "sqlite" else None)
        head = pending / f"{database.name}.head"
        if head.exists():
            inside = state.root_of(database.chain.head_file)
            where = (f"{FILES}/{inside[0].label}/{inside[1].as_posix()}" if inside
                     else f"{DATABASES}/{database.name}.head")
            record.databases[database.name]["head"] = where
            _place(head, where, partial, record, database.chain.head_file)
    pending.rmdir()

    if with_volumes:
        record.volumes = volumes.save_volumes(state.home_volume_prefix, partial, f"{VOLUMES}", record, log)
    manifest.write(record, partial)
    os.rename(partial, destination)
    return record


def _place(copy: Path, where: str, backup: Path, record: Manifest, original: Path | None) -> None:
    """Moves a copy made by the database step to its place in the backup, and records it."""
    target = backup / where
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.rename(copy, target)
    info = original.stat() if original is not None and original.exists() else None
    record.entries[where] = Entry("file", 0o600, info.st_uid if info else os.geteuid(),
                                  info.st_gid if info else os.getegid(),
                                  sha256=manifest.file_digest(target), size=target.stat().st_size)
