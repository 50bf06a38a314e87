"""Freeze and thaw from the admin pages: asked first, a reason required, audited as the admin."""

from __future__ import annotations

import pytest

from .conftest import ADMIN
from .test_admin_pages import events, group

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("admin_log_on_failure")]


def test_freeze_asks_for_a_reason_and_thaw_lifts_it(admin_pages, admin_hub):
    listing = admin_pages.get("")
    assert 'id="freeze-alpha"' in listing.text
    question = admin_pages.get("projects/alpha/freeze/confirm")
    assert question.status_code == 200 and "their tokens" in question.text and 'name="reason"' in question.text

    refused = admin_pages.post("projects/alpha/freeze", {"reason": "   "})
    assert refused.status_code == 422 and "incident" in refused.text
    assert not group(admin_hub, "alpha")["properties"].get("frozen")

    done = admin_pages.post("projects/alpha/freeze", {"reason": "suspected breach"})
    assert done.status_code == 302
    assert "alpha is frozen" in admin_pages.get(done.headers["Location"].split("/services/admin/")[1]).text
    properties = group(admin_hub, "alpha")["properties"]
    assert properties["frozen"] is True and properties["frozen_reason"] == "suspected breach"
    assert 'id="thaw-alpha"' in admin_pages.get("").text

    assert admin_pages.post("projects/alpha/thaw", {"reason": ""}).status_code == 422
    assert admin_pages.post("projects/alpha/thaw", {"reason": "contained"}).status_code == 302
    assert not group(admin_hub, "alpha")["properties"]["frozen"]
    trail = [(e.actor, e.action, e.details.get("reason")) for e in events(admin_hub, project="alpha", type="project")
             if e.action in ("project.freeze", "project.thaw")]
    assert trail[-2:] == [(ADMIN, "project.freeze", "suspected breach"), (ADMIN, "project.thaw", "contained")]
