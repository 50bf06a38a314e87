"""Which files may ask to leave, told apart by name AND content, before anything is stored.

A file's name must carry an accepted extension (the operator's list, ``file_types``); its
bytes must then look like that type (a PNG starts with the PNG signature, a CSV is UTF-8
text, a notebook is JSON with no outputs). Naming an executable ``x.png`` therefore gets
nowhere. What the bytes hold is then judged by content alone (``disclosure.inspect``, called
from ``uploads``): images decoded and re-encoded, PDFs parsed, every text read as a table
and held to the row limit whatever its name. The ``other`` type, off by default, admits any
other name (or none): its content decides how it is held.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePosixPath

from .errors import Invalid


@dataclass(frozen=True)
class FileType:
    name: str  # as the settings name it
    extensions: tuple[str, ...]  # lower-case, with the dot
    media_type: str
    text: bool = True
    signature: bytes = b""  # the first bytes every such file starts with


TYPES: dict[str, FileType] = {t.name: t for t in (
    FileType("csv", (".csv",), "text/csv"),
    FileType("tsv", (".tsv", ".tab"), "text/tab-separated-values"),
    FileType("txt", (".txt",), "text/plain"),
    FileType("md", (".md",), "text/markdown"),
    FileType("json", (".json",), "application/json"),
    FileType("png", (".png",), "image/png", text=False, signature=b"\x89PNG\r\n\x1a\n"),
    FileType("jpeg", (".jpg", ".jpeg"), "image/jpeg", text=False, signature=b"\xff\xd8\xff"),
    FileType("pdf", (".pdf",), "application/pdf", text=False, signature=b"%PDF-"),
    FileType("html", (".html", ".htm"), "text/html"),
    FileType("py", (".py",), "text/x-python"),
    FileType("R", (".r",), "text/x-r"),
    FileType("sql", (".sql",), "application/sql"),
    FileType("ipynb", (".ipynb",), "application/x-ipynb+json"),
    # Any name no other type claims; typed, limited and flagged by content alone.
    FileType("other", (), "application/octet-stream", text=False),
)}
ALL_TYPES: frozenset[str] = frozenset(TYPES)
# What a request may hold unless the operator says otherwise: every named type.
DEFAULT_TYPES: frozenset[str] = ALL_TYPES - {"other"}
_BY_EXTENSION = {ext: t for t in TYPES.values() for ext in t.extensions}


def type_of(path: str, allowed: frozenset[str]) -> FileType:
    """The file's type from its name, or Invalid naming what is accepted."""
    suffix = PurePosixPath(path).suffix.lower()
    found = _BY_EXTENSION.get(suffix)
    if found is None and "other" in allowed:
        return TYPES["other"]
    if found is None or found.name not in allowed:
        accepted = ", ".join(sorted((e for n in allowed for e in TYPES[n].extensions), key=str.lower))
        what = f"'{suffix}' files" if suffix else "files without an extension"
        raise Invalid(f"{path}: {what} cannot be released; accepted types are {accepted}")
    return found


def check_content(path: str, content: bytes, kind: FileType) -> None:
    """Refuse bytes that are not what the name says (the rows are counted in ``uploads``)."""
    if not kind.text:
        if kind.signature and not content.startswith(kind.signature):
            raise Invalid(f"{path}: the content is not a {kind.name.upper()} file, whatever its name says")
        return
    text = _utf8(path, content)
    if kind.name in ("json", "ipynb"):
        try:
            value = json.loads(text)
        except ValueError as error:
            raise Invalid(f"{path}: not valid JSON (line {getattr(error, 'lineno', '?')})") from None
        if kind.name == "ipynb":
            _check_notebook(path, value)


def _utf8(path: str, content: bytes) -> str:
    if b"\x00" in content:
        raise Invalid(f"{path}: binary content where text was expected")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid(f"{path}: not UTF-8 text (bad bytes at offset {error.start}); "
                      "save it as UTF-8") from None


def _check_notebook(path: str, notebook: object) -> None:
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise Invalid(f"{path}: not a Jupyter notebook (no list of cells)")
    # Outputs and attachments carry results (tables, figures) past the checks meant for
    # them; the code alone is routine to release, the results go as their own files.
    with_outputs = sum(1 for c in cells if c.get("outputs") or c.get("attachments"))
    if with_outputs:
        raise Invalid(
            f"{path}: {with_outputs} cell(s) hold outputs or attachments; a notebook is released "
            "as code only. Clear its outputs (Edit > Clear Outputs of All Cells, or "
            "jupyter nbconvert --clear-output) or submit its HTML rendering instead"
        )
