"""``haven project …``: the administrators' commands over the project lifecycle.

Parses, calls :class:`~haven_hub.provisioning.lifecycle.Provisioner`, prints. Talks to
the hub named in the settings file with the operator service's token. Exit codes: 0 done,
1 refused (by Haven's rules or by the hub), 64 usage error.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import date
from typing import Any, Sequence

from ..audit.log import HubAuditLog
from ..bootstrap import public_url
from ..command_line import UsageParser, add_settings_option, settings_path
from ..datasets.catalogue import Catalogue
from ..governance import closeout
from ..governance.incidents import Incidents
from ..governance.exemptions import Exemptions
from ..projects import PUBLIC_FIELDS, Project, today_utc
from ..settings import SettingsError, load_settings
from .hub_api import HubClient, HubError
from .lifecycle import Outcome, Provisioner
from .rules import ProvisioningError



def _date(text: str) -> date | None:
    if text.lower() == "none":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD, or 'none' to clear)") from None


def _grant(text: str) -> dict[str, str | None]:
    name, _, version = text.partition("@")
    return {"name": name, "version": version or None}


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    add_settings_option(common)
    common.add_argument("--json", action="store_true", help="print JSON for scripts")

    fields = argparse.ArgumentParser(add_help=False)
    for flag, help_ in (("--title", "human-readable title"), ("--lay-summary", "public-facing summary"),
                        ("--purpose", "what the project is approved to do"), ("--lead", "lead researcher"),
                        ("--organisation", "organisation"), ("--disclosure-preset", "disclosure-control preset name")):
        fields.add_argument(flag, help=help_)
    fields.add_argument("--start-date", type=_date, default=argparse.SUPPRESS, help="YYYY-MM-DD or none")
    fields.add_argument("--end-date", type=_date, default=argparse.SUPPRESS, help="YYYY-MM-DD (last day) or none")
    fields.add_argument("--cpu", type=float, help="CPU cores per server")
    fields.add_argument("--memory", help="memory per server, e.g. 2G")
    fields.add_argument("--pids", type=int, help="most processes per server")
    fields.add_argument("--browser-bytes-per-day", help="bytes a server may send to its user's browser in a UTC day, "
                        "e.g. 100M; past it the server is stopped for the day")
    fields.add_argument("--disk-quota", help="workspace disk quota, e.g. 50G (recorded, not enforced)")
    fields.add_argument("--retention-days", type=int, help="days its files are kept once archived "
                        "(default: the setting admin.retention_days; see haven project close-out)")
    fields.add_argument("--terminals", choices=("on", "off"),
                        help="offer terminals in members' servers (default off; see docs/lab-boundary.md)")
    fields.add_argument("--require-accreditation", action="append", metavar="KIND",
                        help="an accreditation every member needs to start its servers (repeatable; replaces the "
                             "list; 'none' clears it; docs/accreditation.md)")
    fields.add_argument("--confidential", action="append", metavar="FIELD", choices=(*PUBLIC_FIELDS, "none"),
                        help="a field the public register leaves out (repeatable; replaces the list; 'none' "
                             "clears it; docs/transparency.md)")

    settings_only = argparse.ArgumentParser(add_help=False)
    add_settings_option(settings_only)
    parser = UsageParser(prog="haven project", description="Provision Haven projects (JupyterHub groups).",
                         parents=[settings_only])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=UsageParser)
    commands.add_parser("list", parents=[common], help="list projects")
    for word, help_ in (("show", "show one project"), ("resume", "resume a suspended project")):
        commands.add_parser(word, parents=[common], help=help_).add_argument("id")
    create = commands.add_parser("create", parents=[common, fields], help="create a project")
    create.add_argument("id")
    create.add_argument("--member", action="append", default=[], metavar="USER", help="a member (repeatable)")
    create.add_argument("--dataset", action="append", default=[], type=_grant, metavar="NAME[@VERSION]",
                        help="a granted dataset (repeatable)")
    commands.add_parser("update", parents=[common, fields], help="change a project's fields").add_argument("id")
    for word, help_ in (("add-member", "add members"), ("remove-member", "remove members (stops their servers)")):
        sub = commands.add_parser(word, parents=[common], help=help_)
        sub.add_argument("id")
        sub.add_argument("users", nargs="+", metavar="USER")
    grant = commands.add_parser("grant", parents=[common], help="grant a dataset")
    grant.add_argument("id")
    grant.add_argument("dataset")
    grant.add_argument("--version", help="pin a version (default: the latest at each spawn)")
    revoke = commands.add_parser("revoke", parents=[common], help="revoke a dataset")
    revoke.add_argument("id")
    revoke.add_argument("dataset")
    for word, help_ in (("suspend", "suspend: stop its servers, refuse spawns"),
                        ("archive", "archive for good: stop its servers, refuse spawns, no more changes")):
        sub = commands.add_parser(word, parents=[common], help=help_)
        sub.add_argument("id")
        sub.add_argument("--reason", default="", help="shown to members who try to start a server")
    for word, help_ in (("freeze", "incident: stop its servers (revoking their tokens), refuse spawns, "
                                   "hold its egress requests"),
                        ("thaw", "lift a freeze: spawns and egress requests resume (servers stay stopped)")):
        sub = commands.add_parser(word, parents=[common], help=help_)
        sub.add_argument("id")
        sub.add_argument("--reason", required=True, help="why (required; recorded in the audit log)")
    close_out = commands.add_parser(
        "close-out", parents=[common],
        help="delete archived projects' workspaces, home and scratch volumes and unreleased outputs "
             "once their retention has run out (audited with a manifest)")
    close_out.add_argument("ids", nargs="*", metavar="ID", help="these projects (default: every archived one due)")
    close_out.add_argument("--dry-run", action="store_true", help="list what would be deleted; delete nothing")
    close_out.add_argument("--today", type=_date, help="evaluate as of this date (default: today, UTC)")
    for word, help_ in (("exempt", "record an exemption from a dataset's row filter (docs/row-filters.md)"),
                        ("unexempt", "withdraw an exemption from a row filter (stops the project's servers)")):
        sub = commands.add_parser(word, parents=[common], help=help_)
        sub.add_argument("id")
        sub.add_argument("dataset")
        sub.add_argument("filter")
        if word == "exempt":
            sub.add_argument("--reason", required=True, help="the approval the exemption rests on (audited)")
    sweep = commands.add_parser("sweep", parents=[common], help="suspend projects whose end date has passed")
    sweep.add_argument("--today", type=_date, help="evaluate as of this date (default: today, UTC)")
    return parser


def _field_changes(args: argparse.Namespace, current: Project | None) -> dict[str, Any]:
    """The record fields given on the command line; limits merge into the current ones."""
    changes: dict[str, Any] = {}
    for name in ("title", "lay_summary", "purpose", "lead", "organisation", "disclosure_preset", "disk_quota"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    for name in ("start_date", "end_date"):
        if hasattr(args, name):
            changes[name] = getattr(args, name)
    if args.terminals is not None:
        changes["terminals"] = args.terminals == "on"
    if args.retention_days is not None:
        changes["retention_days"] = args.retention_days
    if args.require_accreditation is not None:
        changes["required_accreditations"] = _declared_accreditations(args)
    if args.confidential is not None:
        changes["confidential_fields"] = [] if args.confidential == ["none"] else list(dict.fromkeys(args.confidential))
    limits = {k: getattr(args, k) for k in ("cpu", "memory", "pids", "browser_bytes_per_day")
              if getattr(args, k) is not None}
    if limits:
        changes["limits"] = {**(current.limits.model_dump() if current else {}), **limits}
    return changes


def _declared_accreditations(args: argparse.Namespace) -> list[str]:
    """The kinds given, each declared in the settings (a misspelt one would refuse every spawn)."""
    kinds = [] if args.require_accreditation == ["none"] else list(dict.fromkeys(args.require_accreditation))
    rules = load_settings(settings_path(args)).accreditation
    unknown = [kind for kind in kinds if rules.kind(kind) is None]
    if unknown:
        raise ProvisioningError(f"unknown accreditation kind {unknown[0]!r}: the settings declare "
                                f"{', '.join(kind.name for kind in rules.kinds) or 'none'}")
    return kinds


def _provisioner(args: argparse.Namespace) -> Provisioner:
    settings = load_settings(settings_path(args))
    token_path = settings.data_path(settings.hub.operator_token_file)
    try:
        token = token_path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise SettingsError(f"cannot read the operator token from {token_path}: {error.strerror}") from None
    catalogue_dir = settings.data_path(settings.datasets.catalogue_dir)
    catalogue = Catalogue(catalogue_dir) if catalogue_dir.is_dir() else None
    today = getattr(args, "today", None)
    clock = (lambda: today) if today else today_utc
    return Provisioner(HubClient(f"{public_url(settings)}/hub/api", token), catalogue, clock=clock,
                       audit=HubAuditLog.from_settings(settings), actor=cli_actor())


def cli_actor() -> str:
    """Who the audit log names for a change made with the operator token: the login on this host."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = f"uid-{os.getuid()}"
    return f"operator:{who}"[:64]


def run(args: argparse.Namespace) -> Any:
    """Does the command; returns a Project, a list of them, an Outcome or a list of Outcomes
    (``list``: the projects and the damaged records, which ``main`` names on stderr)."""
    p = _provisioner(args)
    match args.command:
        case "list":
            return p.survey()  # (projects, damaged records): main names the damaged ones
        case "show":
            return p.get(args.id)
        case "create":
            fields = _field_changes(args, None)
            fields["datasets"] = tuple(args.dataset)
            return p.create(args.id, args.member, fields)
        case "update":
            changes = _field_changes(args, p.get(args.id))
            if not changes:
                raise ProvisioningError("nothing to change: give at least one field, e.g. --end-date")
            return p.update(args.id, changes)
        case "add-member":
            return p.add_members(args.id, args.users)
        case "remove-member":
            return p.remove_members(args.id, args.users)
        case "grant":
            return p.grant(args.id, args.dataset, args.version)
        case "revoke":
            return p.revoke(args.id, args.dataset)
        case "suspend":
            return p.suspend(args.id, args.reason)
        case "resume":
            return p.resume(args.id)
        case "archive":
            return p.archive(args.id, args.reason)
        case "sweep":
            return p.sweep()
        case "exempt":
            return Exemptions(p).exempt(args.id, args.dataset, args.filter, args.reason)
        case "unexempt":
            return Exemptions(p).unexempt(args.id, args.dataset, args.filter)
        case "freeze":
            return Incidents(p).freeze(args.id, args.reason)
        case "thaw":
            return Incidents(p).thaw(args.id, args.reason)
        case "close-out":
            return closeout.run_from_cli(p, settings_path(args), args.ids, args.dry_run)
    raise AssertionError(args.command)


def as_json(project: Project) -> dict[str, Any]:
    return {"id": project.id, "members": sorted(project.members), **project.properties(),
            "effective_status": project.effective_status()}


def _to_json(result: Any) -> Any:
    if isinstance(result, closeout.Report):
        return result.as_json()
    if isinstance(result, list):
        return [_to_json(item) for item in result]
    if isinstance(result, Outcome):
        return {"project": as_json(result.project), "stopped": list(result.stopped)}
    return as_json(result)


def _table(projects: list[Project]) -> str:
    rows = [("ID", "STATUS", "END", "MEMBERS", "DATASETS", "TITLE")]
    for p in projects:
        rows.append((p.id, p.effective_status() + (" (frozen)" if p.frozen else ""), str(p.end_date or "-"), ",".join(sorted(p.members)) or "-",
                     ",".join(g.name for g in p.datasets) or "-", p.title))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1] for row in rows)


def _details(p: Project) -> str:
    status = p.effective_status()
    if p.status_reason:
        status += f" ({p.status_reason})"
    if p.frozen:
        status += f"; FROZEN since {p.frozen_changed} ({p.frozen_reason})"
    grants = ", ".join(f"{g.name}@{g.version or 'latest'}" for g in p.datasets) or "none"
    lines = [
        ("project", p.id), ("title", p.title), ("status", status), ("lay summary", p.lay_summary),
        ("purpose", p.purpose), ("lead", p.lead), ("organisation", p.organisation),
        ("dates", f"{p.start_date or 'open'} to {p.end_date or 'open'}"),
        ("members", ", ".join(sorted(p.members)) or "none"), ("datasets", grants),
        ("limits", f"{p.limits.cpu:g} CPU, {p.limits.memory} memory, {p.limits.pids} processes"),
        ("browser", f"{p.limits.browser_bytes_per_day} a day per member (stopped past it)"),
        ("disk quota", f"{p.disk_quota} (recorded, not enforced)" if p.disk_quota else "none"),
        ("disclosure", p.disclosure_preset or "service default"),
        ("terminals", "on" if p.terminals else "off"),
        ("retention", (f"{p.retention_days if p.retention_days is not None else 'setting'} days after archiving"
                       + (f" (archived {p.archived_at})" if p.archived_at else "")
                       + (f"; closed out {p.closed_out}" if p.closed_out else ""))),
        ("exemptions", "; ".join(f"{e.dataset}/{e.filter} by {e.by} ({e.reason})" for e in p.row_filter_exemptions)),
        ("requires", ", ".join(p.required_accreditations)),
        ("not public", ", ".join(p.confidential_fields)),
    ]
    return "\n".join(f"{label + ':':<14}{value}" for label, value in lines if value)


def _human(command: str, result: Any) -> str:
    if command == "close-out":
        return closeout.human(result)
    if command == "list":
        return _table(result) if result else "no projects"
    if command == "sweep":
        if not result:
            return "nothing to do: no project has ended or needs its servers stopped"
        return "\n".join(_stopped_line(o, f"project {o.project.id!r} is {o.project.effective_status()}")
                         for o in result)
    if isinstance(result, Outcome):
        return _stopped_line(result, f"{command}: done") + "\n" + _details(result.project)
    return _details(result)


def _stopped_line(outcome: Outcome, head: str) -> str:
    stopped = ", ".join(outcome.stopped)
    return f"{head}; stopped the servers of: {stopped}" if stopped else f"{head}; no servers were running"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        result = run(args)
    except (ProvisioningError, HubError, SettingsError) as error:
        print(f"haven project: {str(error).splitlines()[0] if isinstance(error, HubError) else error}",
              file=sys.stderr)
        return 1
    damaged = []
    if args.command == "list":
        result, damaged = result
    print(json.dumps(_to_json(result), indent=2) if args.json else _human(args.command, result))
    for item in damaged:
        print(f"haven project: problem: {item.explained()}", file=sys.stderr)
    return 1 if damaged else 0


if __name__ == "__main__":
    sys.exit(main())
