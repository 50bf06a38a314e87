"""Accredited people through a real hub, a real egress service and a real spawn.

The hub's settings make a different kind a condition of each action (``induction`` of
logging in, ``safe_researcher`` of spawning, ``output_checker`` of reviewing), so each test
shows a missing or expired accreditation stopping its own action and nothing else, with a
control where the accreditation is current. Accreditations are recorded the way an admin
does: ``haven account accredit`` and the hub API it calls.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from datetime import date, timedelta

import pytest
import requests

from haven_hub.accounts import cli as account_cli
from haven_hub.audit.log import EventFilter, HubAuditLog
from haven_hub.auth.store import BAD_CREDENTIALS
from haven_hub.provisioning import cli as project_cli
from tests.fixtures.docker_engine import TEST_PREFIX
from tests.fixtures.hub import BRIDGE_PREFIX, Hub, running_test_hub, write_log_on_failure
from tests.fixtures.hub import test_settings as hub_settings
from tests.fixtures.login import credentials, submit_login, unused_code

from .egress.client import PREFIX, Egress

pytestmark = pytest.mark.docker

TODAY = date.today()
LONG_AGO = (TODAY - timedelta(days=400)).isoformat()
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()
NEXT_YEAR = (TODAY + timedelta(days=365)).isoformat()
ACCREDITATION = {
    "kinds": [
        {"name": "induction", "title": "Haven induction", "required_for": ["login"]},
        {"name": "safe_researcher", "title": "Safe researcher training", "required_for": ["spawn"]},
        {"name": "output_checker", "title": "Output checker training", "required_for": ["review"]},
        {"name": "data_protection", "title": "Data protection training"},
    ],
    "warn_days": 30,
}
# Everyone the tests act as holds the induction; alan and bob are left for the login tests.
INDUCTED = ("root-admin", "ada", "grace", "carol", "dave")


def accredit(hub: Hub, name: str, kind: str, expires: str, awarded: str | None = None,
             evidence: str = "certificate seen") -> None:
    """As an admin does: ``haven account accredit`` (through the hub API, with the operator token)."""
    argv = ["accredit", name, kind, "--expires", expires, "--evidence", evidence,
            "--settings", str(hub.settings_path), "--json"]
    assert account_cli.main(argv + (["--awarded", awarded] if awarded else [])) == 0


@pytest.fixture(scope="module")
def accredited_hub(tmp_path_factory, docker_client, notebook_image):
    data_dir = tmp_path_factory.mktemp("accreditation-hub")
    raw = hub_settings(data_dir, prefix=f"{TEST_PREFIX[:12]}-ac", bridge_prefix=f"{BRIDGE_PREFIX.rstrip('-')[:4]}k-")
    raw["accreditation"] = ACCREDITATION
    raw["egress"]["auth_cache_seconds"] = 1  # renewals reach the review service within a second
    with running_test_hub(data_dir, raw) as hub:
        for name in INDUCTED:
            accredit(hub, name, "induction", NEXT_YEAR)
        yield hub


@pytest.fixture
def hub(request, accredited_hub):
    logs = write_log_on_failure(request, accredited_hub)
    next(logs)
    yield accredited_hub
    next(logs, None)


@pytest.fixture(scope="module")
def egress(accredited_hub) -> Egress:
    client = Egress(hub=accredited_hub, base=accredited_hub.url + PREFIX)
    client.wait_ready()
    return client


def log_in(hub: Hub, name: str, password: str | None = None) -> requests.Response:
    secret = credentials(hub.settings, name)
    return submit_login(requests.Session(), hub.url, name, password or secret["password"],
                        unused_code(secret["totp_secret"]))


def events(hub: Hub, action: str) -> list:
    log = HubAuditLog.for_data_dir(hub.settings.hub.data_dir)
    try:
        return [stored.event for stored in log.events(EventFilter(type=action))]
    finally:
        log.close()


# -- log-in -------------------------------------------------------------------------------------


def test_login_needs_a_current_induction_and_says_so_only_after_the_right_credentials(hub):
    missing = log_in(hub, "alan")
    assert missing.status_code == 403
    assert "needs a current Haven induction accreditation (induction), and none is recorded" in missing.text
    # A wrong password still gets the one answer for bad credentials: nothing about accreditations.
    wrong = log_in(hub, "alan", password="not-the-password-at-all")
    assert wrong.status_code == 403 and BAD_CREDENTIALS.split(".")[0] in wrong.text
    assert "accreditation" not in wrong.text

    accredit(hub, "bob", "induction", YESTERDAY, awarded=LONG_AGO)
    expired = log_in(hub, "bob")
    assert expired.status_code == 403 and f"yours expired on {YESTERDAY}" in expired.text

    accredit(hub, "alan", "induction", NEXT_YEAR)  # the control: current, and alan logs in
    assert log_in(hub, "alan").status_code == 302
    refused = [e for e in events(hub, "login.failure") if e.details.get("reason") == "accreditation"]
    assert {e.actor for e in refused} >= {"alan", "bob"}


# -- spawn ----------------------------------------------------------------------------------------


def spawn_answer(hub: Hub, user: str, project: str) -> requests.Response:
    return hub.api("POST", f"/users/{user}/servers/{project}", token=hub.user_token(user))


def test_spawn_needs_the_settings_kind_and_the_projects_own_and_then_starts(hub):
    # ada logs in (induction) and may review nothing; she lacks safe_researcher: spawning alone is refused.
    refused = spawn_answer(hub, "ada", "alpha")
    assert refused.status_code == 403
    assert "Starting a project server for project 'alpha' needs a current Safe researcher training" in refused.text
    assert log_in(hub, "ada").status_code == 302  # nothing else is stopped

    accredit(hub, "ada", "safe_researcher", NEXT_YEAR)
    # The project asks for more of its members than the settings do.
    assert re.search(r"requires:\s+data_protection", _project(hub, "update", "alpha",
                                                              "--require-accreditation", "data_protection"))
    refused = spawn_answer(hub, "ada", "alpha")
    assert refused.status_code == 403 and "Data protection training" in refused.text

    accredit(hub, "ada", "data_protection", NEXT_YEAR)  # the control: everything current
    try:
        assert hub.spawn("ada", "alpha")["ready"]
    finally:
        hub.stop("ada", "alpha")
        _project(hub, "update", "alpha", "--require-accreditation", "none")
    refusals = [e for e in events(hub, "server.refused") if e.actor == "ada"]
    assert any("accreditation" in str(e.details) for e in refusals)


def _project(hub: Hub, *argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert project_cli.main([*argv, "--settings", str(hub.settings_path)]) == 0
    return out.getvalue()


def test_home_page_warns_ahead_of_expiry_and_not_before(hub):
    accredit(hub, "grace", "safe_researcher", (TODAY + timedelta(days=40)).isoformat())
    session = hub.login("grace")
    assert "accreditation expires" not in session.get(f"{hub.url}/hub/home", timeout=30).text
    soon = (TODAY + timedelta(days=10)).isoformat()
    accredit(hub, "grace", "safe_researcher", soon)
    home = session.get(f"{hub.url}/hub/home", timeout=30).text
    assert f"Your Safe researcher training accreditation expires on {soon} (in 10 days)" in home


# -- review ---------------------------------------------------------------------------------------


def test_only_a_checker_with_a_current_accreditation_votes_and_decides(hub, egress):
    accredit(hub, "dave", "output_checker", NEXT_YEAR)
    accredit(hub, "carol", "output_checker", YESTERDAY, awarded=LONG_AGO)
    response = egress.submit("ada")
    assert response.status_code == 201, response.text
    request_id = response.json()["id"]

    refused = egress.act("carol", request_id, "start-review")
    assert refused.status_code == 403 and f"yours expired on {YESTERDAY}" in refused.json()["message"]
    assert egress.act("dave", request_id, "start-review").status_code == 200  # the control
    file_id = egress.detail("dave", request_id)["versions"][-1]["files"][0]["id"]
    vote = egress.review("carol", file_id)
    assert vote.status_code == 403 and "Output checker training" in vote.json()["message"]
    # Carol still sees the queue and the request: only reviewing is stopped, and the page says why.
    page = egress.call("GET", f"requests/{request_id}", "carol")
    assert page.status_code == 200 and 'id="haven-review-refusal"' in page.text
    assert f"yours expired on {YESTERDAY}" in page.text
    assert egress.review("dave", file_id).status_code == 201

    # Renewed: after the service's short cache, carol votes.
    accredit(hub, "carol", "output_checker", NEXT_YEAR)
    time.sleep(hub.settings.egress.auth_cache_seconds + 0.5)
    assert egress.review("carol", file_id).status_code == 201


def test_the_review_page_warns_a_checker_ahead_of_expiry(hub, egress):
    soon = (TODAY + timedelta(days=5)).isoformat()
    accredit(hub, "dave", "output_checker", soon)
    time.sleep(hub.settings.egress.auth_cache_seconds + 0.5)
    queue = egress.call("GET", "", "dave")
    assert queue.status_code == 200
    assert f"Your Output checker training accreditation expires on {soon} (in 5 days)" in queue.text


# -- records and audit ----------------------------------------------------------------------------


def test_every_change_is_a_row_and_an_audit_event(hub):
    accredit(hub, "grace", "data_protection", NEXT_YEAR, evidence="DPA course 2026")
    revoked = requests.post(f"{hub.url}/hub/api/haven/accreditations/users/grace/data_protection/revoke",
                            json={"reason": "course withdrawn"}, timeout=30,
                            headers={"Authorization": f"token {hub.operator_token}", "X-Haven-Operator": "tester"})
    assert revoked.status_code == 201, revoked.text
    history = hub.api("GET", "/haven/accreditations/users/grace/history").json()
    kinds = [(c["kind"], c["change"]) for c in history if c["kind"] == "data_protection"]
    assert kinds == [("data_protection", "award"), ("data_protection", "revoke")]
    assert "data_protection" not in hub.api("GET", "/haven/accreditations/users/grace").json()["accreditations"]
    awards = [e for e in events(hub, "accreditation.award") if e.target == "user/grace"]
    assert any(e.details["evidence"] == "DPA course 2026" and e.actor.startswith("operator:") for e in awards)
    revokes = [e for e in events(hub, "accreditation.revoke") if e.target == "user/grace"]
    assert [(e.actor, e.details["reason"]) for e in revokes] == [("operator:tester", "course withdrawn")]


@pytest.mark.parametrize("path, body, status, message", [
    ("users/grace/astrology", {"expires_on": "2030-01-01"}, 400, "unknown accreditation kind"),
    ("users/grace/induction", {"expires_on": "soon"}, 400, "YYYY-MM-DD"),
    ("users/grace/induction", {}, 400, "expires_on is required"),
    ("users/grace/induction", {"expires_on": "2030-01-01", "level": 3}, 400, "unknown field"),
    ("users/nobody/induction", {"expires_on": "2030-01-01"}, 404, "no user named"),
    ("users/grace/output_checker/revoke", {"reason": ""}, 400, "say why"),
])
def test_bad_input_is_refused_and_changes_nothing(hub, path, body, status, message):
    before = hub.api("GET", "/haven/accreditations/users/grace/history").json()
    answer = hub.api("POST", f"/haven/accreditations/{path}", json=body)
    assert answer.status_code == status and message in answer.json()["message"]
    assert hub.api("GET", "/haven/accreditations/users/grace/history").json() == before


def test_people_read_and_record_nothing_without_the_scopes(hub):
    ada = hub.user_token("ada")
    assert hub.api("GET", "/haven/accreditations/users/ada", token=ada).status_code == 403
    answer = hub.api("POST", "/haven/accreditations/users/ada/induction", token=ada, json={"expires_on": NEXT_YEAR})
    assert answer.status_code == 403


# -- the admin pages ------------------------------------------------------------------------------


def test_an_administrator_records_and_revokes_on_the_admin_page(hub):
    session = hub.login("root-admin")
    base = f"{hub.url}/services/admin/"

    def post(path: str, data: dict) -> requests.Response:
        page = session.get(base + "accreditations", timeout=60)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
        return session.post(base + path, data={**data, "_xsrf": xsrf}, timeout=60, allow_redirects=False)

    bad = post("accreditations", {"name": "alan", "kind": "astrology", "expires_on": "soon"})
    assert bad.status_code == 422 and "Nothing was changed" in bad.text
    assert "give the expiry date as YYYY-MM-DD" in bad.text
    done = post("accreditations", {"name": "alan", "kind": "data_protection", "expires_on": NEXT_YEAR,
                                   "awarded_by": "DPO", "evidence": "course 7"})
    assert done.status_code == 302, done.text
    page = session.get(base + "accreditations", timeout=60).text
    assert 'id="accreditation-alan-data_protection"' in page and "course 7" in page
    assert post("accreditations/alan/data_protection/revoke", {"reason": ""}).status_code == 422
    assert post("accreditations/alan/data_protection/revoke", {"reason": "left"}).status_code == 302
    assert 'id="accreditation-alan-data_protection"' not in session.get(base + "accreditations", timeout=60).text
    awarded = [e for e in events(hub, "accreditation.award") if e.target == "user/alan"]
    assert any(e.actor == "operator:root-admin" and e.details["evidence"] == "course 7" for e in awarded)
    assert any(e.actor == "operator:root-admin" for e in events(hub, "accreditation.revoke"))
