"""``haven dataset …``: the administrators' commands over the catalogue.

Runnable as ``python -m haven_hub.datasets …``; the top-level ``haven`` command dispatches
to :func:`main` with the words after ``dataset``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from ..command_line import UsageParser, add_settings_option, settings_path
from ..settings import SettingsError, load_settings
from ..settings.location import ENVIRONMENT
from .catalogue import AddRequest, Catalogue, GrantLookup, Problem
from .errors import DatasetError
from .grants import GrantsUnavailable, hub_grants
from ..governance import row_filter_cli
from ..provisioning.cli import cli_actor

def _parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog="haven dataset", description="Manage Haven's curated datasets.")
    parser.add_argument("--catalogue", type=Path, default=None,
                        help="catalogue directory (default: datasets.catalogue_dir of the settings)")
    add_settings_option(parser)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=UsageParser)
    common = argparse.ArgumentParser(add_help=False)
    add_settings_option(common)

    add = commands.add_parser("add", parents=[common], help="add a new version of a dataset from CSV, Parquet or a DuckDB table")
    add.add_argument("name")
    add.add_argument("--from", dest="source", type=Path, required=True, metavar="FILE")
    add.add_argument("--table", help="the table to take from a DuckDB database file")
    add.add_argument("--title", default="")
    add.add_argument("--description", default="")
    add.add_argument("--source", dest="source_note", default="", help="where the data comes from")
    add.add_argument("--licence", default="", help="licence or data-sharing agreement reference")
    add.add_argument("--version", help="version label (default: the next whole number)")
    add.add_argument("--describe", action="append", default=[], metavar="COLUMN=TEXT", help="a column's description (repeatable)")
    add.add_argument("--describe-from", type=Path, metavar="JSON", help="a JSON object of column descriptions")

    commands.add_parser("list", parents=[common], help="list datasets and their latest versions")
    show = commands.add_parser("show", parents=[common], help="show a dataset's versions and columns")
    show.add_argument("name")
    commands.add_parser("verify", parents=[common], help="re-check the checksum of every file")
    row_filter_cli.add_parser(commands, common)

    synthetic = commands.add_parser("synthetic", parents=[common], help="write the synthetic demo dataset (no real data)")
    synthetic.add_argument("--rows", type=float, default=1e5, help="admissions rows (e.g. 1e5, 1e7)")
    synthetic.add_argument("--out", type=Path, required=True)
    synthetic.add_argument("--seed", type=int, default=20260101)
    return parser


def _descriptions(args: argparse.Namespace) -> dict[str, str]:
    found: dict[str, str] = {}
    if args.describe_from is not None:
        try:
            loaded = json.loads(args.describe_from.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise DatasetError(f"{args.describe_from}: cannot read column descriptions: {error}") from None
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            raise DatasetError(f"{args.describe_from}: expected a JSON object of column name to text")
        found.update(loaded)
    for item in args.describe:
        column, equals, text = item.partition("=")
        if not equals or not column:
            raise DatasetError(f"--describe {item!r}: expected COLUMN=TEXT")
        found[column] = text
    return found


def _add(catalogue: Catalogue, args: argparse.Namespace) -> int:
    metadata = catalogue.add(AddRequest(
        name=args.name, source=args.source, title=args.title, description=args.description,
        source_note=args.source_note, licence=args.licence, version=args.version, table=args.table,
        column_descriptions=_descriptions(args),
    ))
    print(f"added {metadata.name} version {metadata.version}: {metadata.rows} rows, {len(metadata.columns)} columns")
    return 0


def _list(catalogue: Catalogue) -> int:
    """One line per dataset; a dataset or version that cannot be read is one ``problem:``
    line on stderr (exit 1, as ``verify``), and every other dataset is still listed."""
    names = catalogue.names()
    problems = catalogue.strays()
    if not names:
        print(f"no datasets in {catalogue.root}")
    for name in names:
        try:
            versions, unreadable = catalogue.survey(name)
        except DatasetError as error:
            problems.append(Problem(name, str(error)))
            continue
        problems += unreadable
        if not versions:
            if not unreadable:
                problems.append(Problem(name, "has no versions"))
            continue
        latest = versions[-1]
        print(f"{name}\t{latest.version}\t{latest.rows} rows\t{len(versions)} version(s)\t{latest.title}")
    return _problems(problems, "run `haven dataset verify` for every check")


def _problems(problems: list[Problem], hint: str) -> int:
    for problem in problems:
        print(f"problem: {problem.where}: {problem.what}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s); {hint}", file=sys.stderr)
        return 1
    return 0


def _show(catalogue: Catalogue, name: str, grants: GrantLookup | None) -> int:
    versions, unreadable = catalogue.survey(name)
    if not versions:
        _problems(unreadable, "no readable version")
        raise DatasetError(f"dataset {name!r} has no readable version")
    latest = versions[-1]
    print(f"{latest.name}: {latest.title}")
    for label, value in (("description", latest.description), ("source", latest.source), ("licence", latest.licence)):
        if value:
            print(f"  {label}: {value}")
    print("versions:")
    for metadata in versions:
        print(f"  {metadata.version}\t{metadata.created.isoformat(timespec='seconds')}\t{metadata.rows} rows")
    print(f"columns (version {latest.version}):")
    for column in latest.columns:
        print(f"  {column.name}\t{column.type}" + (f"\t{column.description}" if column.description else ""))
    try:
        held = catalogue.grants(name, grants)
    except GrantsUnavailable as error:
        print(f"grants: unknown ({error})")
        return _problems(unreadable, "run `haven dataset verify` for every check")
    if held is None:
        print("grants: unknown (no hub settings: give --settings or set HAVEN_SETTINGS to ask the hub)")
    else:
        print("grants: " + (", ".join(f"{g.project} ({g.version or 'latest'})" for g in held) or "none"))
    return _problems(unreadable, "run `haven dataset verify` for every check")


def _verify(catalogue: Catalogue) -> int:
    checked, problems = catalogue.verify()
    for leftover in catalogue.leftovers():
        print(f"note: an interrupted add left {leftover}; remove it once no add is running", file=sys.stderr)
    for problem in problems:
        print(f"FAILED {problem.where}: {problem.what}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {checked} file(s) checked", file=sys.stderr)
        return 1
    print(f"all {checked} file(s) match their checksums")
    return 0


def _hub_settings(args: argparse.Namespace):
    """Haven's settings: they give the catalogue and the hub. A catalogue named alone with
    ``--catalogue`` (no settings named) is worked on offline, without asking the hub."""
    if args.catalogue is not None and not (getattr(args, "settings", None) or os.environ.get(ENVIRONMENT)):
        return None
    try:
        return load_settings(settings_path(args))
    except SettingsError as error:
        raise DatasetError(str(error)) from None


def main(argv: Sequence[str] | None = None, *, grants: GrantLookup | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        settings = _hub_settings(args)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if settings is not None:
        if args.catalogue is None:
            args.catalogue = settings.data_path(settings.datasets.catalogue_dir)
        if grants is None:
            grants = hub_grants(settings)
    catalogue = Catalogue(args.catalogue)
    try:
        if args.command == "add":
            return _add(catalogue, args)
        if args.command == "list":
            return _list(catalogue)
        if args.command == "show":
            return _show(catalogue, args.name, grants)
        if args.command == "verify":
            return _verify(catalogue)
        if args.command == "row-filters":
            return row_filter_cli.run(catalogue, args, settings, cli_actor())
        from .synthetic import write_synthetic  # pyarrow/numpy only when needed

        written = write_synthetic(args.out, rows=int(args.rows), seed=args.seed)
        for path in written:
            print(f"wrote {path}")
        return 0
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        # The catalogue itself unreadable or unwritable: an administrator's fix, not a bug.
        print(f"error: {error.filename or catalogue.root}: {error.strerror or error}", file=sys.stderr)
        return 2
