"""Limits and file types: each violation refused with a sentence, and nothing stored."""

import json

import pytest

from haven_egress.errors import Invalid
from haven_hub.settings import Egress
from haven_egress.workflow import State
from haven_hub.settings import SettingsError, parse_settings

from tests.fixtures.media import jpeg, pdf, png

from .factories import AUTHOR, CHECKER, create_request_at_status, submit, upload

PNG = png()


def notebook(outputs: list | None = None, attachments: dict | None = None) -> bytes:
    cell = {"cell_type": "code", "source": "print(1)", "metadata": {}, "execution_count": None,
            "outputs": outputs or []}
    markdown = {"cell_type": "markdown", "source": "# notes", "metadata": {}}
    if attachments:
        markdown["attachments"] = attachments
    return json.dumps({"cells": [cell, markdown], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def table(rows: int) -> bytes:
    return b"group,count\n" + b"".join(b"g%d,%d\n" % (i, 10 + i) for i in range(rows))


GOOD = {
    "out/t.csv": table(3), "out/t.tsv": b"a\tb\n1\t2\n", "notes/readme.txt": b"plain words\n",
    "notes/README.md": b"# Results\n", "out/r.json": b'{"n": 3}', "fig/a.png": PNG,
    "fig/b.jpg": jpeg(), "fig/c.JPEG": jpeg((8, 8)), "doc/p.pdf": pdf(),
    "nb/analysis.html": b"<!doctype html><p>rendered</p>", "code/model.py": b"import duckdb\n",
    "code/fit.R": b"library(survival)\n", "code/q.sql": b"select 1;\n", "nb/clean.ipynb": notebook(),
}


def test_every_allowed_type_is_accepted_with_the_media_type_haven_found(service):
    uploads = [upload(path, content, media_type="application/evil") for path, content in GOOD.items()]
    request_id = submit(service, uploads)
    files = {f.path: f.media_type for f in service.get_request(AUTHOR, request_id).versions[0].files}
    assert files["fig/a.png"] == "image/png" and files["code/fit.R"] == "text/x-r"
    assert files["nb/clean.ipynb"] == "application/x-ipynb+json"
    assert "application/evil" not in files.values()


REFUSED = {
    "executable": ([upload("tool.exe", b"MZ\x90\x00")], "'.exe' files cannot be released"),
    "spreadsheet": ([upload("out/t.xlsx", b"PK\x03\x04")], "'.xlsx' files cannot be released; accepted types are"),
    "no extension": ([upload("out/data", b"a,b\n")], "files without an extension cannot be released"),
    "binary named png": ([upload("fig.png", b"MZ\x90\x00 not an image")], "not a PNG file"),
    "text named pdf": ([upload("p.pdf", b"hello")], "not a PDF file"),
    "a pdf that does not parse": ([upload("p.pdf", b"%PDF-1.7\n")], "does not parse as one"),
    "a png that does not decode": ([upload("fig.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)],
                                   "does not decode as an image"),
    "binary csv": ([upload("t.csv", b"a,b\n\x00\x01")], "binary content"),
    "latin-1 csv": ([upload("t.csv", "caf\xe9,1\n".encode("latin-1"))], "not UTF-8 text"),
    "broken json": ([upload("r.json", b'{"n": ')], "not valid JSON"),
    "notebook with outputs": (
        [upload("nb/a.ipynb", notebook(outputs=[{"output_type": "stream", "name": "stdout", "text": "12\n"}]))],
        "Clear its outputs"),
    "notebook with an attachment": (
        [upload("nb/a.ipynb", notebook(attachments={"a.png": {"image/png": "iVBO"}}))], "submit its HTML rendering"),
    "json that is not a notebook": ([upload("nb/a.ipynb", b"[1, 2]")], "not a Jupyter notebook"),
    "too many rows": ([upload("t.csv", table(11))], "has 11 rows; a released table may have at most 10"),
    "too many rows in a tsv": ([upload("t.tsv", b"a\n" + b"1\n" * 11)], "at most 10"),
    "type the settings removed": ([upload("code/q.sql", b"select 1;")], "'.sql' files cannot be released"),
}
SMALL = Egress(max_table_rows=10, file_types=frozenset({"csv", "tsv", "json", "png", "pdf", "ipynb"}))


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_files_change_nothing(make_service, snapshot, case):
    files, message = REFUSED[case]
    service = make_service(rules=SMALL)
    submit(service, [upload("existing.csv")])
    before = snapshot()
    with pytest.raises(Invalid, match=message):
        submit(service, [upload("ok.csv"), *files])
    assert snapshot() == before


def test_the_row_limit_counts_the_lines_a_quoted_cell_carries(make_service):
    service = make_service(rules=Egress(max_table_rows=3))
    quoted = b'group,note\na,"two\nlines"\nb,x\n\n'  # 2 records, 3 rows of lines
    assert submit(service, [upload("t.csv", quoted)])
    with pytest.raises(Invalid, match="has 4 rows"):
        submit(service, [upload("t.csv", quoted + b"c,y\n")])


def test_supporting_files_are_exempt_from_the_row_limit(make_service):
    service = make_service(rules=Egress(max_table_rows=2))
    evidence = upload("evidence/rows.csv", table(50), supporting=True)
    assert submit(service, [upload("t.csv", table(2)), evidence])


def test_resubmission_is_held_to_the_same_limits(service, snapshot):
    request_id = create_request_at_status(service, State.SUBMITTED)
    service.start_review(CHECKER, request_id)
    service.return_request(CHECKER, request_id, "round the counts")
    before = snapshot()
    with pytest.raises(Invalid, match="Clear its outputs"):
        service.resubmit(AUTHOR, request_id, [upload("nb/a.ipynb", notebook(outputs=[{"output_type": "x"}]))])
    assert snapshot() == before


def test_limits_come_from_the_settings_file():
    settings = parse_settings({"egress": {"max_table_rows": 7, "file_types": ["csv", "png"],
                                          "max_file_size": "1K", "max_files": 3}})
    rules = settings.egress
    assert (rules.max_table_rows, rules.file_types, rules.max_file_size, rules.max_files) == (
        7, ["csv", "png"], 1024, 3)
    defaults = parse_settings({}).egress
    assert (defaults.max_table_rows, defaults.max_file_size, len(defaults.file_types)) == (5000, 16 * 1024**2, 13)
    assert (defaults.max_opaque_file_size, defaults.max_image_pixels) == (64 * 1024, 25_000_000)
    assert "other" not in defaults.file_types


@pytest.mark.parametrize("bad", [{"file_types": ["exe"]}, {"file_types": []}, {"max_table_rows": 0}])
def test_the_settings_refuse_unknown_types_and_empty_limits(bad):
    with pytest.raises(SettingsError, match="egress"):
        parse_settings({"egress": bad})
