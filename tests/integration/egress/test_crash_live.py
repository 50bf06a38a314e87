"""kill -9 of the live egress service just after a submission commits, on SQLite and PostgreSQL.

The hub runs the service as it always does (under haven_hub.supervise). The submission
commits, then the service pauses before answering (the production fault hook
``HAVEN_EGRESS_FAULT_SLEEP_AFTER_COMMIT``, passed through the hub), and the test kills the
service process with SIGKILL in that pause: the client hears an error although the request
was filed. The service must answer again within seconds, and the client's retry with the
same Idempotency-Key must get the first request back, with no duplicate filed; a retry
without a key (the control) files a second request, which is what the key prevents.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from haven_egress.models import Request
from haven_egress.storage import open_engine
from haven_egress.web import startup
from tests.fixtures import hub as test_hub
from tests.postgres import postgresql_server, postgresql_url  # noqa: F401 (fixtures)

from .client import PREFIX, Egress, default_files

PAUSE_AFTER_COMMIT = 4.0  # seconds: room for the test to see the commit and kill
BACK_WITHIN = 10.0  # seconds from the kill until the service answers again (measured: ~2-3)


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_hub(request, tmp_path_factory, monkeypatch):
    data = tmp_path_factory.mktemp("crash-hub")
    raw = test_hub.test_settings(data)
    if request.param == "postgresql":
        raw["egress"]["database_url"] = request.getfixturevalue("postgresql_url")
    # Inherited by the hub, which passes it on to the service (config.PASSED_TO_SERVICES).
    monkeypatch.setenv(startup.FAULT_SLEEP_AFTER_COMMIT, str(PAUSE_AFTER_COMMIT))
    with test_hub.running_test_hub(data, raw) as hub:
        log_on_failure = test_hub.write_log_on_failure(request, hub)
        next(log_on_failure)
        yield hub
        next(log_on_failure, None)


def _cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]


def _environment(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace").split("\0")
    return dict(pair.split("=", 1) for pair in pairs if "=" in pair)


def service_processes(settings_path: Path) -> tuple[int, int]:
    """(supervisor, service) of this hub's egress service, found by command line and by the
    settings file the hub gave them: never another Haven's processes."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdecimal():
            continue
        pid = int(entry.name)
        try:
            command = _cmdline(pid)
            if command[1:] not in (["-m", "haven_egress.web"], ["-m", "haven_hub.supervise", "haven_egress.web"]):
                continue
            if _environment(pid).get("HAVEN_SETTINGS") != str(settings_path.resolve()):
                continue
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        found[command[2]] = pid
    assert set(found) == {"haven_hub.supervise", "haven_egress.web"}, found
    return found["haven_hub.supervise"], found["haven_egress.web"]


def _post(egress: Egress, token: str, title: str, key: str | None) -> requests.Response:
    files = default_files()
    metadata = {"title": title, "purpose": "crash test", "files": [entry for entry, _ in files]}
    parts = {f"file-{i}": (Path(entry["path"]).name, content, "application/octet-stream")
             for i, (entry, content) in enumerate(files)}
    headers = {"Idempotency-Key": key} if key else {}
    try:
        return egress.call("POST", "api/requests", token=token, headers=headers,
                           data={"metadata": json.dumps(metadata)}, files=parts)
    except requests.ConnectionError as error:  # the proxy may drop the connection instead of a 502
        response = requests.Response()
        response.status_code, response.reason = 599, str(error)
        return response


def _filed(engine, title: str) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(select(Request.id).where(Request.title == title)))


def _kill_after_commit(egress: Egress, hub, engine, token: str, title: str, key: str | None) -> float:
    """Submit; SIGKILL the service once the request is committed and before it answers.
    Returns the seconds until the service answered again."""
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(_post, egress, token, title, key)
        deadline = time.monotonic() + 60
        while not _filed(engine, title):
            assert time.monotonic() < deadline and not answer.done(), "the submission never committed"
            time.sleep(0.05)
        supervisor, service = service_processes(hub.settings_path)
        os.kill(service, signal.SIGKILL)
        killed = time.monotonic()
        first = answer.result(timeout=60)
    assert first.status_code >= 500, f"the client heard an answer: {first.status_code} {first.text}"
    while True:
        try:
            if requests.get(egress.base + "api/whoami", timeout=2).status_code == 401:
                break
        except requests.ConnectionError:
            pass
        assert time.monotonic() - killed < BACK_WITHIN, f"the service was not back within {BACK_WITHIN}s"
        time.sleep(0.05)
    back = time.monotonic() - killed
    new_supervisor, new_service = service_processes(hub.settings_path)
    # The supervisor restarted it, not the hub (which would have taken ~30 s and a new supervisor).
    assert new_supervisor == supervisor and new_service != service
    return back


def test_kill_9_after_commit_then_a_retry_with_the_key_files_nothing_new(crash_hub, capsys):
    egress = Egress(hub=crash_hub, base=crash_hub.url + PREFIX)
    egress.wait_ready(60)
    token = crash_hub.server_token("ada", "alpha")
    engine = open_engine(startup.database_url(crash_hub.settings))
    try:
        key = str(uuid.uuid4())
        back = _kill_after_commit(egress, crash_hub, engine, token, "killed after commit", key)
        (filed,) = _filed(engine, "killed after commit")
        started = time.monotonic()
        retry = _post(egress, token, "killed after commit", key)
        retry_seconds = time.monotonic() - started
        assert retry.status_code == 201, retry.text
        assert retry.json()["id"] == filed and retry.json()["state"] == "submitted"
        assert _filed(engine, "killed after commit") == [filed]  # no duplicate
        # The retry did not wait for the fault pause: it never reached a commit.
        assert retry_seconds < PAUSE_AFTER_COMMIT
        # The same key with another body, and a malformed key: refused, nothing filed.
        other = _post(egress, token, "another request", key)
        assert other.status_code == 409 and "Idempotency-Key" in other.json()["message"]
        malformed = _post(egress, token, "another request", "not a key")
        assert malformed.status_code == 422 and "Idempotency-Key" in malformed.json()["message"]
        assert _filed(engine, "another request") == []

        # Control: the same crash, retried without a key, files the request twice.
        control_back = _kill_after_commit(egress, crash_hub, engine, token, "control without a key", None)
        assert _post(egress, token, "control without a key", None).status_code == 201
        assert len(_filed(engine, "control without a key")) == 2
    finally:
        engine.dispose()
    with capsys.disabled():
        print(f"\nlive kill -9 ({engine.dialect.name}): service answering again {back:.2f}s and "
              f"{control_back:.2f}s after the kill; retry with the key answered in {retry_seconds:.2f}s")
