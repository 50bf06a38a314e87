"""Disk used by each project, measured and compared with its quota (not enforced).

A project's disk is its shared workspace (a directory bind-mounted from
``<data_dir>/projects/<id>/workspace``) and each member's home and scratch volumes.
Haven's default host (ext4 or overlay, Docker's local volume driver) has no per-directory
quotas to enforce, so usage is measured by walking the files and shown beside the quota,
with a warning near it. Measurements go to ``<data_dir>/usage.json``: the admin service
writes it, the hub's project page only reads it (a page load never walks a workspace).
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Iterable

from .settings import Settings, byte_count

USAGE_FILE = "usage.json"

OK, WARNING, OVER, NO_QUOTA = "ok", "warning", "over", "no-quota"


@dataclass(frozen=True)
class DiskUsage:
    project: str
    used_bytes: int
    quota_bytes: int | None
    measured_at: str  # ISO time, UTC
    # What could not be measured (e.g. volumes unreadable to this process); empty if all was.
    incomplete: str = ""

    def percent(self) -> float | None:
        if not self.quota_bytes:
            return None
        return 100 * self.used_bytes / self.quota_bytes

    def level(self, warning_percent: int) -> str:
        percent = self.percent()
        if percent is None:
            return NO_QUOTA
        if percent >= 100:
            return OVER
        return WARNING if percent >= warning_percent else OK

    def describe(self, warning_percent: int) -> str:
        """One line for a person: used of quota, and the warning if there is one."""
        used = human_bytes(self.used_bytes)
        level = self.level(warning_percent)
        if level == NO_QUOTA:
            return f"{used} used (no quota)"
        text = f"{used} of {human_bytes(self.quota_bytes or 0)} ({self.percent():.0f}%)"
        if level == OVER:
            return text + ": over the quota (not enforced: ask members to tidy up)"
        if level == WARNING:
            return text + ": near the quota"
        return text


def human_bytes(count: int) -> str:
    value = float(count)
    for unit in ("B", "K", "M", "G", "T"):
        if value < 1024 or unit == "T":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    raise AssertionError("unreachable")


def directory_bytes(path: Path) -> int:
    """Bytes allocated to the files under ``path`` (hard links once, symlinks not followed)."""
    total = 0
    seen: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(path, followlinks=False):
        for name in files + dirs:
            try:
                info = os.lstat(os.path.join(root, name))
            except OSError:
                continue  # removed while walking
            if stat.S_ISDIR(info.st_mode):
                continue
            key = (info.st_dev, info.st_ino)
            if key in seen:
                continue
            seen.add(key)
            total += info.st_blocks * 512
    return total


def workspace_dir(settings: Settings, project_id: str) -> Path:
    # The same path the spawner bind-mounts (HavenSpawner.workspace_dir).
    return settings.hub.data_dir / "projects" / project_id / "workspace"


def member_volumes(settings: Settings, project_id: str, members: Iterable[str]) -> list[str]:
    """Names of the members' home and scratch volumes, as the spawner names them."""
    from dockerspawner import DockerSpawner

    prefix = settings.spawner.container_prefix
    names = []
    for member in sorted(members):
        escaped = DockerSpawner._escape(member)
        names += [f"{prefix}-home-{project_id}-{escaped}", f"{prefix}-scratch-{project_id}-{escaped}"]
    return names


def measure(settings: Settings, project: Any, docker_client: Any = None) -> DiskUsage:
    """A project's usage now: its workspace, plus its members' volumes when ``docker_client`` is given."""
    used = 0
    missing = []
    workspace = workspace_dir(settings, project.id)
    if workspace.is_dir():
        used += directory_bytes(workspace)
    if docker_client is not None:
        import docker.errors

        for name in member_volumes(settings, project.id, project.members):
            try:
                mountpoint = Path(docker_client.volumes.get(name).attrs["Mountpoint"])
            except docker.errors.NotFound:
                continue  # the member never started a server
            if not os.access(mountpoint, os.R_OK | os.X_OK):
                missing.append(name)
                continue
            used += directory_bytes(mountpoint)
    quota = byte_count(project.disk_quota) if project.disk_quota else None
    incomplete = f"volumes not readable here: {', '.join(missing)}" if missing else ""
    return DiskUsage(project.id, used, quota, datetime.now(UTC).replace(microsecond=0).isoformat(), incomplete)


def save(settings: Settings, usages: Iterable[DiskUsage]) -> None:
    path = settings.hub.data_dir / USAGE_FILE
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps({u.project: asdict(u) for u in usages}, indent=1))
    os.replace(temporary, path)


def load(data_dir: Path) -> dict[str, DiskUsage]:
    """The last measurements by project id; empty if none were made or the file is unreadable."""
    try:
        raw = json.loads((data_dir / USAGE_FILE).read_text())
        return {project: DiskUsage(**fields) for project, fields in raw.items()}
    except (OSError, ValueError, TypeError):
        return {}
