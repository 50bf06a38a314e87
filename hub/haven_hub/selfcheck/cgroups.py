"""Reads a container's pids, memory and CPU limits from its cgroup files, v1 or v2.

The probe (``probe.py``, run inside a container with the stdlib only) sends back the raw
text of every file in ``FILES`` it could read, keyed by its path under ``/sys/fs/cgroup``;
``limits_from_files`` turns that into numbers on the host. ``read_root`` reads the same
files from a directory, for the unit tests' fixture hierarchies.

cgroup v1 (one hierarchy per controller): ``cpu/cpu.cfs_quota_us`` and
``cpu/cpu.cfs_period_us`` (quota -1: unlimited), ``memory/memory.limit_in_bytes`` (no
limit is written as a page-rounded 2**63), ``pids/pids.max``.
cgroup v2 (one unified hierarchy): ``cpu.max`` ("QUOTA PERIOD", QUOTA "max": unlimited),
``memory.max``, ``pids.max``; "max" means unlimited in each.

These machines (the development and CI hosts) are cgroup v1, so the containers the
security and spawn tests (and ``haven selfcheck`` here) start are read through the v1 paths
only: the v2 paths are proven by the unit tests (tests/unit/hub/test_cgroup_reader.py) only. The analyst library
reads memory and CPU the same way (``haven._environment``); a unit test checks the two
agree on both hierarchies.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

# Paths under /sys/fs/cgroup, v2 first. probe.py carries a copy of this list (it runs
# alone inside the container); a unit test keeps the two equal.
V2_FILES = ("cpu.max", "memory.max", "pids.max")
V1_FILES = ("cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us", "memory/memory.limit_in_bytes", "pids/pids.max")
FILES = V2_FILES + V1_FILES

# cgroup v1 writes "no memory limit" as PAGE_COUNTER_MAX pages (2**63 rounded down to a
# page); no real limit comes near 2**62.
V1_UNLIMITED_MEMORY = 2**62


class CgroupFormatError(ValueError):
    """A cgroup file held something neither hierarchy writes."""


@dataclass(frozen=True)
class CgroupLimits:
    version: int  # 1 or 2
    pids: int | None  # None: unlimited
    memory_bytes: int | None
    cpus: float | None  # quota / period


def _number(text: str, path: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CgroupFormatError(f"{path}: expected a number or 'max', read {text!r}") from None


def _max_or_number(text: str | None, path: str) -> int | None:
    if text is None or text == "max":
        return None
    return _number(text, path)


def limits_from_files(files: Mapping[str, str | None]) -> CgroupLimits:
    """Limits from the raw text of the files in ``FILES`` (missing or unreadable: None).

    A container sees one hierarchy: v2 if ``cpu.max`` or ``memory.max`` is there, else v1.
    """
    text = {path: (value.strip() if value is not None else None) for path, value in files.items()}
    if text.get("cpu.max") is not None or text.get("memory.max") is not None:
        cpus = None
        if text.get("cpu.max") is not None:
            parts = text["cpu.max"].split()
            if len(parts) != 2:
                raise CgroupFormatError(f"cpu.max: expected 'QUOTA PERIOD', read {text['cpu.max']!r}")
            quota, period = parts
            cpus = None if quota == "max" else _number(quota, "cpu.max") / _number(period, "cpu.max")
        return CgroupLimits(
            version=2,
            pids=_max_or_number(text.get("pids.max"), "pids.max"),
            memory_bytes=_max_or_number(text.get("memory.max"), "memory.max"),
            cpus=cpus,
        )
    if all(text.get(path) is None for path in V1_FILES):
        raise CgroupFormatError(f"no cgroup limit files found (looked for {', '.join(FILES)})")
    memory = _max_or_number(text.get("memory/memory.limit_in_bytes"), "memory/memory.limit_in_bytes")
    cpus = None
    if text.get("cpu/cpu.cfs_quota_us") is not None:
        quota = _number(text["cpu/cpu.cfs_quota_us"], "cpu/cpu.cfs_quota_us")
        period = _number(text.get("cpu/cpu.cfs_period_us") or "", "cpu/cpu.cfs_period_us")
        cpus = None if quota < 0 else quota / period
    return CgroupLimits(
        version=1,
        pids=_max_or_number(text.get("pids/pids.max"), "pids/pids.max"),
        memory_bytes=None if memory is not None and memory >= V1_UNLIMITED_MEMORY else memory,
        cpus=cpus,
    )


def read_root(root: Path) -> CgroupLimits:
    """Limits read from a directory laid out like /sys/fs/cgroup (either hierarchy)."""
    files: dict[str, str | None] = {}
    for path in FILES:
        try:
            files[path] = (root / path).read_text()
        except OSError:
            files[path] = None
    return limits_from_files(files)


def limits_seen(probe_result: dict) -> CgroupLimits:
    """Limits from what ``probe.py`` reported."""
    return limits_from_files(probe_result["cgroup_files"])
