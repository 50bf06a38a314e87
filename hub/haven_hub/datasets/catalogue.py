"""The dataset catalogue on the host: immutable, versioned, checksummed copies.

Layout under the catalogue root::

    <root>/<name>/<version>/data.parquet     zstd-compressed
    <root>/<name>/<version>/metadata.json    title, licence, rows, columns, checksums ...
    <root>/<name>/<version>/SHA256SUMS       every file of the version, sha256sum format
    <root>/.tmp/                             work in progress; never read as a dataset

A version is built in ``.tmp`` (same filesystem) and appears with one ``os.rename``, so
a reader sees either nothing or a complete version. Files are 0444 and the version
directory 0555 afterwards; in the container the mount is read-only as well.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Protocol

from pydantic import ValidationError

from ..host_state import make_private_dir
from . import ingest
from .errors import DatasetError
from .metadata import CHECKSUMS_FILE, DATA_FILE, METADATA_FILE, FileEntry, Metadata, SourceFile
from .metadata import read_checksums, sha256_of, write_checksums
from ..problems import validation_summary
from .names import check_name, check_version, is_name

TEMP_DIR = ".tmp"


@dataclass(frozen=True)
class Grant:
    project: str
    version: str | None  # None: the latest version at each spawn


class GrantLookup(Protocol):
    """Which projects hold a grant of a dataset. Grants live with the projects in the
    hub's database (issue 4, part 2); the catalogue only asks, it never stores them."""

    def __call__(self, dataset: str) -> list[Grant]: ...


@dataclass(frozen=True)
class AddRequest:
    name: str
    source: Path
    title: str = ""
    description: str = ""
    source_note: str = ""
    licence: str = ""
    version: str | None = None
    table: str | None = None
    column_descriptions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    where: str
    what: str


class Catalogue:
    def __init__(self, root: Path):
        self.root = Path(root)

    # -- reading --------------------------------------------------------------------

    def names(self) -> list[str]:
        """The datasets, by name. An entry whose name is not a dataset name (a hand-made
        ``données/`` or ``old copy/``) is left out, not allowed to fail the listing:
        ``strays`` names it."""
        return sorted(entry.name for entry in self._entries() if entry.is_dir() and is_name(entry.name))

    def strays(self) -> list[Problem]:
        """Entries of the root that are not datasets, for the administrator to tidy."""
        return [Problem(entry.name, "not a dataset (a dataset is a directory named as `haven dataset add` "
                                    "names them); ignored")
                for entry in self._entries() if not (entry.is_dir() and is_name(entry.name))]

    def _entries(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if not p.name.startswith("."))

    def survey(self, name: str) -> tuple[list[Metadata], list[Problem]]:
        """The readable versions of a dataset, oldest first (by creation time, not by
        name), and one problem per version that cannot be read. One damaged version must
        not hide the others from listings, nor stop a pinned grant of another version."""
        directory = self.root / check_name(name)
        if not directory.is_dir():
            raise DatasetError(f"no dataset {name!r}; the catalogue holds {self.names()}")
        try:
            version_dirs = sorted(p for p in directory.iterdir() if p.is_dir())
        except OSError as error:
            raise DatasetError(f"dataset {name!r} cannot be read: {error.strerror or error}") from None
        readable, problems = [], []
        for version_dir in version_dirs:
            try:
                readable.append(self._read_version(name, version_dir))
            except DatasetError as error:
                problems.append(Problem(f"{name}/{version_dir.name}", str(error)))
        return sorted(readable, key=lambda metadata: metadata.created), problems

    def versions(self, name: str) -> list[Metadata]:
        """The readable versions of a dataset, oldest first; ``survey`` also says which are not."""
        return self.survey(name)[0]

    @staticmethod
    def _read_version(name: str, version_dir: Path) -> Metadata:
        try:
            metadata = Metadata.read(version_dir)
        except OSError as error:
            raise DatasetError(f"{METADATA_FILE} cannot be read: {error.strerror or error}") from None
        except ValidationError as error:
            raise DatasetError(f"{METADATA_FILE} is damaged: {validation_summary(error)}") from None
        except ValueError as error:  # not UTF-8
            raise DatasetError(f"{METADATA_FILE} is damaged: {error}") from None
        # The directory is what gets mounted; metadata that names another place is not trusted.
        if (metadata.name, metadata.version) != (name, version_dir.name):
            raise DatasetError(f"{METADATA_FILE} says it is "
                               f"{metadata.name}/{metadata.version}; it was moved or edited by hand")
        return metadata

    def resolve(self, name: str, version: str | None = None) -> Path:
        """The directory of a version (the latest if ``version`` is None): what the
        spawner mounts read-only at ``/data/<name>``. A version whose metadata cannot be
        read is never mounted; and while any version cannot be read, which one is the
        latest is unknown, so "latest" is refused (a pinned grant of a sound version is not)."""
        readable, problems = self.survey(name)
        if version is not None:
            directory = self.root / name / check_version(version)
            if version in {metadata.version for metadata in readable}:
                return directory
            damaged = [problem for problem in problems if problem.where == f"{name}/{version}"]
            if damaged:
                raise DatasetError(f"version {damaged[0].where} cannot be used: {damaged[0].what}")
            raise DatasetError(
                f"dataset {name!r} has no version {version!r}; it has {[m.version for m in readable]}"
            )
        if problems:
            raise DatasetError(
                f"the latest version of {name!r} cannot be told: " + "; ".join(f"version {p.where}: {p.what}" for p in problems)
                + ". Fix or remove that version (haven dataset verify), or pin a version in the grant"
            )
        if not readable:
            raise DatasetError(f"dataset {name!r} has no versions")
        return self.root / name / readable[-1].version

    def grants(self, name: str, lookup: GrantLookup | None) -> list[Grant] | None:
        """None means unknown: no grant store was given."""
        return None if lookup is None else lookup(name)

    # -- adding ---------------------------------------------------------------------

    def _next_version(self, name: str) -> str:
        directory = self.root / name
        taken = [int(p.name) for p in directory.iterdir() if p.name.isdigit()] if directory.is_dir() else []
        return str(max(taken, default=0) + 1)

    def add(self, request: AddRequest, *, after_copy: Callable[[], None] | None = None) -> Metadata:
        """Add one version; on any error nothing is left in the catalogue."""
        name = check_name(request.name)
        version = check_version(request.version) if request.version else self._next_version(name)
        final = self.root / name / version
        if final.exists():
            raise DatasetError(f"dataset {name!r} already has version {version!r}; versions are never overwritten")
        temp_root = self.root / TEMP_DIR
        make_private_dir(self.root)  # host_state: containers reach versions through bind mounts only
        temp_root.mkdir(exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"{name}-{version}-", dir=temp_root))
        try:
            metadata = self._build(request, name, version, work, after_copy)
            self._publish(work, final)
        except BaseException:
            ingest.discard(work)
            raise
        return metadata

    def _build(
        self, request: AddRequest, name: str, version: str, work: Path, after_copy: Callable[[], None] | None
    ) -> Metadata:
        snap = ingest.snapshot(request.source, work, after_copy=after_copy)
        converted = ingest.to_parquet(snap, work / DATA_FILE, table=request.table, shown_name=str(request.source))
        snap.path.unlink()
        known = {column.name for column in converted.columns}
        unknown = sorted(set(request.column_descriptions) - known)
        if unknown:
            raise DatasetError(f"descriptions given for columns that do not exist: {unknown}; columns: {sorted(known)}")
        columns = [
            column.model_copy(update={"description": request.column_descriptions.get(column.name, "")})
            for column in converted.columns
        ]
        data = work / DATA_FILE
        metadata = Metadata(
            name=name,
            version=version,
            title=request.title or name,
            description=request.description,
            source=request.source_note,
            licence=request.licence,
            created=datetime.now(timezone.utc),
            rows=converted.rows,
            columns=columns,
            files=[FileEntry(path=DATA_FILE, sha256=sha256_of(data), bytes=data.stat().st_size)],
            source_file=SourceFile(name=request.source.name, kind=snap.kind, sha256=snap.sha256, table=request.table),
        )
        (work / METADATA_FILE).write_text(metadata.to_json(), encoding="utf-8")
        write_checksums(work, [DATA_FILE, METADATA_FILE])
        for file_name in (DATA_FILE, METADATA_FILE, CHECKSUMS_FILE):
            path = work / file_name
            with path.open("rb") as stream:
                os.fsync(stream.fileno())
            path.chmod(0o444)
        return metadata

    def _publish(self, work: Path, final: Path) -> None:
        parent_existed = final.parent.exists()
        final.parent.mkdir(exist_ok=True)
        try:
            # rename(2) onto an existing non-empty directory fails, so a version added
            # concurrently under the same name is not replaced.
            os.rename(work, final)
        except OSError as error:
            if not parent_existed:
                try:
                    final.parent.rmdir()
                except OSError:
                    pass
            raise DatasetError(f"cannot publish {final}: {error.strerror}") from None
        final.chmod(0o555)

    # -- checking -------------------------------------------------------------------

    def verify(self) -> tuple[int, list[Problem]]:
        """Re-hash every file of every version. Returns (files checked, problems); a
        version or dataset that cannot be read is one problem, and the others are checked."""
        checked, problems = 0, list(self.strays())
        for name in self.names():
            try:
                version_dirs = sorted(p for p in (self.root / name).iterdir() if p.is_dir())
            except OSError as error:
                problems.append(Problem(name, f"cannot be read: {error.strerror or error}"))
                continue
            for version_dir in version_dirs:
                try:
                    checked += self._verify_version(name, version_dir, problems)
                except OSError as error:  # a directory or file made unreadable
                    problems.append(Problem(f"{name}/{version_dir.name}", f"cannot be read: {error.strerror or error}"))
        return checked, problems

    def _verify_version(self, name: str, version_dir: Path, problems: list[Problem]) -> int:
        where = f"{name}/{version_dir.name}"
        try:
            sums = read_checksums(version_dir)
        except (OSError, ValueError) as error:
            problems.append(Problem(where, f"unreadable {CHECKSUMS_FILE}: {error}"))
            return 0
        try:
            metadata = self._read_version(name, version_dir)
        except DatasetError as error:
            problems.append(Problem(where, str(error)))
            metadata = None
        checked = 0
        present = {p.name for p in version_dir.iterdir()} - {CHECKSUMS_FILE}
        for extra in sorted(present - set(sums)):
            problems.append(Problem(f"{where}/{extra}", "file not listed in SHA256SUMS"))
        for file_name, expected in sorted(sums.items()):
            checked += 1
            path = version_dir / file_name
            try:
                if not path.is_file():
                    problems.append(Problem(f"{where}/{file_name}", "missing"))
                elif sha256_of(path) != expected:
                    problems.append(Problem(f"{where}/{file_name}", "checksum mismatch: the file changed"))
            except OSError as error:
                problems.append(Problem(f"{where}/{file_name}", f"cannot be read: {error.strerror or error}"))
        for entry in metadata.files if metadata else ():
            if sums.get(entry.path) != entry.sha256:
                problems.append(Problem(f"{where}/{entry.path}", "metadata.json and SHA256SUMS disagree"))
        return checked

    def leftovers(self) -> list[Path]:
        """Temporary trees of interrupted adds (a killed process cannot clean up)."""
        temp_root = self.root / TEMP_DIR
        return sorted(temp_root.iterdir()) if temp_root.is_dir() else []
