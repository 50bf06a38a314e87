"""What each boundary must look like from inside a project server, as data.

``probe_params`` says what the probe (``probe.py``, run inside the server) should try for a
:class:`Target`; ``evaluate`` turns what it reported into one :class:`Result` per check. A
check that has nothing to try against (no other servers running, no outside address named)
is ``skip``, never ``pass``. The same checks judge a throwaway server on a live Haven
(``haven selfcheck``) and the containers the security tests start with a setting left out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Callable

from ..settings import Limits, byte_count
from .cgroups import CgroupFormatError, limits_from_files

PASS, FAIL, SKIP = "pass", "fail", "skip"
DOCKER_API_PORTS = (2375, 2376)  # the engine's TCP API, plain and TLS
DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
# Past the limit by enough that no rounding lets it fit; each attempt is bounded in the probe.
OVER_MEMORY = 256 * 1024**2
FORK_FACTOR = 4
# Closed routes answer 403 (haven_lab.gate); allowlisted ones work (haven_lab.routes).
CLOSED_ROUTES = ("api/status", "files/haven-selfcheck.txt", "api/nbconvert", "lab/api/extensions")
ALLOWED_ROUTES = ("api", "api/contents")
# The server's own token: it names itself, and nothing else. Refusals must be 403 (the hub's
# scope check): {other} is the user's own other running server, which a token holding the
# scope would get 400 for ("already running"), so no call here starts anything.
TOKEN_REFUSED = (("GET", "/users"), ("POST", "/users/{user}/tokens"), ("POST", "/users/{user}/servers/{other}"),
                 ("GET", "/groups"))
TOKEN_ALLOWED = (("GET", "/user"),)


@dataclass(frozen=True)
class Target:
    """The server under test and what its Haven allows it."""

    container: str
    limits: Limits
    # The project network's gateway: where the hub API and egress answer (None: not on one).
    gateway: str | None = None
    hub_api_port: int | None = None
    egress_port: int | None = None
    # Host addresses a server can send to (its gateway, docker0) and the host ports that
    # must not answer there.
    host_addresses: tuple[str, ...] = ()
    closed_ports: tuple[int, ...] = ()
    other_servers: tuple[tuple[str, int], ...] = ()
    outside: tuple[tuple[str, int], ...] = ()
    # Whether the engine was told Haven's resolver setting (lockdown.NO_DNS_UPSTREAMS): a
    # lookup is tried only then, so a check never sends a name to the host's resolvers.
    resolver_is_havens: bool = False
    datasets: tuple[str, ...] = ()
    # What the engine mounted (``docker inspect`` Mounts); None: not checked.
    mounts: tuple[dict, ...] | None = None
    allowed_mount_sources: tuple[str, ...] = ()
    # A server the hub spawned: its token, its routes and the analyst library are tried.
    hub_server: bool = False
    user: str = ""
    other_project: str = ""
    lookup_name: str = field(default_factory=lambda: f"haven-selfcheck-{uuid.uuid4().hex[:12]}.invalid")


@dataclass(frozen=True)
class Result:
    name: str
    area: str
    status: str
    detail: str

    def to_json(self) -> dict:
        return {"name": self.name, "area": self.area, "status": self.status, "detail": self.detail}


def probe_params(target: Target) -> dict:
    addresses = target.host_addresses
    tcp = [[address, port] for address in addresses for port in sorted({*target.closed_ports, *DOCKER_API_PORTS})]
    tcp += [list(server) for server in target.other_servers] + [list(address) for address in target.outside]
    if target.gateway and target.egress_port:
        tcp.append([target.gateway, target.egress_port])
    params: dict = {
        "tcp": tcp,
        "writes": [f"/data/{name}/haven-selfcheck" for name in target.datasets],
        "privileged": True,
        "fork": FORK_FACTOR * target.limits.pids,
        "allocate": byte_count(target.limits.memory) + OVER_MEMORY,
    }
    if target.gateway and target.hub_api_port:
        params["http"] = [_hub_api(target)]
    if target.resolver_is_havens:
        params["resolve"] = [target.lookup_name]
        params["dns"] = [["127.0.0.11", 53, target.lookup_name]]
    if target.hub_server:
        params["duckdb"] = True
        params["server_routes"] = [*CLOSED_ROUTES, *ALLOWED_ROUTES]
        params["hub_calls"] = [[method, path.format(user=target.user, other=target.other_project)]
                               for method, path in (*TOKEN_REFUSED, *TOKEN_ALLOWED)]
    return params


def _hub_api(target: Target) -> str:
    return f"http://{target.gateway}:{target.hub_api_port}/hub/api/"


def _connected(seen: dict, host: str, port: int) -> bool:
    return seen["tcp"].get(f"{host}:{port}", {}).get("connected", False)


Check = Callable[[Target, dict], tuple[str, str]]


def _unprivileged_user(target: Target, seen: dict) -> tuple[str, str]:
    ok = seen["uid"] != 0 and seen["gid"] != 0
    return (PASS if ok else FAIL), f"uid {seen['uid']}, gid {seen['gid']}"


def _no_capabilities(target: Target, seen: dict) -> tuple[str, str]:
    held = {name: value for name, value in seen["status"].items() if name.startswith("Cap") and int(value, 16)}
    return (FAIL, f"held: {held}") if held else (PASS, "every capability set is empty")


def _no_new_privileges(target: Target, seen: dict) -> tuple[str, str]:
    flag = seen["status"].get("NoNewPrivs")
    return (PASS if flag == "1" else FAIL), f"NoNewPrivs {flag}"


def _privileged_refused(target: Target, seen: dict) -> tuple[str, str]:
    done = sorted(name for name, result in seen["privileged"].items() if result != "EPERM")
    if done:
        return FAIL, "not refused with EPERM: " + ", ".join(f"{n} ({seen['privileged'][n]})" for n in done)
    return PASS, f"{len(seen['privileged'])} attempts ({', '.join(sorted(seen['privileged']))}) refused"


def _read_only_root(target: Target, seen: dict) -> tuple[str, str]:
    ok = "ro" in seen["root_mount_options"] and seen["write_root"] != "written" and seen["write_usr"] != "written"
    return (PASS if ok else FAIL), f"/ mounted {','.join(seen['root_mount_options'][:2])}; writing /: {seen['write_root']}"


def _tmp_is_tmpfs(target: Target, seen: dict) -> tuple[str, str]:
    mount = seen["tmp_mount"] or {}
    ok = mount.get("fstype") == "tmpfs" and {"nosuid", "nodev"} <= set(mount.get("options", []))
    return (PASS if ok else FAIL), f"/tmp: {mount.get('fstype', 'not a mount')}"


def _limits(seen: dict):
    try:
        return limits_from_files(seen["cgroup_files"])
    except CgroupFormatError:
        return None


def _pids_limit(target: Target, seen: dict) -> tuple[str, str]:
    limits, fork = _limits(seen), seen["fork"]
    ok = limits is not None and limits.pids == target.limits.pids and fork["refused"] == "EAGAIN" \
        and fork["forked"] < target.limits.pids
    return (PASS if ok else FAIL), (f"limit {limits.pids if limits else '?'} (expected {target.limits.pids}); "
                                    f"forked {fork['forked']}, then {fork['refused'] or 'never refused'}")


def _memory_limit(target: Target, seen: dict) -> tuple[str, str]:
    limits, allocation = _limits(seen), seen["allocate"]
    expected = byte_count(target.limits.memory)
    stopped = not allocation["allocated"] and (allocation["returncode"] == -9 or allocation["memory_error"])
    ok = limits is not None and limits.memory_bytes == expected and stopped
    return (PASS if ok else FAIL), (f"limit {limits.memory_bytes if limits else '?'} bytes (expected {expected}); "
                                    f"allocating {expected + OVER_MEMORY}: "
                                    f"{'stopped' if stopped else 'succeeded'} in {allocation['seconds']} s")


def _cpu_limit(target: Target, seen: dict) -> tuple[str, str]:
    limits = _limits(seen)
    ok = limits is not None and limits.cpus == target.limits.cpu
    return (PASS if ok else FAIL), f"{limits.cpus if limits else '?'} CPUs (expected {target.limits.cpu:g})"


def _no_ipv6(target: Target, seen: dict) -> tuple[str, str]:
    return (FAIL, f"addresses: {seen['ipv6_addresses']}") if seen["ipv6_addresses"] else (PASS, "no IPv6 address")


def _dns(target: Target, seen: dict) -> tuple[str, str]:
    if not target.resolver_is_havens:
        # Not tried: with the engine's default upstreams the name would go to the host's resolvers.
        return FAIL, "the engine forwards this server's lookups to the host's resolvers (no Haven dns setting)"
    looked_up = seen["resolve"][target.lookup_name]
    raw = seen["dns"][f"127.0.0.11:53/{target.lookup_name}"]
    answered = raw.get("answered") and raw.get("answers")
    if looked_up["resolved"] or answered:
        return FAIL, f"{target.lookup_name} resolved: {looked_up['answer']}"
    # Watched on the server's bridge by the host while the probe ran (container.run_probe_watching_dns).
    crossed = seen.get("bridge_dns")
    if crossed:
        return FAIL, f"the lookup failed, but DNS queries left the container: {', '.join(crossed[:3])}"
    watched = "; no DNS packet crossed the bridge" if crossed is not None else " (bridge not watched)"
    return PASS, f"lookup of {target.lookup_name} failed in {looked_up['seconds']} s{watched}"


def _hub_api_reachable(target: Target, seen: dict) -> tuple[str, str]:
    if not (target.gateway and target.hub_api_port):
        return SKIP, "not on a project network"
    status = seen["http"][_hub_api(target)]["status"]
    return (PASS if status == 200 else FAIL), f"{_hub_api(target)} answered {status}"


def _egress_reachable(target: Target, seen: dict) -> tuple[str, str]:
    if not (target.gateway and target.egress_port):
        return SKIP, "not on a project network"
    ok = _connected(seen, target.gateway, target.egress_port)
    return (PASS if ok else FAIL), f"{target.gateway}:{target.egress_port} {'open' if ok else 'closed'}"


def _open(seen: dict, pairs) -> list[str]:
    return [f"{host}:{port}" for host, port in pairs if _connected(seen, host, port)]


def _host_ports_closed(target: Target, seen: dict) -> tuple[str, str]:
    if not target.host_addresses:
        return SKIP, "no host address to try"
    pairs = [(a, p) for a in target.host_addresses for p in target.closed_ports]
    reached = _open(seen, pairs)
    return (FAIL, "reached: " + ", ".join(reached)) if reached else \
        (PASS, f"{len(target.closed_ports)} listening host ports closed on {', '.join(target.host_addresses)}")


def _docker_api(target: Target, seen: dict) -> tuple[str, str]:
    reached = _open(seen, [(a, p) for a in target.host_addresses for p in DOCKER_API_PORTS])
    if seen["docker_socket"] or reached:
        return FAIL, f"sockets {seen['docker_socket']}, TCP {reached}"
    return PASS, f"no socket at {', '.join(DOCKER_SOCKETS)}; TCP 2375/2376 closed on {len(target.host_addresses)} addresses"


def _other_servers(target: Target, seen: dict) -> tuple[str, str]:
    if not target.other_servers:
        return SKIP, "no other project's server is running"
    reached = _open(seen, target.other_servers)
    return (FAIL, "reached: " + ", ".join(reached)) if reached else \
        (PASS, f"other projects' servers unreachable: {len(target.other_servers)}")


def _outside(target: Target, seen: dict) -> tuple[str, str]:
    if not target.outside:
        return SKIP, "no outside address named (--outside ADDR:PORT)"
    reached = _open(seen, target.outside)
    return (FAIL, "reached: " + ", ".join(reached)) if reached else (PASS, f"outside addresses unreachable: {', '.join(f'{h}:{p}' for h, p in target.outside)}")


def _datasets_read_only(target: Target, seen: dict) -> tuple[str, str]:
    if not target.datasets:
        return SKIP, "no dataset granted"
    written = [path for path, result in seen["writes"].items() if result == "written"]
    return (FAIL, "written: " + ", ".join(written)) if written else \
        (PASS, f"writing into {', '.join(target.datasets)} refused")


def _mounts(target: Target, seen: dict) -> tuple[str, str]:
    if target.mounts is None:
        return SKIP, "mounts not inspected"
    granted = {f"/data/{name}" for name in target.datasets}
    wrong = []
    for mount in target.mounts:
        destination = mount.get("Destination", "")
        if mount.get("Type") == "volume":
            continue  # the engine's own named volumes (home, scratch), not host paths
        if destination in granted:
            if mount.get("RW"):
                wrong.append(f"{destination} writable")
        elif not any(mount.get("Source", "").startswith(allowed) for allowed in target.allowed_mount_sources):
            wrong.append(f"{mount.get('Source')} -> {destination}")
    return (FAIL, "; ".join(wrong)) if wrong else (PASS, f"{len(target.mounts)} mounts, all granted")


def _duckdb(target: Target, seen: dict) -> tuple[str, str]:
    if not target.hub_server:
        return SKIP, "not a hub-spawned server"
    found = seen.get("duckdb", {})
    if "error" in found:
        return FAIL, found["error"]
    escaped = [name for name, result in found["attempts"].items() if result == "ok"]
    if escaped:
        return FAIL, "succeeded: " + ", ".join(escaped)
    if found["datasets"] and found["control"] != "ok":
        return FAIL, f"the granted dataset {found['datasets'][0]} could not be read: {found['control']}"
    return PASS, f"{len(found['attempts'])} escapes refused; granted data read: {found['control'] or 'none granted'}"


def _routes(target: Target, seen: dict) -> tuple[str, str]:
    if not target.hub_server:
        return SKIP, "not a hub-spawned server"
    answers = {path: result["status"] for path, result in seen["server_routes"].items()}
    wrong = [f"{p} {answers[p]}" for p in CLOSED_ROUTES if answers[p] != 403]
    wrong += [f"{p} {answers[p]}" for p in ALLOWED_ROUTES if answers[p] != 200]
    return (FAIL, "; ".join(wrong)) if wrong else \
        (PASS, f"{len(CLOSED_ROUTES)} closed routes 403, {len(ALLOWED_ROUTES)} allowlisted 200")


def _token(target: Target, seen: dict) -> tuple[str, str]:
    if not target.hub_server:
        return SKIP, "not a hub-spawned server"
    answers = {call: result["status"] for call, result in seen["hub_calls"].items()}
    allowed = [f"{m} {p}" for m, p in TOKEN_ALLOWED]
    wrong = [f"{call} {status}" for call, status in answers.items()
             if (status != 200 if call in allowed else status != 403)]
    return (FAIL, "; ".join(wrong)) if wrong else \
        (PASS, f"{len(answers) - len(allowed)} calls refused (users, tokens, servers, groups); own identity read")


# (name, area, check, the lockdown setting that guards it, if one does)
CHECKS: tuple[tuple[str, str, Check, str | None], ...] = (
    ("unprivileged-user", "privileges", _unprivileged_user, "non-root-user"),
    ("no-capabilities", "privileges", _no_capabilities, "drop-capabilities"),
    ("no-new-privileges", "privileges", _no_new_privileges, "no-new-privileges"),
    ("privileged-operations-refused", "privileges", _privileged_refused, None),
    ("read-only-root", "filesystem", _read_only_root, "read-only-root"),
    ("tmp-is-tmpfs", "filesystem", _tmp_is_tmpfs, "tmpfs-tmp"),
    ("datasets-read-only", "filesystem", _datasets_read_only, None),
    ("no-host-paths-beyond-grants", "filesystem", _mounts, None),
    ("pids-limit", "limits", _pids_limit, "pids-limit"),
    ("memory-limit", "limits", _memory_limit, "memory-limit"),
    ("cpu-limit", "limits", _cpu_limit, "cpu-limit"),
    ("no-ipv6", "network", _no_ipv6, "no-ipv6"),
    ("dns-goes-nowhere", "network", _dns, "no-dns-forwarding"),
    ("hub-api-reachable", "network", _hub_api_reachable, None),
    ("egress-port-reachable", "network", _egress_reachable, None),
    ("host-ports-closed", "network", _host_ports_closed, None),
    ("docker-api-unreachable", "network", _docker_api, None),
    ("other-projects-unreachable", "network", _other_servers, None),
    ("outside-unreachable", "network", _outside, None),
    ("duckdb-escapes-refused", "duckdb", _duckdb, None),
    ("server-routes", "server", _routes, None),
    ("token-scopes", "server", _token, None),
)
GUARDED_BY = {setting: name for name, _, _, setting in CHECKS if setting}


def evaluate(target: Target, seen: dict) -> list[Result]:
    results = []
    for name, area, check, _ in CHECKS:
        try:
            status, detail = check(target, seen)
        except (KeyError, TypeError, ValueError) as error:  # the probe could not report it
            status, detail = FAIL, f"no answer from the probe: {type(error).__name__}: {error}"
        results.append(Result(name, area, status, detail))
    return results
