"""``haven check FILE …``: the disclosure checks from a shell.

Exit codes (review is deliberately not success: a script must not mistake it for a pass):
  0  every check passed
  1  at least one check failed
  2  the input (or the evidence) could not be read
  3  nothing failed, but a person must review
  64 the command line was wrong (unknown option, kind, preset or setting)
  70 an internal error (a bug): never read as pass or fail
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import NoReturn, Sequence, TextIO

from .check import KINDS, check_file
from .content import Limits
from .errors import InvalidSetting, UnreadableTable
from .results import SCHEMA_VERSION, FileResult, Verdict
from .settings import PRESETS, DEFAULT_PRESET, setting_help

EXIT_PASS, EXIT_FAIL, EXIT_UNREADABLE, EXIT_REVIEW = 0, 1, 2, 3
EXIT_USAGE, EXIT_INTERNAL = 64, 70  # sysexits.h: EX_USAGE, EX_SOFTWARE
EXIT_BY_VERDICT = {Verdict.PASS: EXIT_PASS, Verdict.FAIL: EXIT_FAIL, Verdict.REVIEW: EXIT_REVIEW}
MAX_CELLS_SHOWN = 50  # per finding; --json always has them all


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    # argparse exits 2 on a usage error, which here means "unreadable input".
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: error: {message}")


def build_parser(prog: str = "haven check") -> argparse.ArgumentParser:
    settings_list = "; ".join(f"{k}: {v}" for k, v in setting_help().items())
    parser = _Parser(
        prog=prog, description="Run Haven's statistical disclosure checks on one output file.",
        epilog="exit codes: 0 pass, 1 fail, 2 unreadable input, 3 needs review, "
               "64 usage error, 70 internal error")
    parser.add_argument("file", help="the output to check (CSV/TSV, HTML, figure, text …)")
    parser.add_argument("--kind", choices=KINDS,
                        help="what the file is; guessed (and said to be a guess) when omitted")
    parser.add_argument("--preset", choices=sorted(PRESETS), default=DEFAULT_PRESET,
                        help=f"the rule parameters to start from (default {DEFAULT_PRESET})")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        dest="overrides", help=f"override one parameter. {settings_list}")
    parser.add_argument("--evidence", metavar="FILE",
                        help="long CSV of the contributions behind a magnitude table")
    parser.add_argument("--labels", metavar="COL,COL",
                        help="the row-label columns of a CSV/TSV table (guessed when omitted)")
    parser.add_argument("--control", action="append", default=[], metavar="TEXT",
                        dest="controls",
                        help="a disclosure control as declared on a release request, e.g. "
                             "'rounded to base 5' (verified, then recorded as a mitigation) "
                             "or 'label columns: a, b'; repeatable")
    parser.add_argument("--max-rows", type=int, default=Limits.max_rows, metavar="N",
                        help="rows any file to be released may carry, however it is read as a "
                             f"table (the egress service's max_table_rows; default {Limits.max_rows})")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except _UsageError as error:
        print(error, file=err)
        return EXIT_USAGE
    try:
        result = check_file(args.file, kind=args.kind, preset=args.preset,
                            overrides=_parse_overrides(args.overrides), evidence=args.evidence,
                            label_columns=_split_labels(args.labels),
                            limits=Limits(max_rows=args.max_rows), controls=args.controls)
    except InvalidSetting as error:
        print(f"haven check: {error}", file=err)
        return EXIT_USAGE
    except UnreadableTable as error:
        if args.json:
            print(json.dumps({"schema_version": SCHEMA_VERSION, "error": "unreadable",
                              "file": error.source, "reason": error.reason,
                              "line": error.line, "column": error.column}, indent=2), file=out)
        print(f"haven check: unreadable input: {error}", file=err)
        return EXIT_UNREADABLE
    except Exception as error:  # noqa: BLE001 - a crash must not exit 1 and read as "fail"
        print(f"haven check: internal error: {type(error).__name__}: {error}", file=err)
        return EXIT_INTERNAL
    if args.json:
        print(json.dumps(result.to_dict(), indent=2), file=out)
    else:
        print(render(result), file=out)
    return EXIT_BY_VERDICT[result.verdict]


def _parse_overrides(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidSetting(f"--set expects KEY=VALUE, got {pair!r}")
        overrides[key.strip()] = value
    return overrides


def _split_labels(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def render(result: FileResult) -> str:
    guessed = " (guessed)" if result.kind_guessed else ""
    lines = [f"{result.file}: {result.kind}{guessed}, preset {result.preset}"]
    for table in result.tables:
        lines.append(
            f"  table {table.index}: {table.name}, {table.kind}"
            f"{' (guessed: ' + table.kind_reason + ')' if table.kind_guessed else ''}, "
            f"{table.layout}, {table.rows} rows; labels [{', '.join(table.label_columns)}], "
            f"values [{', '.join(table.value_columns)}]")
    for finding in result.findings:
        # Lists (markers, total labels) are in --json; inline they would drown the finding.
        params = ", ".join(f"{k}={v}" for k, v in finding.parameters.items()
                           if not isinstance(v, (list, tuple, dict)))
        lines.append(f"  {finding.verdict.value.upper():<6} {finding.rule}"
                     f"{' (' + params + ')' if params else ''}: {finding.message}")
        for cell in finding.cells[:MAX_CELLS_SHOWN]:
            lines.append(f"           {cell.describe()}")
        if len(finding.cells) > MAX_CELLS_SHOWN:
            lines.append(f"           … and {len(finding.cells) - MAX_CELLS_SHOWN} more (--json)")
    lines.append(f"verdict: {result.verdict.value.upper()}")
    return "\n".join(lines)
