"""Close-out: once an archived project's retention has run out, its files are deleted.

Deleted: the workspace (``<data_dir>/projects/<id>/workspace``), every member's home and
scratch volume of the project, and the content of its unreleased egress files
(``haven_egress.closeout``). Kept: released outputs, every request's history, both audit
chains. The deletion is recorded in the hub's audit chain with a manifest (path, size,
SHA-256 of every file removed): each file is hashed before anything is deleted, and the
event follows the deletion (a failure part-way is audited with what was done).

Symlinks are never followed: the manifest is taken with ``os.fwalk`` and files opened with
``O_NOFOLLOW`` relative to their directory's descriptor, and the tree is removed with
``shutil.rmtree``, whose descriptor-based walk (``avoids_symlink_attacks``) unlinks a
planted link rather than what it points at. A workspace path that is itself a link, or
resolves outside ``<data_dir>/projects``, is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..projects import ARCHIVED, Project
from ..provisioning import rules
from ..provisioning.lifecycle import Provisioner
from ..provisioning.rules import ProvisioningError
from ..settings import Settings

CHUNK = 1 << 20
EGRESS_TIMEOUT_SECONDS = 600
# (project id, actor, dry run) -> manifest entries of the egress blobs deleted.
EgressPurge = Callable[[str, str, bool], list[dict[str, Any]]]


def retention_end(project: Project, default_days: int) -> date | None:
    """The first day close-out may run (None: not archived, so no clock is running)."""
    started = project.archived_at or (project.status_changed if project.status == ARCHIVED else None)
    if project.status != ARCHIVED or started is None:
        return None
    days = project.retention_days if project.retention_days is not None else default_days
    return started.date() + timedelta(days=days)


def tree_manifest(root: Path, label: str) -> list[dict[str, Any]]:
    """Every entry under ``root`` as {path, size, sha256} (links as {path, symlink}), never
    following a link; paths are ``label/relative``."""
    if not root.exists():
        return []
    entries = []
    for top, dirs, files, top_fd in os.fwalk(root, follow_symlinks=False):
        relative_top = os.path.relpath(top, root)
        for name in sorted(dirs + files):
            relative = os.path.normpath(os.path.join(relative_top, name))
            info = os.stat(name, dir_fd=top_fd, follow_symlinks=False)
            path = f"{label}/{relative}"
            if stat.S_ISLNK(info.st_mode):
                entries.append({"path": path, "symlink": os.readlink(name, dir_fd=top_fd)})
            elif stat.S_ISREG(info.st_mode):
                entries.append({"path": path, **_hashed(name, top_fd)})
            elif not stat.S_ISDIR(info.st_mode):
                entries.append({"path": path, "type": "special", "size": 0})
    return entries


def _hashed(name: str, dir_fd: int) -> dict[str, Any]:
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as handle:
        digest, size = hashlib.sha256(), 0
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return {"size": size, "sha256": digest.hexdigest()}


def checked_workspace(data_dir: Path, project_id: str) -> Path:
    """The workspace path, refused if it or its project folder is a link or leads outside."""
    root = (data_dir / "projects").resolve()
    folder = data_dir / "projects" / project_id
    workspace = folder / "workspace"
    for path in (folder, workspace):
        if path.is_symlink():
            raise ProvisioningError(f"{path} is a symbolic link: close-out follows no links; remove it by hand")
    if workspace.exists() and workspace.resolve().parent.parent != root:
        raise ProvisioningError(f"{workspace} resolves outside {root}: refused")
    return workspace


@dataclass
class Result:
    project: str
    due: date | None
    dry_run: bool
    removed: list[dict[str, Any]] = field(default_factory=list)
    skipped: str = ""

    @property
    def bytes(self) -> int:
        return sum(entry.get("size", 0) for entry in self.removed)


@dataclass
class Report:
    results: list[Result]

    def as_json(self) -> dict[str, Any]:
        return {"projects": [{"project": r.project, "due": str(r.due) if r.due else None, "dry_run": r.dry_run,
                              "skipped": r.skipped, "files": len(r.removed), "bytes": r.bytes,
                              "removed": r.removed} for r in self.results]}


def human(report: Report) -> str:
    if not report.results:
        return "nothing to close out: no archived project has reached the end of its retention"
    lines = []
    for r in report.results:
        if r.skipped:
            lines.append(f"{r.project}: {r.skipped}")
            continue
        verb = "would delete" if r.dry_run else "deleted"
        lines.append(f"{r.project}: {verb} {len(r.removed)} entries, {r.bytes} bytes")
        lines += [f"  {e['path']}  {e.get('size', '-')}  {e.get('sha256') or e.get('symlink', '')}"
                  for e in r.removed]
    return "\n".join(lines)


@dataclass
class CloseOut:
    provisioner: Provisioner
    settings: Settings
    docker_client: Any
    egress_purge: EgressPurge

    def run(self, ids: list[str], dry_run: bool = False) -> Report:
        """The named projects (each must be due), or every archived project that is due."""
        if ids:
            return Report([self.close_out(project_id, dry_run) for project_id in ids])
        today = self.provisioner.clock()
        results = []
        for project in self.provisioner.list():
            due = retention_end(project, self.settings.admin.retention_days)
            if due is not None and today >= due and project.closed_out is None and not project.frozen:
                results.append(self.close_out(project.id, dry_run))
        return Report(results)

    def close_out(self, project_id: str, dry_run: bool = False) -> Result:
        p = self.provisioner
        project = p.get(project_id)
        due = retention_end(project, self.settings.admin.retention_days)
        if due is None:
            raise ProvisioningError(f"cannot close out project {project_id!r}: it is {project.status}, not archived "
                                    f"(archive it first: haven project archive {project_id} --reason ...)")
        if project.frozen:
            # An incident's evidence is not deleted while it is being looked into.
            raise ProvisioningError(f"cannot close out project {project_id!r}: it is frozen ({project.frozen_reason}); "
                                    "thaw it first")
        if project.closed_out is not None and not dry_run:
            raise ProvisioningError(f"project {project_id!r} was already closed out on {project.closed_out}")
        today = p.clock()
        if today < due and not dry_run:
            raise ProvisioningError(f"cannot close out project {project_id!r} yet: it is kept until {due - timedelta(days=1)} "
                                    f"(archived {project.archived_at or project.status_changed}); close-out is "
                                    f"possible from {due}")
        result = Result(project_id, due, dry_run)
        workspace = checked_workspace(self.settings.hub.data_dir, project_id)
        volumes = self._volumes(project_id)
        result.removed += tree_manifest(workspace, f"workspace:{project_id}")
        for volume in volumes:
            mountpoint = Path(volume.attrs.get("Mountpoint") or "")
            if volume.attrs.get("Driver") != "local" or not mountpoint.is_dir():
                # Deleting what cannot be listed would leave the manifest short.
                raise ProvisioningError(f"cannot read volume {volume.name}'s files on this host to record them; "
                                        "run close-out on the Docker host as root")
            result.removed += tree_manifest(mountpoint, f"volume:{volume.name}")
        if dry_run:
            result.removed += self.egress_purge(project_id, p.actor, True)
            if today < due:
                result.skipped = f"not due: kept until {due - timedelta(days=1)}, so nothing would be deleted yet"
            return result
        done: list[str] = []
        try:
            result.removed += self.egress_purge(project_id, p.actor, False)
            done.append("egress")
            if workspace.exists():
                shutil.rmtree(workspace)
            done.append("workspace")
            for volume in volumes:
                volume.remove()
                done.append(f"volume:{volume.name}")
        except Exception as error:
            p._audit("project.close_out.failed", project_id, done=done, error=str(error))
            raise ProvisioningError(f"close-out of {project_id!r} stopped after {done or 'nothing'}: {error}") from None
        p._audit("project.close_out", project_id, retention_end=str(due), files=len(result.removed),
                 bytes=result.bytes, manifest=result.removed)
        p._save(project_id, rules.record_with(project, closed_out=_now()))
        return result

    def _volumes(self, project_id: str) -> list[Any]:
        """The project's home and scratch volumes, one per (member, project), former members' too.

        Names are ``<prefix>-home-<project>-<user>``; a project whose id extends this one's
        with a dash (``demo`` and ``demo-2``) could share the prefix, so its volumes are left out.
        """
        prefix = self.settings.spawner.container_prefix
        longer = [other.id for other in self.provisioner.list() if other.id.startswith(f"{project_id}-")]
        found = []
        for kind in ("home", "scratch"):
            start = f"{prefix}-{kind}-{project_id}-"
            for volume in self.docker_client.volumes.list(filters={"name": start}):
                if not volume.name.startswith(start):
                    continue
                if any(volume.name.startswith(f"{prefix}-{kind}-{other}-") for other in longer):
                    continue
                found.append(volume)
        return sorted(found, key=lambda volume: volume.name)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def egress_purge_from_settings(settings_path: Path) -> EgressPurge:
    """The egress store named by the settings (its database and blobs are on this host),
    purged by a process of its own: the hub's package never imports the egress service."""

    def purge(project_id: str, actor: str, dry_run: bool) -> list[dict[str, Any]]:
        done = subprocess.run(
            [sys.executable, "-m", "haven_egress.closeout", "--settings", str(settings_path),
             "--project", project_id, "--actor", actor, *(["--dry-run"] if dry_run else [])],
            capture_output=True, text=True, timeout=EGRESS_TIMEOUT_SECONDS)
        if done.returncode != 0:
            raise ProvisioningError((done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1])
        return json.loads(done.stdout)

    return purge


def run_from_cli(provisioner: Provisioner, settings_path: Path, ids: list[str], dry_run: bool) -> Report:
    import docker

    from ..settings import load_settings

    settings = load_settings(settings_path)
    client = docker.from_env(version="auto")
    try:
        return CloseOut(provisioner, settings, client, egress_purge_from_settings(settings_path)).run(ids, dry_run)
    finally:
        client.close()
