"""kill -9 during 100 submissions: every request is whole or absent, and fsck cleans up.

A worker process submits through the real service layer (opened as the hub opens it,
with the production fault hook ``HAVEN_EGRESS_FAULT_SLEEP`` widening the gap between the
first blob write and the commit). The test SIGKILLs it at planned points, mostly in that
gap, restarts it on the next submission, and in the end opens the store afresh (as a
restarted service would) to check every request and every blob.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from sqlalchemy import select

from haven_egress import audit
from haven_egress.blobs import sha256_hex
from haven_egress.models import Request, audit_events
from haven_egress.web import startup
from haven_hub.settings import load_settings

from .crash_worker import FILES_PER_REQUEST, files

REPO = Path(__file__).resolve().parents[3]
TOTAL = 100
PAUSE = 0.03  # seconds the fault hook sleeps after each blob and before the commit


def kill_plan(i: int) -> str | None:
    """Where submission i is killed: in the blob-to-commit gap (3 in 8), anywhere (1 in 10)."""
    if i % 8 in (0, 3, 5):
        return "window"
    if i % 10 == 7:
        return "begin"
    return None


def run_workers(settings: Path, log: Path) -> tuple[dict[int, str], set[int], list[tuple[int, str]]]:
    rng = random.Random(20261122)  # seeded: the same kill times on every run
    done: dict[int, str] = {}
    windows: set[int] = set()
    kills: list[tuple[int, str]] = []
    env = {**os.environ, startup.FAULT_SLEEP: str(PAUSE), "PYTHONPATH": str(REPO)}
    next_i = 0
    with open(log, "ab") as stderr:
        while next_i < TOTAL:
            worker = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.egress.crash_worker", str(settings), str(next_i), str(TOTAL)],
                stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=REPO, env=env)
            killed = False
            for line in iter(worker.stdout.readline, ""):
                word, *rest = line.split()
                if word == "ready":
                    continue
                i = int(rest[0])
                if word == "begin":
                    next_i = i + 1
                elif word == "window":
                    windows.add(i)
                elif word == "done":
                    done[i] = rest[1]
                if word == kill_plan(i):
                    # "window": inside the 4 pauses left before the commit. "begin": anywhere
                    # from before the first blob to just after the commit.
                    time.sleep(rng.uniform(0, 2.5 * PAUSE if word == "window" else 5 * PAUSE))
                    os.kill(worker.pid, signal.SIGKILL)
                    worker.wait()
                    kills.append((i, word))
                    killed = True
                    break
            worker.stdout.close()
            if not killed:
                assert worker.wait() == 0, log.read_text()
    return done, windows, kills


def test_kill_9_during_100_submissions_leaves_each_whole_or_absent(tmp_path):
    settings = tmp_path / "haven.yaml"
    settings.write_text(yaml.safe_dump({"hub": {"data_dir": str(tmp_path / "data")}}))
    started = time.monotonic()
    done, windows, kills = run_workers(settings, tmp_path / "worker.log")
    elapsed = time.monotonic() - started

    service = startup.open_service(load_settings(settings))  # the restart
    with service.sessions() as session:
        found = {r.title: r for r in session.scalars(select(Request))}
        whole = absent = 0
        for i in range(TOTAL):
            request = found.get(f"crash {i}")
            if i in done:  # reported committed: must have survived
                assert request is not None and request.id == done[i]
            if request is None:
                absent += 1
                continue
            expected = {f.path: sha256_hex(f.content) for f in files(i)}
            assert [v.number for v in request.versions] == [1]
            assert {f.path: f.sha256 for f in request.versions[0].files} == expected
            assert len(request.versions[0].files) == FILES_PER_REQUEST
            assert [e.state for e in request.events] == ["submitted"]
            for digest in expected.values():
                assert service.blobs.read(digest)  # present, and its bytes still match
            events = audit.read(session, audit_events, target=f"request/{request.id}")
            assert [e.action for e in events] == ["egress.submit"]
            whole += 1
        assert len(found) == whole  # no request other than these, no half one
    assert service.verify_audit().intact

    in_window = [i for i, where in kills if i in windows and i not in done and f"crash {i}" not in found]
    before = service.fsck()
    assert not before.missing and not before.corrupt
    service.fsck(delete_orphans=True, grace_seconds=0)
    after = service.fsck()
    print(f"\ncrash test: {TOTAL} submissions, {len(kills)} kills -9, {len(in_window)} between the first "
          f"blob write and the commit; {whole} whole, {absent} absent; fsck before cleaning: "
          f"{len(before.orphans)} orphan blobs, {len(before.stale_temp)} unfinished writes; "
          f"after: clean={after.clean}; {elapsed:.1f}s")
    assert len(in_window) >= 30
    assert whole + absent == TOTAL and absent >= len(in_window)
    assert before.orphans  # the kills did leave debris, so cleaning was tested
    assert after.clean
