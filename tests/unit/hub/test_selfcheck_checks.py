"""The selfcheck's judgement of what the probe reports, and its command line, without Docker."""

from __future__ import annotations

import copy

import pytest

from haven_cli.dispatch import main as haven
from haven_hub import lockdown
from haven_hub.selfcheck import checks
from haven_hub.selfcheck.container import listening_ports, resolver_is_havens
from haven_hub.settings import Limits

LIMITS = Limits(cpu=0.5, memory="512M", pids=128)
GATEWAY = "172.30.0.1"
TARGET = checks.Target(container="c", limits=LIMITS, gateway=GATEWAY, hub_api_port=8081, egress_port=8082,
                       host_addresses=(GATEWAY,), closed_ports=(22, 8000), resolver_is_havens=True,
                       datasets=("admissions",), lookup_name="x.invalid")


def held() -> dict:
    """What the probe reports from a server where every boundary holds."""
    tcp = {f"{GATEWAY}:{port}": {"connected": False} for port in (22, 8000, 2375, 2376)}
    tcp[f"{GATEWAY}:8082"] = {"connected": True}
    return {
        "uid": 70000, "gid": 70000,
        "status": {"CapInh": "0", "CapPrm": "0", "CapEff": "0", "CapBnd": "0", "CapAmb": "0", "NoNewPrivs": "1"},
        "root_mount_options": ["ro", "relatime"], "write_root": "OSError: Read-only file system",
        "write_usr": "OSError: Read-only file system",
        "tmp_mount": {"fstype": "tmpfs", "options": ["rw", "nosuid", "nodev"]},
        "docker_socket": [], "ipv6_addresses": [],
        "cgroup_files": {"cpu/cpu.cfs_quota_us": "50000", "cpu/cpu.cfs_period_us": "100000",
                         "memory/memory.limit_in_bytes": str(512 * 2**20), "pids/pids.max": "128"},
        "tcp": tcp, "http": {f"http://{GATEWAY}:8081/hub/api/": {"status": 200}},
        "dns": {"127.0.0.11:53/x.invalid": {"answered": True, "answers": 0}},
        "resolve": {"x.invalid": {"resolved": False, "answer": "error", "seconds": 2.0}},
        "writes": {"/data/admissions/haven-selfcheck": "OSError: Read-only file system"},
        "privileged": {"mount": "EPERM", "chown": "EPERM"},
        "fork": {"forked": 120, "refused": "EAGAIN", "seconds": 1.0},
        "allocate": {"returncode": -9, "allocated": False, "memory_error": False, "seconds": 2.0},
    }


def verdicts(seen: dict, target: checks.Target = TARGET) -> dict[str, str]:
    return {result.name: result.status for result in checks.evaluate(target, seen)}


def test_every_boundary_holding_passes_and_the_rest_is_skipped_with_a_reason():
    results = checks.evaluate(TARGET, held())
    assert [r.name for r in results if r.status == checks.FAIL] == []
    skipped = {r.name: r.detail for r in results if r.status == checks.SKIP}
    assert set(skipped) == {"other-projects-unreachable", "outside-unreachable", "no-host-paths-beyond-grants",
                            "duckdb-escapes-refused", "server-routes", "token-scopes"}
    assert "--outside" in skipped["outside-unreachable"]


@pytest.mark.parametrize(("change", "failing"), [
    (lambda s: s.update(uid=0), "unprivileged-user"),
    (lambda s: s["status"].update(CapBnd="a80425fb"), "no-capabilities"),
    (lambda s: s["privileged"].update(chown="ok"), "privileged-operations-refused"),
    (lambda s: s.update(write_root="written"), "read-only-root"),
    (lambda s: s["fork"].update(forked=512, refused=None), "pids-limit"),
    (lambda s: s["allocate"].update(allocated=True, returncode=0), "memory-limit"),
    (lambda s: s["cgroup_files"].update({"cpu/cpu.cfs_quota_us": "-1"}), "cpu-limit"),
    (lambda s: s["resolve"]["x.invalid"].update(resolved=True), "dns-goes-nowhere"),
    (lambda s: s["dns"]["127.0.0.11:53/x.invalid"].update(answers=1), "dns-goes-nowhere"),
    (lambda s: s.update(bridge_dns=["10.255.0.2 x.invalid"]), "dns-goes-nowhere"),  # failed, but it left
    (lambda s: s["tcp"][f"{GATEWAY}:8000"].update(connected=True), "host-ports-closed"),
    (lambda s: s["tcp"][f"{GATEWAY}:8082"].update(connected=False), "egress-port-reachable"),
    (lambda s: s.update(docker_socket=["/run/docker.sock"]), "docker-api-unreachable"),
    (lambda s: s["writes"].update({"/data/admissions/haven-selfcheck": "written"}), "datasets-read-only"),
    (lambda s: s.pop("fork"), "pids-limit"),  # a probe that did not report fails, never passes
])
def test_each_broken_boundary_fails_its_check_only(change, failing):
    seen = copy.deepcopy(held())
    change(seen)
    assert [name for name, status in verdicts(seen).items() if status == checks.FAIL] == [failing]


def test_without_havens_resolver_setting_no_name_is_looked_up_and_the_check_fails():
    target = checks.Target(container="c", limits=LIMITS, resolver_is_havens=False)
    params = checks.probe_params(target)
    assert "resolve" not in params and "dns" not in params
    assert verdicts(held(), target)["dns-goes-nowhere"] == checks.FAIL
    assert checks.probe_params(TARGET)["resolve"] == ["x.invalid"]


def test_the_server_token_must_be_refused_by_the_scope_check_not_by_anything_else():
    target = checks.Target(container="c", limits=LIMITS, hub_server=True, user="u", other_project="p-b")
    calls = dict(checks.probe_params(target)["hub_calls"])
    seen = held()
    seen["hub_calls"] = {f"{m} {p}": {"status": 403} for m, p in checks.probe_params(target)["hub_calls"]}
    seen["hub_calls"]["GET /user"] = {"status": 200}
    seen["server_routes"] = {**{p: {"status": 403} for p in checks.CLOSED_ROUTES},
                             **{p: {"status": 200} for p in checks.ALLOWED_ROUTES}}
    seen["duckdb"] = {"datasets": [], "control": None, "attempts": {"install an extension": "IOException"}}
    assert verdicts(seen, target)["token-scopes"] == checks.PASS
    assert "POST /users/u/servers/p-b" in {f"{m} {p}" for m, p in checks.probe_params(target)["hub_calls"]}
    assert calls  # the probe is asked to make them
    seen["hub_calls"]["POST /users/u/servers/p-b"] = {"status": 400}  # "already running": the scope was there
    assert verdicts(seen, target)["token-scopes"] == checks.FAIL
    seen["duckdb"]["attempts"]["load an extension"] = "ok"
    assert verdicts(seen, target)["duckdb-escapes-refused"] == checks.FAIL


def test_the_resolver_setting_is_read_from_the_engine():
    assert resolver_is_havens({"HostConfig": {"Dns": list(lockdown.NO_DNS_UPSTREAMS)}})
    assert not resolver_is_havens({"HostConfig": {"Dns": None}})
    assert not resolver_is_havens({"HostConfig": {"Dns": ["10.0.0.2"]}})


def test_listening_ports_come_from_the_kernels_tables(tmp_path):
    header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    rows = [
        "0: 00000000:1F90 00000000:0000 0A 0 0 0 0 0 1",  # 0.0.0.0:8080 listening
        "1: 0100007F:1F91 00000000:0000 0A 0 0 0 0 0 1",  # 127.0.0.1:8081: not reachable from a bridge
        "2: 01001EAC:1F92 00000000:0000 0A 0 0 0 0 0 1",  # 172.30.0.1:8082, the gateway
        "3: 00000000:1F93 0100007F:D431 01 0 0 0 0 0 1",  # established, not listening
    ]
    (tmp_path / "tcp").write_text(header + "\n".join(rows) + "\n")
    (tmp_path / "tcp6").write_text(header + "0: 00000000000000000000000000000000:0016 "
                                   "00000000000000000000000000000000:0000 0A 0 0 0 0 0 1\n")
    assert listening_ports((GATEWAY,), proc=tmp_path) == [22, 8080, 8082]


@pytest.mark.parametrize("bad", ["example.org:80", "198.51.100.1", "198.51.100.1:0", "198.51.100.1:http"])
def test_an_outside_address_must_be_an_ip_and_a_port(bad, capsys):
    assert haven(["selfcheck", "--outside", bad]) == 64
    assert f"{bad!r}" in capsys.readouterr().err


def test_selfcheck_is_a_word_of_the_haven_command(capsys):
    assert haven(["selfcheck", "--help"]) == 0
    assert "--outside" in capsys.readouterr().out
