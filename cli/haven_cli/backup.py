"""``haven backup DEST``: a consistent, private, checksummed copy of the whole Haven.

Wired here, above the hub and the egress service, because a backup holds both: the hub
side's databases and folders (``haven_hub.backup``) and the egress database with its audit
chain. Exit status: 0 written, 1 refused or failed (the message says why; a partial backup
never takes DEST's name), 2 unreadable settings, 64 usage. Non-interactive: a nightly timer
runs it with a new DEST each night (docs/backup-and-upgrade.md).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from haven_egress.audit import HEAD_FILE
from haven_egress.models import audit_events
from haven_hub.audit.log import HEAD_KEY
from haven_hub.backup.make import make_backup
from haven_hub.backup.manifest import MANIFEST_DIGEST
from haven_hub.backup.state import Chain, Database, HavenState, StateError, haven_state
from haven_hub.command_line import UsageParser, add_settings_option, settings_path
from haven_hub.host_state import make_private_dir
from haven_hub.settings import Settings, SettingsError, load_settings

from .dispatch import haven_version

DATED_PREFIX = "haven-"


def egress_database(settings: Settings) -> Database:
    folder = settings.data_path(settings.egress.data_dir)
    url = settings.egress.database_url or f"sqlite:///{folder / 'egress.sqlite'}"
    return Database("egress", url, Chain(audit_events.name, folder / HEAD_FILE, settings.data_path(HEAD_KEY)))


def whole_state(settings: Settings) -> HavenState:
    return haven_state(settings, (egress_database(settings),))


def say(line: str) -> None:
    print(line, file=sys.stderr)


def backup(settings: Settings, destination: Path, with_volumes: bool = True) -> int:
    record = make_backup(whole_state(settings), destination, haven_version(), with_volumes, say)
    for note in record.notes:
        say(f"note: {note}")
    files = sum(1 for entry in record.entries.values() if entry.type == "file")
    print(f"backup written to {destination}: {len(record.databases)} database(s), {files} file(s), "
          f"{len(record.volumes)} home volume(s)")
    return 0


def dated_folder(into: Path) -> Path:
    """A new folder in ``into`` named by the time (a second backup in the same second gets a suffix)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate, number = into / f"{DATED_PREFIX}{stamp}", 1
    while candidate.exists() or candidate.with_name(candidate.name + ".partial").exists():
        number += 1
        candidate = into / f"{DATED_PREFIX}{stamp}-{number}"
    return candidate


def prune(into: Path, keep: int) -> list[Path]:
    """Deletes all but the newest ``keep`` complete dated backups in ``into``; returns what it deleted."""
    complete = sorted(path for path in into.glob(f"{DATED_PREFIX}*")
                      if path.is_dir() and (path / MANIFEST_DIGEST).is_file())
    doomed = complete[:-keep] if keep else complete
    for path in doomed:
        shutil.rmtree(path)
    return doomed


def _parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog="haven backup", description="Back up the whole Haven (databases, blobs, workspaces, "
                         "home volumes, keys) into a new folder, with a SHA-256 of every file.")
    add_settings_option(parser)
    parser.add_argument("destination", type=Path, metavar="DEST", nargs="?",
                        help="a new folder (it must not exist, or be empty)")
    parser.add_argument("--into", type=Path, metavar="DIR",
                        help="instead of DEST: a new folder in DIR named by the time (for a nightly timer)")
    parser.add_argument("--keep", type=int, metavar="N",
                        help="with --into: then delete all but the newest N complete backups in DIR")
    parser.add_argument("--without-volumes", action="store_true",
                        help="leave the analysts' home volumes out (no Docker engine needed)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if (args.destination is None) == (args.into is None):
            parser.error("name either DEST or --into DIR")
        if args.keep is not None and (args.into is None or args.keep < 1):
            parser.error("--keep N needs --into DIR and N of at least 1")
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        settings = load_settings(settings_path(args))
    except SettingsError as error:
        print(f"haven backup: {error}", file=sys.stderr)
        return 2
    try:
        if args.into is None:
            return backup(settings, args.destination, not args.without_volumes)
        make_private_dir(args.into)
        backup(settings, dated_folder(args.into), not args.without_volumes)
        for path in prune(args.into, args.keep) if args.keep else []:
            print(f"deleted the older backup {path}")
        return 0
    except (StateError, OSError) as error:
        print(f"haven backup: {error}", file=sys.stderr)
        return 1
