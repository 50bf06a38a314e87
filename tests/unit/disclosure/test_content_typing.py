"""Row and size limits on content, not names (issue 11): ``check_file`` (and so ``haven check``,
the preflight and the checkers' pages) types every file by its bytes."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import zlib

import pytest

from haven_disclosure import check_file
from haven_disclosure.content import Limits, sniff
from tests.fixtures.media import jpeg, pdf, png
from tests.fixtures.row_bypasses import as_csv, behind_signatures, disguises

LIMIT = 5000


def verdict_and(result, rule: str) -> tuple[str, list[str]]:
    return result.verdict.value, [f.message for f in result.findings if f.rule == rule]


@pytest.mark.parametrize("case", list(disguises(6000)))
def test_a_6000_row_table_fails_the_row_limit_in_every_disguise(write, case):
    name, content = disguises(6000)[case]
    result = check_file(write(name.split("/")[-1], content))
    verdict, messages = verdict_and(result, "row_limit")
    assert verdict == "fail", result.findings
    assert len(messages) == 1 and f"a released table may have at most {LIMIT}" in messages[0]
    assert "(read as " in messages[0]


@pytest.mark.parametrize("case", list(disguises(12)))
def test_the_same_table_small_passes_the_row_limit_in_every_format(write, case):
    name, content = disguises(12)[case]
    result = check_file(write(name.split("/")[-1], content))
    assert not [f for f in result.findings if f.verdict.value == "fail" and f.rule in ("row_limit", "content")]


@pytest.mark.parametrize("case", list(behind_signatures(12)))
def test_a_table_behind_a_forged_signature_fails_whatever_its_size(write, case):
    name, content = behind_signatures(12)[case]
    result = check_file(write(name.split("/")[-1], content))
    verdict, messages = verdict_and(result, "content")
    assert verdict == "fail" and "cannot be released" in messages[0]
    assert "does not decode as an image" in messages[0] or "does not parse as one" in messages[0]


def test_the_limit_is_the_callers(write):
    path = write("rows.txt", as_csv(30))
    assert check_file(path, limits=Limits(max_rows=29)).verdict.value == "fail"
    assert not verdict_and(check_file(path, limits=Limits(max_rows=30)), "row_limit")[1]


def test_a_renamed_table_is_pointed_out_to_the_checker(write):
    result = check_file(write("notes.txt", as_csv(12)))
    assert verdict_and(result, "content") == (
        "review", ["notes.txt: its name says .txt but it reads as a comma-delimited table; "
                   "judge it as a table"])


def test_a_declared_kind_the_content_contradicts_is_a_finding(write):
    result = check_file(write("fig.txt", b"just words\n"), kind="figure")
    assert "declared a figure, but the content is text" in " ".join(verdict_and(result, "content")[1])


@pytest.mark.parametrize("data,kind", [
    (png(), "png"), (jpeg(), "jpeg"), (pdf(), "pdf"), (b"PK\x03\x04rest", "zip"),
    (b"GIF89a....", "gif"), (b"\x00\x01\x02", "binary"), (b'{"cells": []}', "ipynb"),
    (b"[1, 2]", "json"), (b"<!doctype html><p>x</p>", "html"), ("a,b\n".encode("utf-16"), "text"),
    (b"plain words", "text"),
])
def test_content_is_typed_from_its_bytes(data, kind):
    assert sniff(data).kind == kind


def test_a_real_image_is_re_encoded_and_sent_for_a_person(write):
    result = check_file(write("plot.png", png() + b"trailing rows,1,2,3"))
    assert result.verdict.value == "review"
    assert verdict_and(result, "content")[1] == [
        "plot.png: the image was re-encoded from its pixels; dropped: bytes after the image's end"]


def test_an_image_that_does_not_decode_fails(write):
    result = check_file(write("plot.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40))
    assert verdict_and(result, "content")[0] == "fail"


def bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG of a few hundred bytes whose header claims ten billion pixels."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 100_000, 9)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side,message", [
    (6_000, "claims 6000×6000 pixels; the limit is 25000000 pixels"),
    (100_000, "a decompression bomb); the limit is 25000000 pixels"),
])
def test_a_decompression_bomb_fails_without_being_decoded(write, side, message):
    started = time.monotonic()
    result = check_file(write("bomb.png", bomb(side, side)))
    assert time.monotonic() - started < 2
    verdict, messages = verdict_and(result, "content")
    assert verdict == "fail" and message in messages[0]


def test_a_pdf_with_an_embedded_file_or_javascript_fails_and_a_plain_one_is_for_a_person(write):
    embedded = check_file(write("a.pdf", pdf(attachment=as_csv(10))))
    assert "it carries an embedded file" in verdict_and(embedded, "content")[1][0]
    assert embedded.verdict.value == "fail"
    script = check_file(write("b.pdf", pdf(javascript="app.alert(1)")))
    assert "JavaScript" in verdict_and(script, "content")[1][0] and script.verdict.value == "fail"
    plain = check_file(write("c.pdf", pdf(["Figure 1: admissions by month"])))
    assert verdict_and(plain, "content") == (
        "review", ["c.pdf: a PDF: a person must look at every page (its text was also read for rows)"])


def test_opaque_content_is_capped_and_flagged_with_its_reason(write):
    small = check_file(write("weights.bin", b"\x00\x01" * 100))
    assert verdict_and(small, "content") == ("review", [
        "weights.bin: it is binary data in no format Haven can read (200 bytes): no check can "
        "read it, so a person must judge what it holds"])
    large = check_file(write("weights.bin", b"\x00\x01" * 40_000))
    assert verdict_and(large, "content")[0] == "fail"
    assert "content no check can read may be at most 65536 bytes" in verdict_and(large, "content")[1][0]


def test_archives_fail(write):
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("rows.csv", as_csv(10))
    result = check_file(write("tables.xlsx", buffer.getvalue()))
    assert "archives hold other files" in verdict_and(result, "content")[1][0]


def test_haven_check_refuses_a_renamed_table_with_exit_1(write, tmp_path):
    write("rows.md", as_csv(6000))
    done = subprocess.run([sys.executable, "-m", "haven_disclosure", "rows.md"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "FAIL   row_limit" in done.stdout and "rows.md has 6000 rows" in done.stdout
    smaller = subprocess.run([sys.executable, "-m", "haven_disclosure", "rows.md",
                              "--max-rows", "6000"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=60)
    assert "row_limit" not in smaller.stdout
