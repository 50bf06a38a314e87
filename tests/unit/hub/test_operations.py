"""Running Haven in production, on a plain traitlets Config: spawn limits, the operator's config
folder, the metrics role, per-process JSON logs (docs/operations.md)."""

from __future__ import annotations

import json
import logging
import sys

import pytest
import yaml
from jupyterhub import roles as hub_roles
from jupyterhub import scopes as hub_scopes
from traitlets.config import Config

from haven_hub import config, limits, logs, metrics
from haven_hub.bootstrap import ensure_secrets
from haven_hub.settings import SettingsError, parse_settings


def make_settings(tmp_path, **operations):
    settings = parse_settings({
        "hub": {"data_dir": str(tmp_path / "data")},
        "auth": {"accounts": [{"name": "ada"}, {"name": "carol", "roles": ["output-checker"]},
                              {"name": "boss", "admin": True}]},
        "operations": {"extra_config_dir": str(tmp_path / "config.d"), **operations},
    })
    ensure_secrets(settings)
    path = tmp_path / "data" / "haven.yaml"
    path.write_text(yaml.safe_dump(settings.model_dump(mode="json")))
    return settings, path


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


# ---- spawn limits ------------------------------------------------------------------------


def test_limits_default_to_what_the_host_holds():
    gib = 1024**3
    assert limits.active_server_limit(None, memory=23 * gib) == 11  # 2G default servers
    assert limits.active_server_limit(None, memory=gib) == 1  # never zero (zero is "no limit")
    assert limits.concurrent_spawn_limit(None, cpus=2) == 4
    assert limits.concurrent_spawn_limit(None, cpus=1) == 2
    # Set in the settings: taken as it is, 0 included (JupyterHub's "no limit").
    assert limits.active_server_limit(0, memory=gib) == 0
    assert limits.concurrent_spawn_limit(7, cpus=64) == 7


def test_limits_reach_the_hub(tmp_path):
    settings, path = make_settings(tmp_path)
    c = Config()
    config.configure(c, path)
    assert c.JupyterHub.active_server_limit == limits.active_server_limit(None) >= 1
    assert c.JupyterHub.concurrent_spawn_limit == limits.concurrent_spawn_limit(None) >= 2
    raw = yaml.safe_load(path.read_text())
    raw["spawner"].update(active_server_limit=3, concurrent_spawn_limit=1)
    path.write_text(yaml.safe_dump(raw))
    c = Config()
    config.configure(c, path)
    assert (c.JupyterHub.active_server_limit, c.JupyterHub.concurrent_spawn_limit) == (3, 1)


def test_a_negative_limit_is_refused_naming_the_key():
    with pytest.raises(SettingsError, match="spawner.active_server_limit"):
        parse_settings({"spawner": {"active_server_limit": -1}})


# ---- the operator's config folder --------------------------------------------------------


def test_operator_files_run_after_havens_in_sorted_order(tmp_path):
    settings, path = make_settings(tmp_path)
    folder = tmp_path / "config.d"
    folder.mkdir()
    # Each sees what Haven (and the files before it) set, and may change it.
    (folder / "20-second.py").write_text("c.JupyterHub.log_level = 'DEBUG'\nc.JupyterHub.order.append('20')\n")
    (folder / "10-first.py").write_text(
        "assert c.JupyterHub.allow_named_servers is True\n"
        "c.JupyterHub.order = ['10']\n"
        "c.JupyterHub.ssl_cert = '/etc/haven/tls/cert.pem'\n")
    (folder / "README").write_text("not python: never run")
    (folder / "30-folder.py").mkdir()
    c = Config()
    config.configure(c, path)
    assert c.JupyterHub.order == ["10", "20"]
    assert c.JupyterHub.ssl_cert == "/etc/haven/tls/cert.pem"
    assert c.JupyterHub.log_level == "DEBUG"


def test_no_operator_folder_is_no_error(settings):
    c = Config()
    config.configure(c, settings[1])
    assert c.JupyterHub.allow_named_servers is True


def test_a_failing_operator_file_stops_the_hub_naming_it(tmp_path):
    settings, path = make_settings(tmp_path)
    folder = tmp_path / "config.d"
    folder.mkdir()
    (folder / "50-typo.py").write_text("c.JupyterHub.ssl_cert = undefined_name\n")
    with pytest.raises(SettingsError, match=r"50-typo.py failed: NameError"):
        config.configure(Config(), path)


# ---- metrics -----------------------------------------------------------------------------


def expanded(scopes):
    """Every scope ``scopes`` imply, as the hub expands them (Haven's custom scopes imply nothing)."""
    # Unfiltered: a filter narrows a scope, and read:metrics takes none.
    return hub_scopes.expand_scopes({scope.split("!")[0] for scope in scopes if not scope.startswith("custom:")})


def test_only_the_metrics_role_and_hub_admins_read_metrics(settings):
    settings, path = settings
    services = config.services(settings, path)
    loaded = config.load_roles(settings, services)
    holders = {role["name"] for role in loaded if "read:metrics" in expanded(role["scopes"])}
    # JupyterHub's built-in roles, except those Haven redefines above.
    redefined = {role["name"] for role in loaded}
    defaults = {role["name"] for role in hub_roles.get_default_roles()
                if role["name"] not in redefined and "read:metrics" in expanded(role["scopes"])}
    assert holders == {metrics.METRICS_ROLE}
    assert defaults == {"admin"}
    role = next(role for role in loaded if role["name"] == metrics.METRICS_ROLE)
    assert role["scopes"] == ["read:metrics"] and role["services"] == [metrics.METRICS_SERVICE]
    service = next(service for service in services if service["name"] == metrics.METRICS_SERVICE)
    assert set(service) == {"name", "api_token"}  # no process, no URL, no OAuth client


def test_the_scrape_token_is_made_once_and_private(settings):
    settings, _ = settings
    first = metrics.scrape_token(settings)
    assert metrics.scrape_token(settings) == first and len(first) == 64
    assert metrics.token_path(settings).stat().st_mode & 0o077 == 0
    metrics.token_path(settings).write_text("\n")
    with pytest.raises(ValueError, match="metrics token file .* is empty"):
        metrics.scrape_token(settings)


# ---- logs --------------------------------------------------------------------------------


def test_each_service_logs_to_its_own_file(settings):
    settings, path = settings
    c = config.configuration(settings, path)
    log_dir = settings.hub.data_dir / "logs"
    assert log_dir.stat().st_mode & 0o077 == 0
    handler = c.JupyterHub.logging_config["handlers"]["haven_file"]
    assert handler["filename"] == str(log_dir / "hub.log")
    assert handler["class"] == "logging.handlers.WatchedFileHandler"  # follows logrotate's moves
    assert c.ConfigurableHTTPProxy.command == [sys.executable, "-m", "haven_hub.logs", "proxy",
                                               str(log_dir / "proxy.log"), "--",
                                               sys.executable, "-m", "haven_hub.proxy_errors.launch", "--",
                                               "configurable-http-proxy"]
    by_name = {service["name"]: service for service in c.JupyterHub.services}
    for name in ("egress", "admin"):
        assert by_name[name]["environment"]["HAVEN_LOG_FILE"] == str(log_dir / f"{name}.log")


def test_the_log_folder_is_a_setting(tmp_path):
    settings, path = make_settings(tmp_path, log_dir=str(tmp_path / "var-log-haven"))
    c = config.configuration(settings, path)
    assert c.JupyterHub.logging_config["handlers"]["haven_file"]["filename"] == str(tmp_path / "var-log-haven/hub.log")


def test_hub_records_are_json_lines_with_level_logger_and_time(tmp_path):
    path = tmp_path / "hub.log"
    handler = logging.FileHandler(path)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("JupyterHub.test-operations")
    logger.addHandler(handler)
    try:
        logger.warning("spawn of %s refused", "ada/alpha")
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        handler.close()
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    assert first["level"] == "WARNING" and first["logger"] == "JupyterHub.test-operations"
    assert first["message"] == "spawn of ada/alpha refused" and first["time"].endswith("Z")
    assert second["level"] == "ERROR" and "RuntimeError: boom" in second["exception"]


@pytest.mark.parametrize("line,level,logger,message", [
    ("[egress INFO 2026-12-02 04:00:00,123] egress service on 0.0.0.0:1", "INFO", "egress",
     "egress service on 0.0.0.0:1"),
    ("[W 2026-12-02 04:00:00.123 JupyterHub app:123] slow", "WARNING", "JupyterHub", "slow"),
    ("04:00:00.123 [ConfigProxy] error: 503 GET /x", "ERROR", "ConfigProxy", "503 GET /x"),
    ("04:00:00.123 [ConfigProxy] warn: odd", "WARNING", "ConfigProxy", "odd"),
    ("04:00:00.123 [ConfigProxy] \x1b[31merror\x1b[39m: 404 GET /x", "ERROR", "ConfigProxy", "404 GET /x"),
])
def test_printed_lines_become_records(tmp_path, line, level, logger, message):
    log = logs.LineLog(tmp_path / "x.log", "egress")
    log.write(line)
    log.close()
    written = json.loads((tmp_path / "x.log").read_text())
    assert (written["level"], written["logger"], written["message"]) == (level, logger, message)
    assert (tmp_path / "x.log").stat().st_mode & 0o077 == 0


def test_a_traceback_stays_with_its_record_and_rotation_starts_a_new_file(tmp_path):
    path = tmp_path / "egress.log"
    log = logs.LineLog(path, "egress")
    log.copy([b"[egress ERROR 2026-12-02 04:00:00,123] request failed\n", b"Traceback (most recent call last):\n",
              b"  File \"x.py\", line 1\n", b"\n"])
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["level"] for r in records] == ["ERROR"] * 3
    assert {r["logger"] for r in records} == {"egress"} and {r["process"] for r in records} == {"egress"}
    path.rename(tmp_path / "egress.log.1")  # what logrotate does
    log.write("after rotation")
    log.close()
    assert json.loads(path.read_text())["message"] == "after rotation"
    assert len((tmp_path / "egress.log.1").read_text().splitlines()) == 3


def test_the_log_runner_passes_the_exit_status_and_logs_output(tmp_path):
    path = tmp_path / "proxy.log"
    code = logs.run("proxy", path, [sys.executable, "-c",
                                     "import sys; print('04:00:00.000 [ConfigProxy] info: up'); sys.exit(3)"])
    assert code == 3
    first, last = (json.loads(line) for line in path.read_text().splitlines())
    assert (first["logger"], first["message"]) == ("ConfigProxy", "up")
    assert last["level"] == "ERROR" and "status 3" in last["message"]
    assert logs.main(["proxy"]) == 2


def test_a_supervised_service_logs_to_its_file_with_its_restarts(tmp_path):
    import signal
    import threading
    import time

    from haven_hub.supervise import Supervisor

    path = tmp_path / "egress.log"
    child = "print('[egress INFO 2026-12-02 04:00:00,000] serving', flush=True); import time; time.sleep(60)"
    supervisor = Supervisor([sys.executable, "-c", child], "haven_egress.web", path)
    runner = threading.Thread(target=supervisor.run)
    # run() installs signal handlers, which only the main thread may: stand in for them.
    signal_handlers = signal.signal
    signal.signal = lambda *_args: None
    try:
        runner.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (path.exists() and path.read_text()):
            time.sleep(0.05)
        supervisor.child.kill()  # a crash: restarted at once, and the restart is logged
        while time.monotonic() < deadline and path.read_text().count("serving") < 2:
            time.sleep(0.05)
        supervisor.stop(signal.SIGTERM, None)
        runner.join(30)
    finally:
        signal.signal = signal_handlers
    supervisor.output.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["logger"], r["message"]) for r in lines if r["message"] == "serving"] == [("egress", "serving")] * 2
    restart = next(r for r in lines if r["logger"] == "haven.supervise")
    assert restart["level"] == "WARNING" and "exited with status -9" in restart["message"]
    assert {r["process"] for r in lines} == {"egress"}
