"""What a file is, told from its bytes, and how many rows it carries read every way it can be.

A file's name and declared kind are the author's word; the limits hold to what the bytes
are. ``sniff`` types the content (image signatures, PDF, ZIP/Office containers, notebooks,
HTML, JSON, text in UTF-8 or UTF-16); ``row_readings`` reads text as a table in each
orientation and each plausible syntax (delimited with any common delimiter, JSON arrays and
objects, Markdown pipe tables, HTML tables), counting a multi-line cell by the lines it
carries. The row limit then applies to the largest reading: a 6,000-row table is 6,000 rows
whether it is named ``.txt``, transposed, or packed into one quoted cell.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from .html_tables import extract_tables
from .errors import UnreadableTable

_DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
# Strings this short carry fewer rows than any sensible limit: not worth counting.
_SHORT_STRING = 64


@dataclass(frozen=True)
class Limits:
    """The content limits; the egress service fills them from its settings (the `egress` section)."""

    max_rows: int = 5000
    max_opaque_bytes: int = 64 * 1024
    max_image_pixels: int = 25_000_000


@dataclass(frozen=True)
class Typed:
    """What the bytes are: ``kind`` is one of KINDS; ``label`` says it in plain words."""

    kind: str
    label: str
    media_type: str
    text: str | None = None  # the decoded text, for text-like kinds


# Text-like kinds are read for rows; the others are decoded (images, PDF) or opaque.
TEXT_KINDS = ("text", "json", "ipynb", "html")
IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png", "a PNG image", "image/png"),
    (b"\xff\xd8\xff", "jpeg", "a JPEG image", "image/jpeg"),
    (b"GIF87a", "gif", "a GIF image", "image/gif"),
    (b"GIF89a", "gif", "a GIF image", "image/gif"),
    (b"BM", "bmp", "a BMP image", "image/bmp"),
    (b"II*\x00", "tiff", "a TIFF image", "image/tiff"),
    (b"MM\x00*", "tiff", "a TIFF image", "image/tiff"),
)


def sniff(data: bytes) -> Typed:
    """The content's type from its bytes alone."""
    head = data[:16]
    for signature, kind, label, media_type in IMAGE_SIGNATURES:
        if head.startswith(signature):
            return Typed(kind, label, media_type)
    if head.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return Typed("webp", "a WebP image", "image/webp")
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-"):
        return Typed("pdf", "a PDF document", "application/pdf")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Typed("zip", "a ZIP archive (or an Office file, which is one)", "application/zip")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return Typed("zip", "an old-style Office file (OLE2)", "application/x-ole-storage")
    text = _decode(data)
    if text is None:
        return Typed("binary", "binary data in no format Haven can read", "application/octet-stream")
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            pass
        else:
            if isinstance(value, dict) and isinstance(value.get("cells"), list):
                return Typed("ipynb", "a Jupyter notebook", "application/x-ipynb+json", text)
            return Typed("json", "JSON", "application/json", text)
    if re.match(r"(<!--.*?-->\s*)*<(!doctype html|html|head|body|table|div|p)\b", stripped[:1024],
                re.IGNORECASE | re.DOTALL):
        return Typed("html", "an HTML page", "text/html", text)
    return Typed("text", "text", "text/plain", text)


def _decode(data: bytes) -> str | None:
    """The text, when the bytes are UTF-8 (a BOM allowed) or UTF-16 with a BOM; else None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class Reading:
    """One way of reading a file as a table, and how many rows that reading gives."""

    how: str  # plain words, e.g. "a ',' delimited table read sideways (one row per column)"
    rows: int


def row_readings(typed: Typed, source: str) -> list[Reading]:
    """Every reading of the text as a table; the row limit applies to the largest."""
    text = typed.text
    if text is None:
        return []
    if typed.kind in ("json", "ipynb"):
        return _json_readings(json.loads(text))
    if typed.kind == "html":
        return _html_readings(text, source)
    return text_readings(text)


def text_readings(text: str) -> list[Reading]:
    """Plain text (CSV, TSV, Markdown, logs, code, PDF text …) read as a table every way.

    Counts are of rows after a header: the first line (or, sideways, the first column) may
    name the rest. Every line counts, so a quoted cell spanning 6,000 lines is 6,000 rows.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    readings = []
    for delimiter, name in _DELIMITERS.items():
        if delimiter not in text:
            continue
        records, widest = _delimited(text, delimiter)
        readings += [
            Reading(f"a {name}-delimited table (one row per record)", _after_header(records)),
            # A transposed table: one line per variable, a column per record.
            Reading(f"a {name}-delimited table read sideways (one row per column)",
                    _after_header(widest)),
        ]
    # Whitespace-separated columns (fixed width, or a transposed table with spaces).
    widest_spaced = max((len(line.split()) for line in lines), default=0)
    readings.append(Reading("a space-separated table read sideways (one row per column)",
                            _after_header(widest_spaced)))
    # Last, so a tie names the table reading; it wins when a quoted cell spans many lines.
    readings.append(Reading("lines of text (each line a row)", _after_header(len(lines))))
    return readings


def _after_header(count: int) -> int:
    return max(count - 1, 0)


def _delimited(text: str, delimiter: str) -> tuple[int, int]:
    """Records, and the most fields of one record."""
    records = widest = 0
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if any(cell.strip() for cell in record):
                records += 1
                widest = max(widest, len(record))
    except csv.Error:
        pass  # not this syntax; the other readings still stand
    return records, widest


def _json_readings(value: object) -> list[Reading]:
    """The longest array, the largest object (an object keyed by record) and the most lines
    or fields of one string anywhere in the document, so records, columns-of-arrays and
    arrays-of-arrays (either orientation) are all counted. (``json.loads`` bounds the depth.)"""
    longest = largest = string_rows = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            longest = max(longest, len(item))
            stack.extend(item)
        elif isinstance(item, dict):
            largest = max(largest, len(item))
            stack.extend(item.values())
        elif isinstance(item, str) and len(item) > _SHORT_STRING:
            # A table packed into one string: its lines, or (sideways) its fields. Counted
            # by separators, not parsed: a document may hold a million strings.
            string_rows = max(string_rows, item.count("\n"),
                              *(item.count(delimiter) for delimiter in _DELIMITERS))
    return [Reading("the longest JSON array (one row per item)", longest),
            Reading("the largest JSON object (one row per key)", largest),
            Reading("the longest text in the JSON (one row per line or field in it)",
                    string_rows)]


class _VisibleText(HTMLParser):
    """The text a reader sees outside tables (which are read as tables): style and script
    bodies are not rows of anything."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("style", "script", "table"):
            self._hidden += 1
        elif tag in ("br", "p", "div", "tr", "li", "pre"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "table") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _html_readings(html: str, source: str) -> list[Reading]:
    readings = []
    try:
        tables, _images = extract_tables(html, source)
    except UnreadableTable:
        tables = []
    for table in tables:
        readings += [Reading(f"HTML table {table.name} (rows)", len(table.rows)),
                     Reading(f"HTML table {table.name} read sideways (one row per column)",
                             _after_header(len(table.header))),
                     # A table packed into one cell (lines joined by <br>, say).
                     Reading(f"the fullest cell of HTML table {table.name} (one row per word "
                             "or field in it)",
                             max((_packed_rows(cell) for row in (table.header, *table.rows)
                                  for cell in row), default=0))]
    visible = _VisibleText()
    visible.feed(html)
    visible.close()
    # Text outside tables (a <pre> block of CSV, say) is read as any text is; a cell's lines
    # are not counted again (extract_tables keeps a cell's text on one line).
    readings += [Reading(f"the page's text, {r.how}", r.rows)
                 for r in text_readings("".join(visible.parts))]
    return readings


def _packed_rows(cell: str) -> int:
    return max(len(cell.split()), *(cell.count(delimiter) for delimiter in _DELIMITERS))


def largest(readings: list[Reading]) -> Reading | None:
    return max(readings, key=lambda r: r.rows, default=None)
