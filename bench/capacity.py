"""Capacity of one host: what one machine running Haven carries, measured in one run.

1. **Burst**: ``--burst`` servers asked for at the same moment (REST spawn through the hub, each
   until its ``/api/me`` answers 200 through the proxy, as bench/spawn_latency.py times one); all
   must succeed. p50 and p95 against a single spawn measured just before, in the same run.
2. **Held at once**: ``--running`` hardened servers kept running together, each with a kernel
   that imported ``haven`` and ran a query on a granted dataset (an analyst at rest); every one
   must still answer at the end. Memory and CPU of each from its cgroups (usage less the
   inactive page cache, as ``docker stats`` counts it), the hub's own processes (hub, proxy,
   egress and admin services) from ``/proc``.
3. **Hub API**: p95 of the calls the pages make (a user's own model, the admin's user list with
   stopped servers) with ``--running`` servers running and ``--stopped`` stopped, against the same
   calls on the same hub before any server existed.
4. **Audit**: ``haven audit verify``'s walk of the hub chain (``HubAuditLog.verify``: every link,
   then the anchored head) over ``--events`` events, against a plain read of the same rows.

Then the figures as ratios and per-server costs, and the sizing table (bench/sizing.py) written
between its markers in ``--table`` (docs/scaling.md by default).

The hub runs with no ``concurrent_spawn_limit`` or ``active_server_limit``: the point is what
the host holds, not what the settings let through (docs/scaling.md says how to set them).

usage: python bench/capacity.py [--burst 20] [--running 50] [--stopped 200] [--events 1000000]
                                [--calls 200] [--table FILE] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import docker
import psutil
import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import sizing  # noqa: E402  (beside this script)
from audit_volume import time_verify  # noqa: E402

from haven_hub import bootstrap  # noqa: E402
from tests.fixtures.docker_engine import remove_test_objects  # noqa: E402
from tests.fixtures.hub import Hub, start_test_hub, stop_test_hub, test_settings  # noqa: E402
from tests.integration.test_analyst_kernel import run_cells, text_of  # noqa: E402

# Names of its own, so the benchmark never touches a test session's hub, containers or firewall.
PREFIX, BRIDGE_PREFIX = "hvcap", "hvc-"
PROJECT = "capacity"
WARM_USER, SINGLE_USER = "capwarm", "capsingle"
POLL = 0.25  # a browser's spawn page polls about this often; 20 pollers at 0.05 s would load the hub
KERNEL_CODE = ("import haven\n"
               "print('ROWS', haven.sql('select count(*) from admissions').fetchall()[0][0])")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: with 20 values, p95 is the 19th (one slow start is seen)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def wait_for_200(url: str, headers: dict[str, str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, headers=headers, timeout=5, allow_redirects=False).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(POLL)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f}s")


def user_headers(hub: Hub, user: str) -> dict[str, str]:
    return {"Authorization": f"token {hub.user_token(user)}"}


def spawn(hub: Hub, user: str, project: str, timeout: float = 600) -> float:
    headers = user_headers(hub, user)
    started = time.perf_counter()
    response = hub.api("POST", f"/users/{user}/servers/{project}", token=hub.user_token(user))
    if response.status_code not in (201, 202):
        raise RuntimeError(f"the spawn of {user}/{project} was refused: {response.status_code} {response.text}")
    wait_for_200(f"{hub.url}/user/{user}/{project}/api/me", headers, timeout)
    return time.perf_counter() - started


def stop(hub: Hub, user: str, project: str, timeout: float = 600) -> None:
    """As the hub's stop button; waits longer than the tests' helper, since a wave of stops on
    a loaded host queues behind the engine."""
    response = hub.api("DELETE", f"/users/{user}/servers/{project}")
    if response.status_code not in (202, 204):
        raise RuntimeError(f"the stop of {user}/{project} was refused: {response.status_code} {response.text}")
    deadline = time.monotonic() + timeout
    while project in hub.api("GET", f"/users/{user}").json()["servers"]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{user}/{project} did not stop within {timeout:.0f}s")
        time.sleep(POLL)


def all_at_once(work, items: list, width: int) -> list:
    """``work(item)`` for every item, ``width`` at a time; the first failure is raised."""
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=max(1, width)) as pool:
        return list(pool.map(work, items))


def kernel_with_haven(hub: Hub, user: str, project: str) -> None:
    base = f"{hub.url}/user/{user}/{project}/"
    headers = user_headers(hub, user)
    kernel = requests.post(f"{base}api/kernels", headers=headers, json={"name": "python3"}, timeout=120)
    if kernel.status_code != 201:
        raise RuntimeError(f"no kernel on {user}/{project}: {kernel.status_code} {kernel.text}")
    url = base.replace("http", "ws", 1) + f"api/kernels/{kernel.json()['id']}/channels"
    (messages,) = asyncio.run(run_cells(url, headers, [KERNEL_CODE]))
    if "ROWS " not in text_of(messages):
        raise RuntimeError(f"the kernel on {user}/{project} did not query through haven: {text_of(messages)}")


def cgroup_dir(pid: int, controller: str) -> Path:
    """The container's own cgroup directory for ``controller`` (v1), or its unified one (v2)."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return Path("/sys/fs/cgroup") / controller / path.lstrip("/")
    unified = next(line for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines() if line.startswith("0::"))
    return Path("/sys/fs/cgroup") / unified.split("::", 1)[1].lstrip("/")


def stat_of(path: Path) -> dict[str, int]:
    return {key: int(value) for key, value in (line.split() for line in path.read_text().splitlines())}


def container_cost(container, sample: float = 2.0) -> tuple[float, float]:
    """(MiB in use less inactive page cache, as ``docker stats`` counts it; CPU % of one core over
    ``sample`` seconds), read from the container's cgroups: the engine's own stats are empty on
    some hosts (here: cgroup v1 under a cgroupfs driver the daemon cannot read back)."""
    pid = container.attrs["State"]["Pid"]
    memory, cpu = cgroup_dir(pid, "memory"), cgroup_dir(pid, "cpuacct")
    if (memory / "memory.usage_in_bytes").exists():  # cgroup v1
        used = int((memory / "memory.usage_in_bytes").read_text()) - stat_of(memory / "memory.stat")[
            "total_inactive_file"]

        def cpu_ns() -> int:
            return int((cpu / "cpuacct.usage").read_text())
    else:  # cgroup v2: one directory for both
        used = int((memory / "memory.current").read_text()) - stat_of(memory / "memory.stat")["inactive_file"]

        def cpu_ns() -> int:
            return stat_of(memory / "cpu.stat")["usage_usec"] * 1000
    before = cpu_ns()
    time.sleep(sample)
    return used / 2**20, 100.0 * (cpu_ns() - before) / (sample * 1e9)


def hub_processes_mib(hub: Hub) -> float:
    """Resident memory of the hub and everything it started (proxy, egress and admin services)."""
    root = psutil.Process(bootstrap.hub_pid(hub.settings))
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20


def api_p95(hub: Hub, users: list[str], calls: int) -> dict[str, float]:
    """p95 in ms of a user's own model (the spawn and home pages) and the admin's user list."""
    own, listing = [], []
    for i in range(calls):
        user = users[i % len(users)]
        started = time.perf_counter()
        response = hub.api("GET", f"/users/{user}", token=hub.user_token(user))
        own.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        started = time.perf_counter()
        response = hub.as_admin("GET", "/users?include_stopped_servers=1")
        listing.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return {"user_model_p95_ms": round(1000 * percentile(own, 0.95), 1),
            "user_list_p95_ms": round(1000 * percentile(listing, 0.95), 1)}


def settings_for(data_dir: Path, users: list[str], old_projects: list[str]) -> dict:
    raw = test_settings(data_dir, prefix=PREFIX, bridge_prefix=BRIDGE_PREFIX)
    everyone = [WARM_USER, SINGLE_USER, *users]
    raw["auth"]["accounts"] += [{"name": name} for name in everyone]
    # The project's defaults (1 CPU, 2G, 512 pids): what a deployment gives when it sets none.
    raw["projects"] += [{"id": project, "title": f"Capacity {project}", "members": everyone,
                         "datasets": [{"name": "admissions"}]} for project in [PROJECT, *old_projects]]
    raw["spawner"].update(start_timeout=600, concurrent_spawn_limit=0, active_server_limit=0)
    return raw


def clean_up(client: docker.DockerClient, attempts: int = 10) -> None:
    """The benchmark's containers, networks and volumes, once the engine has finished removing
    what the hub was removing (a second removal of one in progress is refused with 409)."""
    for attempt in range(attempts):
        try:
            remove_test_objects(client, PREFIX)
            return
        except docker.errors.APIError:
            if attempt == attempts - 1:
                raise
            time.sleep(3)


def measure(args: argparse.Namespace, data_dir: Path, client: docker.DockerClient) -> dict:
    users = [f"cap{i:03d}" for i in range(1, max(args.burst, args.running) + 1)]
    old_projects = [f"capold{j}" for j in range(1, math.ceil(args.stopped / len(users)) + 1)] if args.stopped else []
    stopped = [(users[i % len(users)], old_projects[i // len(users)]) for i in range(args.stopped)]
    data_dir.mkdir(parents=True)
    hub = start_test_hub(data_dir, settings_for(data_dir, users, old_projects))
    try:
        width = args.burst
        for user in [WARM_USER, SINGLE_USER, *users]:
            hub.user_token(user)  # issued now, not inside the timed spawns
        baseline_api = api_p95(hub, users, args.calls)
        if args.warm_up:  # unmeasured: creates the project network and warms the image's pages
            spawn(hub, WARM_USER, PROJECT)
            stop(hub, WARM_USER, PROJECT)
        single = spawn(hub, SINGLE_USER, PROJECT)
        stop(hub, SINGLE_USER, PROJECT)

        started = time.perf_counter()
        burst = all_at_once(lambda user: spawn(hub, user, PROJECT), users[:args.burst], width)
        burst_wall = time.perf_counter() - started
        all_at_once(lambda user: spawn(hub, user, PROJECT), users[args.burst:args.running], width)
        running = users[:args.running]
        # Stopped servers of the same people in other projects, spawned and stopped a burst at a time.
        for wave in range(0, len(stopped), width):
            pairs = stopped[wave:wave + width]
            all_at_once(lambda pair: spawn(hub, *pair), pairs, width)
            all_at_once(lambda pair: stop(hub, *pair), pairs, width)
        kernels_started = time.perf_counter()
        all_at_once(lambda user: kernel_with_haven(hub, user, PROJECT), running, 4)
        kernels_s = time.perf_counter() - kernels_started
        time.sleep(args.settle)  # let the kernels go idle before their memory is read
        loaded_api = api_p95(hub, users, args.calls)
        held = sum(1 for user in running if requests.get(f"{hub.url}/user/{user}/{PROJECT}/api/me",
                                                         headers=user_headers(hub, user), timeout=30).ok)
        costs = all_at_once(lambda user: container_cost(client.containers.get(hub.container_name(user, PROJECT))),
                            running, 8)
        services_mib = hub_processes_mib(hub)
    finally:
        # Stopped through the hub, all at once, before the hub itself: a hub stopping fifty
        # servers one by one outlasts its own shutdown timeout on a busy host.
        live = [(user, project) for user in [WARM_USER, SINGLE_USER, *users]
                for project in hub.api("GET", f"/users/{user}").json()["servers"]]
        all_at_once(lambda pair: stop(hub, *pair), live, width)
        stop_test_hub(hub)
        clean_up(client)
    memory = [mib for mib, _ in costs]
    cpu = [percent for _, percent in costs]
    return {
        "single_s": round(single, 2),
        "burst": {"size": args.burst, "p50_s": round(statistics.median(burst), 2),
                  "p95_s": round(percentile(burst, 0.95), 2), "wall_s": round(burst_wall, 2),
                  "p50_ratio": round(statistics.median(burst) / single, 2),
                  "p95_ratio": round(percentile(burst, 0.95) / single, 2)},
        "held": {"running": args.running, "answering": held, "kernels_s": round(kernels_s, 1),
                 "memory_mib_median": round(statistics.median(memory), 1),
                 "memory_mib_max": round(max(memory), 1),
                 "cpu_percent_median": round(statistics.median(cpu), 2),
                 "services_mib": round(services_mib, 1)},
        "api": {"running": args.running, "stopped": args.stopped, "calls": args.calls,
                "baseline": baseline_api, "loaded": loaded_api,
                "user_model_ratio": round(loaded_api["user_model_p95_ms"] / baseline_api["user_model_p95_ms"], 2),
                "user_list_ratio": round(loaded_api["user_list_p95_ms"] / baseline_api["user_list_p95_ms"], 2)},
    }


def report(result: dict) -> str:
    burst, held, api, audit = result["burst"], result["held"], result["api"], result["audit"]
    return "\n".join([
        f"capacity of one host ({result['host']['cpus']} cores, {result['host']['memory_gib']} GiB), {result['date']}",
        f"  single spawn: {result['single_s']:.2f} s",
        f"  burst of {burst['size']}: p50 {burst['p50_s']:.2f} s ({burst['p50_ratio']:.2f}x single), "
        f"p95 {burst['p95_s']:.2f} s ({burst['p95_ratio']:.2f}x), all started in {burst['wall_s']:.1f} s",
        f"  held at once: {held['answering']} of {held['running']} servers with a haven kernel answering; "
        f"each {held['memory_mib_median']:.0f} MiB (max {held['memory_mib_max']:.0f}), "
        f"{held['cpu_percent_median']:.2f}% of a core at rest; hub and services {held['services_mib']:.0f} MiB",
        f"  hub API p95 with {api['running']} running, {api['stopped']} stopped: own model "
        f"{api['loaded']['user_model_p95_ms']:.0f} ms ({api['user_model_ratio']:.2f}x empty hub), user list "
        f"{api['loaded']['user_list_p95_ms']:.0f} ms ({api['user_list_ratio']:.2f}x)",
        f"  audit verify of {audit['events']:,} events: {audit['verify_s']:.2f} s "
        f"({audit['verify_ratio']:.1f}x a plain read of the rows; {audit['per_million_s']:.1f} s per million)",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="What one host running Haven carries")
    parser.add_argument("--burst", type=int, default=20, help="servers asked for at once (default 20)")
    parser.add_argument("--running", type=int, default=50, help="servers held running together (default 50)")
    parser.add_argument("--stopped", type=int, default=200, help="stopped servers on the hub (default 200)")
    parser.add_argument("--events", type=int, default=1_000_000, help="audit events verified (default 1e6)")
    parser.add_argument("--calls", type=int, default=200, help="calls of each hub API request timed (default 200)")
    parser.add_argument("--warm-up", action=argparse.BooleanOptionalAction, default=True,
                        help="one unmeasured spawn first, so the single spawn does not pay for the network")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds for kernels to go idle (default 10)")
    parser.add_argument("--table", type=Path, default=REPO / "docs" / "scaling.md",
                        help="markdown file whose sizing table is rewritten (default docs/scaling.md)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if args.running < args.burst:
        parser.error("--running must be at least --burst (the burst's servers are among those held)")

    client = docker.from_env(version="auto")
    clean_up(client)
    # Other work on the machine slows a burst most: the table says how busy it was when it began.
    load_before = round(psutil.getloadavg()[0], 1)
    with tempfile.TemporaryDirectory(prefix="haven-capacity-") as tmp:
        result = measure(args, Path(tmp) / "hub", client)
        result["audit"] = time_verify(Path(tmp) / "audit", args.events)
    result["host"] = {"cpus": psutil.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
                      "load_before_1min": load_before, "load_1min": round(psutil.getloadavg()[0], 1)}
    result["date"] = datetime.now(UTC).strftime("%Y-%m-%d")
    result["sizes"] = {"burst": args.burst, "running": args.running, "stopped": args.stopped, "events": args.events}
    sizing.write_table(args.table, result)
    if args.json:
        print(json.dumps(result))
    else:
        print(report(result))
        print(f"  sizing table written to {args.table}")
    return 0 if result["held"]["answering"] == result["held"]["running"] else 1


if __name__ == "__main__":
    sys.exit(main())
