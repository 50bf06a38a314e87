"""How many project servers one host runs and starts at once (JupyterHub's
``active_server_limit`` and ``concurrent_spawn_limit``), from the settings or derived from the host.
"""

from __future__ import annotations

import os
from typing import Any

from .settings import byte_count
from .settings.projects import Limits

# A project server's memory limit when its project sets none: the unit the host is divided into.
SERVER_MEMORY = byte_count(Limits.model_fields["memory"].default)


def host_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def host_cpus() -> int:
    return len(os.sched_getaffinity(0))


def active_server_limit(configured: int | None, memory: int | None = None) -> int:
    """The setting, or as many default-sized servers as the host's memory holds (at least one)."""
    if configured is not None:
        return configured
    return max(1, (host_memory() if memory is None else memory) // SERVER_MEMORY)


def concurrent_spawn_limit(configured: int | None, cpus: int | None = None) -> int:
    """The setting, or two starts per CPU (a start is mostly waiting on Docker), at least two."""
    if configured is not None:
        return configured
    return max(2, 2 * (host_cpus() if cpus is None else cpus))


def limits_of(settings: Any) -> dict[str, int]:
    spawner = settings.spawner
    return {"active_server_limit": active_server_limit(spawner.active_server_limit),
            "concurrent_spawn_limit": concurrent_spawn_limit(spawner.concurrent_spawn_limit)}
