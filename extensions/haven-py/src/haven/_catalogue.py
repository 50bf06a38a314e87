"""The datasets this project holds: one directory per grant under the data root.

The spawner mounts each granted dataset version read-only at ``<data root>/<name>/``; the
directory holds ``metadata.json`` (written by the hub's catalogue, ``format`` 1) and the
Parquet files it lists. This module only reads that JSON; it does not import the hub.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from . import _display

# The hub refuses any other name; checking again here keeps a hand-made directory from
# becoming an SQL identifier or a path outside the mount.
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")
FILE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.parquet")
SUPPORTED_FORMATS = {1}


class HavenError(Exception):
    """A problem an analyst can fix, with a message that says how."""


class UnknownDataset(HavenError, LookupError):
    pass


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str = ""


@dataclass(frozen=True)
class Dataset:
    name: str
    version: str
    title: str
    description: str
    source: str
    licence: str
    rows: int
    columns: tuple[Column, ...]
    files: tuple[Path, ...]

    def __repr__(self) -> str:
        return _display.summary(self)

    def _repr_html_(self) -> str:
        return _display.dataset_html(self)

    def __str__(self) -> str:
        lines = [f"{self.name} (version {self.version}, {self.rows:,} rows): {self.title}"]
        if self.description:
            lines.append(f"  {self.description}")
        for column in self.columns:
            lines.append(f"  {column.name:<28} {column.type:<10} {column.description}".rstrip())
        return "\n".join(lines)


def _read_one(directory: Path) -> Dataset:
    text = (directory / "metadata.json").read_bytes()
    try:
        raw = json.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("metadata.json is not UTF-8 text") from None
    except ValueError as error:
        raise ValueError(f"metadata.json is not valid JSON ({error})") from None
    if not isinstance(raw, dict):
        raise ValueError("metadata.json is not a JSON object")
    if raw.get("format") not in SUPPORTED_FORMATS:
        raise ValueError(f"metadata format {raw.get('format')!r} is not one this library reads")
    files = []
    for entry in raw["files"]:
        if not FILE_PATTERN.fullmatch(entry["path"]):
            raise ValueError(f"file entry {entry['path']!r} is not a plain Parquet file name")
        path = directory / entry["path"]
        if not path.is_file():
            raise ValueError(f"{entry['path']} is listed but missing")
        files.append(path)
    return Dataset(
        name=directory.name,
        version=str(raw["version"]),
        title=raw.get("title", directory.name),
        description=raw.get("description", ""),
        source=raw.get("source", ""),
        licence=raw.get("licence", ""),
        rows=int(raw["rows"]),
        columns=tuple(Column(c["name"], c["type"], c.get("description", "")) for c in raw["columns"]),
        files=tuple(files),
    )


def read_catalogue(data_dir: Path) -> tuple[dict[str, Dataset], dict[str, str]]:
    """The datasets under ``data_dir`` whose metadata reads, by name, and the others with
    why not. One damaged dataset is named and left out; it never hides the rest."""
    if not data_dir.is_dir():
        return {}, {}
    found: dict[str, Dataset] = {}
    broken: dict[str, str] = {}
    for directory in sorted(data_dir.iterdir()):
        if not directory.is_dir() or not NAME_PATTERN.fullmatch(directory.name):
            continue
        try:
            found[directory.name] = _read_one(directory)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            broken[directory.name] = _reason(error)
    return found, broken


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError):
        return f"cannot be read: {error.strerror or error}"
    if isinstance(error, KeyError):
        return f"metadata.json lacks {error}"
    if isinstance(error, RecursionError):
        return "metadata.json is nested too deeply"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def read_datasets(data_dir: Path) -> dict[str, Dataset]:
    """Every usable dataset under ``data_dir``, by name; broken ones are skipped with a warning."""
    found, broken = read_catalogue(data_dir)
    warn_unusable(broken)
    return found


def warn_unusable(broken: dict[str, str]) -> None:
    for name, reason in sorted(broken.items()):
        warnings.warn(f"dataset {name!r} skipped: {reason}; ask an administrator "
                      "(`haven dataset verify` on the host)", stacklevel=4)


def unknown(name: str, available: dict[str, Dataset], unusable: dict[str, str] | None = None) -> UnknownDataset:
    if unusable and name in unusable:
        return UnknownDataset(f"dataset {name!r} is in this project but cannot be used: {unusable[name]}. "
                              "Ask an administrator to repair it; the other datasets work as usual")
    held = ", ".join(sorted(available)) or "none (ask an administrator to grant datasets to the project)"
    return UnknownDataset(f"no dataset {name!r} in this project; it holds: {held}")
