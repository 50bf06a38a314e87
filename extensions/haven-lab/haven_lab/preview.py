"""A safe preview of the analyst's own images and tables (issue 15).

The contents API sends no binary file and no base64 (haven_lab.contents), so Lab cannot show
a figure the analyst made. This module shows one without reopening that path: the file is
read here, on the server, and what goes to the browser is something new and small made from
it, never its bytes.

- An image (PNG, JPEG or GIF, recognised by its content, not its name) has its size read from
  its header and is refused past ``MAX_SOURCE_PIXELS`` before anything is decoded (a
  decompression bomb is a tiny file that decodes to gigabytes). It is then decoded, shrunk to
  at most ``MAX_SIDE`` pixels a side and re-encoded as a fresh PNG or JPEG of at most
  ``MAX_PREVIEW_BYTES`` (metadata, extra frames and any trailing bytes are left behind).
  ``size=small`` (the release dialog's thumbnails) asks for less: ``SIZES``.
- SVG is never passed through: it is a document that can carry script, so it gets "no preview".
- A table (CSV, TSV, Parquet) becomes an HTML table of the first ``MAX_ROWS`` rows and
  ``MAX_COLUMNS`` columns, every cell escaped and cut to ``MAX_CELL_CHARS`` characters, with
  the total the table holds.

Paths are confined exactly as a release request's are (``Workspace.resolve``: inside the
workspace, symlinks followed, never under the dataset mounts). The answer is an ordinary API
response, so the browser meter (haven_lab.meter) counts it against the daily budget.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .workspace import Refused, Workspace, is_within

KB = 1024
MB = 1024 * KB

MAX_SIDE = 800
MAX_PREVIEW_BYTES = 200 * KB
# About a 7,000 x 7,000 figure: far past any screen, far below what would exhaust memory.
MAX_SOURCE_PIXELS = 50_000_000
MAX_IMAGE_FILE_BYTES = 50 * MB
MAX_ROWS = 50
MAX_COLUMNS = 20
MAX_CELL_CHARS = 200
# A CSV is read this far to count its rows; past it the total is given as "at least".
MAX_TABLE_SCAN_BYTES = 64 * MB
# One line of a CSV, read at most this far (a file of one endless line would fill memory).
MAX_LINE_CHARS = 1 * MB



@dataclass(frozen=True)
class Limits:
    side: int  # pixels, the longest side of an image
    rows: int
    columns: int


# Allowlisted by name: the browser picks one, it does not name numbers.
SIZES = {"full": Limits(MAX_SIDE, MAX_ROWS, MAX_COLUMNS), "small": Limits(320, 10, 8)}

IMAGE_FORMATS = ("PNG", "JPEG", "GIF")
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif"})
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
SCRIPTABLE_SUFFIXES = frozenset({".svg", ".svgz"})
PREVIEWABLE_SUFFIXES = IMAGE_SUFFIXES | TABLE_SUFFIXES.keys() | PARQUET_SUFFIXES


@dataclass(frozen=True)
class Preview:
    kind: str  # "image" or "table"
    fields: dict[str, Any]

    def as_json(self, api_path: str) -> dict[str, Any]:
        return {"path": api_path, "name": PurePosixPath(api_path).name, "kind": self.kind, **self.fields}


def preview(workspace: Workspace, api_path: object, size: object = "full") -> Preview:
    """The preview of one workspace file, or Refused with a message for the analyst."""
    if size not in SIZES:
        raise Refused(400, f"'size' must be one of: {', '.join(SIZES)}")
    limits = SIZES[str(size)]
    real = _confined(workspace, api_path)
    api_path = str(api_path)
    suffix = real.suffix.lower()
    if suffix in SCRIPTABLE_SUFFIXES:
        raise Refused(415, f"{api_path}: no preview for SVG files, which can carry scripts; open the "
                      "notebook that drew it, or save the figure as PNG to preview it")
    if suffix not in PREVIEWABLE_SUFFIXES:
        raise Refused(415, f"{api_path}: no preview for this kind of file; Haven previews images "
                      "(PNG, JPEG, GIF) and tables (CSV, TSV, Parquet)")
    with workspace.open_regular(real, api_path) as handle:
        if suffix in IMAGE_SUFFIXES:
            return image_preview(handle, api_path, limits)
        if suffix in PARQUET_SUFFIXES:
            return parquet_preview(handle, api_path, limits)
        return csv_preview(handle, TABLE_SUFFIXES[suffix], limits)


# -- the path -------------------------------------------------------------------------


def _confined(workspace: Workspace, api_path: object) -> Path:
    """Workspace.resolve does the confinement (the same rules as a release request); the two
    checks before it only word its refusals for a preview rather than a release."""
    if (isinstance(api_path, str) and api_path.strip("/") and "\x00" not in api_path
            and ".." not in PurePosixPath(api_path).parts):
        real = Path(os.path.realpath(workspace.root_dir / api_path.lstrip("/")))
        if is_within(real, workspace.data_dir):
            raise Refused(403, f"{api_path}: the datasets are not previewed; query them with haven.sql "
                          "in a notebook")
        if not is_within(real, workspace.workspace):
            raise Refused(403, f"{api_path}: only files inside the project workspace can be previewed")
    return workspace.resolve(api_path)


# -- images -----------------------------------------------------------------------------


def image_preview(handle: io.BufferedReader, api_path: str, limits: Limits = SIZES["full"]) -> Preview:
    from PIL import Image, UnidentifiedImageError

    size = os.fstat(handle.fileno()).st_size
    if size > MAX_IMAGE_FILE_BYTES:
        raise Refused(413, f"{api_path}: {size:,} bytes is too big to preview (the limit is "
                      f"{MAX_IMAGE_FILE_BYTES:,})")
    try:
        # formats=: only these decoders are tried, whatever the file's name says.
        with Image.open(handle, formats=IMAGE_FORMATS) as source:
            width, height = source.size  # from the header: nothing decoded yet
            if width * height > MAX_SOURCE_PIXELS:
                raise Refused(413, f"{api_path}: {width:,} x {height:,} pixels is too many to preview "
                              f"(the limit is {MAX_SOURCE_PIXELS:,} pixels)")
            source.draft("RGB", (limits.side, limits.side))  # JPEG decodes at a reduced scale
            source.seek(0)  # the first frame of an animation
            picture = _flattened(source)
    except Refused:
        raise
    except Image.DecompressionBombError:  # Pillow's own ceiling, far above ours: a header it refused
        raise Refused(413, f"{api_path}: too many pixels to preview (the limit is {MAX_SOURCE_PIXELS:,})") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise Refused(422, f"{api_path}: not a PNG, JPEG or GIF image that can be read") from None
    picture.thumbnail((limits.side, limits.side))
    media_type, encoded = _encoded_within_cap(picture)
    return Preview("image", {
        "media_type": media_type,
        "data": base64.b64encode(encoded).decode("ascii"),
        "width": picture.width,
        "height": picture.height,
        "original_width": width,
        "original_height": height,
    })


def _flattened(source: Any) -> Any:
    """Decoded pixels in RGB or RGBA, palettes and odd modes converted (re-encoding needs it)."""
    from PIL import Image

    source.load()
    if source.mode in ("RGB", "RGBA"):
        return source.copy()
    has_alpha = source.mode in ("LA", "PA") or (source.mode == "P" and "transparency" in source.info)
    converted: Image.Image = source.convert("RGBA" if has_alpha else "RGB")
    return converted


def _encoded_within_cap(picture: Any) -> tuple[str, bytes]:
    """A PNG when it fits (figures stay crisp), else JPEG at falling quality, else smaller."""
    from PIL import Image

    while True:
        png = io.BytesIO()
        picture.save(png, "PNG", optimize=True)
        if png.tell() <= MAX_PREVIEW_BYTES:
            return "image/png", png.getvalue()
        opaque = picture
        if picture.mode == "RGBA":
            opaque = Image.new("RGB", picture.size, "white")
            opaque.paste(picture, mask=picture.getchannel("A"))
        for quality in (85, 70, 50):
            jpeg = io.BytesIO()
            opaque.save(jpeg, "JPEG", quality=quality)
            if jpeg.tell() <= MAX_PREVIEW_BYTES:
                return "image/jpeg", jpeg.getvalue()
        picture = picture.resize((max(1, picture.width // 2), max(1, picture.height // 2)))


# -- tables -----------------------------------------------------------------------------


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "\u2026"


def table_html(columns: list[str], rows: list[list[str]]) -> str:
    """Every header and cell escaped: a cell reading <script> shows as that text."""
    head = "".join(f'<th scope="col">{html.escape(_cell(c))}</th>' for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _table(columns: list[str], rows: list[list[str]], total_rows: int, total_exact: bool,
           total_columns: int, limits: Limits) -> Preview:
    width = min(len(columns), limits.columns)
    shown = [row[:width] + [""] * (width - len(row[:width])) for row in rows[: limits.rows]]
    return Preview("table", {
        "html": table_html(columns[:width], shown),
        "shown_rows": len(shown),
        "total_rows": total_rows,
        "total_rows_exact": total_exact,
        "shown_columns": width,
        "total_columns": total_columns,
    })


def csv_preview(handle: io.BufferedReader, delimiter: str, limits: Limits = SIZES["full"]) -> Preview:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline="")
    reader = csv.reader(_lines(text), delimiter=delimiter)
    try:
        columns = next(reader, [])
        rows: list[list[str]] = []
        total, widest = 0, len(columns)
        for row in reader:
            total += 1
            if len(rows) < limits.rows:
                rows.append([_cell(v) for v in row[: limits.columns]])
                widest = max(widest, len(row))
            if handle.tell() > MAX_TABLE_SCAN_BYTES:
                return _table(columns, rows, total, False, widest, limits)
    except csv.Error as error:
        raise Refused(422, f"this file could not be read as a table: {error}") from None
    return _table(columns, rows, total, True, widest, limits)


def _lines(text: io.TextIOWrapper):
    while line := text.readline(MAX_LINE_CHARS + 1):
        if len(line) > MAX_LINE_CHARS:
            raise Refused(422, f"this file has a line longer than {MAX_LINE_CHARS:,} characters; "
                          "it cannot be previewed as a table")
        yield line


def parquet_preview(handle: io.BufferedReader, api_path: str, limits: Limits = SIZES["full"]) -> Preview:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table_file = pq.ParquetFile(handle)
        names = table_file.schema_arrow.names
        batches = table_file.iter_batches(batch_size=limits.rows, columns=names[: limits.columns])
        first = next(batches, None)
        rows = [] if first is None else [[_cell(v) for v in row.values()] for row in first.to_pylist()]
    except (pa.ArrowException, OSError, ValueError):
        raise Refused(422, f"{api_path}: not a Parquet file that can be read") from None
    return _table(list(names), rows, table_file.metadata.num_rows, True, len(names), limits)
