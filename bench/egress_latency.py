"""Egress latency: the review queue over HTTP (hub auth, proxy, tornado) against the service layer.

Two figures, each a ratio against a baseline measured in the same run:

- **submit**: a 20-file request, from the POST to the 201 that says it is queued
  (``submitted``), against ``EgressService.submit`` called directly on a store of its own
  (same code, same SQLite settings, same fsyncs) — the cost of HTTP, auth and multipart;
- **listing**: ``GET api/requests`` by a checker on a queue of 10,000 requests, in requests
  per second, against ``EgressService.list_requests`` on an identical queue.

Submits are interleaved (HTTP, direct, HTTP, …) so machine noise falls on both alike.
The queue is filled with bulk inserts (not 10,000 submissions), one real blob shared.

usage: python bench/egress_latency.py [--small] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import requests
import yaml
from sqlalchemy import func, insert, select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from haven_egress.models import File, Request, RequestVersion, StateEvent  # noqa: E402
from haven_egress.permissions import Caller, Role  # noqa: E402
from haven_egress.service import EgressService  # noqa: E402
from haven_egress.storage import writing  # noqa: E402
from haven_egress.uploads import FileUpload  # noqa: E402
from haven_egress.web import startup  # noqa: E402

from haven_hub.settings import load_settings  # noqa: E402
from tests.fixtures.hub import Hub, start_test_hub, stop_test_hub, test_settings  # noqa: E402
from tests.integration.egress.client import PREFIX as SERVICE_PREFIX  # noqa: E402
from tests.integration.egress.client import Egress  # noqa: E402

# Names of its own: never touches a test session's hub, containers or firewall chain. Runs at
# the same time (a stress run beside a measured one) each need their own: set these two.
PREFIX = os.environ.get("HAVEN_BENCH_PREFIX", "hvebench")
BRIDGE_PREFIX = os.environ.get("HAVEN_BENCH_BRIDGE_PREFIX", "hveb-")
AUTHOR = Caller("ada", frozenset({Role.ANALYST}), frozenset({"alpha"}), server_project="alpha")
CHECKER = Caller("carol", frozenset({Role.CHECKER}))
FILES = 20


def twenty_files(run: int, side: str) -> list[tuple[str, bytes]]:
    # Unique bytes per run and side: a repeated blob would skip its write and fsync.
    return [(f"out/table{i}.csv", b"group,count\n%s,%d\n" % (f"{side}{run}".encode(), 100 + i))
            for i in range(FILES)]


def http_submit(egress: Egress, run: int) -> float:
    files = twenty_files(run, "http")
    metadata = {"title": f"bench {run}", "purpose": "benchmark",
                "files": [{"path": p, "sha256": hashlib.sha256(c).hexdigest(), "kind": "frequency_table"}
                          for p, c in files]}
    parts = {f"file-{i}": (Path(p).name, c, "text/csv") for i, (p, c) in enumerate(files)}
    # Her alpha server's token (its stand-in): only a server's token submits, filed under its project.
    headers = {"Authorization": f"token {egress.hub.server_token('ada', 'alpha')}"}
    started = time.perf_counter()
    response = requests.post(egress.base + "api/requests", headers=headers,
                             data={"metadata": json.dumps(metadata)}, files=parts, timeout=60)
    elapsed = time.perf_counter() - started
    if response.status_code != 201 or response.json()["state"] != "submitted":
        raise RuntimeError(f"submit failed: {response.status_code} {response.text[:300]}")
    return elapsed


def direct_submit(service: EgressService, run: int) -> float:
    uploads = [FileUpload(path=p, content=c, sha256=hashlib.sha256(c).hexdigest(), kind="frequency_table")
               for p, c in twenty_files(run, "direct")]
    started = time.perf_counter()
    service.submit(AUTHOR, "alpha", f"bench {run}", "benchmark", uploads)
    return time.perf_counter() - started


def fill_queue(service: EgressService, size: int) -> None:
    """``size`` more submitted requests, in one transaction of bulk inserts."""
    blob = service.blobs.put(b"group,count\na,100\n")
    now = datetime.now(UTC)
    with service.sessions() as session, session.begin():
        # It reads (the next id), then writes, while the service's check worker writes too: as
        # the service's own writers do, take SQLite's write lock at BEGIN, so this waits for the
        # worker (busy timeout) instead of failing with "database is locked" when the worker
        # commits between the read and the first insert (seen under load in CI).
        writing(session)
        version_id = (session.scalar(select(func.max(RequestVersion.id))) or 0) + 1
        ids = [uuid.uuid4().hex for _ in range(size)]
        session.execute(insert(Request), [dict(id=i, project="alpha", author="ada", title=f"queued {n}",
                                               purpose="benchmark", created_at=now) for n, i in enumerate(ids)])
        session.execute(insert(RequestVersion), [dict(id=version_id + n, request_id=i, number=1, created_at=now)
                                                 for n, i in enumerate(ids)])
        session.execute(insert(File), [dict(version_id=version_id + n, path="out/t.csv", sha256=blob, size=18,
                                            media_type="text/csv", description="", controls=[],
                                            kind="frequency_table", supporting=False) for n in range(size)])
        session.execute(insert(StateEvent), [dict(request_id=i, version_number=1, state="submitted",
                                                  action="submit", actor="ada", reason="", created_at=now)
                                             for i in ids])


def rate(call, seconds: float, at_least: int = 3) -> float:
    """Calls per second, over at least ``seconds`` and ``at_least`` calls."""
    calls, started = 0, time.perf_counter()
    while calls < at_least or time.perf_counter() - started < seconds:
        call()
        calls += 1
    return calls / (time.perf_counter() - started)


def start_hub(data_dir: Path) -> Hub:
    raw = test_settings(data_dir, prefix=PREFIX, bridge_prefix=BRIDGE_PREFIX)
    return start_test_hub(data_dir, raw)


def measure(hub: Hub, baseline: EgressService, runs: int, queue: int, seconds: float) -> dict:
    egress = Egress(hub=hub, base=hub.url + SERVICE_PREFIX)
    egress.wait_ready()
    served = startup.open_service(hub.settings)  # the hub's own egress store, to fill its queue
    http_submit(egress, -1), direct_submit(baseline, -1)  # unmeasured: tokens, caches, first fsyncs
    http_times, direct_times = [], []
    for run in range(runs):
        http_times.append(http_submit(egress, run))
        direct_times.append(direct_submit(baseline, run))
    fill_queue(served, queue)
    fill_queue(baseline, queue)
    listing = requests.Session()
    listing.headers["Authorization"] = f"token {egress.token('carol')}"

    def http_list() -> None:
        response = listing.get(egress.base + "api/requests", timeout=120)
        if response.status_code != 200 or len(response.json()["requests"]) < queue:
            raise RuntimeError(f"listing failed: {response.status_code}")

    http_rate = rate(http_list, seconds)
    direct_rate = rate(lambda: baseline.list_requests(CHECKER), seconds)
    http_submit_s, direct_submit_s = statistics.median(http_times), statistics.median(direct_times)
    return {
        "benchmark": "egress_latency", "files_per_request": FILES, "submit_runs": runs, "queue": queue,
        "submit_http_median_s": round(http_submit_s, 4), "submit_direct_median_s": round(direct_submit_s, 4),
        "submit_ratio": round(http_submit_s / direct_submit_s, 3),
        "list_http_per_s": round(http_rate, 2), "list_direct_per_s": round(direct_rate, 2),
        # As a time ratio, like submit: how many times longer one listing takes over HTTP.
        "list_ratio": round(direct_rate / http_rate, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Egress submit latency and listing rate, HTTP vs service layer")
    parser.add_argument("--small", action="store_true", help="CI size: 3 submits, a 500-request queue")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    runs, queue, seconds = (3, 500, 1.0) if args.small else (15, 10_000, 5.0)
    with tempfile.TemporaryDirectory(prefix="haven-egress-bench-") as tmp:
        base = Path(tmp, "baseline")
        base.mkdir()
        (base / "haven.yaml").write_text(yaml.safe_dump({"hub": {"data_dir": str(base)}}))
        baseline = startup.open_service(load_settings(base / "haven.yaml"))
        Path(tmp, "hub").mkdir()
        hub = start_hub(Path(tmp, "hub"))
        try:
            result = measure(hub, baseline, runs, queue, seconds)
        finally:
            stop_test_hub(hub)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"submit, {FILES}-file request, median of {runs} interleaved runs:")
        print(f"  over HTTP (hub auth, proxy): {result['submit_http_median_s'] * 1000:7.1f} ms")
        print(f"  service layer, direct:       {result['submit_direct_median_s'] * 1000:7.1f} ms")
        print(f"  ratio http/direct: {result['submit_ratio']:.2f}x")
        print(f"listing a {queue}-request queue as a checker:")
        print(f"  over HTTP: {result['list_http_per_s']:7.2f} req/s; direct: {result['list_direct_per_s']:7.2f} calls/s")
        print(f"  ratio (time per listing) http/direct: {result['list_ratio']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
