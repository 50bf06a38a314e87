"""A backup's manifest: every path in it with its SHA-256, and the mode and owner it had.

``manifest.json`` lists each entry of the backup folder by its path there: files with
their size and SHA-256, folders, and symbolic links (kept in the manifest only, never
written into the backup, so nothing in a backup points anywhere). Mode and owner are what
the original had, for the restore; the backup's own copies are all 0600/0700.
``manifest.sha256`` holds the manifest's own digest, so a truncated or edited manifest is
found before anything in it is trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

FORMAT = "haven-backup/1"
MANIFEST = "manifest.json"
MANIFEST_DIGEST = "manifest.sha256"
CHUNK = 1 << 20


class BackupInvalid(Exception):
    """The backup does not match its manifest; the message lists what differs."""


@dataclass(frozen=True)
class Entry:
    type: Literal["file", "dir", "link"]
    mode: int = 0o600
    uid: int = 0
    gid: int = 0
    sha256: str = ""
    size: int = 0
    target: str = ""  # links only


@dataclass
class Manifest:
    created: str
    haven_version: str
    databases: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> engine, file, target
    roots: dict[str, str] = field(default_factory=dict)  # label -> the path it was backed up from
    volumes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the backup could not make consistent
    entries: dict[str, Entry] = field(default_factory=dict)

    def to_json(self) -> str:
        body = {"format": FORMAT, **asdict(self)}
        body["entries"] = {path: _compact(entry) for path, entry in sorted(self.entries.items())}
        return json.dumps(body, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        body = json.loads(text)
        if body.get("format") != FORMAT:
            raise BackupInvalid(f"not a Haven backup of format {FORMAT} (format {body.get('format')!r})")
        entries = {path: Entry(**entry) for path, entry in body.pop("entries").items()}
        body.pop("format")
        return cls(**body, entries=entries)


def _compact(entry: Entry) -> dict[str, Any]:
    defaults = Entry(entry.type)
    return {key: value for key, value in asdict(entry).items()
            if key == "type" or value != getattr(defaults, key)}


def copy_file(source: Path, target: Path, mode: int = 0o600) -> tuple[str, int]:
    """Copies ``source`` (never through a symbolic link) to a new ``target``; returns its SHA-256 and size."""
    digest = hashlib.sha256()
    size = 0
    descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as reader, open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode),
                                                     "wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest(), size


def file_digest(path: Path) -> str:
    with open(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as reader:
        return hashlib.file_digest(reader, "sha256").hexdigest()


def write(manifest: Manifest, folder: Path) -> None:
    text = manifest.to_json().encode()
    for name, content in ((MANIFEST, text), (MANIFEST_DIGEST, f"{hashlib.sha256(text).hexdigest()}  {MANIFEST}\n".encode())):
        with open(os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())


def read(folder: Path) -> Manifest:
    """The manifest, once its own digest holds; raises BackupInvalid otherwise."""
    try:
        text = (folder / MANIFEST).read_bytes()
        recorded = (folder / MANIFEST_DIGEST).read_text().split()[0]
    except (OSError, IndexError) as error:
        raise BackupInvalid(f"{folder} is not a complete Haven backup: {error}") from None
    if hashlib.sha256(text).hexdigest() != recorded:
        raise BackupInvalid(f"{folder / MANIFEST} does not match its SHA-256 in {MANIFEST_DIGEST}: "
                            "the manifest was changed or cut short")
    try:
        return Manifest.from_json(text.decode())
    except (ValueError, TypeError, KeyError) as error:
        raise BackupInvalid(f"{folder / MANIFEST} cannot be read: {error}") from None


def verify(folder: Path, manifest: Manifest) -> None:
    """Every file of the backup is in the manifest with its SHA-256 and nothing else is there;
    raises BackupInvalid naming each difference."""
    problems = []
    found: dict[str, os.stat_result] = {}
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(top) / name
            relative = path.relative_to(folder).as_posix()
            if relative not in (MANIFEST, MANIFEST_DIGEST):
                found[relative] = path.lstat()
    for relative, entry in sorted(manifest.entries.items()):
        if entry.type == "link":
            if relative in found:
                problems.append(f"{relative}: a file where the manifest records a symbolic link")
            continue
        info = found.pop(relative, None)
        if info is None:
            problems.append(f"{relative}: missing")
        elif entry.type == "dir" and not stat.S_ISDIR(info.st_mode):
            problems.append(f"{relative}: not a folder")
        elif entry.type == "file" and not stat.S_ISREG(info.st_mode):
            problems.append(f"{relative}: not a regular file")
        elif entry.type == "file" and (info.st_size != entry.size or file_digest(folder / relative) != entry.sha256):
            problems.append(f"{relative}: SHA-256 does not match the manifest (changed or damaged)")
    problems += [f"{relative}: not in the manifest" for relative in sorted(found)]
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise BackupInvalid(f"the backup {folder} does not match its manifest ({len(problems)} problem(s)); "
                            "nothing was restored:\n" + "\n".join(f"  - {line}" for line in shown))
