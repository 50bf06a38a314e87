"""``haven egress …``: the operators' commands over the egress store.

``haven egress fsck [--clean]`` compares the blobs on disk with the database: orphans (a
crash between writing a blob and committing its request leaves them), missing and corrupt
blobs, unfinished writes. Exit status 0 when clean, 1 when anything is wrong (after
cleaning, if asked). Missing or corrupt blobs are never "cleaned": they need a person.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from haven_hub.command_line import UsageParser, add_settings_option, settings_path
from haven_hub.settings import SettingsError, load_settings

from .blobs import BlobStore
from .service import EgressService
from .storage import open_engine, session_factory
from .web.startup import data_dir, database_url

def open_store(settings_path: Path) -> EgressService:
    """The service over the configured database and blobs, without migrating anything."""
    settings = load_settings(settings_path)
    engine = open_engine(database_url(settings))
    return EgressService(session_factory(engine), BlobStore(data_dir(settings) / "blobs"))


def _parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog="haven egress", description="Operate the egress review queue's store.")
    add_settings_option(parser)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=UsageParser)
    fsck = commands.add_parser("fsck", help="check blobs against the database; --clean deletes orphans")
    add_settings_option(fsck)
    fsck.add_argument("--clean", action="store_true", help="delete orphan blobs and unfinished writes")
    fsck.add_argument("--grace", type=float, default=3600, metavar="SECONDS",
                      help="with --clean, keep orphans younger than this: a submission in flight "
                           "has written its blobs but not yet committed (default %(default)s)")
    return parser


def fsck(service: EgressService, clean: bool, grace: float) -> int:
    report = service.fsck(delete_orphans=clean, grace_seconds=grace)
    for label, items in (("orphan", report.orphans), ("missing", report.missing),
                         ("corrupt", report.corrupt), ("unfinished write", report.stale_temp),
                         ("deleted", report.deleted), ("kept (younger than --grace)", report.kept)):
        for item in items:
            print(f"{label}: {item}")
    if clean:
        report = service.fsck()  # what is left is what matters
    problems = len(report.orphans) + len(report.missing) + len(report.corrupt) + len(report.stale_temp)
    print("fsck: clean" if report.clean else f"fsck: {problems} problem(s) remain")
    return 0 if report.clean else 1


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        service = open_store(settings_path(args))
    except SettingsError as error:
        print(f"haven egress: {error}", file=sys.stderr)
        return 2
    try:
        return fsck(service, args.clean, args.grace)
    finally:
        service.sessions.kw["bind"].dispose()


if __name__ == "__main__":
    sys.exit(main())
