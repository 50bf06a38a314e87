"""Reading a source file (CSV, Parquet or a DuckDB table) into one compressed Parquet file.

The source is first copied into the catalogue's temporary directory while being hashed,
then hashed again in place: if the two differ, or its size, inode or modification time
moved, it changed while being read and the copy is refused. Everything after works on the
private snapshot, so the Parquet file is made from exactly the bytes whose SHA-256 the
metadata records.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb

from .errors import DatasetError, SourceChanged
from .metadata import Column, sha256_of

KINDS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".duckdb": "duckdb", ".db": "duckdb"}


@dataclass(frozen=True)
class Snapshot:
    path: Path
    kind: str
    sha256: str


@dataclass(frozen=True)
class Converted:
    rows: int
    columns: list[Column]


def kind_of(source: Path) -> str:
    try:
        return KINDS[source.suffix.lower()]
    except KeyError:
        raise DatasetError(
            f"{source}: unknown file type {source.suffix!r}; use .csv, .parquet or .duckdb"
        ) from None


def _identity(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def snapshot(source: Path, into: Path, *, after_copy: Callable[[], None] | None = None) -> Snapshot:
    """Copy ``source`` into the directory ``into``, refusing a file that changes meanwhile.

    ``after_copy`` runs between the copy and the second look at the source: the point at
    which a concurrent writer would go unnoticed by a check made only before reading.
    """
    kind = kind_of(source)
    if kind == "duckdb" and Path(f"{source}.wal").exists():
        raise DatasetError(f"{source}: the database has a write-ahead log; run CHECKPOINT in it first")
    try:
        before = os.stat(source)
        if not source.is_file():
            raise DatasetError(f"{source}: not a regular file")
        target = into / f"source{source.suffix.lower()}"
        digest = hashlib.sha256()
        with source.open("rb") as reader, target.open("wb") as writer:
            while chunk := reader.read(1 << 20):
                digest.update(chunk)
                writer.write(chunk)
    except FileNotFoundError:
        raise DatasetError(f"{source}: no such file") from None
    except PermissionError:
        raise DatasetError(f"{source}: cannot read the file (permission denied)") from None
    except IsADirectoryError:
        raise DatasetError(f"{source}: is a directory, not a file") from None
    if after_copy is not None:
        after_copy()
    after = os.stat(source)
    if _identity(before) != _identity(after) or sha256_of(source) != digest.hexdigest():
        raise SourceChanged(f"{source}: the file changed while it was being read; try again once it is complete")
    return Snapshot(path=target, kind=kind, sha256=digest.hexdigest())


def check_csv(path: Path, shown_name: str) -> None:
    """Refuse a CSV whose records do not all have the header's number of fields.

    DuckDB's reader is forgiving by design (it re-sniffs a ragged file as one column and
    can silently skip rows), so a strict pass in Python finds the first bad line first.
    """
    with path.open("r", encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise DatasetError(f"{shown_name}: the file is empty; a header line is needed")
            names = [name.strip() for name in header]
            if any(not name for name in names):
                raise DatasetError(f"{shown_name}: line 1: the header has an empty column name")
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise DatasetError(f"{shown_name}: line 1: duplicate column names {duplicates}")
            for record in reader:
                if len(record) != len(header):
                    raise DatasetError(
                        f"{shown_name}: line {reader.line_num}: expected {len(header)} fields "
                        f"as in the header, found {len(record)}"
                    )
        except csv.Error as error:
            raise DatasetError(f"{shown_name}: line {reader.line_num}: malformed CSV ({error})") from None
        except UnicodeDecodeError:
            raise DatasetError(f"{shown_name}: line {_first_non_utf8_line(path)}: the file is not valid UTF-8") from None


def _first_non_utf8_line(path: Path) -> int:
    # The text reader decodes whole buffers, so its line count is no use here.
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _select_from(con: duckdb.DuckDBPyConnection, snap: Snapshot, table: str | None, shown_name: str) -> str:
    path = str(snap.path).replace("'", "''")
    if snap.kind == "csv":
        check_csv(snap.path, shown_name)
        # The dialect is fixed (check_csv proved it) and every row is sampled for types,
        # so a late non-number turns the column into text rather than failing mid-way.
        return (
            f"select * from read_csv('{path}', delim=',', quote='\"', escape='\"', "
            "header=true, strict_mode=true, sample_size=-1, encoding='utf-8')"
        )
    if snap.kind == "parquet":
        return f"select * from read_parquet('{path}')"
    if table is None:
        raise DatasetError(f"{shown_name}: a DuckDB database needs --table NAME")
    con.execute(f"attach '{path}' as source (read_only)")
    tables = [row[0] for row in con.sql(
        "select table_name from duckdb_tables() where database_name = 'source' "
        "union all select view_name from duckdb_views() where database_name = 'source' "
        "order by 1"
    ).fetchall()]
    if table not in tables:
        raise DatasetError(f"{shown_name}: no table {table!r}; the database holds {tables}")
    return f"select * from source.{_quote(table)}"


def to_parquet(snap: Snapshot, target: Path, *, table: str | None, shown_name: str) -> Converted:
    """Write the snapshot as one zstd-compressed Parquet file and describe its columns."""
    if snap.kind != "duckdb" and table is not None:
        raise DatasetError(f"{shown_name}: --table applies only to a DuckDB database")
    with duckdb.connect(":memory:") as con:
        con.execute("set enable_progress_bar = false")  # an admin's terminal, not a notebook
        try:
            select = _select_from(con, snap, table, shown_name)
            described = con.sql(f"describe {select}").fetchall()
            con.execute(
                f"copy ({select}) to '{str(target).replace(chr(39), chr(39) * 2)}' "
                "(format parquet, compression zstd, row_group_size 122880)"
            )
            rows = con.sql(f"select count(*) from read_parquet('{target}')").fetchall()[0][0]
        except duckdb.Error as error:
            raise DatasetError(f"{shown_name}: cannot read it as {snap.kind}: {error}") from None
    columns = [Column(name=row[0], type=row[1]) for row in described]
    return Converted(rows=rows, columns=columns)


def discard(path: Path) -> None:
    """Remove a temporary tree even where files were already made read-only."""
    if not path.exists():
        return
    for directory, _, files in os.walk(path):
        os.chmod(directory, 0o700)
        for name in files:
            os.chmod(os.path.join(directory, name), 0o600)
    shutil.rmtree(path)
