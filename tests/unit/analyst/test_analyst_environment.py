"""Limits come from the container's cgroup files, overridable by HAVEN_* variables."""

from __future__ import annotations

import os

import pytest

from haven._environment import MEMORY_SHARE, cgroup_cpu_limit, cgroup_memory_limit, discover, parse_bytes

GIB = 2**30
PHYSICAL = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def write(root, relative, text):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cgroup_v2_limits(tmp_path):
    write(tmp_path, "memory.max", f"{GIB}\n")
    write(tmp_path, "cpu.max", "150000 100000\n")
    assert cgroup_memory_limit(tmp_path) == GIB
    assert cgroup_cpu_limit(tmp_path) == 1.5
    environment = discover(data_dir=tmp_path, scratch_dir=tmp_path, cgroup_root=tmp_path)
    assert environment.memory_limit_bytes == int(MEMORY_SHARE * GIB)
    assert environment.threads == min(2, os.cpu_count())


def test_cgroup_v1_limits(tmp_path):
    write(tmp_path, "memory/memory.limit_in_bytes", f"{2 * GIB}\n")
    write(tmp_path, "cpu/cpu.cfs_quota_us", "100000\n")
    write(tmp_path, "cpu/cpu.cfs_period_us", "100000\n")
    assert cgroup_memory_limit(tmp_path) == 2 * GIB
    assert cgroup_cpu_limit(tmp_path) == 1.0


@pytest.mark.parametrize("files", [
    {"memory.max": "max\n", "cpu.max": "max 100000\n"},
    {"memory/memory.limit_in_bytes": "9223372036854771712\n", "cpu/cpu.cfs_quota_us": "-1\n",
     "cpu/cpu.cfs_period_us": "100000\n"},
    {},
])
def test_no_limit_falls_back_to_the_machine(tmp_path, files):
    for relative, text in files.items():
        write(tmp_path, relative, text)
    assert cgroup_memory_limit(tmp_path) is None and cgroup_cpu_limit(tmp_path) is None
    environment = discover(data_dir=tmp_path, scratch_dir=tmp_path, cgroup_root=tmp_path)
    assert environment.memory_limit_bytes == int(MEMORY_SHARE * PHYSICAL)
    assert environment.threads == os.cpu_count()


def test_environment_variables_override(tmp_path, monkeypatch):
    monkeypatch.setenv("HAVEN_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("HAVEN_SCRATCH_DIR", str(tmp_path))
    monkeypatch.setenv("HAVEN_MEMORY_LIMIT", "3GiB")
    monkeypatch.setenv("HAVEN_SCRATCH_MAX_SIZE", "10GB")
    monkeypatch.setenv("HAVEN_THREADS", "3")
    environment = discover(cgroup_root=tmp_path)
    assert environment.data_dir == tmp_path / "d" and environment.scratch_dir == tmp_path
    assert (environment.memory_limit_bytes, environment.max_scratch_bytes, environment.threads) == (3 * GIB, 10**10, 3)


def test_a_missing_scratch_dir_turns_spilling_off(tmp_path):
    environment = discover(data_dir=tmp_path, scratch_dir=tmp_path / "absent", cgroup_root=tmp_path)
    assert environment.scratch_dir is None and environment.max_scratch_bytes is None


@pytest.mark.parametrize("text, expected", [("4GB", 4 * 10**9), ("512MiB", 512 * 2**20), ("1e9", 10**9), ("2 gib", 2 * GIB)])
def test_parse_bytes(text, expected):
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("text", ["lots", "4XB", "", "GB"])
def test_parse_bytes_refuses_nonsense(text):
    with pytest.raises(ValueError, match="cannot read"):
        parse_bytes(text)
