"""Haven's analyst library: the project's datasets, queried with DuckDB.

    import haven
    haven.datasets()                                   # what this project holds
    haven.sql("select sex, count(*) from patients group by all").df()   # pandas
    haven.table("admissions").pl()                     # polars; .arrow() for Arrow
    haven.summarise(haven.table("admissions"), by=["region"], value="cost", stat="mean",
                    path="outputs/cost.csv")   # the table + its evidence for the checks
    haven.safe.crosstab(haven.table("admissions"), rows=["region"], cols="sex",
                        path="outputs/sex_by_region.csv")   # small cells withheld, as the
                                                            # project's preset says

Every dataset granted to the project is a read-only view named after it. The connection
reads nothing but those files and writes nothing but the workspace and the scratch
directory; its settings are locked so SQL cannot change that.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb

from ._catalogue import Column, Dataset, HavenError, UnknownDataset, read_catalogue, unknown, warn_unusable
from ._connection import open_locked, unreadable_data
from ._display import DatasetList
from ._environment import Environment, discover
from ._summarise import summarise
from . import safe  # haven.safe.counts / crosstab / mean: tables made safe as they are made

__all__ = [
    "Column", "Dataset", "HavenError", "UnknownDataset",
    "connect", "datasets", "open_connection", "safe", "sql", "summarise", "table",
]

# The shared connection, the datasets it holds, and those mounted but unusable (with why).
_shared: tuple[duckdb.DuckDBPyConnection, dict[str, Dataset], dict[str, str]] | None = None
_shared_lock = threading.Lock()


def open_connection(
    *,
    data_dir: Path | str | None = None,
    workspace_dir: Path | str | None = None,
    scratch_dir: Path | str | None = None,
    memory_limit: str | None = None,
    max_scratch: str | None = None,
    threads: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """A new locked-down connection. Arguments override the HAVEN_* environment
    variables (HAVEN_DATA_DIR, HAVEN_WORKSPACE_DIR, HAVEN_SCRATCH_DIR, HAVEN_MEMORY_LIMIT,
    HAVEN_SCRATCH_MAX_SIZE, HAVEN_THREADS); settings cannot be changed afterwards."""
    environment = discover(
        data_dir=data_dir, workspace_dir=workspace_dir, scratch_dir=scratch_dir,
        memory_limit=memory_limit, max_scratch=max_scratch, threads=threads,
    )
    return _open(environment)[0]


def _open(environment: Environment) -> tuple[duckdb.DuckDBPyConnection, dict[str, Dataset], dict[str, str]]:
    readable, unusable = read_catalogue(environment.data_dir)
    con, unreadable = open_locked(environment, readable)
    unusable.update(unreadable)
    warn_unusable(unusable)
    return con, {name: d for name, d in readable.items() if name not in unusable}, unusable


def survey(data_dir: Path) -> tuple[dict[str, Dataset], dict[str, str]]:
    """The usable datasets under ``data_dir`` and the unusable ones with why: damaged
    metadata, or data DuckDB cannot read. What the Datasets panel lists."""
    readable, unusable = read_catalogue(data_dir)
    unusable.update(unreadable_data(readable))
    return {name: d for name, d in readable.items() if name not in unusable}, unusable


def _connection() -> tuple[duckdb.DuckDBPyConnection, dict[str, Dataset], dict[str, str]]:
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = _open(discover())
        return _shared


def connect() -> duckdb.DuckDBPyConnection:
    """The connection ``sql`` and ``table`` use (opened on first use)."""
    return _connection()[0]


def datasets() -> DatasetList:
    """The datasets this project holds, with versions, descriptions and columns (a list,
    shown as a table in a notebook).

    Read afresh each time, so it reflects the mounts even before a connection exists. A
    dataset that cannot be used is left out with a warning naming it and why."""
    usable, unusable = survey(discover().data_dir)
    warn_unusable(unusable)
    return DatasetList(usable.values())


def sql(query: str) -> duckdb.DuckDBPyRelation | None:
    """Run SQL; a query returns a lazy relation: ``.df()``, ``.pl()``, ``.arrow()``,
    ``.fetchall()``. Statements that return nothing (CREATE ...) return None."""
    con, held, unusable = _connection()
    try:
        return con.sql(query)
    except duckdb.CatalogException as error:
        error.add_note(
            "datasets in this project: " + (", ".join(sorted(held)) or "none")
            + "".join(f". {name!r} cannot be used: {reason}" for name, reason in sorted(unusable.items()))
            + ". A pandas or polars frame must be registered first: "
            "haven.connect().register('name', frame)."
        )
        raise


def table(name: str) -> duckdb.DuckDBPyRelation:
    """The whole of one dataset as a relation (nothing is read until you ask for rows)."""
    con, held, unusable = _connection()
    if name not in held:
        raise unknown(name, held, unusable)
    return con.table(name)
