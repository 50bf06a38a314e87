"""What the Releases panel hands the release dialog to revise a returned request (issue 15):
each file with what the author said of it, named by the workspace file it was made from."""

from haven_lab import requests as req

RETURNED = {
    "id": "r1", "title": "Table 1", "purpose": "paper", "state": "returned", "version": 1,
    "versions": [{
        "files": [
            {"id": 1, "path": "workspace/analysis.html", "kind": "notebook", "description": "the analysis",
             "controls": ["no tables under 10"], "reviews": [
                 {"reviewer": "carol", "comment": "round it", "visibility": "shared"},
                 {"reviewer": "carol", "comment": "checkers only", "visibility": "checkers"}]},
            {"id": 2, "path": "workspace/t.csv", "kind": "frequency_table", "description": "counts",
             "controls": ["rounded to 5", "suppressed below 10"], "reviews": []},
        ],
        "provenance": {"declared_by_server": {"sources": {"workspace/analysis.html": "workspace/analysis.ipynb"}}},
    }],
    "history": [{"version": 1, "state": "returned", "action": "return", "actor": "carol", "reason": "round it"}],
}


def test_each_file_comes_with_its_source_description_and_controls():
    files = req.for_the_panel(RETURNED, "https://haven.example")["files"]
    assert [(f["path"], f["source"]) for f in files] == [
        ("workspace/analysis.html", "workspace/analysis.ipynb"),  # revised from the notebook, rendered again
        ("workspace/t.csv", "workspace/t.csv"),
    ]
    assert files[1]["controls"] == ["rounded to 5", "suppressed below 10"] and files[1]["description"] == "counts"
    assert [c["body"] for c in files[0]["comments"]] == ["round it"]  # shared comments only


def test_a_request_filed_before_sources_were_declared_names_each_file_as_sent():
    before = {**RETURNED, "versions": [{**RETURNED["versions"][0], "provenance": None}]}
    assert [f["source"] for f in req.for_the_panel(before, "")["files"]] == [
        "workspace/analysis.html", "workspace/t.csv"]


def test_each_files_comments_carry_the_vote_and_the_files_shared_discussion():
    # The panel names the files a checker asked to change from the vote's decision, and shows
    # the file's discussion thread (issue 16 item 5) with it; checker-only messages never.
    version = {**RETURNED["versions"][0]}
    first = {**version["files"][0],
             "reviews": [{"reviewer": "carol", "comment": "round it", "visibility": "shared",
                          "decision": "request_changes"}],
             "comments": [{"version": 1, "author": "dave", "body": "agree, base 5", "visibility": "shared"},
                          {"version": 1, "author": "dave", "body": "between us", "visibility": "private"}]}
    returned = {**RETURNED, "versions": [{**version, "files": [first, version["files"][1]]}]}
    comments = req.for_the_panel(returned, "")["files"][0]["comments"]
    assert [(c["author"], c["body"], c.get("decision")) for c in comments] == [
        ("carol", "round it", "request_changes"), ("dave", "agree, base 5", None)]


def test_what_checkers_said_of_an_earlier_version_stays_in_the_panel_after_a_resubmission():
    resubmitted = {**RETURNED, "state": "submitted", "version": 2,
                   "versions": [RETURNED["versions"][0], {"files": [{"id": 3, "path": "workspace/t.csv",
                                                                      "reviews": []}]}]}
    shown = req.for_the_panel(resubmitted, "")
    assert shown["files"][0]["comments"] == []
    assert [c["body"] for c in shown["comments"]] == ["version 1, workspace/analysis.html: round it"]
