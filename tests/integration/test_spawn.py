"""Spawning project servers through the real hub, proxy and Docker engine."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from tests.fixtures.docker_engine import TEST_PREFIX, remove_test_objects, run_probe
from haven_hub.selfcheck.cgroups import limits_seen

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]


@pytest.fixture(scope="module")
def ada_alpha(haven_hub):
    server = haven_hub.spawn("ada", "alpha")
    yield server
    haven_hub.stop("ada", "alpha")


# /api/me, not /api/status: the route allowlist (haven_lab.routes) closes /api/status, while
# /api/me is the authenticated API call Lab itself makes, so a 200 naming ada proves the proxy
# route, the hub's token check and the server alike.
def test_member_reaches_jupyterlab_through_the_proxy(haven_hub, ada_alpha):
    token = haven_hub.user_token("ada")
    response = requests.get(
        f"{haven_hub.url}/user/ada/alpha/api/me", headers={"Authorization": f"token {token}"}, timeout=30
    )
    assert response.status_code == 200
    assert response.json()["identity"]["username"] == "ada"


def test_another_user_cannot_use_adas_server(haven_hub, ada_alpha):
    token = haven_hub.user_token("grace")
    response = requests.get(
        # An allowlisted route, so a refusal here is the hub's authorisation, not the route gate.
        f"{haven_hub.url}/user/ada/alpha/api/me",
        headers={"Authorization": f"token {token}"},
        timeout=30,
        allow_redirects=False,
    )
    assert response.status_code in (302, 403)
    assert response.status_code != 200


def test_container_name_carries_user_and_project(docker_client, haven_hub, ada_alpha):
    container = docker_client.containers.get(haven_hub.container_name("ada", "alpha"))
    assert container.status == "running"
    assert container.name == f"{TEST_PREFIX}-ada--alpha"
    assert container.labels["org.haven.project"] == "alpha"
    assert container.labels["org.haven.user"] == "ada"


def test_non_member_is_refused_with_a_clear_message(haven_hub, docker_client):
    token = haven_hub.user_token("alan")
    response = haven_hub.api("POST", "/users/alan/servers/alpha", token=token)
    assert response.status_code == 403
    assert "not a member of project 'alpha'" in response.json()["message"]
    assert not docker_client.containers.list(all=True, filters={"name": haven_hub.container_name("alan", "alpha")})


def test_member_of_one_project_is_refused_another(haven_hub):
    token = haven_hub.user_token("bob")
    response = haven_hub.api("POST", "/users/bob/servers/alpha", token=token)
    assert response.status_code == 403
    assert "bob is not a member of project 'alpha'" in response.json()["message"]


def test_unnamed_server_is_refused_and_says_why(haven_hub):
    token = haven_hub.user_token("ada")
    response = haven_hub.api("POST", "/users/ada/server", token=token)
    assert response.status_code == 400
    assert "belong to a project" in response.json()["message"]


def test_the_spawn_page_is_only_a_refusal_with_links_to_the_users_own_projects(haven_hub):
    # A non-member gets the reason, links to their own projects only, and no Start button.
    grace = haven_hub.login("grace")
    haven_hub.as_admin("POST", "/groups/project-gamma/users", json={"users": ["alan"]})
    try:
        alan_page = haven_hub.login("alan").get(f"{haven_hub.url}/hub/spawn/alan/beta", timeout=30).text
    finally:
        haven_hub.as_admin("DELETE", "/groups/project-gamma/users", json={"users": ["alan"]})
    assert 'id="haven-not-member"' in alan_page and 'id="spawn_form"' not in alan_page
    assert 'href="/hub/spawn/alan/gamma"' in alan_page and "/spawn/alan/alpha" not in alan_page
    assert "Server Options" not in alan_page
    # A member's spawn page starts the server at once: nothing to choose (no form).
    started = grace.get(f"{haven_hub.url}/hub/spawn/grace/alpha", timeout=60, allow_redirects=False)
    try:
        assert started.status_code == 302 and "/hub/spawn-pending/grace/alpha" in started.headers["Location"]
    finally:
        haven_hub.stop("grace", "alpha")


def test_a_server_stopped_while_it_starts_stops_cleanly_and_starts_again(haven_hub, docker_client):
    # Stopping a server whose start is still under way (a page closed, an admin's stop, the
    # spawn page's redirect before the server answered) must stop it, not answer 500 and leave
    # the hub believing it still runs.
    token = haven_hub.user_token("grace")
    starting = threading.Thread(target=haven_hub.api, args=("POST", "/users/grace/servers/alpha"),
                                kwargs={"token": token})
    starting.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        server = haven_hub.api("GET", "/users/grace").json()["servers"].get("alpha")
        if server and server["pending"] == "spawn" and docker_client.containers.list(
                filters={"name": haven_hub.container_name("grace", "alpha"), "status": "running"}):
            break
        time.sleep(0.05)
    else:
        raise AssertionError("grace/alpha never reached the container step of its start")
    haven_hub.stop("grace", "alpha")
    starting.join(timeout=60)
    assert not docker_client.containers.list(all=True, filters={"name": haven_hub.container_name("grace", "alpha")})
    haven_hub.spawn("grace", "alpha")
    haven_hub.stop("grace", "alpha")


def test_home_page_lists_the_users_projects_and_an_empty_state(haven_hub):
    ada_home = haven_hub.login("ada").get(f"{haven_hub.url}/hub/home", timeout=30).text
    assert "Alpha cohort study" in ada_home and "Beta outcomes study" not in ada_home
    alan_home = haven_hub.login("alan").get(f"{haven_hub.url}/hub/home", timeout=30).text
    assert "not a member of any project yet" in alan_home


def test_spawn_progress_is_reported(haven_hub):
    token = haven_hub.user_token("bob")
    headers = {"Authorization": f"token {token}"}
    events: list[dict] = []

    def follow() -> None:
        url = f"{haven_hub.url}/hub/api/users/bob/servers/beta/progress"
        with requests.get(url, headers=headers, stream=True, timeout=120) as stream:
            for line in stream.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    events.append(json.loads(line[5:]))
                    if events[-1].get("ready") or events[-1].get("failed"):
                        return

    response = haven_hub.api("POST", "/users/bob/servers/beta", token=token)
    assert response.status_code in (201, 202)
    follower = threading.Thread(target=follow)
    follower.start()
    follower.join(timeout=150)
    try:
        messages = [event.get("message", "") for event in events]
        if response.status_code == 202:
            assert any("membership checked" in m for m in messages), messages
            assert any("locked-down container" in m for m in messages), messages
        assert events and events[-1].get("ready"), events
    finally:
        haven_hub.stop("bob", "beta")


def test_limits_are_the_projects(docker_client, haven_hub, ada_alpha):
    name = haven_hub.container_name("ada", "alpha")
    host_config = docker_client.containers.get(name).attrs["HostConfig"]
    assert host_config["Memory"] == 768 * 1024**2
    assert host_config["MemorySwap"] == 768 * 1024**2
    assert host_config["PidsLimit"] == 256
    assert host_config["CpuQuota"] / host_config["CpuPeriod"] == pytest.approx(0.5)
    # Read through haven_hub/selfcheck/cgroups.py, v1 or v2 (these hosts are v1; v2 by unit tests).
    seen = limits_seen(run_probe(name))
    assert seen.pids == 256
    assert seen.memory_bytes == 768 * 1024**2
    assert seen.cpus == pytest.approx(0.5)


def test_environment_holds_only_what_the_server_needs(haven_hub, ada_alpha):
    env = set(run_probe(haven_hub.container_name("ada", "alpha"))["env"])
    image_env = {"PATH", "LANG", "HOME", "SHELL", "HOSTNAME", "PWD", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR",
                 "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "HAVEN_PROJECT", "JPY_API_TOKEN", "HAVEN_DATA_DIR", "HAVEN_WORKSPACE_DIR",
                 "HAVEN_SCRATCH_DIR", "HAVEN_SCRATCH_MAX_SIZE",
                 # Where haven-lab sends release requests: the egress service at the project gateway.
                 "HAVEN_EGRESS_URL",
                 # Issue 11: the image fixes Jupyter's search paths to read-only system directories
                 # (empty JUPYTER_PATH and JUPYTER_CONFIG_PATH, no platform or user dirs), so nothing
                 # the analyst writes is read as a kernelspec, lab extension or config ...
                 "JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_PLATFORM_DIRS", "JUPYTER_PREFER_ENV_PATH",
                 # ... and puts Lab's writable state (settings, layouts) where haven_lab caps its size.
                 "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR",
                 # The spawner: whether this project allows terminals, and its daily budget of
                 # bytes sent to the browser, which the server enforces even without the hub.
                 "HAVEN_TERMINALS", "HAVEN_BROWSER_BYTES_PER_DAY",
                 # The project's disclosure rules, as the checks resolve them, for haven.safe.
                 "HAVEN_DISCLOSURE_RULES",
                 # How large a text file the browser may upload into the project (0: none; #14).
                 "HAVEN_LAB_UPLOAD_MAX_SIZE",
                 # pip: the approved package index, as this server, and installs into the home
                 # volume (docs/packages.md; #14).
                 "PIP_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_PREFIX", "PYTHONUSERBASE", "PIP_DISABLE_PIP_VERSION_CHECK",
                 "PIP_NO_INPUT"}
    unexpected = {name for name in env - image_env if not name.startswith("JUPYTERHUB_")}
    assert unexpected == set()


def test_workspace_is_shared_within_the_project_and_home_is_per_user(docker_client, haven_hub, ada_alpha):
    haven_hub.spawn("grace", "alpha")
    try:
        ada = docker_client.containers.get(haven_hub.container_name("ada", "alpha"))
        grace = docker_client.containers.get(haven_hub.container_name("grace", "alpha"))
        assert ada.exec_run(["sh", "-c", "echo from-ada > /home/analyst/workspace/shared.txt"]).exit_code == 0
        assert ada.exec_run(["sh", "-c", "echo private > /home/analyst/notes.txt"]).exit_code == 0
        assert grace.exec_run(["cat", "/home/analyst/workspace/shared.txt"]).output.strip() == b"from-ada"
        assert grace.exec_run(["cat", "/home/analyst/notes.txt"]).exit_code != 0
        owner = ada.exec_run(["stat", "-c", "%u", "/home/analyst/workspace/shared.txt"]).output.strip()
        assert int(owner) == haven_hub.settings.spawner.container_uid
    finally:
        haven_hub.stop("grace", "alpha")


def test_home_survives_a_restart(docker_client, haven_hub):
    haven_hub.spawn("bob", "beta")
    container = docker_client.containers.get(haven_hub.container_name("bob", "beta"))
    assert container.exec_run(["sh", "-c", "echo kept > /home/analyst/kept.txt"]).exit_code == 0
    haven_hub.stop("bob", "beta")
    haven_hub.spawn("bob", "beta")
    try:
        container = docker_client.containers.get(haven_hub.container_name("bob", "beta"))
        assert container.exec_run(["cat", "/home/analyst/kept.txt"]).output.strip() == b"kept"
    finally:
        haven_hub.stop("bob", "beta")


def test_home_page_says_why_a_suspended_project_cannot_start(haven_hub):
    group = haven_hub.api("GET", "/groups/project-beta").json()
    suspended = {**group["properties"], "status": "suspended", "status_reason": "data agreement under review"}
    assert haven_hub.api("PUT", "/groups/project-beta/properties", json=suspended).status_code == 200
    try:
        home = haven_hub.login("bob").get(f"{haven_hub.url}/hub/home", timeout=30).text
        assert 'id="start-beta"' not in home
        assert "suspended (data agreement under review)" in home
    finally:
        haven_hub.api("PUT", "/groups/project-beta/properties", json=group["properties"])
    assert 'id="start-beta"' in haven_hub.login("bob").get(f"{haven_hub.url}/hub/home", timeout=30).text


# An administrator's additions to Haven's JupyterHub config (docs/spawner-config.md): what
# cannot weaken the lockdown is kept; the rest refuses the spawn. Beta's servers get a
# privileged container asked for, so one hub shows both.
ADMIN_ADDITIONS = '''
load_subconfig({haven_config!r})

c.HavenSpawner.read_only_volumes = {{{reference!r}: "/opt/reference"}}
c.HavenSpawner.extra_create_kwargs = {{"labels": {{"org.example.cost-centre": "research"}}}}


def extra_host_config(spawner):
    if spawner.name == "beta":
        return {{"privileged": True}}
    return {{"shm_size": "96m", "read_only": True}}


c.HavenSpawner.extra_host_config = extra_host_config
'''


@pytest.fixture(scope="module")
def configured_hub(tmp_path_factory, docker_client, notebook_image):
    from tests.fixtures.hub import BRIDGE_PREFIX, REPO, running_test_hub, test_settings

    data_dir = tmp_path_factory.mktemp("haven-admin-config")
    reference = tmp_path_factory.mktemp("reference")
    (reference / "codes.csv").write_text("code,label\nC50,breast\n")
    reference.chmod(0o755)
    (reference / "codes.csv").chmod(0o644)
    config = data_dir.parent / f"{data_dir.name}-jupyterhub_config.py"
    config.write_text(ADMIN_ADDITIONS.format(haven_config=str(REPO / "jupyterhub_config.py"),
                                             reference=str(reference)))
    # Names of its own, so that it never touches the session hub's containers or chain.
    prefix = f"{TEST_PREFIX}c"
    raw = test_settings(data_dir, prefix=prefix, bridge_prefix=f"{BRIDGE_PREFIX[:-1]}c-")
    try:
        with running_test_hub(data_dir, raw, config=config) as hub:
            yield hub
    finally:  # the session's clean-up knows only TEST_PREFIX's names
        remove_test_objects(docker_client, prefix)


def test_what_config_adds_is_kept_beside_the_lockdown_and_the_project_looked_up_once(docker_client, configured_hub):
    hub = configured_hub
    log_start = hub.log_path.stat().st_size
    hub.spawn("ada", "alpha")
    try:
        container = docker_client.containers.get(hub.container_name("ada", "alpha"))
        host_config = container.attrs["HostConfig"]
        # The administrator's additions ...
        assert host_config["ShmSize"] == 96 * 1024**2
        assert container.labels["org.example.cost-centre"] == "research"
        assert container.exec_run(["cat", "/opt/reference/codes.csv"]).output.startswith(b"code,label")
        assert container.exec_run(["touch", "/opt/reference/new"]).exit_code != 0
        # ... beside the lockdown and the project's limits, which config did not move.
        assert host_config["ReadonlyRootfs"] is True and host_config["CapDrop"] == ["ALL"]
        assert host_config["Memory"] == 768 * 1024**2 and host_config["PidsLimit"] == 256
        assert container.labels["org.haven.project"] == "alpha"
        with open(hub.log_path, "rb") as log:
            log.seek(log_start)
            spawn_log = log.read().decode(errors="replace")
        # The pre-spawn hook (which audits) and start() share one look-up.
        assert spawn_log.count("ada:alpha: looking up project 'alpha'") == 1, spawn_log
    finally:
        hub.stop("ada", "alpha")


def test_config_that_would_weaken_the_lockdown_refuses_the_spawn_and_makes_nothing(docker_client, configured_hub):
    hub = configured_hub
    response = hub.api("POST", "/users/bob/servers/beta", token=hub.user_token("bob"))
    assert response.status_code == 500
    message = response.json()["message"]
    assert "conflicts with Haven's lockdown" in message and "extra_host_config['privileged']" in message
    assert not docker_client.containers.list(all=True, filters={"name": hub.container_name("bob", "beta")})
