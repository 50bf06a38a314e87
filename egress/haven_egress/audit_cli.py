"""``haven audit verify``: walk every audit hash chain Haven keeps; name the first broken link.

Each part of Haven keeps its own chain (its own table, see ``audit``). ``CHAINS`` lists
them; the provisioning log joins here when it lands. Exit status 0 when every chain
holds, 1 when one is broken, 2 when the settings cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from haven_hub.settings import SettingsError

from .audit import ChainReport
from .cli import open_store, settings_argument


def _egress(settings_path: Path) -> ChainReport:
    service = open_store(settings_path)
    try:
        return service.verify_audit()
    finally:
        service.sessions.kw["bind"].dispose()


# chain name -> how to verify it from the settings file
CHAINS: dict[str, Callable[[Path], ChainReport]] = {"egress": _egress}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="haven audit", description="Check Haven's audit logs.")
    commands = parser.add_subparsers(dest="command", required=True)
    settings_argument(commands.add_parser("verify", help="walk every hash chain; exit 1 at the first broken link"))
    args = parser.parse_args(argv)
    broken = False
    for name, verify in CHAINS.items():
        try:
            report = verify(args.settings)
        except SettingsError as error:
            print(f"haven audit: {error}", file=sys.stderr)
            return 2
        if report.intact:
            print(f"{name}: {report.events} events, chain intact")
        else:
            broken = True
            print(f"{name}: BROKEN at event {report.broken_at} ({report.events} checked): {report.reason}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
