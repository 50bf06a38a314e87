"""The public transparency register on a running Haven, through the proxy, without a login: it
shows exactly what is public (markers planted in every other field of two real projects never
appear in its HTML, JSON or CSV), counts a release filed in the real egress database, and every
other admin page still asks for a login. (Off, its addresses are 404: test_operations.)

Also ``haven report`` and the RO-Crate export against the same Haven."""

from __future__ import annotations

import hashlib
import json
import secrets
import time

import pytest
import requests

from haven_egress import audit as egress_audit
from haven_egress.blobs import BlobStore
from haven_egress.models import audit_events
from haven_egress.permissions import Caller, Role
from haven_egress.provenance import HubAnswer
from haven_egress.service import EgressService
from haven_egress.signing import Signer
from haven_egress.storage import open_engine, session_factory
from haven_egress.uploads import FileUpload
from haven_egress.web.startup import data_dir, database_url
from haven_hub.admin.app import PUBLIC_HANDLERS, ROUTES
from haven_hub.audit.log import EventFilter, HubAuditLog
from haven_hub.governance import report_cli
from haven_hub.provisioning import cli as project_cli
from tests.fixtures.in_process import sample_paths
from tests.unit.governance.crate_checks import check_crate, of_type

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

RUN = secrets.token_hex(3)
OPEN, HIDDEN = f"reg-open-{RUN}", f"reg-hidden-{RUN}"
SECRET = f"SECRET{RUN}"  # every marker that must never be public contains it
PUBLIC = f"PUBLIC{RUN}"


def project(hub, *args: str) -> None:
    assert project_cli.main([*args, "--settings", str(hub.settings_path)]) == 0, args


@pytest.fixture(scope="module")
def planted(haven_hub):
    project(haven_hub, "create", OPEN, "--title", f"{PUBLIC} open title", "--lay-summary", f"{PUBLIC} open summary",
            "--lead", f"{PUBLIC} open lead", "--organisation", f"{PUBLIC} open org", "--purpose", f"{SECRET} purpose",
            "--member", "alan", "--dataset", "admissions", "--start-date", "2026-01-01", "--end-date", "2030-12-31")
    project(haven_hub, "create", HIDDEN, "--title", f"{SECRET} hidden title", "--lay-summary", f"{PUBLIC} hidden summary",
            "--lead", f"{SECRET} hidden lead", "--organisation", f"{SECRET} hidden org", "--purpose", f"{SECRET} purpose",
            "--member", "bob", "--dataset", "patients", "--confidential", "id", "--confidential", "title",
            "--confidential", "lead", "--confidential", "organisation")
    project(haven_hub, "suspend", HIDDEN, "--reason", f"{SECRET} incident")
    request_id = release_one(haven_hub.settings, HIDDEN)
    yield request_id
    for project_id in (OPEN, HIDDEN):
        project(haven_hub, "archive", project_id, "--reason", "register test done")


def release_one(settings, project_id: str) -> str:
    """A request filed, reviewed by two checkers and released, in the running Haven's egress database
    (the service's own code on its own store, its audit chain kept anchored)."""
    engine = open_engine(database_url(settings))
    egress_audit.anchor_table(engine, audit_events, egress_audit.anchor_for(settings, data_dir(settings)))
    record = {"format": "haven-provenance/1", "datasets": [{"name": "patients", "version": "1"}]}
    service = EgressService(session_factory(engine), BlobStore(data_dir(settings) / "blobs"), settings.egress,
                            signer=Signer.load_or_create(data_dir(settings) / "signing"),
                            hub_records=lambda user, server: HubAnswer(record))
    author = Caller("bob", frozenset({Role.ANALYST}), frozenset({project_id}), project_id)
    content = b"group,count\na,120\nb,150\n"
    files = [FileUpload(path=f"out/{SECRET}-{name}.csv", content=content, sha256=hashlib.sha256(content).hexdigest(),
                        media_type="text/csv", description=f"{SECRET} file", controls=["rounded to 10"],
                        kind="frequency_table") for name in ("t1", "t2")]
    request_id = service.submit(author, project_id, f"{SECRET} request title", f"{SECRET} request purpose", files)
    checkers = [Caller(name, frozenset({Role.CHECKER})) for name in ("carol", "dave")]
    service.start_review(checkers[0], request_id)
    for checker in checkers:
        for file in service.get_request(checker, request_id).versions[-1].files:
            service.review_file(checker, file.id, "approve", "")
    service.release(checkers[0], request_id)
    engine.dispose()
    return request_id


def get(hub, path: str) -> requests.Response:
    # A fresh session each time: no cookie, no token, nothing of anyone's login.
    return requests.get(f"{hub.url}/services/admin/{path}", timeout=30, allow_redirects=False)


def register_json(hub) -> dict:
    deadline = time.monotonic() + 20
    while True:  # the register is rebuilt at most every few seconds
        response = get(hub, "register/register.json")
        assert response.status_code == 200, response.text
        body = response.json()
        if any(p["outputs_released"] for p in body["projects"] if p["lay_summary"] == f"{PUBLIC} hidden summary"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(1)


def test_the_register_shows_exactly_what_is_public_without_a_login(haven_hub, planted):
    body = register_json(haven_hub)
    responses = {path: get(haven_hub, path) for path in ("register", "register/register.json",
                                                         "register/projects.csv", "register/datasets.csv")}
    for path, response in responses.items():
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        assert SECRET not in response.text, path  # purposes, reasons, confidential fields, request titles, files
        assert HIDDEN not in response.text, path  # a confidential id is not even a reference
        if path != "register/datasets.csv":
            assert f"{PUBLIC} open lead" in response.text and f"{PUBLIC} hidden summary" in response.text, path
    assert responses["register/projects.csv"].headers["Content-Type"].startswith("text/csv")
    by_summary = {p["lay_summary"]: p for p in body["projects"]}
    hidden, open_ = by_summary[f"{PUBLIC} hidden summary"], by_summary[f"{PUBLIC} open summary"]
    assert hidden["reference"].startswith("confidential-") and hidden["title"] is None and hidden["lead"] is None
    assert (hidden["status"], hidden["datasets"], hidden["outputs_released"]) == ("active", ["patients"], 2)
    assert [r["outputs"] for r in hidden["releases"]] == [2]
    assert (open_["reference"], open_["organisation"], open_["start_date"]) == (OPEN, f"{PUBLIC} open org", "2026-01-01")
    # No member names, in any project's entry.
    assert all("alan" not in json.dumps(p) and "bob" not in json.dumps(p) for p in (hidden, open_))
    datasets = {d["name"]: d for d in body["datasets"]}
    assert OPEN in datasets["admissions"]["used_by"] and hidden["reference"] in datasets["patients"]["used_by"]
    assert datasets["admissions"]["size_band"] == "1,000 to 100,000 rows"  # the test catalogue's 5,000 rows


def test_with_the_register_on_every_other_admin_page_still_needs_a_login(haven_hub):
    public = 0
    for route in ROUTES:
        for path in sample_paths(route.pattern):
            response = get(haven_hub, path)
            if route.handler in PUBLIC_HANDLERS:
                assert response.status_code == 200, f"{path}: {response.status_code}"
                public += 1
            else:
                assert response.status_code in (302, 405), f"{path}: {response.status_code}"
                assert response.status_code == 405 or "/hub/api/oauth2/authorize" in response.headers["Location"]
    assert public == 5  # health, the page, the JSON and the two CSVs (the reports tab is not public)
    # Only GET: the register takes nothing.
    assert requests.post(f"{haven_hub.url}/services/admin/register", timeout=30).status_code == 405


def test_reports_and_the_ro_crate_of_a_project_with_known_events(haven_hub, planted, capsys, tmp_path):
    settings = ["--settings", str(haven_hub.settings_path)]
    assert report_cli.main(["requests", "--project", HIDDEN, "--json", *settings]) == 0
    assert json.loads(capsys.readouterr().out) == {HIDDEN: {"released": 1}}
    assert report_cli.main(["outputs", "--dataset", "patients", "--json", *settings]) == 0
    [patients] = json.loads(capsys.readouterr().out)
    assert HIDDEN in patients["projects"] and patients["outputs"] >= 2
    crate_file = tmp_path / "ro-crate-metadata.json"
    assert report_cli.main(["crate", HIDDEN, "--output", str(crate_file), *settings]) == 0
    graph = check_crate(json.loads(crate_file.read_text()))
    assert {p["name"] for p in of_type(graph, "Person")} >= {"bob", "carol", "dave", f"{SECRET} hidden lead"}
    assert [a["name"] for a in of_type(graph, "AuthorizeAction")] == ["Release request approved",
                                                                      "Release request released"]
    assert len([a for a in of_type(graph, "AssessAction") if a["agent"]["@id"].startswith("#person-")]) == 4
    # The export is audited: it names people.
    exported = HubAuditLog.from_settings(haven_hub.settings).events(EventFilter(project=HIDDEN, type="report.crate"))
    assert [e.event.details["entities"] for e in exported] == [len(graph)]
    assert report_cli.main(["crate", "no-such-project", *settings]) == 1


def test_the_reports_tab_shows_the_counts_and_hands_an_administrator_the_crate(haven_hub, planted):
    admin = haven_hub.login("root-admin")
    page = admin.get(f"{haven_hub.url}/services/admin/reports", timeout=60)
    assert page.status_code == 200, page.text
    requests_table = page.text.split('id="haven-report-requests"')[1].split("</table>")[0]
    assert f"<td>{HIDDEN}</td><td>released</td><td>1</td>" in requests_table
    crate = admin.get(f"{haven_hub.url}/services/admin/reports/crate/{HIDDEN}", timeout=60)
    assert crate.status_code == 200 and crate.headers["Content-Type"].startswith("application/ld+json")
    check_crate(crate.json())
    exported = HubAuditLog.from_settings(haven_hub.settings).events(EventFilter(project=HIDDEN, type="report.crate"))
    assert exported[-1].event.actor == "root-admin"
    assert admin.get(f"{haven_hub.url}/services/admin/reports/crate/no-such-project", timeout=60).status_code == 404
    # An analyst is not an administrator: no reports, no crate.
    analyst = haven_hub.login("ada")
    assert analyst.get(f"{haven_hub.url}/services/admin/reports/crate/{HIDDEN}", timeout=60).status_code == 403
