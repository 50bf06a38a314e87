"""Through real HTTP, a real hub's login and the egress service it started: an analyst files a
code list from the browser, a checker approves it, and a real container of the notebook image,
run as the project servers run (uid, workspace bind mount), finds it with its checksum."""

from __future__ import annotations

import hashlib
import re

import pytest

from haven_hub.spawner import WORKSPACE_MOUNT
from tests.fixtures.docker_engine import TEST_PREFIX
from tests.integration.egress.client import browser_sessions, snapshot

pytestmark = pytest.mark.docker

CODE_LIST = b"code,term\nE11,Type 2 diabetes mellitus\nI10,Essential hypertension\n"


@pytest.fixture(scope="module")
def browse(egress):
    return browser_sessions(egress)


def xsrf(session, url: str) -> str:
    return re.search(r'name="haven-xsrf" content="([^"]+)"', session.get(url, timeout=30).text).group(1)


def file_code_list(egress, session, name: str = "codes.csv", content: bytes = CODE_LIST, project: str = "alpha"):
    token = xsrf(session, egress.base + "ingress")
    return session.post(egress.base + "ingress/files", timeout=60, allow_redirects=False,
                        data={"_xsrf": token, "project": project, "description": "ICD-10 code list",
                              "justification": "to define the cohort"},
                        files={"file": (name, content, "text/csv")})


def decide(egress, session, request_id: str, word: str, reason: str = ""):
    token = xsrf(session, f"{egress.base}ingress/{request_id}")
    return session.post(f"{egress.base}ingress/{request_id}/{word}", data={"_xsrf": token, "reason": reason},
                        timeout=60, allow_redirects=False)


def test_an_approved_code_list_arrives_in_the_workspace(egress, browse, egress_data_dir, docker_client,
                                                       notebook_image):
    filed = file_code_list(egress, browse("ada"))
    assert filed.status_code == 303, filed.text
    request_id = re.search(r"ingress/([0-9a-f]{32})", filed.headers["Location"]).group(1)

    # The author cannot approve their own request; a checker who is a member of the project
    # neither (grace is in alpha); an outside checker can, with a reason.
    assert decide(egress, browse("ada"), request_id, "approve", "mine is fine").status_code == 403
    assert decide(egress, browse("grace"), request_id, "approve", "fine").status_code == 403
    assert decide(egress, browse("carol"), request_id, "approve", "").status_code == 422
    page = browse("carol").get(f"{egress.base}ingress/{request_id}", timeout=30)
    assert "E11,Type 2 diabetes mellitus" in page.text  # the checker reads what comes in
    approved = decide(egress, browse("carol"), request_id, "approve", "a published NHS code list")
    assert approved.status_code == 303, approved.text
    shown = browse("ada").get(f"{egress.base}ingress/{request_id}", timeout=30).text
    digest = hashlib.sha256(CODE_LIST).hexdigest()
    assert 'id="ingress-state">delivered<' in shown and digest in shown
    assert f"imports/{request_id}/codes.csv" in shown

    settings = egress.hub.settings
    workspace = settings.hub.data_dir / "projects" / "alpha" / "workspace"
    uid = settings.spawner.container_uid
    output = docker_client.containers.run(
        notebook_image.id, ["sha256sum", f"imports/{request_id}/codes.csv"], entrypoint=[],
        user=f"{uid}:{uid}", working_dir=WORKSPACE_MOUNT, network_mode="none", remove=True,
        name=f"{TEST_PREFIX}-ingress-arrival", volumes={str(workspace): {"bind": WORKSPACE_MOUNT, "mode": "rw"}})
    assert output.decode().split()[0] == digest


def test_bad_files_are_refused_with_a_sentence_and_change_nothing(egress, browse, egress_data_dir):
    session = browse("ada")
    before = snapshot(egress_data_dir)
    for name, content, status, words in [
        ("../../etc/cron.d/x.csv", CODE_LIST, 422, "not a path"),
        ("tool.exe", b"MZ\x00", 422, "not imported"),
        ("big.csv", b"a,b\n" * (egress.hub.settings.egress.ingress.max_file_size // 4 + 1), 422, "at most"),
    ]:
        refused = file_code_list(egress, session, name, content)
        assert refused.status_code == status, (name, refused.status_code)
        assert words in refused.text, name
    outsider = file_code_list(egress, browse("ada"), project="beta")  # ada is not in beta
    assert outsider.status_code == 403
    after = snapshot(egress_data_dir)
    after.pop("audit_events", None), before.pop("audit_events", None)  # refusals are audited, by design
    assert after == before


def test_an_analyst_sees_their_projects_requests_and_not_others(egress, browse):
    filed = file_code_list(egress, browse("ada"), name="lookup.csv")
    request_id = re.search(r"ingress/([0-9a-f]{32})", filed.headers["Location"]).group(1)
    assert request_id in browse("grace").get(egress.base + "ingress", timeout=30).text  # grace is in alpha
    assert request_id not in browse("bob").get(egress.base + "ingress", timeout=30).text
    assert browse("bob").get(f"{egress.base}ingress/{request_id}", timeout=30).status_code == 404
