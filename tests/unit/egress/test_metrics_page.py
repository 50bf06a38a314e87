"""The checker metrics page over real HTTP (the service's tornado app on loopback, the hub
stood in for by a table of tokens, as in tests/unit/package_index/test_index_http.py):
who may see it, the period filter, the CSV, and charts whose drawing says what their tables
say (the SVG parsed as XML, each bar held to its table row)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests

from haven_egress.blobs import BlobStore
from haven_egress.metrics import Figures
from haven_egress.service import EgressService
from haven_egress.storage import open_engine, session_factory
from haven_egress.web import app as egress_app
from haven_egress.web.handlers import BaseHandler
from haven_egress.web.metrics_page import as_csv
from haven_hub import roles
from tests.fixtures.in_process import serving

from .metrics_seed import seed

PREFIX = "/services/egress/"
SVG = "{http://www.w3.org/2000/svg}"
MODELS = {
    "cara": {"name": "cara", "kind": "user", "groups": [], "scopes": [roles.REVIEW]},
    "ada": {"name": "ada", "kind": "user", "groups": [], "scopes": [roles.ADMIN]},
    "alice": {"name": "alice", "kind": "user", "groups": ["project-alpha"], "scopes": [roles.SUBMIT]},
}
CHARTS = ("turnaround", "waiting", "outcomes", "reasons", "authors")


async def hub_stand_in(self):
    return MODELS.get(self.request.headers.get("Authorization", "").removeprefix("token "))


def serve(folder, signer, seeded: bool):
    target = folder / "egress.db"
    engine = open_engine(f"sqlite:///{target}")
    blobs = BlobStore(folder / "blobs")
    if seeded:
        seed(engine, blobs, signer, now=datetime.now(timezone.utc))
    service = EgressService(session_factory(engine), blobs)
    return engine, service


@pytest.fixture(scope="module")
def base(tmp_path_factory, migrated_templates, signer):
    """Two services on loopback: one with the seeded history, one with an empty database."""
    patch = pytest.MonkeyPatch()
    patch.setattr(BaseHandler, "_identify", hub_stand_in)
    urls, engines, contexts = {}, [], []
    with ThreadPoolExecutor(2) as executor:
        for name in ("seeded", "empty"):
            folder = tmp_path_factory.mktemp(f"metrics-{name}")
            shutil.copyfile(migrated_templates["sqlite"], folder / "egress.db")
            engine, service = serve(folder, signer, seeded=name == "seeded")
            engines.append(engine)
            context = serving(lambda service=service: egress_app.make_app(service, executor, PREFIX, b"k" * 32))
            url, _app = context.__enter__()
            contexts.append(context)
            urls[name] = url + PREFIX + "metrics"
        yield urls
        for context in contexts:
            context.__exit__(None, None, None)
    for engine in engines:
        engine.dispose()
    patch.undo()


def get(url: str, token: str = "cara", **params) -> requests.Response:
    return requests.get(url, params=params, headers={"Authorization": f"token {token}"}, timeout=30,
                        allow_redirects=False)


def charts(html: str) -> dict[str, ElementTree.Element]:
    """Each chart's SVG, parsed as XML (a drawing that is not well-formed fails here)."""
    drawn = {}
    for match in re.finditer(r'<svg xmlns="http://www.w3.org/2000/svg" id="chart-(\w+)".*?</svg>', html, re.S):
        drawn[match.group(1)] = ElementTree.fromstring(match.group(0))
    assert html.count("<svg") == len(drawn)
    return drawn


def table(html: str, name: str) -> list[tuple[str, str]]:
    body = re.search(rf'<table[^>]*id="table-{name}".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [(ElementTree.fromstring(f"<x>{label}</x>").text, value)
            for label, value in re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', body)]


def test_a_checker_sees_charts_that_say_what_their_tables_say(base):
    response = get(base["seeded"], days="30")
    assert response.status_code == 200
    assert "script-src 'none'" in response.headers["Content-Security-Policy"]
    html = response.text
    drawn = charts(html)
    assert set(drawn) == set(CHARTS)
    for name, svg in drawn.items():
        # Named and described for screen readers, and the same bars as the table under it.
        assert svg.get("role") == "img"
        labelled = svg.get("aria-labelledby").split()
        assert [svg.find(f"{SVG}title").get("id"), svg.find(f"{SVG}desc").get("id")] == labelled
        bars = [(g.get("data-label"), g.get("data-value")) for g in svg.iter(f"{SVG}g")]
        assert bars == table(html, name), name
        # The bars are drawn to scale: the longest is the largest value.
        widths = [float(g.find(f"{SVG}rect").get("width")) for g in svg.iter(f"{SVG}g")]
        values = [float(value) for _, value in bars]
        if max(values):
            assert [round(w / max(widths), 3) for w in widths] == [round(v / max(values), 3) for v in values]
    assert table(html, "turnaround")[:3] == [("under 4 hours", "1"), ("4 to 24 hours", "1"), ("1 to 3 days", "1")]
    assert table(html, "reasons") == [("Small counts", "1")]  # the rule in words, never its id
    assert table(html, "authors") == [("alice", "1")]
    assert dict(table(html, "outcomes"))["Returned to the author"] == "1"
    assert "half within <strong>10.0 h</strong>" in html and "nine in ten within <strong>30.0 h</strong>" in html


def test_the_period_changes_the_figures_and_a_period_off_the_list_is_refused(base):
    year = get(base["seeded"], days="365").text
    assert table(year, "authors") == [("alice", "1"), ("bob", "1")]
    assert table(year, "reasons") == [("No automated check failed", "1"), ("Small counts", "1")]
    refused = get(base["seeded"], days="3650")
    assert refused.status_code == 400
    assert "there is no period of &#39;3650&#39; days; choose 30, 90 or 365" in refused.text
    assert 'value="90" selected' in refused.text  # shown at the default period instead, said so


def test_the_figures_as_csv(base):
    response = get(base["seeded"], days="30", format="csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="haven-checker-metrics-30-days.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["figure", "label", "value"]
    figures = {(figure, label): value for figure, label, value in rows[1:]}
    assert figures[("turnaround", "decisions")] == "3"
    assert figures[("turnaround", "median hours")] == "10.00"
    assert figures[("turnaround", "90th percentile hours")] == "30.00"
    assert figures[("waiting now", "a week or more")] == "1"
    assert figures[("return category", "Small counts")] == "1"
    assert figures[("returns by author", "alice")] == "1"
    assert get(base["seeded"], format="xlsx").status_code == 400


def test_an_analyst_is_refused_and_an_admin_is_not(base):
    for params in ({}, {"format": "csv"}):
        refused = get(base["seeded"], token="alice", **params)
        assert refused.status_code == 403 and "checker metrics" in refused.text
        assert "Small counts" not in refused.text
    assert get(base["seeded"], token="ada").status_code == 200
    assert get(base["seeded"], token="nobody").status_code == 302  # a page: off to the hub's login


def test_an_empty_database_says_there_is_nothing_yet(base):
    response = get(base["empty"])
    assert response.status_code == 200
    assert 'id="metrics-empty"' in response.text and "<svg" not in response.text


def test_a_csv_cell_a_spreadsheet_would_run_is_written_as_text():
    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    figures = Figures(days=30, since=now - timedelta(days=30), now=now, turnaround_hours=(), turnaround_bands=(),
                      waiting_by_age=(), oldest_waiting_hours=None, outcomes=(),
                      return_rules=(), returns_by_author=(("=HYPERLINK(1)", 2), ("@sum", 1), ("ada", 1)))
    rows = list(csv.reader(io.StringIO(as_csv(figures))))
    assert [row[1] for row in rows if row[0] == "returns by author"] == ["'=HYPERLINK(1)", "'@sum", "ada"]
