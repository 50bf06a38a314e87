"""``haven settings``: which settings file every command reads, and whether it is valid."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from haven_hub.command_line import UsageParser, add_settings_option, settings_path
from haven_hub.settings import SettingsError, load_settings, settings_reference


def _parser() -> UsageParser:
    parser = UsageParser(prog="haven settings",
                         description="Print the settings file the commands read and check it; exit 1 if invalid.")
    add_settings_option(parser)
    parser.add_argument("--docs", action="store_true", help="print the settings reference (docs/settings.md)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.docs:
        sys.stdout.write(settings_reference())
        return 0
    try:
        path = settings_path(args)
        load_settings(path)
    except SettingsError as error:
        print(f"haven settings: {error}", file=sys.stderr)
        return 1
    print(f"{path.resolve()}: valid")
    return 0
