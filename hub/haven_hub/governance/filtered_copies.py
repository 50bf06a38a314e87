"""Filtered copies: what a project server mounts instead of a dataset version that carries row filters.

The filter is applied on the host, before anything reaches the container: the rows a filter
removes are not in any file the container can open, so no query, library or byte search
there can bring them back. One copy per (project, dataset version, filters applied), at::

    <data_dir>/filtered-datasets/<project>/<dataset>/<key>/   data.parquet, metadata.json,
                                                            SHA256SUMS, row-filters.json
    <data_dir>/filtered-datasets/.tmp/                      work in progress; never mounted

``key`` is the SHA-256 of what decides the rows (the version's data checksum and each applied
filter, an id list by its checksum), so a second spawn reuses the copy and a changed opt-out
list makes a new one. A copy is built in ``.tmp`` and appears with one ``rename``: a crash
leaves only a ``.tmp`` folder, which nothing mounts and a later build removes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import duckdb

from ..audit.log import hub_log
from ..datasets.catalogue import Catalogue
from ..datasets.metadata import CHECKSUMS_FILE, DATA_FILE, METADATA_FILE, FileEntry, Metadata, sha256_of
from ..datasets.metadata import write_checksums
from ..host_state import make_private_dir
from ..projects import Project
from . import row_filters
from .row_filters import ExcludeIds, RowFilterError

COPIES_DIR = "filtered-datasets"
TEMP_DIR = ".tmp"
FILTERS_FILE = "row-filters.json"
KEY_FORMAT = "haven-row-filters/1"
# A build still running after this long was killed: its folder is removed by the next build.
STALE_SECONDS = 6 * 3600
AUDIT_ACTION = "dataset.row_filters"


@dataclass(frozen=True)
class Mounted:
    """What the spawner mounts at /data/<name> for one grant, and what was filtered."""

    path: Path
    applied: tuple[dict[str, Any], ...] = ()
    exempt: tuple[dict[str, Any], ...] = ()
    copy: dict[str, Any] | None = field(default=None)

    def provenance(self) -> dict[str, Any]:
        """The part of the server's provenance record (haven_hub.provenance) for its filters."""
        if not self.applied and not self.exempt:
            return {}
        return {"row_filters": {"applied": list(self.applied), "exempt": list(self.exempt), "copy": self.copy}}


def copies_root(data_dir: Path) -> Path:
    return data_dir / COPIES_DIR


def copy_key(metadata: Metadata, applied: list[Any]) -> str:
    decides = {
        "format": KEY_FORMAT,
        "dataset": metadata.name,
        "version": metadata.version,
        "data": [entry.sha256 for entry in metadata.files],
        "filters": [row_filters.summary(item) for item in applied],
    }
    return hashlib.sha256(json.dumps(decides, sort_keys=True).encode()).hexdigest()


def mount_for(data_dir: Path, catalogue: Catalogue, project: Project, version_dir: Path, *,
              actor: str, server: str) -> Mounted:
    """The directory to mount for ``project``'s grant of the dataset version at ``version_dir``:
    the version itself when it carries no filter that applies, else a filtered copy (built now
    or reused). Each spawn that a filter or an exemption touched is audited; raises (and the
    spawn is refused) when the audit event cannot be written or the filter cannot be applied."""
    metadata = Metadata.read(version_dir)
    declared = row_filters.declared(catalogue, metadata.name)
    if not declared.filters:
        return Mounted(version_dir)
    exemptions = {e.filter: e for e in project.row_filter_exemptions if e.dataset == metadata.name}
    applied = [item for item in declared.filters if item.id not in exemptions]
    exempt = tuple({"filter": item.id, "by": exemptions[item.id].by, "reason": exemptions[item.id].reason,
                    "granted": exemptions[item.id].granted.isoformat()}
                   for item in declared.filters if item.id in exemptions)
    summaries = tuple(row_filters.summary(item) for item in applied)
    if not applied:
        mounted = Mounted(version_dir, (), exempt, None)
        reused = None
    else:
        key = copy_key(metadata, applied)
        target = copies_root(data_dir) / project.id / metadata.name / key
        reused = target.is_dir()
        if not reused:
            build_copy(catalogue, version_dir, applied, target, copies_root(data_dir) / TEMP_DIR)
        copied = Metadata.read(target)
        mounted = Mounted(target, summaries, exempt, {
            "key": key, "rows": copied.rows, "removed": metadata.rows - copied.rows,
            "files": [{"path": e.path, "sha256": e.sha256} for e in copied.files]})
    hub_log(data_dir).record(
        actor, AUDIT_ACTION, f"dataset/{metadata.name}/{metadata.version}", project.id, server=server,
        applied=list(summaries), exempt=list(exempt),
        **({"copy": mounted.copy["key"], "rows": mounted.copy["rows"], "removed": mounted.copy["removed"],
            "reused": reused} if mounted.copy else {}))
    return mounted


def build_copy(catalogue: Catalogue, version_dir: Path, applied: list[Any], target: Path, temp_root: Path,
               *, after_write: Callable[[], None] | None = None) -> None:
    """Writes the filtered copy of ``version_dir`` at ``target``, atomically."""
    make_private_dir(target.parent)
    make_private_dir(temp_root)
    _remove_stale(temp_root)
    work = Path(tempfile.mkdtemp(prefix=f"{target.name[:16]}-", dir=temp_root))
    try:
        _write(catalogue, version_dir, applied, work)
        if after_write is not None:
            after_write()
        work.chmod(0o555)
        try:
            os.rename(work, target)
        except OSError:
            if not (target / METADATA_FILE).is_file():
                raise
            # Another spawn of the same project built the same copy first: theirs is as good.
            _discard(work)
    except BaseException:
        _discard(work)
        raise


def _write(catalogue: Catalogue, version_dir: Path, applied: list[Any], work: Path) -> None:
    metadata = Metadata.read(version_dir)
    types = {column.name: column.type for column in metadata.columns}
    conditions, params = [], [str(version_dir / DATA_FILE)]
    out = str(work / DATA_FILE).replace("'", "''")
    try:
        with duckdb.connect() as con:
            for number, item in enumerate(applied):
                conditions.append(_condition(con, catalogue, metadata, types, item, number, params))
            con.execute(f"copy (select d.* from read_parquet(?) d where {' and '.join(conditions)}) "
                        f"to '{out}' (format parquet, compression zstd)", params)
            rows = con.execute("select count(*) from read_parquet(?)", [out]).fetchone()[0]
    except duckdb.Error as error:
        raise RowFilterError(f"the row filters of {metadata.name!r} version {metadata.version} cannot be "
                             f"applied: {str(error).splitlines()[0]}") from None
    data = work / DATA_FILE
    copied = metadata.model_copy(update={
        "rows": rows, "files": [FileEntry(path=DATA_FILE, sha256=sha256_of(data), bytes=data.stat().st_size)]})
    (work / METADATA_FILE).write_text(copied.to_json(), encoding="utf-8")
    # What the analyst may know: which filters shaped these rows (never the ids themselves).
    (work / FILTERS_FILE).write_text(json.dumps([row_filters.summary(i) | {"description": i.description}
                                                 for i in applied], indent=2) + "\n", encoding="utf-8")
    write_checksums(work, [DATA_FILE, METADATA_FILE, FILTERS_FILE])
    for name in (DATA_FILE, METADATA_FILE, FILTERS_FILE, CHECKSUMS_FILE):
        with (work / name).open("rb") as stream:
            os.fsync(stream.fileno())
        (work / name).chmod(0o444)


def _condition(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, metadata: Metadata, types: dict[str, str],
               item: Any, number: int, params: list[Any]) -> str:
    """One filter as a WHERE condition over ``d`` (the version's rows); an id list becomes a temp table."""
    kind = types.get(item.column)
    if kind is None:
        raise RowFilterError(f"filter {item.id!r}: version {metadata.version} of {metadata.name!r} has no column "
                             f"{item.column!r}; declare the filters again or grant another version")
    column = f"d.{row_filters.quoted(item.column)}"
    if not isinstance(item, ExcludeIds):
        params.append(item.value)
        return f"{column} = ?"
    ids = row_filters.list_path(catalogue, item.ids_sha256)
    if not ids.is_file() or sha256_of(ids) != item.ids_sha256:
        raise RowFilterError(f"filter {item.id!r}: its id list {ids} is missing or changed; "
                             "declare the filters again with haven dataset row-filters")
    if kind in row_filters.WHOLE_NUMBER_TYPES:
        as_type, compared = "HUGEINT", column
    elif kind in row_filters.TEXT_TYPES:
        as_type, compared = "VARCHAR", column
    else:
        # Matching ids as text against, say, a DOUBLE would silently match nothing.
        raise RowFilterError(f"filter {item.id!r}: column {item.column!r} is {kind}; ids are matched against "
                             "text or whole-number columns only")
    con.execute(f"create temp table ids_{number} as select cast(id as {as_type}) as id from read_csv(?, "
                "header = false, auto_detect = false, columns = {'id': 'VARCHAR'}, quote = '', escape = '')",
                [str(ids)])
    return f"{compared} is not null and {compared} not in (select id from ids_{number})"


def _discard(work: Path) -> None:
    if work.exists():
        work.chmod(0o700)
        for child in work.iterdir():
            child.chmod(0o600)
        shutil.rmtree(work, ignore_errors=True)


def _remove_stale(temp_root: Path) -> None:
    """A build killed mid-write (the hub crashed) leaves its folder; nothing else cleans it up."""
    now = time.time()
    for leftover in temp_root.iterdir():
        try:
            if now - leftover.stat().st_mtime > STALE_SECONDS:
                _discard(leftover)
        except OSError:
            continue
