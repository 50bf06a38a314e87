"""The index over real HTTP, as pip reads it: PEP 503 pages of the caller's project subset,
wheels by hash, and a local 404 for anything else, with no connection out.

The hub is stood in for here (``_identify`` answers from a table of tokens, as the hub would):
the same routes behind the real hub, from inside a real project container, are tested in
tests/integration/package_index. How "nothing is proxied" is proven here: every outbound
connection and name lookup of this process is recorded while the index answers, and the
only one allowed is the test client's own connection to the index.
"""

from __future__ import annotations

import base64
import logging
import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from haven_egress.blobs import BlobStore
from haven_egress.package_index import approve
from haven_egress.package_index import web as package_web
from haven_egress.service import EgressService
from haven_egress.web import app as egress_app
from haven_hub import roles
from haven_hub.settings import Egress
from tests.fixtures.in_process import serving

from .wheels import make_wheel

PREFIX = "/services/egress/"
# token -> the hub's model of its owner (what HubOAuth would return)
MODELS = {
    "ada-alpha": {"name": "ada", "kind": "user", "groups": ["project-alpha"],
                  "scopes": [roles.SUBMIT, "access:servers!server=ada/alpha"]},
    "bob-beta": {"name": "bob", "kind": "user", "groups": ["project-beta"],
                 "scopes": [roles.SUBMIT, "access:servers!server=bob/beta"]},
    # A person's own token: reaches all their servers, so it is bound to no project.
    "ada-personal": {"name": "ada", "kind": "user", "groups": ["project-alpha"],
                     "scopes": [roles.SUBMIT, "access:servers!user=ada"]},
    # Bound to a server of a project ada is no longer a member of.
    "ada-gamma": {"name": "ada", "kind": "user", "groups": ["project-alpha"],
                  "scopes": [roles.SUBMIT, "access:servers!server=ada/gamma"]},
}


async def hub_stand_in(self):
    header = self.request.headers.get("Authorization", "")
    return MODELS.get(header.removeprefix("token "))


@pytest.fixture
def served(index, source, monkeypatch, tmp_path):
    monkeypatch.setattr(package_web.IndexHandler, "_identify", hub_stand_in)
    for name, version, projects in (("everyone", "1.0", None), ("alpha-only", "2.0", ["alpha"])):
        filename, content = make_wheel(name, version)
        source.publish(name, filename, content)
        approve(index, f"{name}=={version}", "admin", "needed", projects=projects)
    source.requests.clear()
    # The service the index lives beside: its blobs' folder is the index's parent folder.
    service = EgressService(index.sessions, BlobStore(tmp_path / "blobs"), Egress())
    with ThreadPoolExecutor(2) as executor, serving(
            lambda: egress_app.make_app(service, executor, PREFIX, b"k" * 32)) as (base, _app):
        yield base + PREFIX + "packages/"


def basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"__token__:{token}".encode()).decode()}


def get(url: str, token: str | None = "ada-alpha", **kwargs) -> requests.Response:
    return requests.get(url, headers=basic(token) if token else {}, timeout=30, allow_redirects=False, **kwargs)


@pytest.fixture
def outbound(monkeypatch):
    """Every connect() and name lookup this process makes, recorded (and still made)."""
    seen: list[tuple] = []
    connect, connect_ex, getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def record(original):
        def wrapped(self, address, *args):
            seen.append(("connect", address))
            return original(self, address, *args)
        return wrapped

    def lookup(host, *args, **kwargs):
        seen.append(("lookup", host))
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", record(connect))
    monkeypatch.setattr(socket.socket, "connect_ex", record(connect_ex))
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return seen


def test_a_server_sees_its_projects_subset_as_pep_503_pages(served):
    root = get(served + "simple/")
    assert root.status_code == 200 and root.headers["Content-Type"].startswith("text/html")
    assert '<a href="alpha-only/">alpha-only</a>' in root.text and '<a href="everyone/">' in root.text
    beta_root = get(served + "simple/", "bob-beta")
    assert "alpha-only" not in beta_root.text and "everyone" in beta_root.text

    page = get(served + "simple/alpha-only/")
    assert page.status_code == 200
    [link] = [part.split('"')[1] for part in page.text.split("<a href=")[1:]]
    assert link.startswith("../../files/") and "#sha256=" in link
    wheel = get(served + "simple/alpha-only/" + link.split("#")[0])
    assert wheel.status_code == 200 and wheel.content.startswith(b"PK")
    assert wheel.headers["Content-Type"] == "application/octet-stream"
    # PEP 503: one URL per project; other spellings are sent there.
    assert get(served + "simple/Alpha_Only/").headers["Location"] == "../alpha-only/"
    # Another project's server: neither the page nor the file.
    assert get(served + "simple/alpha-only/", "bob-beta").status_code == 404
    assert get(served + "simple/alpha-only/" + link.split("#")[0], "bob-beta").status_code == 404


@pytest.mark.parametrize("token, status", [(None, 401), ("not-a-token", 401), ("ada-personal", 403),
                                           ("ada-gamma", 403)])
def test_only_a_project_servers_own_token_is_served(served, token, status):
    for path in ("simple/", "simple/everyone/"):
        assert get(served + path, token).status_code == status
    # The hub's own header form works as well as pip's Basic auth.
    assert requests.get(served + "simple/", headers={"Authorization": "token ada-alpha"}, timeout=30).ok


def test_an_unapproved_name_is_a_local_404_with_no_connection_out(served, source, outbound, caplog):
    caplog.set_level(logging.INFO, logger="haven.egress.packages")
    paths = ["simple/requests/", "simple/numpy/", "files/" + "0" * 64 + "/requests-2.32.3-py3-none-any.whl",
             "files/" + "0" * 64 + "/..%2f..%2fegress.db", "simple/..%2f..%2f/"]
    for path in paths:
        answer = get(served + path)
        assert answer.status_code == 404, (path, answer.status_code)
    port = int(served.split(":")[2].split("/")[0])
    elsewhere = [event for event in outbound if event not in (("connect", ("127.0.0.1", port)),
                                                             ("lookup", "127.0.0.1"))]
    assert elsewhere == [], elsewhere
    assert source.requests == []  # not even the source administrators add from was asked
    logged = [r.getMessage() for r in caplog.records if r.name == "haven.egress.packages"]
    assert any("simple/requests/" in m and "answered 404 here, nothing fetched" in m for m in logged), logged


def test_pip_fetches_from_it_with_the_token_in_the_index_url(served, tmp_path):
    """The real pip, configured as a project server's is (the spawner's PIP_INDEX_URL form) and by
    nothing else of this host (no config file, no other PIP_ variable)."""
    index_url = served.replace("http://", "http://__token__:ada-alpha@") + "simple/"
    env = {name: value for name, value in os.environ.items() if not name.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL=index_url, PIP_TRUSTED_HOST="127.0.0.1",
               PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    fetched = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(tmp_path / "got"),
                              "alpha-only"], env=env, capture_output=True, text=True, timeout=120)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert [p.name for p in (tmp_path / "got").iterdir()] == ["alpha_only-2.0-py3-none-any.whl"]
