"""A project server's own hub token can submit release requests and nothing more.

The token is JupyterHub's "server" role (hub/haven_hub/roles.py: server_role). grace is an
analyst and an output checker: her own token may review, her server's must not.
"""

from __future__ import annotations

import json

import pytest

from tests.integration.egress.client import TABLE, sha256

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]

# Runs inside the container with the server's environment: the token and the URL the
# spawner gave it, nothing from the test.
CALL = r"""
import json, os, sys, urllib.request, urllib.error
method, path, body, content_type = sys.argv[1:5]
request = urllib.request.Request(os.environ["HAVEN_EGRESS_URL"] + path, method=method,
                                 data=body.encode() if body else None,
                                 headers={"Authorization": "token " + os.environ["JUPYTERHUB_API_TOKEN"],
                                          **({"Content-Type": content_type} if content_type else {})})
try:
    with urllib.request.urlopen(request, timeout=20) as response:
        print(json.dumps({"status": response.status, "body": json.loads(response.read())}))
except urllib.error.HTTPError as error:
    print(json.dumps({"status": error.code, "body": json.loads(error.read() or b"{}")}))
"""


def call_from_server(container, method: str, path: str, body: str = "", content_type: str = "") -> dict:
    result = container.exec_run(["python3", "-c", CALL, method, path, body, content_type])
    assert result.exit_code == 0, result.output.decode(errors="replace")
    return json.loads(result.output)


def multipart(metadata: dict, content: bytes) -> tuple[str, str]:
    boundary = "haven-test-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{json.dumps(metadata)}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file-0"; filename="table.csv"\r\n\r\n'
            f"{content.decode()}\r\n--{boundary}--\r\n")
    return body, f"multipart/form-data; boundary={boundary}"


def test_the_server_token_submits_for_its_owner_but_cannot_review(haven_hub, docker_client, egress):
    haven_hub.spawn("grace", "alpha")
    try:
        container = docker_client.containers.get(haven_hub.container_name("grace", "alpha"))
        env = dict(line.split("=", 1) for line in container.attrs["Config"]["Env"])
        gateway = haven_hub.gateway("alpha")
        assert env["HAVEN_EGRESS_URL"] == f"http://{gateway}:{haven_hub.settings.egress.port}/services/egress/"

        # The control: grace's own token carries her checker role.
        own = egress.call("GET", "api/whoami", "grace").json()
        assert "checker" in own["roles"]

        whoami = call_from_server(container, "GET", "api/whoami")
        assert whoami["status"] == 200, whoami
        assert whoami["body"]["name"] == "grace"
        assert whoami["body"]["roles"] == ["analyst"]

        metadata = {"project": "alpha", "title": "From the server", "purpose": "token test",
                    "files": [{"path": "table.csv", "sha256": sha256(TABLE), "media_type": "text/csv",
                               "kind": "frequency_table", "description": "counts", "controls": []}]}
        body, content_type = multipart(metadata, TABLE)
        submitted = call_from_server(container, "POST", "api/requests", body, content_type)
        assert submitted["status"] == 201, submitted
        assert submitted["body"]["author"] == "grace"

        # A request grace's own token may review: bob's project gamma, of which she is not a member.
        other = egress.create_request_at("submitted", author="bob", project="gamma")
        assert egress.act("carol", other, "start-review").status_code == 200
        file_id = egress.detail("carol", other)["versions"][-1]["files"][0]["id"]
        vote = call_from_server(container, "POST", f"api/files/{file_id}/reviews",
                                json.dumps({"decision": "approve"}), "application/json")
        # Refused: to an analyst's token another project's request does not exist.
        assert vote["status"] in (403, 404), vote
        assert egress.detail("carol", other)["versions"][-1]["files"][0]["reviews"] == []
        listing = call_from_server(container, "GET", "api/requests")
        assert other not in {r["id"] for r in listing["body"]["requests"]}
        # The control: the same vote with grace's own token counts.
        assert egress.review("grace", file_id).status_code == 201
    finally:
        haven_hub.stop("grace", "alpha")
