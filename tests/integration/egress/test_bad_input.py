"""Bad input gets a clear 4xx and changes nothing: no row, no audit event, no blob."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.hub import EGRESS_MAX_FILE_SIZE

from .client import TABLE, default_files, file_entry, snapshot

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

LIMIT = 64 * 1024
NOTEBOOK_WITH_OUTPUT = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    {"cell_type": "code", "source": "df.groupby('g').size()", "metadata": {}, "execution_count": 1,
     "outputs": [{"output_type": "execute_result", "data": {"text/plain": "a 3"}, "metadata": {}, "execution_count": 1}]},
]}).encode()
assert EGRESS_MAX_FILE_SIZE == "64K"

BAD_SUBMISSIONS = {
    "declared sha256 does not match": (
        [file_entry("out/t.csv", TABLE, sha256="0" * 64)], "does not match its declared SHA-256"),
    "file over the size limit": (
        [file_entry("out/big.csv", b"x" * (LIMIT + 1))], f"limit per file is {LIMIT}"),
    "path with ..": ([file_entry("../../etc/passwd", TABLE)], "outside the project workspace"),
    "absolute path": ([file_entry("/etc/passwd", TABLE)], "is absolute"),
    "unknown kind": ([file_entry("out/t.csv", TABLE, kind="spreadsheet")], "kind must be one of"),
    "no files": ([], "at least one file"),
    "a type not on the allowlist": ([file_entry("out/t.xlsx", b"PK\x03\x04")], "'.xlsx' files cannot be released"),
    "an executable named as a figure": (
        [file_entry("out/fig.png", b"\x7fELF\x02\x01", kind="figure")], "not a PNG file"),
    "a notebook with outputs": ([file_entry("nb/a.ipynb", NOTEBOOK_WITH_OUTPUT, kind="notebook")],
                                "submit its HTML rendering instead"),
    "a table over the row limit": ([file_entry("out/rows.csv", b"id,n\n" + b"1,2\n" * 5001)],
                                   "has 5001 rows; a released table may have at most 5000"),
    "more files than allowed": ([file_entry(f"out/t{i}.csv", TABLE) for i in range(51)],
                                "at most 50 files; this one has 51"),
    # Names that would mislead a checker or break a list: refused, naming the character.
    "a right-to-left override in a name": ([file_entry("out/\u202evsc.exe", TABLE)], "U+202E"),
    "a newline in a name": ([file_entry("out/two\nlines.csv", TABLE)], "U+000A"),
    "a name no file system holds": ([file_entry("out/" + "x" * 300 + ".csv", TABLE)], "at most 255"),
    "two names that differ only in how a letter is encoded": (
        [file_entry("out/\u00e9.csv", TABLE), file_entry("out/e\u0301.csv", TABLE)], "encoded differently"),
    # JSON's "\ud800" (half a character): stored in a JSON column, it made the request page fail.
    "half a character in a control": ([file_entry("out/t.csv", TABLE, controls=["rounded\ud800"])],
                                      "not valid Unicode"),
    # A pasted log would travel with every look of the analyst's Releases panel.
    "a description longer than a page and a half": (
        [file_entry("out/t.csv", TABLE, description="x" * 4001)], "4,001 characters; at most 4,000"),
}


@pytest.mark.parametrize("case", BAD_SUBMISSIONS)
def test_bad_submissions_are_refused_and_change_nothing(egress, egress_data_dir, case):
    files, message = BAD_SUBMISSIONS[case]
    before = snapshot(egress_data_dir)
    response = egress.submit("ada", "alpha", files)
    assert response.status_code == 422, response.text
    assert message in response.json()["message"]
    assert snapshot(egress_data_dir) == before


def test_malformed_metadata_is_refused(egress, egress_data_dir):
    before = snapshot(egress_data_dir)
    token = egress.hub.server_token("ada", "alpha")
    no_metadata = egress.call("POST", "api/requests", token=token, files={"file-0": ("t.csv", TABLE)})
    assert no_metadata.status_code == 422 and "metadata" in no_metadata.json()["message"]
    not_json = egress.call("POST", "api/requests", token=token, data={"metadata": "{nope"},
                           files={"file-0": ("t.csv", TABLE)})
    assert not_json.status_code == 422 and "not valid JSON" in not_json.json()["message"]
    entry, _ = default_files()[0]
    missing_part = egress.call("POST", "api/requests", token=token,
                               data={"metadata": json.dumps({"title": "t", "files": [entry]})})
    assert missing_part.status_code == 422 and "file-0" in missing_part.json()["message"]
    assert snapshot(egress_data_dir) == before


def test_half_a_character_in_a_comment_is_refused_and_changes_nothing(egress, egress_data_dir):
    request_id = egress.create_request_at("submitted")
    before = snapshot(egress_data_dir)
    # requests sends it as JSON spells it, a backslash and "ud800"; read as text, no page could show it.
    response = egress.call("POST", f"api/requests/{request_id}/comments", "ada", json={"body": "see \ud800"})
    assert response.status_code == 422 and "not valid Unicode" in response.json()["message"]
    assert snapshot(egress_data_dir) == before
    assert egress.call("GET", f"api/requests/{request_id}", "ada").status_code == 200


@pytest.mark.parametrize("path", ["api/requests/" + "0" * 32, "api/requests/not-an-id", "api/requests/..%2F..%2Fx"])
def test_unknown_or_forged_request_ids_are_not_found(egress, egress_data_dir, path):
    before = snapshot(egress_data_dir)
    assert egress.call("GET", path, "carol").status_code == 404
    assert egress.call("POST", path + "/start-review", "carol").status_code == 404
    assert snapshot(egress_data_dir) == before


@pytest.mark.parametrize("file_id", ["999999999", "abc", "-1"])
def test_unknown_file_ids_are_not_found(egress, file_id):
    assert egress.call("GET", f"api/files/{file_id}/download", "ada").status_code == 404
    assert egress.call("POST", f"api/files/{file_id}/reviews", "carol", json={"decision": "approve"}).status_code == 404


def test_a_vote_needs_a_known_decision_and_a_reason_to_refuse(egress):
    request_id = egress.create_request_at("under_review")
    file_id = egress.detail("carol", request_id)["versions"][0]["files"][0]["id"]
    assert egress.review("carol", file_id, "maybe").status_code == 422
    assert "comment is required" in egress.review("carol", file_id, "reject").json()["message"]
    assert egress.call("POST", f"api/files/{file_id}/reviews", "carol", data=b"[1]").status_code == 422
    assert egress.detail("carol", request_id)["versions"][0]["files"][0]["reviews"] == []


def test_an_upload_over_the_request_limit_is_refused_before_it_is_read(egress, egress_data_dir):
    before = snapshot(egress_data_dir)
    limit = egress.hub.settings.egress.max_request_size  # "64M" in the test settings' defaults
    assert limit == 64 * 1024**2
    big = b"x" * (65 * 1024 * 1024 + 1)  # more than the limit plus the room for multipart framing
    response = egress.call("POST", "api/requests", token=egress.hub.server_token("ada", "alpha"),
                           data={"metadata": "{}"}, files={"file-0": ("big.csv", big)})
    assert response.status_code == 413, response.text
    assert "a request may hold at most 67108864 bytes of files" in response.json()["message"]
    assert snapshot(egress_data_dir) == before
