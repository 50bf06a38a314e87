"""One file's content judged whole: what it is, what it would carry out, and what a person
must be told. The egress service refuses at submit what ``inspect`` refuses (and stores the
re-encoded image it returns); ``check_file`` turns the same answer into findings, so
``haven check``, the preflight and the checkers' pages agree.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import PurePosixPath

from .content import Limits, Reading, Typed, largest, row_readings, sniff, text_readings
from .media import Reencoded, Refused, inspect_pdf, reencode_image
from .results import Finding, Verdict

IMAGE_KINDS = ("png", "jpeg", "gif", "bmp", "tiff", "webp")
# What a file's name says it is, by extension (a name is a claim, checked here).
_NAMED = {
    ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".gif": "gif", ".pdf": "pdf",
    ".json": "json", ".ipynb": "ipynb", ".html": "html", ".htm": "html",
    ".zip": "zip", ".xlsx": "zip", ".docx": "zip",
}
# Declared kinds (the author's) that say "a picture" or "a table".
_FIGURE_KINDS = ("figure",)
_TABLE_KINDS = ("frequency", "magnitude", "frequency_table", "magnitude_table", "table")


@dataclass(frozen=True)
class Inspection:
    typed: Typed
    readings: tuple[Reading, ...]
    notes: tuple[str, ...]  # for a person, in plain words
    reencoded: Reencoded | None = None

    def over_limit(self, max_rows: int) -> Reading | None:
        most = largest(list(self.readings))
        return most if most is not None and most.rows > max_rows else None


def inspect(data: bytes, name: str, limits: Limits = Limits(), declared: str | None = None) -> Inspection:
    """Raises ``Refused`` (with the reason) for content that cannot leave in any form."""
    typed = sniff(data)
    named = _NAMED.get(PurePosixPath(name).suffix.lower())
    notes: list[str] = []
    if named in IMAGE_KINDS + ("pdf",) and typed.kind != named:
        raise Refused(f"its name says {named.upper()} but the content is {typed.label}")
    readings: list[Reading] = []
    reencoded = None
    if typed.kind in IMAGE_KINDS:
        reencoded = reencode_image(data, limits.max_image_pixels)
        if reencoded.dropped:
            notes.append(f"the image was re-encoded from its pixels; dropped: "
                         f"{', '.join(reencoded.dropped)}")
    elif typed.kind == "pdf":
        text = inspect_pdf(data)
        readings = [Reading(f"the PDF's text as {r.how}", r.rows) for r in text_readings(text)]
        notes.append("a PDF: a person must look at every page (its text was also read for "
                     "rows)")
    elif typed.kind == "zip":
        raise Refused(f"it is {typed.label}; archives hold other files that no check reads: "
                      "export each table as CSV and each figure as PNG")
    elif typed.kind == "binary":
        if len(data) > limits.max_opaque_bytes:
            raise Refused(f"it is {typed.label} ({len(data)} bytes); content no check can read "
                          f"may be at most {limits.max_opaque_bytes} bytes")
        notes.append(f"it is {typed.label} ({len(data)} bytes): no check can read it, so a "
                     "person must judge what it holds")
    else:
        readings = row_readings(typed, name)
        tabular = _tabular_delimiter(typed.text or "") if typed.kind == "text" else None
        if tabular and PurePosixPath(name).suffix.lower() not in (".csv", ".tsv", ".tab"):
            notes.append(f"its name says {PurePosixPath(name).suffix or 'nothing'} but it reads "
                         f"as a {tabular}-delimited table; judge it as a table")
    if named in ("json", "ipynb", "html") and typed.kind != named and not (
            named == "json" and typed.kind == "ipynb"):
        notes.append(f"its name says {named.upper()} but the content is {typed.label}")
    if declared in _FIGURE_KINDS and typed.kind not in IMAGE_KINDS + ("pdf",):
        notes.append(f"declared a figure, but the content is {typed.label}")
    if declared in _TABLE_KINDS and typed.kind not in ("text", "json", "html"):
        notes.append(f"declared a table, but the content is {typed.label}")
    return Inspection(typed, tuple(readings), tuple(notes), reencoded)


def _tabular_delimiter(text: str) -> str | None:
    """The delimiter's name when most of the first lines split into the same 2+ fields."""
    sample = [line for line in text[:64 * 1024].splitlines() if line.strip()][:50]
    if len(sample) < 2:
        return None
    for delimiter, label in ((",", "comma"), ("\t", "tab"), (";", "semicolon"), ("|", "pipe")):
        widths = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        common = max(set(widths), key=widths.count)
        if common >= 2 and widths.count(common) >= 0.8 * len(widths):
            return label
    return None


def row_limit_message(reading: Reading, max_rows: int) -> str:
    return (f"has {reading.rows} rows; a released table may have at most {max_rows} "
            f"(read as {reading.how}). Release a summary (aggregated counts), not row-level data")


def content_findings(data: bytes, name: str, declared: str | None,
                     limits: Limits) -> tuple[list[Finding], bool, str]:
    """The content's findings for the checks, whether the content is refused outright, and
    what the bytes are (``Typed.kind``)."""
    params = {"max_rows": limits.max_rows}  # the other limits are named in the messages
    try:
        found = inspect(data, name, limits, declared)
    except Refused as refusal:
        return [Finding("content", Verdict.FAIL, f"{name} cannot be released: {refusal}",
                        {})], True, sniff(data).kind
    findings = [Finding("content", Verdict.REVIEW, f"{name}: {note}", {}) for note in found.notes]
    over = found.over_limit(limits.max_rows)
    if over is not None:
        findings.append(Finding("row_limit", Verdict.FAIL,
                                f"{name} {row_limit_message(over, limits.max_rows)}", params))
    return findings, False, found.typed.kind


__all__ = ["Inspection", "Limits", "Refused", "content_findings", "inspect", "row_limit_message"]
