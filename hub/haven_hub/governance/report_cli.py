"""``haven report …``: reports from the audit log and the egress records, and the RO-Crate export.

    haven report access [--project ID] [--dataset NAME] [--since T] [--until T]   which datasets each project used, when
    haven report requests [--project ID]                                          release requests by state
    haven report outputs [--dataset NAME]                                         released outputs per dataset
    haven report crate ID [--output FILE]                         the project's Five Safes RO-Crate

Each reads on the host (the hub's audit store, the egress database read-only); ``crate`` also
asks the hub for the project (the operator token, as ``haven project show``). An export names
people, so writing one is itself an audit event (``report.crate``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..audit.log import HubAuditLog
from ..command_line import UsageParser, add_settings_option, settings_path
from ..provisioning.hub_api import HubError
from ..provisioning.rules import ProvisioningError
from ..settings import SettingsError, load_settings
from . import reports
from .egress_records import EgressRecords


def _time(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time: use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    add_settings_option(common)
    common.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser = UsageParser(prog="haven report", description="Reports for data owners and administrators.")
    add_settings_option(parser)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=UsageParser)
    access = commands.add_parser("access", parents=[common], help="which datasets each project's servers used, when")
    access.add_argument("--project", help="only this project")
    access.add_argument("--dataset", help="only this dataset (for its data owner)")
    access.add_argument("--since", type=_time, help="from this time (UTC)")
    access.add_argument("--until", type=_time, help="up to this time (UTC)")
    requests = commands.add_parser("requests", parents=[common], help="release requests by state, per project")
    requests.add_argument("--project", help="only this project")
    commands.add_parser("outputs", parents=[common], help="released outputs per dataset").add_argument(
        "--dataset", help="only this dataset (for its data owner)")
    crate = commands.add_parser("crate", parents=[common], help="a project's activity as a Five Safes RO-Crate")
    crate.add_argument("id")
    crate.add_argument("--output", type=Path, metavar="FILE", help="write ro-crate-metadata.json here (default: stdout)")
    return parser


def run(args: argparse.Namespace) -> tuple[Any, str]:
    """(JSON-able result, the same for people)."""
    settings = load_settings(settings_path(args))
    records = EgressRecords.from_settings(settings)
    try:
        if args.command == "access":
            rows = [r for r in reports.dataset_access(HubAuditLog.from_settings(settings), args.project, args.since,
                                                      args.until) if args.dataset in (None, r.dataset)]
            return [r.as_json() for r in rows], _table(
                ("project", "dataset", "versions", "starts", "people", "first", "last"),
                [(r.project, r.dataset, " ".join(r.versions), r.starts, r.people, _short(r.first), _short(r.last))
                 for r in rows])
        if args.command == "requests":
            counts = reports.requests_by_state(records.requests(args.project))
            return counts, _table(("project", "state", "requests"),
                                  [(p, s, n) for p, states in counts.items() for s, n in states.items()])
        if args.command == "outputs":
            rows = [r for r in reports.outputs_by_dataset(records.releases()) if args.dataset in (None, r.dataset)]
            return [r.as_json() for r in rows], _table(
                ("dataset", "versions", "outputs released", "releases", "projects"),
                [(r.dataset, " ".join(r.versions), r.outputs, r.releases, " ".join(r.projects)) for r in rows])
        crate = export_crate(args, settings, records)
        text = json.dumps(crate, indent=2) + "\n"
        if args.output:
            args.output.write_text(text, encoding="utf-8")
            return {"written": str(args.output), "entities": len(crate["@graph"])}, f"wrote {args.output}"
        return crate, text.rstrip("\n")
    finally:
        records.close()


def export_crate(args: argparse.Namespace, settings: Any, records: EgressRecords) -> dict[str, Any]:
    from ..provisioning.cli import _provisioner, cli_actor

    project = _provisioner(args).get(args.id)
    return reports.project_crate(settings, project, records, HubAuditLog.from_settings(settings), cli_actor())


def _short(time: datetime) -> str:
    return time.strftime("%Y-%m-%d %H:%M")


def _table(header: Sequence[str], rows: list[Sequence[Any]]) -> str:
    if not rows:
        return "nothing recorded"
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        result, human = run(args)
    except (ProvisioningError, HubError, SettingsError) as error:
        print(f"haven report: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2) if args.json else human)
    return 0


if __name__ == "__main__":
    sys.exit(main())
