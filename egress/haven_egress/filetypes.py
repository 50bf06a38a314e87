"""Which files may ask to leave, told apart by name AND content, before anything is stored.

A file's type comes from its extension; its bytes must then look like that type (a PNG
starts with the PNG signature, a CSV is UTF-8 text, a notebook is JSON with no outputs).
Naming an executable ``x.png`` therefore gets nowhere. Tables to be released are also held
to a row limit: thousands of rows are record-level data, not a summary.
"""

from __future__ import annotations

import csv
import io
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
)}
ALL_TYPES: frozenset[str] = frozenset(TYPES)
_BY_EXTENSION = {ext: t for t in TYPES.values() for ext in t.extensions}
_TABLES = {"csv": ",", "tsv": "\t"}


def type_of(path: str, allowed: frozenset[str]) -> FileType:
    """The file's type from its name, or Invalid naming what is accepted."""
    suffix = PurePosixPath(path).suffix.lower()
    found = _BY_EXTENSION.get(suffix)
    if found is None or found.name not in allowed:
        accepted = ", ".join(sorted((e for n in allowed for e in TYPES[n].extensions), key=str.lower))
        what = f"'{suffix}' files" if suffix else "files without an extension"
        raise Invalid(f"{path}: {what} cannot be released; accepted types are {accepted}")
    return found


def check_content(path: str, content: bytes, kind: FileType, max_rows: int | None) -> None:
    """Refuse bytes that are not what the name says; ``max_rows`` None skips the row limit."""
    if not kind.text:
        if not content.startswith(kind.signature):
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
    if kind.name in _TABLES and max_rows is not None:
        _check_rows(path, text, _TABLES[kind.name], max_rows)


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


def _check_rows(path: str, text: str, delimiter: str, max_rows: int) -> None:
    rows = 0
    try:
        # csv counts records, not lines: a quoted cell may span several lines.
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if record:
                rows += 1
    except csv.Error as error:
        raise Invalid(f"{path}: not a readable table ({error})") from None
    data_rows = max(rows - 1, 0)  # the first record is the header
    if data_rows > max_rows:
        raise Invalid(
            f"{path} has {data_rows} rows; a released table may have at most {max_rows}. "
            "Release a summary (aggregated counts), not row-level data"
        )
