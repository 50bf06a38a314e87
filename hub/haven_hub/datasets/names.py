"""What a dataset may be called, and what a version may be called.

A dataset name becomes a directory in the catalogue, a mount point ``/data/<name>`` in
the container and a DuckDB view name, so it must be safe as all three: lower-case letters,
digits and underscores, starting with a letter, and not an SQL reserved word (a view
called ``order`` would need quoting in every query).
"""

from __future__ import annotations

import re
from functools import cache

import duckdb

from .errors import DatasetError

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")
# Versions are directory names too; dots and dashes allow "2026.1" or "2026-03-01",
# the first character rules out "." and "..".
VERSION_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


@cache
def _reserved_words() -> frozenset[str]:
    with duckdb.connect(":memory:") as con:
        rows = con.sql(
            "select keyword_name from duckdb_keywords() where keyword_category = 'reserved'"
        ).fetchall()
    return frozenset(row[0].lower() for row in rows)


def is_name(name: str) -> bool:
    return bool(NAME_PATTERN.fullmatch(name)) and name not in _reserved_words()


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise DatasetError(
            f"invalid dataset name {name!r}: use 1-63 lower-case letters, digits and "
            "underscores, starting with a letter (no '/', '.', '..' or spaces)"
        )
    if name in _reserved_words():
        raise DatasetError(f"invalid dataset name {name!r}: it is an SQL reserved word")
    return name


def check_version(version: str) -> str:
    if not VERSION_PATTERN.fullmatch(version) or ".." in version:
        raise DatasetError(
            f"invalid version {version!r}: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit, at most 40 characters"
        )
    return version
