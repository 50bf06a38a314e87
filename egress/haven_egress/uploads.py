"""Checking a submission's files before anything is stored.

Everything here is pure: it raises ``Invalid`` with a sentence naming the file, or
returns the cleaned entries. The service calls it before writing a single blob, so bad
input changes nothing. Files are judged by content (``disclosure.inspect``): a table over
the row limit is refused whatever its name or shape, and an image is replaced by its
re-encoding, so what is stored, checked and released is the re-encoded image.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from . import filetypes, texts
from .blobs import sha256_hex
from haven_disclosure.content import Limits
from haven_disclosure.inspect import Refused, inspect, row_limit_message
from .errors import Invalid
from haven_hub.settings import Egress

KINDS = frozenset(
    {"frequency_table", "magnitude_table", "model", "figure", "text", "notebook", "code", "other"}
)
# The evidence behind a table (``haven.summarise``): checked against, never released.
EVIDENCE_SUFFIXES = (".evidence.json", ".evidence.csv")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
# The files table's column width, and the longest name one folder can hold (Linux, in UTF-8
# bytes): a longer name cannot be a workspace file, and the checks write each file under it.
PATH_MAX = 1024
NAME_MAX_BYTES = 255
# What a name may be made of: letters, marks, digits, punctuation, symbols and plain spaces.
# Not control or formatting characters: a newline splits the name in every log and listing,
# and a right-to-left override (U+202E) makes a file named it + "vsc.exe" show as "exe.csv".
_NAME_CATEGORIES = frozenset("LMNPS")


@dataclass(frozen=True)
class FileUpload:
    """One file as the author submits it, with the checksum their side computed."""

    path: str
    content: bytes
    sha256: str
    media_type: str = "application/octet-stream"
    description: str = ""
    controls: Sequence[str] = field(default_factory=tuple)
    kind: str = "other"
    # Evidence shown to checkers (e.g. ACRO's results.json); never released.
    supporting: bool = False


def clean_path(path: str) -> str:
    """The workspace-relative path, normalised; refuses anything that could leave it."""
    if not path or "\x00" in path or "\\" in path:
        raise Invalid(f"{path!r} is not a usable file path")
    posix = PurePosixPath(path)
    if posix.is_absolute():
        raise Invalid(f"{path} is absolute; give the path inside the project workspace")
    if ".." in posix.parts:
        raise Invalid(f"{path} points outside the project workspace ('..' is not allowed)")
    parts = [part for part in posix.parts if part != "."]
    if not parts:
        raise Invalid(f"{path!r} names the workspace itself, not a file")
    odd = next((ch for ch in path if ch != " " and unicodedata.category(ch)[0] not in _NAME_CATEGORIES), None)
    if odd is not None:
        shown = path if len(path) <= 100 else path[:100] + "…"
        raise Invalid(f"{shown!r} holds the invisible or control character U+{ord(odd):04X}; "
                      "rename the file with letters, digits, punctuation and spaces only")
    cleaned = "/".join(parts)
    if len(cleaned) > PATH_MAX:
        raise Invalid(f"{cleaned[:60]}… is a path of {len(cleaned)} characters; at most {PATH_MAX}")
    long_part = next((part for part in parts if len(part.encode()) > NAME_MAX_BYTES), None)
    if long_part is not None:
        raise Invalid(f"{long_part[:60]}… is a name of {len(long_part.encode())} bytes; "
                      f"a file or folder name has at most {NAME_MAX_BYTES}")
    return cleaned


def check_uploads(uploads: Sequence[FileUpload], rules: Egress, kept: Sequence[str] = (),
                  kept_bytes: int = 0) -> list[FileUpload]:
    """Validate new uploads (plus files ``kept`` from an earlier version) as one request."""
    if not uploads and not kept:
        raise Invalid("a request needs at least one file")
    cleaned = [replace(upload, path=clean_path(upload.path)) for upload in uploads]
    paths = [upload.path for upload in cleaned] + list(kept)
    duplicates = sorted({p for p in paths if paths.count(p) > 1})
    if duplicates:
        raise Invalid(f"each file may appear once; repeated: {', '.join(duplicates)}")
    lookalikes = _same_when_normalised(paths)
    if lookalikes:
        raise Invalid(f"{' and '.join(repr(p) for p in lookalikes)} are the same name with its letters "
                      "encoded differently: a checker could not tell the files apart, and a released "
                      "folder on some systems keeps only one; rename one of them")
    if len(paths) > rules.max_files:
        raise Invalid(f"a request may hold at most {rules.max_files} files; this one has {len(paths)}")
    total = kept_bytes
    for i, upload in enumerate(cleaned):
        cleaned[i] = _check_one(upload, rules)
        total += len(upload.content)
    if total > rules.max_request_size:
        raise Invalid(
            f"the files add up to {total} bytes; a request may hold at most {rules.max_request_size}"
        )
    return cleaned


def _same_when_normalised(paths: Sequence[str]) -> list[str]:
    """Two paths that differ only in Unicode normalisation ("é" as one letter or as "e" and an
    accent): they look identical on every page and collide on a normalising file system."""
    seen: dict[str, str] = {}
    for path in paths:
        key = unicodedata.normalize("NFC", path)
        if key in seen and seen[key] != path:
            return [seen[key], path]
        seen.setdefault(key, path)
    return []


def _check_one(upload: FileUpload, rules: Egress) -> FileUpload:
    """The upload, checked, with the media type Haven determined (not the one declared)."""
    size = len(upload.content)
    if size > rules.max_file_size:
        raise Invalid(f"{upload.path} is {size} bytes; the limit per file is {rules.max_file_size}")
    declared = upload.sha256.lower()
    if not _HEX64.match(declared):
        raise Invalid(f"{upload.path}: the declared SHA-256 is not 64 hexadecimal digits")
    if sha256_hex(upload.content) != declared:
        # The bytes changed in transit or on the author's side: checkers must see exactly
        # what was meant, so refuse rather than trust either copy.
        raise Invalid(f"{upload.path}: the content does not match its declared SHA-256")
    if upload.kind not in KINDS:
        raise Invalid(f"{upload.path}: kind must be one of {', '.join(sorted(KINDS))}")
    if not all(isinstance(control, str) for control in upload.controls):
        raise Invalid(f"{upload.path}: disclosure controls must be a list of text")
    if len(upload.controls) > texts.MAX_CONTROLS:
        raise Invalid(f"{upload.path}: {len(upload.controls)} disclosure controls; at most {texts.MAX_CONTROLS}")
    texts.limited(upload.description, f"{upload.path}: the description")
    for control in upload.controls:
        texts.limited(control, f"{upload.path}: a disclosure control")
    if upload.path.lower().endswith(EVIDENCE_SUFFIXES) and not upload.supporting:
        # Evidence holds individual contributions: it must never be released by mistake.
        upload = replace(upload, supporting=True)
    kind = filetypes.type_of(upload.path, rules.file_types)
    filetypes.check_content(upload.path, upload.content, kind)
    if upload.supporting:
        # Shown to checkers, never released: no row limit (evidence is row-level by design).
        return replace(upload, media_type=kind.media_type)
    try:
        found = inspect(upload.content, upload.path, limits_of(rules))
    except Refused as refusal:
        raise Invalid(f"{upload.path}: {refusal}") from None
    over = found.over_limit(rules.max_table_rows)
    if over is not None:
        raise Invalid(f"{upload.path} {row_limit_message(over, rules.max_table_rows)}")
    if found.reencoded is not None:
        # The author's checksum vouched for the upload; the stored file is the re-encoding.
        # (The original's SHA-256 is not kept: the files table has no column for it yet.)
        data = found.reencoded.data
        return replace(upload, content=data, sha256=sha256_hex(data),
                       media_type=found.typed.media_type)
    # Served later from what Haven found, never from what the client claimed.
    media_type = found.typed.media_type if kind.name == "other" else kind.media_type
    return replace(upload, media_type=media_type)


def limits_of(rules: Egress) -> Limits:
    return Limits(max_rows=rules.max_table_rows, max_opaque_bytes=rules.max_opaque_file_size,
                  max_image_pixels=rules.max_image_pixels)
