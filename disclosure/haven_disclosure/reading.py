"""Reading submitted files into raw tables of text, failing loudly and precisely on junk.

Cells are kept as text: whether '<10' is a marker or '1,234' a count is decided by the rules,
not guessed away by a CSV parser. The first row is always the header.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .errors import UnreadableTable

MAX_BYTES = 50 * 1024 * 1024  # a release table larger than this is not a summary table
_SNIFF_BYTES = 64 * 1024
_DELIMITERS = ",\t;|"


@dataclass(frozen=True)
class RawTable:
    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    first_data_line: int = 2  # the file line of rows[0], for messages


def read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise UnreadableTable(path.name, f"file is {size} bytes; the limit is {MAX_BYTES}")
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableTable(path.name, f"cannot open: {error.strerror or error}") from None
    if not data.strip():
        raise UnreadableTable(path.name, "file is empty")
    return data


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 text (a BOM is dropped) or an UnreadableTable naming the line of the bad bytes."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise UnreadableTable(source, "binary content (NUL byte); not a text file",
                              line=data.count(b"\n", 0, nul) + 1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UnreadableTable(source, f"bytes that are not UTF-8 at offset {error.start}",
                              line=line) from None


def read_table(path: Path) -> RawTable:
    text = decode_text(read_bytes(path), path.name)
    return parse_delimited(text, path.name, tab_hint=path.suffix.lower() == ".tsv")


def parse_delimited(text: str, source: str, *, tab_hint: bool = False) -> RawTable:
    text = text.removeprefix("\ufeff")  # text decoded elsewhere may still carry a BOM
    delimiter = sniff_delimiter(text, tab_hint)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[tuple[str, ...]] = []
    first_data_line = 2
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank lines carry no cells; trailing newlines are common
            if header is None:
                header = [cell.strip() for cell in row]
                first_data_line = reader.line_num + 1
                _check_header(header, source, reader.line_num)
                continue
            if len(row) != len(header):
                raise UnreadableTable(
                    source, f"row has {len(row)} fields but the header has {len(header)}",
                    line=reader.line_num,
                    column=header[-1] if len(row) > len(header) else header[len(row)])
            rows.append(tuple(cell.strip() for cell in row))
    except csv.Error as error:
        raise UnreadableTable(source, f"malformed CSV: {error}", line=reader.line_num) from None
    if header is None:
        raise UnreadableTable(source, "no header row")
    return RawTable(source, tuple(header), tuple(rows), first_data_line)


def sniff_delimiter(text: str, tab_hint: bool) -> str:
    sample = text[:_SNIFF_BYTES]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        # The sniffer gives up on one-column files and some quoted files; fall back on the
        # most common delimiter actually present in the header line.
        first_line = sample.splitlines()[0] if sample else ""
        if tab_hint or "\t" in first_line:
            return "\t"
        counts = {d: first_line.count(d) for d in _DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _check_header(header: list[str], source: str, line: int) -> None:
    seen: set[str] = set()
    for name in header:
        # Duplicate names would make a cell's (row labels, column) ambiguous in the findings.
        if name in seen:
            raise UnreadableTable(source, "duplicate column name in the header",
                                  line=line, column=name)
        seen.add(name)
