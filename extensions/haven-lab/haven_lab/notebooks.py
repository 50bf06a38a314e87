"""Notebooks as checkers see them, and single outputs saved as files.

A notebook leaves as HTML rendered by nbconvert (outputs included, code optional), so
checkers read what the analyst saw. An output the analyst picks is saved into the
workspace as a file of its own: a table as CSV, an image as PNG.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import nbformat
from nbformat.validator import NotebookValidationError

from .workspace import Refused

HTML_MEDIA_TYPE = "text/html"


def render_html(notebook_bytes: bytes, name: str, include_code: bool) -> bytes:
    """The notebook rendered to one self-contained HTML page (nbconvert's lab template).

    ``name`` is the notebook's path as the analyst knows it: refusals name it."""
    from nbconvert import HTMLExporter  # imported late: it takes most of a second

    notebook = _parse(notebook_bytes, name)
    exporter = HTMLExporter(template_name="lab", exclude_input=not include_code,
                            exclude_input_prompt=not include_code)
    title = name.rsplit("/", 1)[-1]
    try:
        body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    except _MALFORMED as error:
        raise Refused(422, f"{name} could not be rendered ({_short(error)}); open it in JupyterLab, "
                      "save it, and try again") from None
    return body.encode("utf-8")


# What a malformed notebook fails with, deep in nbformat's conversion or nbconvert's templates.
_MALFORMED = (AttributeError, KeyError, TypeError, IndexError, ValueError, nbformat.ValidationError,
              NotebookValidationError)


def _parse(notebook_bytes: bytes, name: str) -> nbformat.NotebookNode:
    """The notebook, or Refused naming the file.

    An empty file, JSON that is not a notebook or cells that are not a list of cells are the
    analyst's file, not a fault of the server: nbformat converts before it validates, and a
    malformed one fails that conversion with whatever error it meets. Not held to the schema
    to the letter: a notebook with a key another tool added opens in Lab and renders, so it
    may be released like any other."""
    if not notebook_bytes.strip():
        raise Refused(422, f"{name} is empty: open it in JupyterLab, save it, and try again")
    try:
        notebook = nbformat.reads(notebook_bytes.decode("utf-8"), as_version=4)
    except (UnicodeDecodeError, nbformat.reader.NotJSONError) as error:
        raise Refused(422, f"{name} is not a notebook that can be read: {_short(error)}") from None
    except _MALFORMED as error:
        raise Refused(422, f"{name} is not a valid notebook ({_short(error)}); open it in JupyterLab, "
                      "save it, and try again") from None
    cells = notebook.get("cells")
    if not isinstance(cells, list) or not all(isinstance(c, dict) and isinstance(c.get("cell_type"), str)
                                              for c in cells):
        raise Refused(422, f"{name} is not a valid notebook (its cells are not a list of cells); open it "
                      "in JupyterLab, save it, and try again")
    return notebook


def _short(error: BaseException) -> str:
    """An error's first line, not the whole document a schema error carries."""
    text = getattr(error, "message", None) or str(error) or type(error).__name__
    first = str(text).strip().splitlines()[0] if str(text).strip() else type(error).__name__
    return first if len(first) <= 200 else first[:199] + "\u2026"


@dataclass(frozen=True)
class SavedOutput:
    suffix: str  # ".csv" or ".png"
    content: bytes


def extract_output(notebook_bytes: bytes, name: str, cell: object, output: object) -> SavedOutput:
    """Cell ``cell``'s output ``output`` as a file: a table as CSV, an image as PNG."""
    notebook = _parse(notebook_bytes, name)
    if not isinstance(cell, int) or isinstance(cell, bool) or not 0 <= cell < len(notebook.cells):
        raise Refused(422, f"{name} has no cell {cell!r} (it has {len(notebook.cells)}; the first is 0)")
    outputs = notebook.cells[cell].get("outputs", [])
    if not isinstance(output, int) or isinstance(output, bool) or not 0 <= output < len(outputs):
        raise Refused(422, f"cell {cell} of {name} has no output {output!r} (it has {len(outputs)}). "
                      "Save the notebook after running the cell, then try again.")
    data = outputs[output].get("data", {})
    if "image/png" in data:
        return SavedOutput(".png", _png(data["image/png"]))
    if "application/vnd.dataresource+json" in data:
        try:
            return SavedOutput(".csv", _dataresource_csv(data["application/vnd.dataresource+json"]))
        except (ValueError, AttributeError, KeyError, TypeError):
            # Any JSON validates as this media type; only a table resource becomes a CSV.
            raise Refused(422, f"cell {cell}, output {output} of {name} holds a table that cannot be "
                          "read; write the table to a CSV file and request release of that file") from None
    if HTML_MEDIA_TYPE in data:
        html = data[HTML_MEDIA_TYPE]
        table = html_table_csv("".join(html) if isinstance(html, list) else str(html))
        if table is not None:
            return SavedOutput(".csv", table)
    kinds = ", ".join(sorted(data)) or "text printed by the cell"
    raise Refused(422, f"cell {cell}, output {output} of {name} is not a table or a PNG image ({kinds}); "
                  "write it to a file in the workspace and request release of that file")


def _png(value: Any) -> bytes:
    text = "".join(value) if isinstance(value, list) else str(value)
    try:
        return base64.b64decode(text, validate=False)
    except binascii.Error:
        raise Refused(422, "the image in that output is damaged") from None


def _dataresource_csv(resource: Any) -> bytes:
    if isinstance(resource, str):
        resource = json.loads(resource)
    fields = [f["name"] for f in resource.get("schema", {}).get("fields", [])]
    # pandas adds its index as a field named "index"; a default 0..n-1 index is not data.
    rows = resource.get("data", [])
    if "index" in fields and [row.get("index") for row in rows] == list(range(len(rows))):
        fields.remove("index")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow(["" if row.get(f) is None else row.get(f) for f in fields])
    return buffer.getvalue().encode("utf-8")


class _TableParser(HTMLParser):
    """The first <table>'s rows, each cell's text (enough for pandas' to_html)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.header_rows = 0
        self._depth = 0
        self._done = False
        self._in_head = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if self._done:
            return
        if tag == "table":
            self._depth += 1
        elif self._depth == 1 and tag == "thead":
            self._in_head = True
        elif self._depth == 1 and tag == "tr":
            self.rows.append([])
            if self._in_head:
                self.header_rows += 1
        elif self._depth == 1 and tag in ("td", "th") and self.rows:
            self._cell = []

    def handle_endtag(self, tag):
        if self._done:
            return
        if tag == "table":
            self._depth -= 1
            self._done = self._depth == 0
        elif tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_table_csv(html: str) -> bytes | None:
    parser = _TableParser()
    parser.feed(html)
    rows = [row for row in parser.rows if row]
    if not rows:
        return None
    header_rows = max(parser.header_rows, 1)
    body = rows[header_rows:]
    # pandas writes the index as the first column under an empty heading; drop a default
    # 0..n-1 index, keep a named one.
    if rows[0] and rows[0][0] == "" and [r[0] for r in body] == [str(i) for i in range(len(body))]:
        rows = [row[1:] for row in rows]
    # A named index gets a header row of its own (name, then blanks): fold it into the first.
    elif header_rows == 2 and all(cell == "" for cell in rows[1][1:]):
        rows = [[rows[1][0], *rows[0][1:]], *rows[2:]]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")
