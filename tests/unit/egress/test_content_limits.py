"""Row and size limits on content, not names (issue 11), at submit: each disguise of a 6,000-row
table is refused with a sentence naming the file, its reading and the limit, and nothing is
stored; images are stored re-encoded; PDFs and opaque files are judged by what they carry."""

from __future__ import annotations

import hashlib
import time

import pytest

from haven_egress.checking import BackgroundChecks
from haven_egress.errors import Invalid
from haven_egress.file_checks import CheckPolicy
from haven_egress.filetypes import DEFAULT_TYPES
from haven_hub.settings import Egress
from haven_egress.service import EgressService
from haven_egress.storage import session_factory
from tests.fixtures.media import jpeg, pdf, pixels, png
from tests.fixtures.row_bypasses import as_csv, behind_signatures, disguises
from tests.unit.disclosure.test_content_typing import bomb

from .factories import AUTHOR, PROJECT, submit, upload

ROWS = 6000
WITH_OTHER = Egress(file_types=DEFAULT_TYPES | {"other"})


def stored(service, request_id) -> dict:
    return {f.path: f for f in service.get_request(AUTHOR, request_id).versions[-1].files}


@pytest.mark.parametrize("case", list(disguises(ROWS)))
def test_a_6000_row_table_is_refused_at_submit_in_every_disguise(service, snapshot, case):
    name, content = disguises(ROWS)[case]
    before = snapshot()
    with pytest.raises(Invalid) as refusal:
        submit(service, [upload(name, content, kind="other")])
    message = str(refusal.value)
    assert message.startswith(f"{name} has ") and "a released table may have at most 5000 (read as " in message
    assert snapshot() == before


@pytest.mark.parametrize("case", list(behind_signatures(ROWS)))
def test_a_table_behind_a_forged_signature_is_refused(service, snapshot, case):
    name, content = behind_signatures(ROWS)[case]
    before = snapshot()
    with pytest.raises(Invalid, match=f"^{name}: "):
        submit(service, [upload(name, content, kind="other")])
    assert snapshot() == before


@pytest.mark.parametrize("case", list(disguises(12)))
def test_a_small_table_passes_in_every_format(service, case):
    name, content = disguises(12)[case]
    assert submit(service, [upload(name, content, kind="other")])


def test_the_preflight_refuses_what_submit_refuses(service, snapshot):
    name, content = disguises(ROWS)["renamed .txt"]
    before = snapshot()
    with pytest.raises(Invalid, match="out/rows.txt has 6000 rows"):
        service.preflight(AUTHOR, PROJECT, [upload(name, content)])
    assert snapshot() == before


def test_supporting_files_are_still_exempt(service):
    assert submit(service, [upload("out/t.csv", as_csv(3)),
                            upload("evidence/rows.txt", as_csv(ROWS), supporting=True)])


def test_a_png_is_stored_re_encoded_without_what_rode_along(service, blobs):
    original = png((20, 10), pnginfo=_text_chunk("patient 12345, born 1970"))
    uploaded = original + b"id,age\n1,34\n2,56\n"  # bytes after IEND
    request_id = submit(service, [upload("fig/plot.png", uploaded, kind="figure")])
    file = stored(service, request_id)["fig/plot.png"]
    kept = blobs.read(file.sha256)
    assert kept != uploaded and file.sha256 == hashlib.sha256(kept).hexdigest()
    assert file.size == len(kept) and file.media_type == "image/png"
    assert pixels(kept) == pixels(original)
    assert b"patient 12345" not in kept and b"id,age" not in kept
    assert kept.endswith(b"IEND\xaeB`\x82")


def test_a_jpeg_is_stored_re_encoded_without_its_exif(service, blobs):
    original = jpeg((32, 32))
    request_id = submit(service, [upload("fig/photo.jpg", original, kind="figure")])
    file = stored(service, request_id)["fig/photo.jpg"]
    kept = blobs.read(file.sha256)
    assert kept != original and kept.startswith(b"\xff\xd8\xff") and b"secret caption" not in kept
    size, mode, data = pixels(kept)
    assert (size, mode) == pixels(original)[:2]
    # JPEG is lossy: re-encoded at quality 95 the pixels stay within a few levels.
    assert max(abs(a - b) for a, b in zip(data, pixels(original)[2])) <= 8


def test_an_image_that_does_not_decode_is_refused(service, snapshot):
    before = snapshot()
    with pytest.raises(Invalid, match="fig/plot.png: it does not decode as an image"):
        submit(service, [upload("fig/plot.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, kind="figure")])
    assert snapshot() == before


def test_a_decompression_bomb_is_refused_quickly(service, snapshot):
    before = snapshot()
    started = time.monotonic()
    with pytest.raises(Invalid, match="decompression bomb"):
        submit(service, [upload("fig/bomb.png", bomb(), kind="figure")])
    assert time.monotonic() - started < 2
    assert snapshot() == before


def test_the_pixel_limit_is_a_setting(make_service):
    service = make_service(rules=Egress(max_image_pixels=100))
    with pytest.raises(Invalid, match="claims 20×10 pixels; the limit is 100 pixels"):
        submit(service, [upload("fig/plot.png", png((20, 10)), kind="figure")])
    assert submit(service, [upload("fig/plot.png", png((10, 10)), kind="figure")])


def test_a_pdf_with_an_embedded_file_or_script_is_refused(service, snapshot):
    before = snapshot()
    with pytest.raises(Invalid, match="doc/a.pdf: it carries an embedded file"):
        submit(service, [upload("doc/a.pdf", pdf(attachment=as_csv(ROWS)))])
    with pytest.raises(Invalid, match="doc/b.pdf: it carries JavaScript"):
        submit(service, [upload("doc/b.pdf", pdf(javascript="app.alert(1)"))])
    assert snapshot() == before


def test_opaque_content_is_capped(make_service, snapshot):
    service = make_service(rules=WITH_OTHER)
    before = snapshot()
    with pytest.raises(Invalid, match="out/model.bin: it is binary data in no format Haven can read "
                                      r"\(70000 bytes\); content no check can read may be at most 65536"):
        submit(service, [upload("out/model.bin", b"\x00\x01" * 35_000)])
    assert snapshot() == before
    assert submit(service, [upload("out/model.bin", b"\x00\x01" * 100)])


def test_without_the_other_type_unknown_names_are_refused_as_before(service):
    with pytest.raises(Invalid, match="'.bin' files cannot be released"):
        submit(service, [upload("out/model.bin", b"\x00\x01")])


@pytest.fixture
def checked(engine, blobs, signer):
    checks = BackgroundChecks(session_factory(engine), blobs, CheckPolicy())
    service = EgressService(session_factory(engine), blobs, WITH_OTHER, signer=signer, checks=checks)
    checks.start()
    yield service, checks
    checks.stop()


def test_the_checker_is_shown_why_a_person_must_look(checked):
    service, checks = checked
    request_id = submit(service, [upload("doc/plot.pdf", pdf(["Figure 1"]), kind="figure"),
                                  upload("out/model.bin", b"\x00\x01" * 100, kind="other"),
                                  upload("out/counts.txt", as_csv(12))])
    assert checks.wait_idle(30)
    files = stored(service, request_id)
    messages = {path: [f["message"] for f in file.checks["findings"] if f["rule"] == "content"]
                for path, file in files.items()}
    assert messages["doc/plot.pdf"] == [
        "plot.pdf: a PDF: a person must look at every page (its text was also read for rows)"]
    assert messages["out/model.bin"] == [
        "model.bin: it is binary data in no format Haven can read (200 bytes): no check can read "
        "it, so a person must judge what it holds"]
    assert messages["out/counts.txt"] == [
        "counts.txt: its name says .txt but it reads as a comma-delimited table; judge it as a table"]
    assert all(file.checks["verdict"] == "review" for file in files.values())


def _text_chunk(text: str):
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    return info
