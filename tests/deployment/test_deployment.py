"""ansible/site.yml applied to a fresh host, then used as people would use it, over HTTPS.

The tests run in order on one host per Debian release (a session fixture): apply; HTTPS, 2FA
login and a spawn; the analyst -> checker -> release flow; the firewall seen from outside; a
second apply that changes nothing; a restart of the host after which everything comes back,
the released file and both audit chains included; `haven selfcheck` on the host.
"""

from __future__ import annotations

import json
import socket
import time
import warnings

import pytest
import requests
from urllib3.exceptions import InsecureRequestWarning

from tests.deployment.conftest import FreshHost, sh
from tests.deployment.release_flow import EGRESS, Released, at_the_service, audit_verifies, release_a_table
from tests.fixtures.login import submit_login, unused_code

SERVICES = ("docker.service", "haven-firewall.service", "haven-hub.service", "nginx.service")


@pytest.fixture(scope="module")
def deployed(fresh_host: FreshHost) -> FreshHost:
    recap = fresh_host.apply()
    assert recap["failed"] == 0 and recap["unreachable"] == 0
    return fresh_host


def https_session() -> requests.Session:
    # The test host's certificate is self-signed (tls_front_self_signed); what it serves is
    # checked against the file the role made instead.
    session = requests.Session()
    # Not from the environment either: a CA bundle named there (REQUESTS_CA_BUNDLE) would
    # override verify=False.
    session.trust_env = False
    session.verify = False
    warnings.simplefilter("ignore", InsecureRequestWarning)
    return session


def credentials(host: FreshHost, name: str) -> dict:
    return json.loads(host.run(f"cat /var/lib/haven/secrets/accounts/{name}.json").stdout)


def log_in(host: FreshHost, name: str) -> requests.Session:
    session = https_session()
    secret = credentials(host, name)
    response = submit_login(session, host.url, name, secret["password"], unused_code(secret["totp_secret"]))
    assert response.status_code == 302, response.text[:500]
    return session


def wait_for_hub(host: FreshHost, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if https_session().get(f"{host.url}/hub/login", timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(2)
    raise AssertionError(f"the hub did not answer over HTTPS within {timeout:.0f}s")


def hub_xsrf(session: requests.Session) -> dict[str, str]:
    """The hub's XSRF header; a session that visited a server also holds that server's _xsrf."""
    return {"X-XSRFToken": next(cookie.value for cookie in session.cookies
                                if cookie.name == "_xsrf" and cookie.path == "/hub/")}


def spawn_and_reach(host: FreshHost, session: requests.Session, user: str, project: str) -> None:
    """Starts the user's server as the browser does, then calls it through nginx and the proxy."""
    xsrf = hub_xsrf(session)
    response = session.post(f"{host.url}/hub/api/users/{user}/servers/{project}", headers=xsrf, timeout=60)
    # Left running by an interrupted earlier run on a reused host (HAVEN_REUSE_FRESH_HOST).
    already = response.status_code == 400 and "already running" in response.text
    assert response.status_code in (201, 202) or already, response.text
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        server = session.get(f"{host.url}/hub/api/users/{user}", headers=xsrf, timeout=30).json()["servers"].get(project)
        assert server is not None, "the server stopped while starting: journalctl -u haven-hub on the host"
        if server["ready"]:
            break
        time.sleep(1)
    else:
        raise AssertionError(f"{user}/{project} was not ready within 300s")
    # As the browser does (analysts may not make API tokens): JupyterLab's page, through the
    # hub's OAuth redirects, which leave the server's own login cookie; then an API call with it.
    lab = session.get(f"{host.url}/user/{user}/{project}/lab", timeout=120)
    assert lab.status_code == 200 and lab.url.startswith(f"{host.url}/user/{user}/{project}/lab"), lab.url
    response = session.get(f"{host.url}/user/{user}/{project}/api/me", timeout=60)
    assert response.status_code == 200, response.text[:500]
    assert response.json()["identity"]["username"] == user


def stop_server(host: FreshHost, session: requests.Session, user: str, project: str) -> None:
    xsrf = hub_xsrf(session)
    session.delete(f"{host.url}/hub/api/users/{user}/servers/{project}", headers=xsrf, timeout=60)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if project not in session.get(f"{host.url}/hub/api/users/{user}", headers=xsrf, timeout=30).json()["servers"]:
            return
        time.sleep(1)


def test_the_hub_answers_over_https_through_nginx_with_hsts(deployed):
    response = https_session().get(f"{deployed.url}/hub/login", timeout=30)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert 'name="otp"' in response.text  # Haven's own login form, with its second factor
    # Plain HTTP only redirects.
    response = requests.get(f"http://{deployed.address}/hub/login", allow_redirects=False, timeout=30)
    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://")
    # The certificate served is the one the role made.
    served = sh("bash", "-c", f"openssl s_client -connect {deployed.address}:443 </dev/null 2>/dev/null"
                              " | openssl x509 -noout -fingerprint -sha256").stdout
    on_disk = deployed.run("openssl x509 -noout -fingerprint -sha256 -in /etc/haven/tls/haven.crt").stdout
    assert served and served == on_disk


def test_an_analyst_logs_in_with_2fa_and_spawns_a_server_over_https(deployed):
    session = log_in(deployed, "ada")
    home = session.get(f"{deployed.url}/hub/home", timeout=30)
    assert home.status_code == 200 and "Demo admissions study" in home.text
    try:
        spawn_and_reach(deployed, session, "ada", "demo")
    finally:
        stop_server(deployed, session, "ada", "demo")


@pytest.fixture(scope="module")
def released(deployed) -> Released:
    """ada files a table from her running server with its own token; margaret and karen approve it
    and margaret releases it; all over HTTPS through nginx, each person logged in with TOTP."""
    author = log_in(deployed, "ada")
    try:
        spawn_and_reach(deployed, author, "ada", "demo")
        token = deployed.run("docker exec haven-ada--demo printenv JUPYTERHUB_API_TOKEN").stdout.strip()
        return release_a_table(deployed.url, https_session, token, author, log_in(deployed, "margaret"),
                               log_in(deployed, "karen"))
    finally:
        stop_server(deployed, author, "ada", "demo")


def test_a_table_is_filed_approved_by_two_checkers_and_downloaded_by_its_author(deployed, released):
    assert released.download(released.author) == released.content
    # Nobody else's login downloads it: a checker gets 403.
    assert released.download(released.checker, expect=403) is None
    assert audit_verifies(deployed)


def test_a_wrong_code_is_refused(deployed):
    secret = credentials(deployed, "grace")
    response = submit_login(https_session(), deployed.url, "grace", secret["password"], "000000")
    assert response.status_code != 302


def test_from_outside_only_ssh_http_and_https_are_open(deployed):
    def open_port(port: int) -> bool:
        try:
            with socket.create_connection((deployed.address, port), timeout=5):
                return True
        except OSError:
            return False

    assert open_port(443) and open_port(80) and open_port(22)
    # The hub API and egress listen on every address on the host (for the project networks);
    # from outside they are closed, as are the proxy, its API and the admin service on loopback.
    for port in (8081, 8082, 8000, 8001, 8083):
        assert not open_port(port), port
    # Any other service listening on every address stays unreachable too (the firewall role).
    deployed.run("systemd-run --unit=deploy-test-listener python3 -m http.server 9999 --bind 0.0.0.0")
    try:
        deadline = time.monotonic() + 30
        while "9999" not in deployed.run("ss -ltn").stdout and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "0.0.0.0:9999" in deployed.run("ss -ltn").stdout
        assert not open_port(9999)
    finally:
        deployed.run("systemctl stop deploy-test-listener", check=False)


def test_every_service_is_enabled_and_restarts_on_failure(deployed):
    for unit in SERVICES:
        assert deployed.run(f"systemctl is-enabled {unit}").stdout.strip() == "enabled", unit
        assert deployed.run(f"systemctl is-active {unit}").stdout.strip() == "active", unit
    assert deployed.run("systemctl show -p Restart --value haven-hub.service").stdout.strip() == "on-failure"
    assert deployed.run("systemctl is-enabled haven-backup.timer").stdout.strip() == "enabled"


def test_a_second_apply_changes_nothing(deployed):
    recap = deployed.apply()
    assert recap["changed"] == 0, recap


def test_after_a_restart_of_the_host_everything_comes_back(deployed, released: Released):
    sh("docker", "restart", "-t", "60", deployed.container, timeout=300)
    deployed.wait_for_systemd()
    wait_for_hub(deployed)
    for unit in SERVICES:
        assert deployed.run(f"systemctl is-active {unit}").stdout.strip() == "active", unit
    # The hub's own services came back with it.
    for path in ("/hub/health", "/services/egress/health", "/services/admin/health"):
        assert https_session().get(f"{deployed.url}{path}", timeout=60).status_code == 200, path
    session = log_in(deployed, "ada")
    try:
        spawn_and_reach(deployed, session, "ada", "demo")
    finally:
        stop_server(deployed, session, "ada", "demo")
    # What was released before the restart is still there, byte for byte, for its author, and
    # both audit chains (hub and egress) still verify against their anchored heads.
    released.base = deployed.url + EGRESS  # the host's address may change with a restart
    at_the_service(session, released.base)
    assert released.download(session) == released.content
    assert audit_verifies(deployed)


def test_haven_selfcheck_passes_on_the_deployed_host(deployed):
    result = deployed.run("/opt/haven/venv/bin/haven selfcheck", check=False, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
