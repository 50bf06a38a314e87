"""Operating Haven, against a real hub of its own (docs/operations.md): the metrics scrape
token reads /hub/metrics and nothing else; the services' health checks answer without a login;
the spawn limits refuse one start too many with a clear message; each process writes its own
JSON log; the operator's config folder is loaded after Haven's, in sorted order.

One hub for all of it (a hub start is the expensive part), with names of its own so it can
run beside the session hub.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from haven_hub import metrics
from tests.fixtures.docker_engine import TEST_PREFIX
from tests.fixtures.hub import BRIDGE_PREFIX, running_test_hub, write_log_on_failure
from tests.fixtures.hub import test_settings as hub_settings

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("operations_log_on_failure")]

OPS_PREFIX = f"{TEST_PREFIX[:12]}-ops"
OPS_BRIDGE_PREFIX = BRIDGE_PREFIX.rstrip("-")[:4] + "o-"
# The operator's files, run after Haven's config in this order (by name, not by creation).
OPERATOR_FILES = {
    "20-later.py": "c.JupyterHub.tornado_settings['headers']['X-Operator-Config'] += ',20-later'\n",
    "10-first.py": ("c.JupyterHub.tornado_settings.setdefault('headers', {})\n"
                    "c.JupyterHub.tornado_settings['headers']['X-Operator-Config'] = '10-first'\n"
                    # Haven's own settings are already there to be read (it runs after them).
                    "assert 'log_function' in c.JupyterHub.tornado_settings\n"),
}


@pytest.fixture(scope="module")
def ops_hub(tmp_path_factory, docker_client, notebook_image):
    data_dir = tmp_path_factory.mktemp("haven-ops-data")
    operator_dir = tmp_path_factory.mktemp("jupyterhub_config.d")
    for name, text in OPERATOR_FILES.items():
        (operator_dir / name).write_text(text)
    raw = hub_settings(data_dir, prefix=OPS_PREFIX, bridge_prefix=OPS_BRIDGE_PREFIX)
    raw["spawner"].update(active_server_limit=1, concurrent_spawn_limit=1)
    raw["operations"] = {"extra_config_dir": str(operator_dir), "log_dir": str(data_dir / "service-logs")}
    with running_test_hub(data_dir, raw) as hub:
        yield hub


@pytest.fixture
def operations_log_on_failure(request, ops_hub):
    yield from write_log_on_failure(request, ops_hub)


def get(hub, path: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.get(hub.url + path, headers=headers, timeout=30, allow_redirects=False)


def test_the_scrape_token_reads_metrics_and_nothing_else(ops_hub):
    token = metrics.token_path(ops_hub.settings).read_text().strip()
    scraped = get(ops_hub, "/hub/metrics", token)
    assert scraped.status_code == 200 and "jupyterhub_running_servers" in scraped.text
    for path in ("/hub/api/users", "/hub/api/users/ada", "/hub/api/groups", "/hub/api/services",
                 "/hub/api/proxy", "/services/egress/api/requests"):
        assert get(ops_hub, path, token).status_code in (401, 403), path
    # Control: the metrics are not open, and people's own tokens do not carry them.
    assert get(ops_hub, "/hub/metrics").status_code == 403
    for person in ("ada", "carol", "grace"):
        assert get(ops_hub, "/hub/metrics", ops_hub.user_token(person)).status_code == 403, person


@pytest.mark.parametrize("path", ["/hub/health", "/services/egress/health", "/services/admin/health"])
def test_health_answers_without_login_with_a_status_only(ops_hub, path):
    response = get(ops_hub, path)
    assert response.status_code == 200
    if path != "/hub/health":  # JupyterHub's own answers with an empty body
        assert response.json() == {"status": "ok"}
        assert response.headers["Cache-Control"] == "no-store"


def test_admin_pages_other_than_health_still_need_a_login(ops_hub):
    from haven_hub.admin.app import ROUTES
    from tests.fixtures.in_process import sample_paths

    paths = [path for route in ROUTES for path in sample_paths(route.pattern)]
    assert "health" in paths
    for path in paths:
        response = get(ops_hub, "/services/admin/" + path)
        if path == "health":
            assert response.status_code == 200
        elif path.startswith("register"):  # the public register, off by default: absent, not behind a login
            assert response.status_code == 404, f"{path}: {response.status_code}"
            assert "Location" not in response.headers
        else:
            assert response.status_code in (302, 405), f"{path}: {response.status_code}"
            assert response.status_code == 405 or "/hub/api/oauth2/authorize" in response.headers["Location"]


def test_operator_config_runs_after_havens_in_sorted_order(ops_hub):
    assert get(ops_hub, "/hub/login").headers["X-Operator-Config"] == "10-first,20-later"


def test_one_start_too_many_is_refused_with_a_clear_message(ops_hub):
    ada, bob = ops_hub.user_token("ada"), ops_hub.user_token("bob")
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(ops_hub.api, "POST", "/users/ada/servers/alpha", token=ada)
        try:
            # While ada's server is starting: one start at a time (concurrent_spawn_limit: 1).
            deadline = time.monotonic() + 30
            while ops_hub.api("GET", "/users/ada").json()["servers"].get("alpha", {}).get("pending") != "spawn":
                assert time.monotonic() < deadline and not first.done(), "never saw ada's server starting"
                time.sleep(0.05)
            starting = ops_hub.api("POST", "/users/bob/servers/beta", token=bob)
            assert starting.status_code == 429, starting.text
            assert "Too many users trying to log in right now" in starting.json()["message"]
            assert "Retry-After" in starting.headers
        finally:
            assert first.result().status_code in (201, 202), first.result().text
    try:
        ops_hub.wait_ready("ada", "alpha")
        # Once it runs: one server on this host (active_server_limit: 1).
        refused = ops_hub.api("POST", "/users/bob/servers/beta", token=bob)
        assert refused.status_code == 429, refused.text
        assert refused.json()["message"] == "Active user limit exceeded. Try again in a few minutes."
        # The person pressing "start" on the home page (which starts directly) sees the same sentence.
        browser = ops_hub.login("bob")
        page = browser.get(f"{ops_hub.url}/hub/spawn/bob/beta", timeout=60)
        assert page.status_code == 429, page.text[-2000:]
        assert "Active user limit exceeded. Try again in a few minutes." in page.text
        assert "beta" not in ops_hub.api("GET", "/users/bob").json()["servers"]
    finally:
        ops_hub.stop("ada", "alpha")


def records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_each_process_writes_its_own_json_log(ops_hub):
    log_dir = ops_hub.settings.hub.data_dir / "service-logs"
    get(ops_hub, "/services/egress/health")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all((log_dir / f"{name}.log").exists()
                                                  for name in ("hub", "proxy", "egress", "admin")):
        time.sleep(0.2)
    assert sorted(path.name for path in log_dir.iterdir()) == ["admin.log", "egress.log", "hub.log", "proxy.log"]
    for name in ("hub", "proxy", "egress", "admin"):
        lines = records(log_dir / f"{name}.log")
        assert lines, name
        assert all({"time", "level", "logger", "message"} <= set(line) for line in lines), name
    hub_records = records(log_dir / "hub.log")
    assert any(line["logger"] == "JupyterHub" and "Hub API listening" in line["message"]
               for line in hub_records), hub_records[:5]
    assert any(line["logger"] == "ConfigProxy" for line in records(log_dir / "proxy.log"))
    assert any("egress service on" in line["message"] for line in records(log_dir / "egress.log"))
    # The services' lines are in their own files, no longer mixed into the hub's console.
    console = ops_hub.log_path.read_text(errors="replace")
    assert "egress service on" not in console and "[ConfigProxy]" not in console
    assert "Hub API listening" in console  # the hub's console itself is unchanged
