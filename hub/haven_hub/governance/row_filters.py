"""Row filters a dataset carries (opt-outs, consent flags), as the data owner declares them.

A declaration lives beside the catalogue, not in a dataset version: versions are immutable,
while an opt-out list changes every month and must apply to old versions too. Layout::

    <catalogue>/.row-filters/<dataset>.json          the declaration (RowFilterSet)
    <catalogue>/.row-filters/lists/<sha256>.txt      id lists, one id a line, sorted, 0444

A list is stored by the SHA-256 of its normalised text, so the declaration names exactly the
ids it applies and a changed list is a new name (and so a new filtered copy, see
``filtered_copies``). The catalogue skips dot-folders, so none of this is ever a dataset.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..datasets.catalogue import Catalogue
from ..datasets.errors import DatasetError
from ..datasets.metadata import DATA_FILE
from ..datasets.names import check_name
from ..host_state import make_private_dir

STORE_DIR = ".row-filters"
LISTS_DIR = "lists"
FILTER_ID = r"^[a-z][a-z0-9-]{0,39}$"
# A column name as the catalogue's ingest leaves it; quoted in SQL all the same.
COLUMN = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
MAX_IDS = 20_000_000
# Column types an id list is matched against: text as it is, whole numbers as numbers (so
# "0401" on a list matches 401). Any other type could silently match nothing: refused.
TEXT_TYPES = frozenset({"VARCHAR"})
WHOLE_NUMBER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                                "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"})


class RowFilterError(DatasetError):
    """A declaration that cannot be accepted or applied; the message says what to fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExcludeIds(_Strict):
    """Rows whose ``column`` is one of the listed ids are removed (e.g. the national data opt-out).
    Rows with no id at all are removed too: nobody can say they did not opt out."""

    kind: Literal["exclude-ids"] = "exclude-ids"
    id: Annotated[str, Field(pattern=FILTER_ID)]
    description: str = ""
    column: Annotated[str, Field(pattern=COLUMN)]
    ids_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    ids_count: int = Field(ge=0)


class RequireValue(_Strict):
    """Only rows whose ``column`` equals ``value`` are kept (e.g. a consent flag); NULL is not kept."""

    kind: Literal["require-value"] = "require-value"
    id: Annotated[str, Field(pattern=FILTER_ID)]
    description: str = ""
    column: Annotated[str, Field(pattern=COLUMN)]
    value: Union[bool, int, float, str]


RowFilter = Annotated[Union[ExcludeIds, RequireValue], Field(discriminator="kind")]


class RowFilterSet(_Strict):
    dataset: str
    filters: tuple[RowFilter, ...] = ()


class _DeclaredExcludeIds(_Strict):
    """What an administrator writes: a list file instead of its checksum."""

    kind: Literal["exclude-ids"]
    id: Annotated[str, Field(pattern=FILTER_ID)]
    description: str = ""
    column: Annotated[str, Field(pattern=COLUMN)]
    ids_file: Path


class _DeclaredFile(_Strict):
    filters: tuple[Annotated[Union[_DeclaredExcludeIds, RequireValue], Field(discriminator="kind")], ...]


def store_root(catalogue: Catalogue) -> Path:
    return catalogue.root / STORE_DIR


def list_path(catalogue: Catalogue, sha256: str) -> Path:
    return store_root(catalogue) / LISTS_DIR / f"{sha256}.txt"


def declared(catalogue: Catalogue, dataset: str) -> RowFilterSet:
    """The filters a dataset carries (none if nothing was declared). A declaration that no
    longer reads is an error, never "no filters": failing open would mount every row."""
    path = store_root(catalogue) / f"{check_name(dataset)}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return RowFilterSet(dataset=dataset)
    try:
        found = RowFilterSet.model_validate_json(text)
    except ValidationError as error:
        raise RowFilterError(f"the row filters of dataset {dataset!r} ({path}) do not read: {error}") from None
    if found.dataset != dataset:
        raise RowFilterError(f"{path} declares filters for {found.dataset!r}, not {dataset!r}")
    return found


def read_declaration(path: Path) -> _DeclaredFile:
    """An administrator's YAML (or JSON) file of filters, checked for shape."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise RowFilterError(f"{path}: cannot read the filter declaration: {error}") from None
    try:
        declaration = _DeclaredFile.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        raise RowFilterError(f"{path}: not a filter declaration: {problems}") from None
    ids = [f.id for f in declaration.filters]
    if len(set(ids)) != len(ids):
        raise RowFilterError(f"{path}: each filter needs its own id; got {ids}")
    for item in declaration.filters:
        if isinstance(item, RequireValue) and isinstance(item.value, float) and item.value != item.value:
            raise RowFilterError(f"{path}: filter {item.id!r}: NaN matches nothing")
    return declaration


def normalised_ids(path: Path) -> list[str]:
    """The ids of a list file: one a line, surrounding spaces dropped, blank lines and a
    ``#`` comment line ignored, sorted and without repeats (so order never makes a new copy)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise RowFilterError(f"{path}: cannot read the id list: {error}") from None
    ids = sorted({line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")})
    if len(ids) > MAX_IDS:
        raise RowFilterError(f"{path}: {len(ids)} ids is more than the {MAX_IDS} a list may hold")
    bad = next((i for i in ids if "," in i or '"' in i), None)
    if bad is not None:
        raise RowFilterError(f"{path}: an id may not contain ',' or '\"' (one id a line): {bad!r}")
    return ids


def _write_once(target: Path, text: str) -> None:
    """Writes ``text`` at ``target`` atomically (temp file, fsync, rename), read-only."""
    make_private_dir(target.parent)
    descriptor, temp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, 0o444)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def check_against_dataset(catalogue: Catalogue, dataset: str, filters: tuple[Any, ...]) -> None:
    """Every filter names a column every version has, and a value of a type the column takes:
    refused now, rather than at a member's next spawn."""
    for metadata in catalogue.versions(dataset):
        columns = {column.name: column.type for column in metadata.columns}
        for item in filters:
            if item.column not in columns:
                raise RowFilterError(
                    f"filter {item.id!r}: dataset {dataset!r} version {metadata.version} has no column "
                    f"{item.column!r}; its columns are {sorted(columns)}")
            if not isinstance(item, RequireValue) and columns[item.column] not in TEXT_TYPES | WHOLE_NUMBER_TYPES:
                raise RowFilterError(
                    f"filter {item.id!r}: column {item.column!r} of version {metadata.version} is "
                    f"{columns[item.column]}; ids are matched against text or whole-number columns only")
            if isinstance(item, RequireValue):
                data = catalogue.root / dataset / metadata.version / DATA_FILE
                try:
                    with duckdb.connect() as con:
                        con.execute(f"select count(*) from read_parquet(?) where {quoted(item.column)} = ?",
                                    [str(data), item.value]).fetchone()
                except duckdb.Error as error:
                    raise RowFilterError(
                        f"filter {item.id!r}: value {item.value!r} cannot be compared with column "
                        f"{item.column!r} ({columns[item.column]}): {str(error).splitlines()[0]}") from None


def column_type(catalogue: Catalogue, dataset: str, column: str) -> str:
    """The column's type in the latest version (check_against_dataset made sure every version has it)."""
    latest = catalogue.versions(dataset)[-1]
    return next(c.type for c in latest.columns if c.name == column)


def quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def set_filters(catalogue: Catalogue, dataset: str, declaration_file: Path) -> RowFilterSet:
    """Replaces a dataset's filters with those declared in the file; nothing changes on refusal."""
    catalogue.versions(check_name(dataset))  # an unknown dataset is refused with the catalogue's words
    declaration = read_declaration(declaration_file)
    check_against_dataset(catalogue, dataset, declaration.filters)
    stored: list[Any] = []
    lists: dict[str, str] = {}
    for item in declaration.filters:
        if isinstance(item, _DeclaredExcludeIds):
            source = item.ids_file if item.ids_file.is_absolute() else declaration_file.parent / item.ids_file
            ids = normalised_ids(source)
            if column_type(catalogue, dataset, item.column) in WHOLE_NUMBER_TYPES:
                bad = next((i for i in ids if not i.lstrip("-").isdigit()), None)
                if bad is not None:
                    raise RowFilterError(f"filter {item.id!r}: column {item.column!r} holds whole numbers, "
                                         f"and the list has {bad!r}")
            text = "".join(f"{i}\n" for i in ids)
            digest = hashlib.sha256(text.encode()).hexdigest()
            lists[digest] = text
            stored.append(ExcludeIds(id=item.id, description=item.description, column=item.column,
                                     ids_sha256=digest, ids_count=len(ids)))
        else:
            stored.append(item)
    result = RowFilterSet(dataset=dataset, filters=tuple(stored))
    for digest, text in lists.items():
        if not list_path(catalogue, digest).exists():
            _write_once(list_path(catalogue, digest), text)
    _write_once(store_root(catalogue) / f"{dataset}.json", result.model_dump_json(indent=2) + "\n")
    return result


def clear_filters(catalogue: Catalogue, dataset: str) -> RowFilterSet:
    """Removes every filter of a dataset (the lists stay: old copies and the audit name them)."""
    before = declared(catalogue, dataset)
    (store_root(catalogue) / f"{check_name(dataset)}.json").unlink(missing_ok=True)
    return before


def summary(item: Any) -> dict[str, Any]:
    """One filter as the audit log and the provenance record name it (never the ids themselves)."""
    found = {"id": item.id, "kind": item.kind, "column": item.column}
    if isinstance(item, ExcludeIds):
        found.update(ids_sha256=item.ids_sha256, ids_count=item.ids_count)
    else:
        found["value"] = item.value
    return found


def as_json(filter_set: RowFilterSet) -> str:
    return json.dumps([summary(item) | {"description": item.description} for item in filter_set.filters], indent=2)
