"""Spawn latency: a hardened Haven server against a bare ``docker run`` of the same image.

Both are timed from the request to the server's ``/api/me`` answering 200:

- **haven**: a user's REST request to the hub to start their project server, then
  ``/user/<name>/<project>/api/me`` polled through the proxy with the user's token;
- **bare**: ``docker run`` of the same image (default bridge, no limits, no hardening)
  running ``jupyter server``, then ``/api/me`` polled on the container's address.

``/api/me`` rather than ``/api/status`` (used until issue 11): the project server's route
allowlist (``haven_lab.routes``) now closes ``/api/status``. ``/api/me`` is allowlisted, and it
measures the same thing: the first authenticated API request the server answers, a few bytes
of JSON that touch no files or kernels (through the hub the token is checked with the hub, as
it was for ``/api/status``).

Runs are interleaved (haven, bare, haven, bare, ...) so that machine noise falls on
both alike, and the result is the ratio of the medians, measured in this one run.

usage: python bench/spawn_latency.py [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import docker
import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fixtures.docker_engine import NOTEBOOK_IMAGE, remove_test_objects  # noqa: E402
from tests.fixtures.hub import Hub, start_test_hub, stop_test_hub, test_settings  # noqa: E402

POLL = 0.05
USER, PROJECT = "ada", "bench"
# Names of its own, so the benchmark never touches a test session's hub, containers or
# firewall chain (the test suite runs it as a smoke test while its own hub is up).
PREFIX, BRIDGE_PREFIX = "hvbench", "hvb-"


def wait_for_200(url: str, headers: dict[str, str] | None = None, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, headers=headers, timeout=2, allow_redirects=False).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(POLL)
    raise RuntimeError(f"{url} did not answer 200 within {timeout}s")


def time_haven_spawn(hub: Hub) -> float:
    token = hub.user_token(USER)
    headers = {"Authorization": f"token {token}"}
    started = time.perf_counter()
    response = hub.api("POST", f"/users/{USER}/servers/{PROJECT}", token=token)
    if response.status_code not in (201, 202):
        raise RuntimeError(f"spawn refused: {response.status_code} {response.text}")
    wait_for_200(f"{hub.url}/user/{USER}/{PROJECT}/api/me", headers)
    elapsed = time.perf_counter() - started
    hub.stop(USER, PROJECT)
    return elapsed


def time_bare_run(client: docker.DockerClient, run: int) -> float:
    started = time.perf_counter()
    container = client.containers.run(
        NOTEBOOK_IMAGE,
        ["jupyter", "server", "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.ip=0.0.0.0"],
        name=f"{PREFIX}-bare-{run}",
        detach=True,
    )
    try:
        container.reload()
        while not container.attrs["NetworkSettings"]["IPAddress"]:
            time.sleep(POLL)
            container.reload()
        wait_for_200(f"http://{container.attrs['NetworkSettings']['IPAddress']}:8888/api/me")
        return time.perf_counter() - started
    finally:
        container.remove(force=True)


def start_hub(data_dir: Path) -> Hub:
    raw = test_settings(data_dir, prefix=PREFIX, bridge_prefix=BRIDGE_PREFIX)
    # Limits that do not bind (the machine's two cores), so the comparison with an
    # unlimited bare container measures Haven's overhead, not a smaller CPU share.
    raw["projects"].append({"id": PROJECT, "title": "Benchmark", "members": [USER],
                            "limits": {"cpu": 2.0, "memory": "2G", "pids": 512}})
    return start_test_hub(data_dir, raw)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Spawn latency of a hardened Haven server vs a bare docker run")
    parser.add_argument("--runs", type=int, default=7, help="runs of each kind (median taken; default 7)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    client = docker.from_env(version="auto")
    remove_test_objects(client, PREFIX)
    haven_times: list[float] = []
    bare_times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="haven-bench-") as tmp:
        hub = start_hub(Path(tmp))
        try:
            # One unmeasured spawn of each: creates the project network, volumes and page cache.
            time_haven_spawn(hub)
            time_bare_run(client, -1)
            for run in range(args.runs):
                haven_times.append(time_haven_spawn(hub))
                bare_times.append(time_bare_run(client, run))
        finally:
            stop_test_hub(hub)
            remove_test_objects(client, PREFIX)

    haven, bare = statistics.median(haven_times), statistics.median(bare_times)
    result = {
        "benchmark": "spawn_latency",
        "runs": args.runs,
        "haven_median_s": round(haven, 3),
        "bare_median_s": round(bare, 3),
        "ratio": round(haven / bare, 3),
        "goal_ratio": 1.3,
        "haven_s": [round(t, 3) for t in haven_times],
        "bare_s": [round(t, 3) for t in bare_times],
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"spawn to /api/me 200, median of {args.runs} interleaved runs each")
        print(f"  haven (hardened, via hub and proxy): {haven:6.2f} s   {result['haven_s']}")
        print(f"  bare docker run, same image:         {bare:6.2f} s   {result['bare_s']}")
        print(f"  ratio haven/bare: {result['ratio']:.2f}x (goal {result['goal_ratio']}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
