"""One bad item never breaks a list of many: a file an attacker or a careless analyst names or
shapes oddly is refused with a sentence naming it, or shown with its own problem, while the
request's other files, the request page and the lists that hold it stay whole.

Built on the real service with its background checks running (SQLite: the pages read what
the service returns, the same from either engine)."""

from __future__ import annotations

import json
import re

import pytest

from haven_egress import checking, listing
from haven_egress.errors import Invalid
from haven_egress.texts import MAX_CONTROLS, TEXT_MAX
from haven_egress.uploads import check_uploads
from haven_egress.web import payloads
from haven_hub.settings import Egress

from .factories import AUTHOR, CHECKER, upload
# The review page's SQLite database and service with its background checks running.
from .test_review_page import CheckedService, db_url, render, service  # noqa: F401 (fixtures)

TABLE = b"group,count\na,12\nb,15\n"


# Names a workspace can hold that look odd but mislead nobody: sent and shown as themselves.
ORDINARY_ODD_NAMES = ["out/résumé ✓.csv", "out/a b  c.csv", "out/<b>x</b>.csv", "out/" + "x" * 200 + ".csv",
                      "out/données/表.csv", "out/-rf.csv"]
MISLEADING_NAMES = {
    # Shown to a checker as "out/exe.csv": the name says one thing and is another.
    "a right-to-left override": (["out/\u202evsc.exe"], "U+202E"),
    "a newline": (["out/two\nlines.csv"], "U+000A"),
    "an escape character": (["out/a\x1b[2Jb.csv"], "U+001B"),
    "half a character": (["out/a\ud800.csv"], "U+D800"),
    # No Linux folder holds it; the checks, which write each file under its own name, failed on it.
    "a name longer than a file system allows": (["out/" + "x" * 300 + ".csv"], "a file or folder name has at most 255"),
    "a path longer than the files table holds": (["/".join(["d" * 200] * 6) + ".csv"], "at most 1024"),
    # "é" as one letter and as "e" and an accent: two files no checker can tell apart.
    "two names that differ only in how a letter is encoded": (
        ["out/\u00e9.csv", "out/e\u0301.csv"], "encoded differently"),
}


@pytest.mark.parametrize("name", ORDINARY_ODD_NAMES)
def test_an_ordinary_odd_name_is_accepted_as_itself(name):
    [cleaned] = check_uploads([upload(name, TABLE)], Egress())
    assert cleaned.path == name


@pytest.mark.parametrize("case", MISLEADING_NAMES)
def test_a_misleading_or_impossible_name_is_refused_with_a_sentence_naming_it(case):
    paths, message = MISLEADING_NAMES[case]
    with pytest.raises(Invalid, match=message.replace("+", r"\+")):
        check_uploads([upload("out/fine.csv", TABLE), *(upload(p, TABLE) for p in paths)], Egress())


@pytest.mark.parametrize("field", ["description", "controls"])
def test_half_a_character_in_a_file_s_text_is_refused_before_it_is_stored(field):
    value = "rounded\ud800" if field == "description" else ["rounded\ud800"]
    with pytest.raises(Invalid, match="not valid Unicode"):
        check_uploads([upload("out/t.csv", TABLE, **{field: value})], Egress())


def test_a_json_body_spelling_half_a_character_is_refused():
    # What json.dumps sends for "\ud800" (requests, the lab): Python would read it into a str.
    body = json.dumps({"body": "see \ud800"}).encode()
    with pytest.raises(Invalid, match="not valid Unicode"):
        payloads.json_body(body)
    assert payloads.json_body(json.dumps({"body": "see 😀 \u00e9"}).encode()) == {"body": "see 😀 é"}


# ACRO's results.json, as an analyst can write it by hand: right enough to be read, with one
# field of the wrong type that the reading met later as a crash.
WRONG_SHAPES = {
    "comments a number": ({"comments": 5}, "comments that are neither text nor a list"),
    "sdc summary a list": ({"files": [{"name": "t.csv", "sdc": {"summary": [1, 2]}}]}, "'sdc' should hold"),
    "sdc cells text": ({"files": [{"name": "t.csv", "sdc": {"cells": {"threshold": "zz"}}}]}, "'sdc' should hold"),
}


@pytest.mark.parametrize("case", WRONG_SHAPES)
def test_a_results_json_of_the_wrong_shape_is_its_own_file_s_problem(service, case):
    fields, message = WRONG_SHAPES[case]
    output = {"status": "pass", "files": [{"name": "t.csv"}], **fields}
    results = json.dumps({"version": "1.0.2", "results": {"output_0": output}}).encode()
    request_id = service.submit(AUTHOR, "alpha", "Counts", "paper", [
        upload("out/t.csv", TABLE),
        upload("out/results.json", results, media_type="application/json", kind="other", supporting=True)])
    other = service.submit(AUTHOR, "alpha", "Another", "paper", [upload("out/t.csv", TABLE)])
    files = {f.path: f for f in service.get_request(CHECKER, request_id).versions[-1].files}
    table, acro = files["out/t.csv"], files["out/results.json"]
    assert table.checks["status"] == "done" and table.checks["verdict"] == "pass"
    assert acro.checks["status"] == "error" and message in acro.checks["error"]
    assert "Error(" not in acro.checks["error"]  # said in words, not as Python's exception
    # The lists that hold it stay whole: the author's panel (whole requests) and the queue.
    with service.sessions() as session:
        shown = listing.whole(session, AUTHOR, service.rules, project="alpha").requests
    assert {view.id for view in shown} == {request_id, other}
    for wanted in ("", str(acro.id)):
        status, html = render(service, CHECKER, request_id, wanted)
        assert status == 200
    assert message.replace("'", "&#39;") in html


def test_a_check_that_crashes_is_said_on_its_file_and_the_others_are_checked(service, monkeypatch):
    real = checking.check_one

    def crashes_on_one(target, *args, **kwargs):
        if target.path == "out/crash.csv":
            raise OSError(36, "File name too long", "/var/lib/haven/egress/tmp/haven-check-x/crash.csv")
        return real(target, *args, **kwargs)

    monkeypatch.setattr(checking, "check_one", crashes_on_one)
    request_id = service.submit(AUTHOR, "alpha", "Counts", "paper",
                                [upload("out/a.csv", TABLE), upload("out/crash.csv", TABLE), upload("out/b.csv", TABLE)])
    files = {f.path: f for f in service.get_request(CHECKER, request_id).versions[-1].files}
    assert files["out/crash.csv"].checks["status"] == "error"
    assert files["out/crash.csv"].checks["error"] == checking.UNEXPECTED  # no folder, no exception text
    assert all(files[p].checks["status"] == "done" for p in ("out/a.csv", "out/b.csv"))
    status, html = render(service, CHECKER, request_id, str(files["out/crash.csv"].id))
    assert status == 200 and "/var/lib/haven" not in html and "OSError" not in html


# One pasted log in any note would travel with every answer about its request, and with each
# look of the analyst's Releases panel (every 25 s): held to a page and a half, refused past it.
LONG = "x" * (TEXT_MAX + 1)
LONG_NOTES = {
    "a comment": lambda s, r: s.comment(AUTHOR, r, LONG),
    "a vote's comment": lambda s, r: s.review_file(CHECKER, _first_file(s, r), "request_changes", LONG),
    "a reason to return": lambda s, r: s.return_request(CHECKER, r, LONG),
    "a reason to withdraw": lambda s, r: s.withdraw(AUTHOR, r, LONG),
    "a purpose": lambda s, r: s.submit(AUTHOR, "alpha", "Counts", LONG, [upload("out/t.csv", TABLE)]),
    "a description": lambda s, r: s.submit(AUTHOR, "alpha", "Counts", "paper",
                                           [upload("out/t.csv", TABLE, description=LONG)]),
    "a disclosure control": lambda s, r: s.submit(AUTHOR, "alpha", "Counts", "paper",
                                                  [upload("out/t.csv", TABLE, controls=["rounded", LONG])]),
    "a revised purpose": lambda s, r: s.resubmit(AUTHOR, r, [], keep=["out/t.csv"], purpose=LONG),
}


def _first_file(service, request_id: str) -> int:
    return service.get_request(CHECKER, request_id).versions[-1].files[0].id


@pytest.mark.parametrize("note", LONG_NOTES)
def test_a_note_longer_than_a_page_and_a_half_is_refused_and_changes_nothing(service, snapshot, note):
    request_id = service.submit(AUTHOR, "alpha", "Counts", "paper", [upload("out/t.csv", TABLE)])
    service.start_review(CHECKER, request_id)
    if note == "a revised purpose":
        service.return_request(CHECKER, request_id, "round to 5")
    before = snapshot()
    with pytest.raises(Invalid, match=f"{TEXT_MAX + 1:,} characters; at most {TEXT_MAX:,}"):
        LONG_NOTES[note](service, request_id)
    assert snapshot() == before
    # At the limit it is taken.
    service.comment(AUTHOR, request_id, "y" * TEXT_MAX)
    assert service.get_request(AUTHOR, request_id).comments[-1].body == "y" * TEXT_MAX


def test_more_controls_than_a_person_reads_are_refused():
    with pytest.raises(Invalid, match=f"at most {MAX_CONTROLS}"):
        check_uploads([upload("out/t.csv", TABLE, controls=[f"c{n}" for n in range(MAX_CONTROLS + 1)])], Egress())


def test_the_page_s_text_boxes_stop_at_the_limit(service):
    request_id = service.submit(AUTHOR, "alpha", "Counts", "paper", [upload("out/t.csv", TABLE)])
    service.start_review(CHECKER, request_id)
    _, html = render(service, CHECKER, request_id)
    boxes = re.findall(r"<textarea[^>]*>", html)
    assert boxes and all(f'maxlength="{TEXT_MAX}"' in box for box in boxes), boxes
