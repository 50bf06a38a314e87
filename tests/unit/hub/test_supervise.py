"""haven_hub.supervise: a crashed service is started again at once, and stops with its supervisor."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from haven_hub.supervise import FIRST_PAUSE, MAX_PAUSE, STEADY_SECONDS, next_pause

REPO = Path(__file__).resolve().parents[3]
CHILD = "tests.unit.hub.supervised_child"


def _pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _wait_for(condition, timeout: float = 20) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.02)
    return time.monotonic() - started


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: its parent (the supervisor) has not reaped it yet.
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"


@pytest.fixture
def supervised(tmp_path):
    pids = tmp_path / "pids"
    env = {**os.environ, "SUPERVISED_PIDS": str(pids), "PYTHONPATH": str(REPO)}
    supervisor = subprocess.Popen([sys.executable, "-m", "haven_hub.supervise", CHILD], cwd=REPO, env=env,
                                  stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: _pids(pids))
    yield supervisor, pids
    if supervisor.poll() is None:
        supervisor.kill()
        supervisor.wait()
    supervisor.stderr.close()


def test_a_child_killed_with_sigkill_is_started_again_at_once(supervised):
    supervisor, pids = supervised
    (first,) = _pids(pids)
    os.kill(first, signal.SIGKILL)
    seconds = _wait_for(lambda: len(_pids(pids)) == 2)
    assert seconds < 2  # the hub's own poll would take up to 30 s
    assert supervisor.poll() is None and _alive(_pids(pids)[1])


def test_sigterm_stops_the_child_and_the_supervisor(supervised):
    supervisor, pids = supervised
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(10) == 0
    assert not _alive(_pids(pids)[0])
    assert len(_pids(pids)) == 1  # not started again


def test_the_child_dies_with_a_killed_supervisor(supervised):
    # Else the orphan would keep the service's port and the hub's restart would fail.
    supervisor, pids = supervised
    supervisor.kill()
    supervisor.wait()
    (child,) = _pids(pids)
    _wait_for(lambda: not _alive(child), timeout=5)


def test_the_supervisor_and_child_stop_when_the_hub_dies(tmp_path):
    """A stand-in hub (a shell) starts the supervisor and is killed: nothing it started lives on."""
    pids = tmp_path / "pids"
    env = {**os.environ, "SUPERVISED_PIDS": str(pids), "PYTHONPATH": str(REPO)}
    hub = subprocess.Popen(["sh", "-c", f"{sys.executable} -m haven_hub.supervise {CHILD} & echo $!; wait"],
                           cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    supervisor = int(hub.stdout.readline())
    _wait_for(lambda: _pids(pids))
    hub.kill()
    hub.wait()
    hub.stdout.close()
    (child,) = _pids(pids)
    _wait_for(lambda: not _alive(child) and not _alive(supervisor), timeout=10)


def test_a_child_failing_at_start_is_retried_with_growing_pauses(tmp_path):
    pids = tmp_path / "pids"
    env = {**os.environ, "SUPERVISED_PIDS": str(pids), "PYTHONPATH": str(REPO), "SUPERVISED_FAIL_AT_START": "1"}
    supervisor = subprocess.Popen([sys.executable, "-m", "haven_hub.supervise", CHILD], cwd=REPO, env=env,
                                  stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: len(_pids(pids)) >= 3)
    finally:
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(10)
    assert "exited with status 3; starting it again in" in supervisor.stderr.read()


def test_pauses_grow_only_while_the_child_keeps_failing_at_start():
    assert next_pause(STEADY_SECONDS + 1, 5.0) == 0.0  # a crash after running: at once
    assert next_pause(0.5, 0.0) == FIRST_PAUSE
    assert next_pause(0.5, FIRST_PAUSE) == 2 * FIRST_PAUSE
    assert next_pause(0.5, MAX_PAUSE) == MAX_PAUSE
