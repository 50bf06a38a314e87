"""What the extension sends the egress service: no project, which the service takes from this server's token."""

from haven_lab import requests as req
from haven_lab.egress import Part


def test_a_submission_names_no_project():
    prepared = [req.Prepared("out/t.csv", Part({"path": "out/t.csv", "sha256": "0" * 64}, b"a,b\n"))]
    metadata = req.submission("Table 1", "paper", prepared, keep=["out/old.csv"])
    assert metadata == {"title": "Table 1", "purpose": "paper", "files": [{"path": "out/t.csv", "sha256": "0" * 64}],
                        "keep": ["out/old.csv"], "declared": {"user_packages": {}, "sources": {}}}
    assert "project" not in req.submission("", "", prepared)
