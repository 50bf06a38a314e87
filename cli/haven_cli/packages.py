"""``haven packages``: the approved package index project servers install from (docs/packages.md).

``add NAME==VERSION --reason WHY [--project P ...]`` fetches the release's wheel on this host,
checks the hash the package source publishes, stores it and records who, when and why in the
egress audit chain; ``list`` shows what is approved (and for which projects); ``remove`` stops
serving a release. Exit status: 0 done, 1 refused (the sentence on stderr), 2 unreadable
settings, 64 a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from haven_egress.errors import EgressError
from haven_egress.package_index import PackageRecord, approve, open_index, parse_pin
from haven_hub.command_line import UsageParser, add_settings_option, settings_path
from haven_hub.provisioning.cli import cli_actor
from haven_hub.settings import SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog="haven packages",
                         description="The approved package index that project servers' pip installs from.")
    add_settings_option(parser)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=UsageParser)
    add = commands.add_parser("add", help="fetch NAME==VERSION's wheel on this host, check its hash, approve it")
    add.add_argument("requirement", metavar="NAME==VERSION")
    add.add_argument("--reason", required=True, help="why it is approved (kept in the audit chain)")
    add.add_argument("--project", action="append", metavar="P", dest="projects",
                     help="serve it only to this project's servers (repeat for several; default: every project)")
    listing = commands.add_parser("list", help="the approved releases")
    listing.add_argument("--project", metavar="P", help="only what this project's servers see")
    listing.add_argument("--json", action="store_true", help="one JSON document instead of a table")
    remove = commands.add_parser("remove", help="stop serving NAME==VERSION (its record stays in the audit chain)")
    remove.add_argument("requirement", metavar="NAME==VERSION")
    remove.add_argument("--reason", required=True, help="why it is withdrawn")
    for command in (add, listing, remove):
        add_settings_option(command)
    return parser


def as_json(record: PackageRecord) -> dict:
    return {"name": record.name, "version": record.version, "filename": record.filename, "sha256": record.sha256,
            "size": record.size, "projects": None if record.projects is None else list(record.projects),
            "requires": list(record.requires), "added_by": record.added_by, "reason": record.reason,
            "added_at": record.added_at.isoformat()}


def _line(record: PackageRecord) -> str:
    where = "every project" if record.projects is None else ", ".join(record.projects)
    return (f"{record.name}=={record.version}  {record.filename}  sha256:{record.sha256[:12]}…  for {where}; "
            f"added by {record.added_by} at {record.added_at:%Y-%m-%d %H:%M} UTC: {record.reason}")


def run(args: argparse.Namespace) -> int:
    settings = load_settings(settings_path(args))
    index = open_index(settings)
    try:
        if args.command == "add":
            record = approve(index, args.requirement, cli_actor(), args.reason, args.projects)
            print(f"added {_line(record)}")
            if record.requires:
                # Not followed: each dependency the image lacks is a decision of its own.
                print("it requires (not added; add each the image does not have): " + "; ".join(record.requires))
        elif args.command == "remove":
            record = index.remove(parse_pin(args.requirement), cli_actor(), args.reason)
            print(f"removed {record.name}=={record.version}: project servers no longer see it")
        else:
            records = (index.for_project(args.project) if args.project
                       else sorted(index.catalogue().values(), key=lambda r: (r.name, r.version)))
            if args.json:
                print(json.dumps([as_json(record) for record in records], indent=2))
            else:
                for record in records:
                    print(_line(record))
                if not records:
                    print("no approved packages")
    finally:
        index.sessions.kw["bind"].dispose()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        return run(args)
    except SettingsError as error:
        print(f"haven packages: {error}", file=sys.stderr)
        return 2
    except EgressError as refused:
        print(f"haven packages: {refused}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
