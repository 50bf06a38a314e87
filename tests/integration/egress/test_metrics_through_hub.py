"""The checker metrics page behind the real hub: the scopes the hub grants decide who sees it
(tests/unit/egress/test_metrics_page.py holds the figures themselves to known answers)."""

from __future__ import annotations

import pytest

from .client import browser_sessions

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]


def test_checkers_see_the_metrics_and_analysts_are_refused(egress):
    egress.create_request_at("submitted")
    browse = browser_sessions(egress)
    page = browse("carol").get(egress.base + "metrics?days=30", timeout=30, allow_redirects=False)
    assert page.status_code == 200, page.text
    assert 'id="chart-waiting"' in page.text and 'id="table-waiting"' in page.text
    figures = browse("carol").get(egress.base + "metrics?format=csv", timeout=30, allow_redirects=False)
    assert figures.status_code == 200 and figures.text.startswith("figure,label,value")
    refused = browse("ada").get(egress.base + "metrics", timeout=30, allow_redirects=False)
    assert refused.status_code == 403 and "checker metrics" in refused.text
