"""``haven audit verify`` and ``haven audit show``: check every chain Haven keeps; read the hub's events.

Each part keeps its own chain: the hub side's (:mod:`.log`) and the egress service's (in
its own database). ``verify`` walks all of them and names each one's first broken link;
exit status 0 when every chain holds, 1 when one is broken, 2 when the settings cannot
be read. ``show`` filters the hub side's events (the egress service shows its own
history per request).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..settings import Settings, SettingsError, load_settings
from .chain import ChainReport
from .log import AUDIT_DIR, TABLE, EventFilter, HubAuditLog

DEFAULT_SETTINGS = Path("config/haven.demo.yaml")
USAGE_ERROR = 64


def verify_hub(settings: Settings) -> ChainReport:
    data_dir = settings.hub.data_dir
    if not (data_dir / AUDIT_DIR / "hub.sqlite").exists():
        # Never written to, or deleted: the head file exists once the first event was anchored.
        if (data_dir / AUDIT_DIR / "hub.head").exists():
            return ChainReport(TABLE, 0, 0, f"the hub audit log {data_dir / AUDIT_DIR / 'hub.sqlite'} is missing")
        return ChainReport(TABLE, 0)
    log = HubAuditLog.for_data_dir(data_dir)
    try:
        return log.verify()
    finally:
        log.close()


def verify_egress(settings_path: Path) -> ChainReport:
    settings = load_settings(settings_path)
    default_store = settings.data_path(settings.egress.data_dir) / "egress.sqlite"
    if not settings.egress.database_url and not default_store.exists():
        # Opening it would create an empty file; there is nothing to check yet.
        return ChainReport("audit_events", 0, None, "the egress service has not started yet")
    from haven_egress.audit_cli import verify_egress as egress  # the egress package owns its store

    return egress(settings_path)


# chain name -> how to verify it from the settings file
CHAINS: dict[str, Callable[[Path], ChainReport]] = {
    "hub": lambda path: verify_hub(load_settings(path)),
    "egress": verify_egress,
}


def _time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time (YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC)") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="haven audit", description="Check and read Haven's audit logs.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--settings", type=Path, default=Path(os.environ.get("HAVEN_SETTINGS", DEFAULT_SETTINGS)),
                        help="Haven's settings file (default $HAVEN_SETTINGS or %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("verify", parents=[common], help="walk every hash chain; exit 1 at the first broken link")
    show = commands.add_parser("show", parents=[common], help="the hub side's events, filtered, oldest first")
    show.add_argument("--user", help="events by this user, or about their account or servers")
    show.add_argument("--project", help="events about this project")
    show.add_argument("--type", help="an event type (project.create) or a family of them (project)")
    show.add_argument("--since", type=_time, help="from this UTC time (YYYY-MM-DD[THH:MM])")
    show.add_argument("--until", type=_time, help="up to this UTC time")
    show.add_argument("--last", type=int, metavar="N", help="only the newest N matching events")
    show.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


def _verify(settings_path: Path) -> int:
    broken = False
    for name, verify in CHAINS.items():
        try:
            report = verify(settings_path)
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


def _show(args: argparse.Namespace) -> int:
    if args.since and args.until and args.since > args.until:
        print("haven audit: --since is after --until", file=sys.stderr)
        return USAGE_ERROR
    settings = load_settings(args.settings)
    log = HubAuditLog.for_data_dir(settings.hub.data_dir)
    try:
        found = log.events(EventFilter(args.user, args.project, args.type, args.since, args.until, args.last))
    finally:
        log.close()
    if args.json:
        print(json.dumps([stored.as_json() for stored in found], indent=2))
        return 0
    if not found:
        print("no events match")
        return 0
    for stored in found:
        e = stored.as_json()
        details = " ".join(f"{k}={json.dumps(v)}" for k, v in sorted(e["details"].items()))
        print(f"{e['id']:>6}  {e['time'][:19]}  {e['actor']:<16} {e['action']:<24} {e['target']}"
              + (f"  {details}" if details else ""))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return USAGE_ERROR if exit_.code == 2 else int(exit_.code or 0)
    if args.command == "verify":
        return _verify(args.settings)
    try:
        return _show(args)
    except SettingsError as error:
        print(f"haven audit: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
