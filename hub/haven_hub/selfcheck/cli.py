"""``haven selfcheck``: prove the boundaries of a running Haven from inside a throwaway server.

Exit codes: 0 every check passed (skipped ones say why), 1 a check failed, 3 the check could
not run (hub unreachable, spawn refused, ...), 64 usage error. Run it on the hub's host as
root, as the hub runs: it reads the operator token, the engine and the host's listening
ports. docs/selfcheck.md describes each check.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from collections.abc import Sequence

from ..command_line import UsageParser, add_settings_option, settings_path
from ..settings import SettingsError, load_settings
from .live import IDENTITY, Report, SelfcheckError, run

COULD_NOT_RUN = 3


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    try:
        ipaddress.ip_address(host)
        number = int(port)
    except ValueError:
        raise ValueError(f"{text!r} is not ADDRESS:PORT (an IP address, not a name)") from None
    if not 0 < number < 65536:
        raise ValueError(f"{text!r}: the port must be 1-65535")
    return host, number


def _parser() -> UsageParser:
    parser = UsageParser(prog="haven selfcheck", description=(
        f"Spawn a throwaway server on the running Haven (as the account {IDENTITY}, in two throwaway "
        "projects), try to cross each boundary from inside it, remove everything, and print a pass/fail table."))
    add_settings_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument("--outside", action="append", default=[], metavar="ADDR:PORT",
                        help="an outside address the server must not reach (repeatable); none is tried unless named")
    return parser


def table(report: Report) -> str:
    width = max(len(result.name) for result in report.results)
    lines = [f"{'result':<6}  {'area':<10}  {'check':<{width}}  detail"]
    lines += [f"{result.status.upper():<6}  {result.area:<10}  {result.name:<{width}}  {result.detail}"
              for result in report.results]
    lines.append(summary(report))
    return "\n".join(lines)


def summary(report: Report) -> str:
    counts = {status: sum(1 for r in report.results if r.status == status) for status in ("pass", "fail", "skip")}
    verdict = "FAILED" if report.failed else "passed"
    return (f"haven selfcheck {verdict}: {counts['pass']} passed, {counts['fail']} failed, "
            f"{counts['skip']} skipped in {report.seconds} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        outside = tuple(_address(text) for text in args.outside)
    except ValueError as error:
        parser.error(str(error))
    try:
        settings = load_settings(settings_path(args))
    except SettingsError as error:
        print(f"haven selfcheck: {error}", file=sys.stderr)
        return COULD_NOT_RUN
    try:
        report = run(settings, outside)
    except SelfcheckError as error:
        print(f"haven selfcheck: could not run: {error}", file=sys.stderr)
        return COULD_NOT_RUN
    if args.json:
        print(json.dumps({"passed": not report.failed, "seconds": report.seconds, "server": report.server,
                          "results": [result.to_json() for result in report.results]}, indent=2))
    else:
        print(table(report))
    return 1 if report.failed else 0
