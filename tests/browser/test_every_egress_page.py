"""axe-core (WCAG 2.1 AA) on every page of the egress service, each as the person who uses it.

The pages come from the service's route table (haven_egress.web.app): every GET route is
either a page for people, visited here with real data (a request with a table and a figure
under review, a returned one, an approved one, a released one, an ingress request), or named below with why it
is not one. A page added to the table without either fails ``test_every_page_route_is_visited``,
so no page slips in unchecked. Error pages people meet (no such request, a form's address
opened directly) are visited too, and the hub's page for the service while it restarts.
"""

from __future__ import annotations

import re
import uuid

import pytest

from haven_egress.web.app import PAGE_ROUTES, ROUTES
from tests.integration.egress.client import PREFIX, TABLE, Egress, browser_sessions, default_files
from tests.integration.test_service_down import service_down

from .conftest import VIEWPORT, require_axe, serious_accessibility_problems

pytestmark = pytest.mark.browser

# JSON routes: the API (under api/, described in openapi.yaml) is not HTML.
API_PREFIX = "api/"
NOT_PAGES = {
    "oauth_callback": "the hub's OAuth return address: it redirects",
    "health": "a status for monitors",
    "requests/{request_id}/files/{file_id}/preview": "the file itself (a figure, a notebook's HTML) inside the request page",
    "packages/simple/": "pip's package index (PEP 503), read by pip, not people",
    "packages/simple/{name}/": "pip's package index (PEP 503), read by pip, not people",
    "packages/files/{sha256}/{filename}": "a wheel for pip",
}
# Each page route: who opens it (an author, a checker, an administrator) and which example.
VISITS = {
    "": [("carol", "{base}"), ("root-admin", "{base}")],
    "mine": [("ada", "{base}mine")],
    "metrics": [("carol", "{base}metrics")],
    "requests/{request_id}": [("carol", "{base}requests/{under_review}"), ("ada", "{base}requests/{returned}"),
                              ("ada", "{base}requests/{released}")],
    "requests/{request_id}/{final}/confirm": [("carol", "{base}requests/{approved}/release/confirm"),
                                              ("carol", "{base}requests/{under_review}/reject/confirm")],
    "ingress": [("ada", "{base}ingress"), ("carol", "{base}ingress")],
    "ingress/{ingress_id}": [("carol", "{base}ingress/{ingress_id}")],
}
# Pages without a route of their own: an unknown request (404), a form's address opened (405).
ERROR_VISITS = [("ada", "{base}requests/" + "0" * 32, 404), ("carol", "{base}requests/{under_review}/comment", 405)]


def get_routes():
    return [route for route in ROUTES + PAGE_ROUTES if "GET" in route.methods]


def test_every_page_route_is_visited():
    pages = {route.path for route in get_routes()
             if not route.path.startswith(API_PREFIX) and route.path not in NOT_PAGES}
    assert pages == set(VISITS), "a page of the egress service is not checked here (or no longer exists)"
    assert set(NOT_PAGES) <= {route.path for route in get_routes()}, "NOT_PAGES names a route that is gone"


def make_examples(egress: Egress, open_as) -> dict[str, str]:
    title = f"Every page {uuid.uuid4().hex[:6]}"
    under_review = egress.create_request_at("under_review", files=default_files())
    approved = egress.create_request_at("approved")
    released = egress.create_request_at("released")
    returned = egress.submit("ada", "alpha", title=title, files=default_files()).json()["id"]
    assert egress.act("carol", returned, "start-review").status_code == 200
    assert egress.act("carol", returned, "return", "round the counts to 5").status_code == 200
    # An ingress request, filed through the form as an analyst files it.
    ada = open_as("ada")
    form = ada.get(egress.base + "ingress", timeout=30)
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text).group(1)
    filed = ada.post(egress.base + "ingress/files", timeout=30, data={
        "_xsrf": xsrf, "project": "alpha", "description": "ICD-10 code list",
        "justification": "defines the cohort"}, files={"file": ("codes.csv", TABLE, "text/csv")})
    assert form.status_code == 200 and filed.status_code == 200, filed.text[:500]
    ingress_id = filed.url.rstrip("/").rsplit("/", 1)[1]
    return {"base": egress.base, "under_review": under_review, "returned": returned, "approved": approved,
            "released": released,
            "ingress_id": ingress_id}


@pytest.mark.docker
@pytest.mark.usefixtures("hub_log_on_failure")
def test_axe_on_every_egress_page(browser, haven_hub):
    require_axe()
    egress = Egress(hub=haven_hub, base=haven_hub.url + PREFIX)
    egress.wait_ready()
    open_as = browser_sessions(egress)
    examples = make_examples(egress, open_as)
    contexts = {}

    def page_of(user: str):
        if user not in contexts:
            # The person's hub and service logins, from their requests session (no second
            # TOTP login per person); bypass_csp only lets the test inject axe-core.
            context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
            context.add_cookies([{"name": c.name, "value": c.value, "domain": "127.0.0.1", "path": c.path}
                                 for c in open_as(user).cookies])
            contexts[user] = context.new_page()
        return contexts[user]

    problems = {}
    try:
        visits = [(user, url, 200) for route in VISITS.values() for user, url in route] + ERROR_VISITS
        for user, url, status in visits:
            page = page_of(user)
            address = url.format(**examples)
            response = page.goto(address)
            assert response.status == status, f"{user} {address}: {response.status}"
            assert page.url == address, f"{user} was sent on to {page.url}"
            found = serious_accessibility_problems(page)
            if found:
                problems[f"{user} {address.removeprefix(haven_hub.url)}"] = found
        # And Haven's page while the service restarts (haven_hub.proxy_errors), served by the hub.
        page = page_of("carol")
        with service_down(haven_hub, "egress"):
            response = page.goto(examples["base"])
            assert response.status == 503 and page.locator("#haven-service-down").count() == 1
            found = serious_accessibility_problems(page)
            if found:
                problems["carol (the review service restarting)"] = found
    finally:
        for page in contexts.values():
            page.context.close()
    assert problems == {}
