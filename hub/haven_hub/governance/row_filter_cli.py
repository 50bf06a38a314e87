"""``haven dataset row-filters NAME [--set FILE | --clear]``: declare, replace or show a dataset's row filters.

Wired into ``haven dataset`` (haven_hub.datasets.cli). A change is written to the hub side's
audit log; it applies at each server's next start (a running server keeps the copy it mounted).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..audit.log import HubAuditLog
from ..datasets.catalogue import Catalogue
from ..datasets.errors import DatasetError
from . import row_filters


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser("row-filters", parents=[common],
                                 help="show, declare (--set FILE) or remove (--clear) a dataset's row filters")
    parser.add_argument("name")
    change = parser.add_mutually_exclusive_group()
    change.add_argument("--set", dest="declaration", type=Path, metavar="FILE",
                        help="YAML of the filters (replaces all of them); see docs/row-filters.md")
    change.add_argument("--clear", action="store_true", help="remove every filter of the dataset")


def run(catalogue: Catalogue, args: argparse.Namespace, settings: Any, actor: str) -> int:
    if args.declaration is None and not args.clear:
        found = row_filters.declared(catalogue, args.name)
        catalogue.versions(args.name)
        print(row_filters.as_json(found) if found.filters else f"dataset {args.name!r} has no row filters")
        return 0
    if settings is None:
        raise DatasetError("changing row filters is audited: give --settings (or set HAVEN_SETTINGS)")
    before = row_filters.declared(catalogue, args.name)
    audit = HubAuditLog.from_settings(settings)
    if args.clear:
        row_filters.clear_filters(catalogue, args.name)
        after = row_filters.RowFilterSet(dataset=args.name)
    else:
        after = row_filters.set_filters(catalogue, args.name, args.declaration)
    audit.record(actor, "dataset.row_filters.set" if after.filters else "dataset.row_filters.clear",
                 f"dataset/{args.name}", None,
                 before=[row_filters.summary(item) for item in before.filters],
                 after=[row_filters.summary(item) for item in after.filters])
    print(f"dataset {args.name!r}: {len(after.filters)} row filter(s); servers started from now on mount "
          "filtered copies (running servers keep theirs until they restart)", file=sys.stderr)
    print(row_filters.as_json(after))
    return 0
