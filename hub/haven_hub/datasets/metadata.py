"""The metadata of one dataset version, and the checksum files beside it.

``metadata.json`` is the contract with the analyst library (``haven`` reads it inside the
container without importing this package), so its shape is versioned by ``format``.
``SHA256SUMS`` covers every file of the version, ``metadata.json`` included, in the
format of coreutils' ``sha256sum`` so an administrator can also check it by hand
(``cd <version> && sha256sum -c SHA256SUMS``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

METADATA_FILE = "metadata.json"
CHECKSUMS_FILE = "SHA256SUMS"
DATA_FILE = "data.parquet"
FORMAT = 1


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    type: str
    description: str = ""


class FileEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str
    sha256: str
    bytes: int


class SourceFile(BaseModel):
    """Where the data came from: kept for provenance, never read again."""

    model_config = ConfigDict(extra="forbid")
    name: str
    kind: str
    sha256: str
    table: str | None = None


class Metadata(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: int = FORMAT
    name: str
    version: str
    title: str
    description: str = ""
    source: str = ""
    licence: str = ""
    created: datetime
    rows: int
    columns: list[Column]
    files: list[FileEntry]
    source_file: SourceFile

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"

    @classmethod
    def read(cls, version_dir: Path) -> Metadata:
        return cls.model_validate_json((version_dir / METADATA_FILE).read_text(encoding="utf-8"))


def sha256_of(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def write_checksums(version_dir: Path, file_names: list[str]) -> None:
    lines = [f"{sha256_of(version_dir / name)}  {name}\n" for name in sorted(file_names)]
    (version_dir / CHECKSUMS_FILE).write_text("".join(lines), encoding="utf-8")


def read_checksums(version_dir: Path) -> dict[str, str]:
    sums: dict[str, str] = {}
    for line in (version_dir / CHECKSUMS_FILE).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        sums[name] = digest
    return sums
