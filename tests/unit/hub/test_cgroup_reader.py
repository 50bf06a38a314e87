"""The security and spawn tests' cgroup reader, on fixture hierarchies of both versions.

These machines are cgroup v1: the v2 format is proven here, by these unit tests, only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from haven._environment import cgroup_cpu_limit, cgroup_memory_limit
from haven_hub.selfcheck import cgroups
from haven_hub.selfcheck.cgroups import CgroupFormatError, CgroupLimits, read_root

MIB = 2**20
PROBE = Path(cgroups.__file__).with_name("probe.py")


def lay_out(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def v1(root: Path, *, quota="50000", period="100000", memory=str(512 * MIB), pids="128") -> Path:
    # One directory per controller, as a container sees /sys/fs/cgroup on a v1 host, with
    # the other files a real hierarchy holds, so the reader must pick its own.
    return lay_out(root, {
        "cpu/cpu.cfs_quota_us": f"{quota}\n", "cpu/cpu.cfs_period_us": f"{period}\n", "cpu/cpu.shares": "1024\n",
        "memory/memory.limit_in_bytes": f"{memory}\n", "memory/memory.usage_in_bytes": "1234567\n",
        "pids/pids.max": f"{pids}\n", "pids/pids.current": "3\n",
    })


def v2(root: Path, *, cpu="50000 100000", memory=str(512 * MIB), pids="128") -> Path:
    # One unified directory, as a container sees /sys/fs/cgroup on a v2 host.
    return lay_out(root, {
        "cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
        "cpu.max": f"{cpu}\n", "cpu.weight": "100\n",
        "memory.max": f"{memory}\n", "memory.current": "1234567\n", "memory.swap.max": "0\n",
        "pids.max": f"{pids}\n", "pids.current": "3\n",
    })


def test_v1_limits(tmp_path):
    assert read_root(v1(tmp_path)) == CgroupLimits(version=1, pids=128, memory_bytes=512 * MIB, cpus=0.5)


def test_v2_limits(tmp_path):
    assert read_root(v2(tmp_path)) == CgroupLimits(version=2, pids=128, memory_bytes=512 * MIB, cpus=0.5)


def test_v1_unlimited(tmp_path):
    # What Docker writes with no limits: quota -1, the page-rounded 2**63, "max".
    root = v1(tmp_path, quota="-1", memory="9223372036854771712", pids="max")
    assert read_root(root) == CgroupLimits(version=1, pids=None, memory_bytes=None, cpus=None)


def test_v2_unlimited(tmp_path):
    root = v2(tmp_path, cpu="max 100000", memory="max", pids="max")
    assert read_root(root) == CgroupLimits(version=2, pids=None, memory_bytes=None, cpus=None)


def test_v2_quota_is_divided_by_its_own_period(tmp_path):
    assert read_root(v2(tmp_path, cpu="150000 50000")).cpus == 3.0


def test_both_hierarchies_give_the_same_limits(tmp_path):
    one, two = read_root(v1(tmp_path / "v1")), read_root(v2(tmp_path / "v2"))
    assert (one.version, two.version) == (1, 2)
    assert (one.pids, one.memory_bytes, one.cpus) == (two.pids, two.memory_bytes, two.cpus)


@pytest.mark.parametrize("layout", [v1, v2])
def test_agrees_with_the_analyst_library(tmp_path, layout):
    # haven._environment reads memory and CPU from the same files for DuckDB's settings.
    limits = read_root(layout(tmp_path))
    assert cgroup_memory_limit(tmp_path) == limits.memory_bytes
    assert cgroup_cpu_limit(tmp_path) == limits.cpus


@pytest.mark.parametrize(("layout", "change", "message"), [
    (v1, {"memory": "lots"}, "memory/memory.limit_in_bytes"),
    (v1, {"pids": ""}, "pids/pids.max"),
    (v2, {"cpu": "50000"}, "cpu.max"),
    (v2, {"cpu": "half 100000"}, "cpu.max"),
    (v2, {"memory": "512M"}, "memory.max"),
])
def test_garbage_is_refused_with_the_file_named(tmp_path, layout, change, message):
    with pytest.raises(CgroupFormatError, match=message):
        read_root(layout(tmp_path, **change))


def test_no_hierarchy_is_refused(tmp_path):
    with pytest.raises(CgroupFormatError, match="no cgroup limit files"):
        read_root(tmp_path)


def test_the_probe_sends_exactly_the_files_the_reader_reads():
    tree = ast.parse(PROBE.read_text())
    (value,) = [node.value for node in tree.body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "CGROUP_FILES"]
    assert ast.literal_eval(value) == cgroups.FILES


def test_probe_output_is_read_through_the_same_parser(tmp_path):
    raw = {"cpu.max": None, "memory.max": None, "pids.max": None, "cpu/cpu.cfs_quota_us": "50000",
           "cpu/cpu.cfs_period_us": "100000", "memory/memory.limit_in_bytes": str(768 * MIB), "pids/pids.max": "256"}
    assert cgroups.limits_seen({"cgroup_files": raw}) == CgroupLimits(1, 256, 768 * MIB, 0.5)
