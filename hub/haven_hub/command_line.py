"""The one convention of every ``haven`` command: usage errors exit 64, ``--settings`` alike.

64 is sysexits' EX_USAGE, not argparse's 2: ``haven check`` already says 2 for unreadable
input, so a usage error must not look like it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .settings.location import DESCRIPTION, locate_settings

USAGE_ERROR = 64


class UsageParser(argparse.ArgumentParser):
    """argparse, but a usage error exits :data:`USAGE_ERROR` with the message on stderr."""

    def error(self, message: str) -> None:
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def add_settings_option(parser: argparse.ArgumentParser) -> None:
    # Unset stays absent (SUPPRESS), so a subcommand's own --settings slot never overwrites
    # one given before the subcommand (`haven project --settings F list` and `... list --settings F`).
    parser.add_argument("--settings", type=Path, metavar="FILE", default=argparse.SUPPRESS,
                        help=f"Haven's settings file ({DESCRIPTION})")


def settings_path(args: argparse.Namespace) -> Path:
    """The file named by ``--settings``, or the one default (:func:`locate_settings`)."""
    return locate_settings(getattr(args, "settings", None))
