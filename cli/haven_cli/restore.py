"""``haven restore SRC``: a backup put back whole, after every checksum held (``haven_hub.backup.restore``).

Exit status: 0 restored, 1 refused (a checksum that does not hold, a running hub without
``--force``, a backup that does not fit the settings: nothing was changed) or failed (run
the same command again to finish), 2 unreadable settings, 64 usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from haven_hub.audit.log import HubAuditLog
from haven_hub.backup.manifest import BackupInvalid
from haven_hub.backup.restore import restore_backup
from haven_hub.backup.state import StateError
from haven_hub.command_line import UsageParser, add_settings_option, settings_path
from haven_hub.provisioning.cli import cli_actor
from haven_hub.settings import SettingsError, load_settings

from .backup import say, whole_state

# Set to a point of the restore ("staged", "swapped data", …) to end the process there, as a
# power cut would: the crash test (tests/integration/backup) proves no mix is left.
CRASH_AT = "HAVEN_RESTORE_CRASH_AT"


def _crash_at(point: str) -> None:
    if os.environ.get(CRASH_AT) == point:
        os._exit(75)


def _parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog="haven restore", description="Restore a backup made by `haven backup`, "
                         "after checking the SHA-256 of every file in it.")
    add_settings_option(parser)
    parser.add_argument("source", type=Path, metavar="SRC", help="the backup folder")
    parser.add_argument("--force", action="store_true", help="restore even though the hub is running")
    parser.add_argument("--without-volumes", action="store_true",
                        help="leave the analysts' home volumes as they are (no Docker engine needed)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        settings = load_settings(settings_path(args))
    except SettingsError as error:
        print(f"haven restore: {error}", file=sys.stderr)
        return 2
    try:
        outcome = restore_backup(whole_state(settings), args.source, args.force, not args.without_volumes,
                                 say, _crash_at)
    except (BackupInvalid, StateError, OSError) as error:
        print(f"haven restore: {error}", file=sys.stderr)
        return 1
    audit = HubAuditLog.for_data_dir(settings.hub.data_dir)
    try:
        audit.record(cli_actor(), "haven.restore", f"backup/{args.source.resolve().name}",
                     source=str(args.source.resolve()), resumed=outcome.resumed)
    finally:
        audit.close()
    for replaced in outcome.replaced:
        print(f"the state that was there is kept in {replaced} (delete it once the restored Haven is checked)")
    print(f"restored from {args.source}")
    return 0
