"""Checks of one request never wait for another's: a request whose checks are slow holds one
worker of the pool, and a small request submitted after it is checked meanwhile."""

from __future__ import annotations

import threading
import time

import pytest

from haven_egress import checking
from haven_egress.checking import BackgroundChecks
from haven_egress.file_checks import CheckPolicy
from haven_egress.service import EgressService
from haven_egress.storage import session_factory

from .factories import AUTHOR, submit, upload

TABLE = b"region,count\nNorth,30\nSouth,120\n"


@pytest.fixture
def slow_checks(monkeypatch):
    """Checks of any file named slow*.csv block until released (a huge table, in effect)."""
    release = threading.Event()
    started = threading.Event()
    real = checking.check_one

    def check_one(target, *args, **kwargs):
        if target.path.startswith("slow"):
            started.set()
            assert release.wait(60), "the slow check was never released"
        return real(target, *args, **kwargs)
    monkeypatch.setattr(checking, "check_one", check_one)
    yield started, release
    release.set()


def status_of(service, request_id: str, path: str) -> str:
    files = service.get_request(AUTHOR, request_id).versions[-1].files
    return next(f for f in files if f.path == path).checks["status"]


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def run_slow_then_small(engine, blobs, signer, slow_checks, workers: int,
                        patience: float) -> tuple[bool, str]:
    started, release = slow_checks
    checks = BackgroundChecks(session_factory(engine), blobs, CheckPolicy(), workers=workers)
    service = EgressService(session_factory(engine), blobs, signer=signer, checks=checks)
    checks.start()
    try:
        slow = submit(service, [upload("slow.csv", TABLE), upload("slow_too.csv", TABLE)])
        assert started.wait(30)
        small = submit(service, [upload("small.csv", TABLE)])
        small_done = wait_for(lambda: status_of(service, small, "small.csv") == "done", patience)
        slow_status = status_of(service, slow, "slow.csv")
        release.set()
        assert checks.wait_idle(30)
        assert status_of(service, slow, "slow.csv") == "done"
        return small_done, slow_status
    finally:
        release.set()
        checks.stop()


def test_a_small_request_is_checked_while_a_slow_one_still_runs(engine, blobs, signer,
                                                                slow_checks):
    small_done, slow_status = run_slow_then_small(engine, blobs, signer, slow_checks,
                                                  workers=checking.DEFAULT_WORKERS, patience=20)
    assert small_done and slow_status == "pending"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the control: one engine
def test_with_one_worker_the_small_request_waits(engine, blobs, signer, slow_checks):
    """The control: what the pool prevents (one worker serialises the requests)."""
    small_done, slow_status = run_slow_then_small(engine, blobs, signer, slow_checks,
                                                  workers=1, patience=1.5)
    assert not small_done and slow_status == "pending"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_pool_needs_a_worker(engine, blobs):
    with pytest.raises(ValueError, match="at least one worker"):
        BackgroundChecks(session_factory(engine), blobs, workers=0)
