"""``haven audit verify`` and ``haven audit show``: check every chain Haven keeps; read the hub's events.

Each part keeps its own chain: the hub side's (:mod:`.log`) and the egress service's (in
its own database). ``verify`` walks all of them and names each one's first broken link;
exit status 0 when every chain holds, 1 when one is broken, 2 when the settings cannot
be read. ``show`` filters the events of every chain, merged by time, oldest first.

The hub never imports the egress package: the ``haven`` command (``haven_cli.audit``), which
sits above both, passes the egress chain in ``chains`` and its reader in ``sources``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..command_line import USAGE_ERROR, UsageParser, add_settings_option, settings_path
from ..settings import Settings, SettingsError, load_settings
from .chain import ChainReport
from .log import AUDIT_DIR, TABLE, EventFilter, HubAuditLog, StoredEvent

# chain name -> its events matching a filter, read from the settings file
Source = Callable[[Path, EventFilter], list[StoredEvent]]


def verify_hub(settings: Settings) -> ChainReport:
    data_dir = settings.hub.data_dir
    if not (data_dir / AUDIT_DIR / "hub.sqlite").exists():
        # Never written to, or deleted: the head file exists once the first event was anchored.
        if (data_dir / AUDIT_DIR / "hub.head").exists():
            return ChainReport(TABLE, 0, 0, f"the hub audit log {data_dir / AUDIT_DIR / 'hub.sqlite'} is missing")
        return ChainReport(TABLE, 0)
    log = HubAuditLog.for_data_dir(data_dir)
    try:
        return log.verify(settings.hub.audit_grace_seconds)
    finally:
        log.close()


# chain name -> how to verify it from the settings file; the hub's own (see the module's note)
CHAINS: dict[str, Callable[[Path], ChainReport]] = {
    "hub": lambda path: verify_hub(load_settings(path)),
}


def hub_events(path: Path, filter_: EventFilter) -> list[StoredEvent]:
    log = HubAuditLog.for_data_dir(load_settings(path).hub.data_dir)
    try:
        return log.events(filter_)
    finally:
        log.close()


SOURCES: dict[str, Source] = {"hub": hub_events}


def accept_hub(path: Path, actor: str) -> None:
    log = HubAuditLog.for_data_dir(load_settings(path).hub.data_dir)
    try:
        log.accept(actor)
    finally:
        log.close()


# chain name -> how to anchor it as it stands, by whom
ACCEPTORS: dict[str, Callable[[Path, str], None]] = {"hub": accept_hub}


def _time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time (YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC)") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    add_settings_option(common)
    parser = UsageParser(prog="haven audit", description="Check and read Haven's audit logs.", parents=[common])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=UsageParser)
    commands.add_parser("verify", parents=[common], help="walk every hash chain; exit 1 at the first broken link")
    accept = commands.add_parser(
        "accept", parents=[common],
        help="after reading the events verify names as not anchored, anchor the chain as it stands "
             "(writes audit.accept with your login)")
    accept.add_argument("--chain", required=True, metavar="NAME", help="the chain to accept (hub or egress)")
    show = commands.add_parser("show", parents=[common],
                               help="every chain's events (hub, egress), filtered, merged by time, oldest first")
    show.add_argument("--chain", action="append", metavar="NAME",
                      help="only this chain's events (hub or egress; repeat for more); default all")
    show.add_argument("--user", help="events by this user, or about their account or servers")
    show.add_argument("--project", help="events about this project")
    show.add_argument("--type", help="an event type (project.create) or a family of them (project)")
    show.add_argument("--since", type=_time, help="from this UTC time (YYYY-MM-DD[THH:MM])")
    show.add_argument("--until", type=_time, help="up to this UTC time")
    show.add_argument("--last", type=int, metavar="N", help="only the newest N matching events")
    show.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


def _verify(path: Path, chains: dict[str, Callable[[Path], ChainReport]]) -> int:
    broken = False
    for name, verify in chains.items():
        try:
            report = verify(path)
        except SettingsError as error:
            print(f"haven audit: {error}", file=sys.stderr)
            return 2
        if report.intact:
            note = f" ({report.reason})" if report.reason else ""
            print(f"{name}: {report.events} events, chain intact{note}")
        else:
            broken = True
            print(f"{name}: BROKEN at event {report.broken_at} ({report.events} checked): {report.reason}")
    return 1 if broken else 0


def _show(args: argparse.Namespace, sources: dict[str, Source]) -> int:
    if args.since and args.until and args.since > args.until:
        print("haven audit: --since is after --until", file=sys.stderr)
        return USAGE_ERROR
    if args.last is not None and args.last < 1:
        print("haven audit: --last needs a number of events from 1 up", file=sys.stderr)
        return USAGE_ERROR
    unknown = sorted(set(args.chain or ()) - set(sources))
    if unknown:
        print(f"haven audit: no chain named {', '.join(unknown)} (chains: {', '.join(sources)})", file=sys.stderr)
        return USAGE_ERROR
    path = settings_path(args)
    load_settings(path)  # a settings error is said once, before any chain is opened
    filter_ = EventFilter(args.user, args.project, args.type, args.since, args.until, args.last)
    found = merged([read(path, filter_) for name, read in sources.items() if not args.chain or name in args.chain],
                   args.last)
    if args.json:
        print(json.dumps([stored.as_json() for stored in found], indent=2))
        return 0
    if not found:
        print("no events match")
        return 0
    for stored in found:
        e = stored.as_json()
        details = " ".join(f"{k}={json.dumps(v)}" for k, v in sorted(e["details"].items()))
        print(f"{e['chain']:<6} {e['id']:>6}  {e['time'][:19]}  {e['actor']:<16} {e['action']:<24} {e['target']}"
              + (f"  {details}" if details else ""))
    return 0


def merged(per_chain: list[list[StoredEvent]], last: int | None = None) -> list[StoredEvent]:
    """Events of several chains in one time line (each chain's own order kept for equal times)."""
    ordered = sorted((stored for events in per_chain for stored in events),
                     key=lambda stored: chain_time(stored))
    return ordered[-last:] if last else ordered


def chain_time(stored: StoredEvent) -> datetime:
    time = stored.event.time
    return time.replace(tzinfo=UTC) if time.tzinfo is None else time.astimezone(UTC)


def _accept(args: argparse.Namespace, acceptors: dict[str, Callable[[Path, str], None]]) -> int:
    if args.chain not in acceptors:
        print(f"haven audit: no chain named {args.chain} (chains: {', '.join(acceptors)})", file=sys.stderr)
        return USAGE_ERROR
    from ..provisioning.cli import cli_actor  # the login on this host, as for every operator change

    acceptors[args.chain](settings_path(args), cli_actor())
    print(f"{args.chain}: anchored as it stands (audit.accept recorded); run haven audit verify")
    return 0


def main(argv: Sequence[str] | None = None, chains: dict[str, Callable[[Path], ChainReport]] | None = None,
         sources: dict[str, Source] | None = None,
         acceptors: dict[str, Callable[[Path, str], None]] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.command == "verify":
        try:
            path = settings_path(args)
        except SettingsError as error:
            print(f"haven audit: {error}", file=sys.stderr)
            return 2
        return _verify(path, CHAINS if chains is None else chains)
    try:
        if args.command == "accept":
            return _accept(args, ACCEPTORS if acceptors is None else acceptors)
        return _show(args, SOURCES if sources is None else sources)
    except SettingsError as error:
        print(f"haven audit: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
