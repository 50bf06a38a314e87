"""Where things are in the container, and how much memory and CPU it has.

Read when a connection is opened, never at import, so a test (or an analyst) can change
the environment and open another connection.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
# DuckDB needs room outside its buffer pool (Python objects, Arrow conversions, the kernel
# itself), so it gets three quarters of what the container may use.
MEMORY_SHARE = 0.75
# Leave the scratch volume a little headroom for other files written there.
SCRATCH_SHARE = 0.9


@dataclass(frozen=True)
class Environment:
    data_dir: Path
    workspace_dir: Path
    scratch_dir: Path | None  # None: nowhere to spill, so spilling is off
    memory_limit_bytes: int
    max_scratch_bytes: int | None
    threads: int


def _physical_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def cgroup_memory_limit(root: Path = CGROUP_ROOT) -> int | None:
    """The container's memory limit in bytes (cgroup v2, then v1), or None if unlimited."""
    for path in (root / "memory.max", root / "memory" / "memory.limit_in_bytes"):
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text == "max":
            return None
        limit = int(text)
        # cgroup v1 writes "no limit" as a page-rounded 2**63: anything above the
        # machine's memory is no limit at all.
        return None if limit >= _physical_memory() else limit
    return None


def cgroup_cpu_limit(root: Path = CGROUP_ROOT) -> float | None:
    """CPUs the container may use (quota / period), or None if unlimited."""
    try:
        quota, period = (root / "cpu.max").read_text().split()
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None


def parse_bytes(text: str) -> int:
    """'4GB', '512MiB', '1e9' -> bytes (for the HAVEN_* overrides)."""
    units = {None: 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
             "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
    match = _SIZE.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(f"cannot read {text!r} as a size; write e.g. 4GB or 512MiB")
    return int(float(match.group(1)) * units[match.group(2)])


_SIZE = re.compile(r"([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([kmgt]i?b|b)?")


def _usable_dir(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


def discover(
    *,
    data_dir: Path | str | None = None,
    workspace_dir: Path | str | None = None,
    scratch_dir: Path | str | None = None,
    memory_limit: str | None = None,
    max_scratch: str | None = None,
    threads: int | None = None,
    cgroup_root: Path = CGROUP_ROOT,
) -> Environment:
    """Arguments win over HAVEN_* environment variables, which win over what the
    container says about itself."""
    env = os.environ
    data = Path(data_dir or env.get("HAVEN_DATA_DIR", "/data"))
    workspace = Path(workspace_dir or env.get("HAVEN_WORKSPACE_DIR", "/home/analyst/workspace"))
    scratch = Path(scratch_dir or env.get("HAVEN_SCRATCH_DIR", "/scratch"))

    memory_text = memory_limit or env.get("HAVEN_MEMORY_LIMIT")
    if memory_text:
        memory = parse_bytes(memory_text)
    else:
        memory = int(MEMORY_SHARE * (cgroup_memory_limit(cgroup_root) or _physical_memory()))

    scratch_usable = _usable_dir(scratch)
    scratch_text = max_scratch or env.get("HAVEN_SCRATCH_MAX_SIZE")
    if not scratch_usable:
        scratch_bytes = None
    elif scratch_text:
        scratch_bytes = parse_bytes(scratch_text)
    else:
        scratch_bytes = int(SCRATCH_SHARE * shutil.disk_usage(scratch).free)

    thread_text = threads or env.get("HAVEN_THREADS")
    if thread_text:
        thread_count = int(thread_text)
    else:
        cpus = cgroup_cpu_limit(cgroup_root)
        thread_count = max(1, min(os.cpu_count() or 1, math.ceil(cpus) if cpus else os.cpu_count() or 1))

    return Environment(
        data_dir=data,
        workspace_dir=workspace,
        scratch_dir=scratch if scratch_usable else None,
        memory_limit_bytes=memory,
        max_scratch_bytes=scratch_bytes,
        threads=thread_count,
    )
