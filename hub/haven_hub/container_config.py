"""A project server's container: Haven's lockdown merged with what the hub's config adds.

An administrator may set DockerSpawner's ``volumes``, ``read_only_volumes``,
``extra_host_config`` and ``extra_create_kwargs`` on ``HavenSpawner`` (jupyterhub_config.py).
What they add is kept when it cannot weaken the lockdown; anything else refuses the spawn
with an error naming the setting, before anything is made: an ignored setting would look
applied, and a lockdown value silently replaced would be a hole. docs/spawner-config.md
lists the rules.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

# Host-config keys that tune resources or logging and never widen what the server reaches.
ADDABLE_HOST_CONFIG = frozenset({
    "shm_size", "ulimits", "oom_score_adj", "init", "log_config", "blkio_weight", "cpu_shares",
    "cpuset_cpus", "cpuset_mems", "storage_opt",
})
ADDABLE_CREATE_KWARGS = frozenset({"labels"})
# Labels Haven reads back (networks.LABEL and the user's) are Haven's alone.
HAVEN_LABEL_PREFIX = "org.haven."


class SpawnerConfigError(ValueError):
    """What config sets on the spawner conflicts with Haven's lockdown."""


@dataclass(frozen=True)
class Configured:
    """What config set on the DockerSpawner traits the spawner fills in at each start."""

    volumes: dict[str, Any] = field(default_factory=dict)
    read_only_volumes: dict[str, Any] = field(default_factory=dict)
    mounts: list[Any] = field(default_factory=list)
    extra_host_config: Any = field(default_factory=dict)
    extra_create_kwargs: Any = field(default_factory=dict)
    mem_limit: Any = None
    cpu_limit: Any = None


def _refuse(message: str) -> SpawnerConfigError:
    return SpawnerConfigError(f"The spawner configuration conflicts with Haven's lockdown: {message}")


def check_limits(configured: Configured) -> None:
    # A project's limits are a boundary with one home (the project record), not a default.
    for name in ("mem_limit", "cpu_limit"):
        if getattr(configured, name):  # DockerSpawner's "unset" is 0
            raise _refuse(f"{name} is set in the hub's config; a server's limits are its project's "
                          "(projects[].limits in the settings, or `haven project`). Remove it.")
    if configured.mounts:
        raise _refuse("mounts is set in the hub's config; add read-only volumes instead.")


def _check_added(setting: str, decided: dict[str, Any], added: dict[str, Any], addable: frozenset[str]) -> None:
    """Each key config added to ``setting``: a decided key only with the decided value, any
    other only if it is addable."""
    for key, value in added.items():
        if key in decided:
            if value != decided[key]:
                raise _refuse(f"{setting}[{key!r}] is {value!r}; the lockdown sets {decided[key]!r}.")
        elif key not in addable:
            raise _refuse(f"{setting}[{key!r}] is not one a config may add "
                          f"(allowed: {', '.join(sorted(addable))}).")


def host_config(lockdown: dict[str, Any], haven: dict[str, Any], added: dict[str, Any]) -> dict[str, Any]:
    """Docker's host config: what config ``added``, then Haven's own and the lockdown's values.

    A key the lockdown or Haven sets may be repeated only with the same value; any other
    key must be one of ``ADDABLE_HOST_CONFIG``.
    """
    decided = {**haven, **lockdown}
    _check_added("extra_host_config", decided, added, ADDABLE_HOST_CONFIG)
    return {**added, **decided}


def create_kwargs(lockdown: dict[str, Any], labels: dict[str, str], added: dict[str, Any]) -> dict[str, Any]:
    """docker-py's create arguments: the lockdown's, Haven's labels, and labels config adds."""
    _check_added("extra_create_kwargs", lockdown, added, ADDABLE_CREATE_KWARGS)
    added_labels = dict(added.get("labels") or {})
    reserved = sorted(name for name in added_labels if name.startswith(HAVEN_LABEL_PREFIX))
    if reserved:
        raise _refuse(f"the label {reserved[0]!r} is Haven's (labels starting {HAVEN_LABEL_PREFIX!r} are).")
    return {**lockdown, "labels": {**added_labels, **labels}}


def _overlaps(path: str, other: str) -> bool:
    a, b = PurePosixPath(path), PurePosixPath(other)
    return a == b or a in b.parents or b in a.parents


# Host paths whose contents reach the engine, the host's services or the kernel's interfaces.
HOST_PATHS_NEVER_MOUNTED = ("/run", "/var/run", "/var/lib/docker", "/proc", "/sys", "/dev", "/etc", "/root")


def check_volumes(haven: dict[str, dict[str, Any]], added_binds: dict[str, dict[str, Any]],
                  other_targets: list[str] = ()) -> None:
    """Volumes config adds (rendered binds, ``{source: {"bind": target, "mode": ...}}``) beside
    Haven's own mounts (``haven``, same form) and its other mount points (the tmpfs /tmp).

    Read-only only: a writable path shared by servers would carry data between projects. Not
    over or under a mount point of Haven's, nor a socket (a read-only socket still connects).
    """
    haven_targets = [bind["bind"] for bind in haven.values()] + list(other_targets)
    for source, bind in added_binds.items():
        target, mode = bind["bind"], bind.get("mode", "rw")
        if mode != "ro":
            raise _refuse(f"the volume {source} -> {target} is mounted {mode!r}; a volume a config adds "
                          "must be read-only (mode 'ro').")
        if not PurePosixPath(target).is_absolute() or PurePosixPath(target) == PurePosixPath("/"):
            raise _refuse(f"the volume {source} -> {target} needs an absolute target below '/'.")
        if source in haven:
            raise _refuse(f"the volume {source} is one of Haven's own mounts.")
        clash = next((mine for mine in haven_targets if _overlaps(target, mine)), None)
        if clash is not None:
            raise _refuse(f"the volume {source} -> {target} overlaps Haven's mount at {clash}.")
        if source.startswith("/"):
            host = next((path for path in HOST_PATHS_NEVER_MOUNTED if _overlaps(source, path)), None)
            if host is not None or PurePosixPath(source) == PurePosixPath("/"):
                raise _refuse(f"the volume {source} is, holds or is inside {host or '/'}, which a server never sees.")
            if _is_socket(source):
                raise _refuse(f"the volume {source} is a socket; a server may not reach a host service through one.")


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


# Where the analyst's ``pip install`` puts approved packages: the per-(user, project) home
# volume, so the read-only root stays read-only. The image's venv has no user site (so pip's
# --user is refused); pip installs with this prefix into its user-site layout
# (``lib/pythonX.Y/site-packages``), which the image's kernelspec alone puts on the kernel's
# path: the Jupyter server never imports from anywhere the analyst can write.
PACKAGES_PREFIX = "/home/analyst/.local"
# The egress service's path of the approved package index (haven_egress.package_index).
PACKAGE_INDEX_PATH = "packages/simple/"


def package_index_env(egress_url: str, token: str) -> dict[str, str]:
    """pip's settings for a project server: the approved index only, as this server's own token.

    The token travels as Basic-auth password in the index URL, which lives only in the
    container's environment (never in the image or a file of the workspace). The index is
    plain HTTP on the project's internal bridge, like the egress API, hence ``trusted-host``.
    """
    parts = urlsplit(egress_url)
    netloc = f"__token__:{quote(token, safe='')}@{parts.netloc}"
    return {
        "PIP_INDEX_URL": urlunsplit((parts.scheme, netloc, parts.path + PACKAGE_INDEX_PATH, "", "")),
        "PIP_TRUSTED_HOST": parts.hostname or "",
        "PIP_PREFIX": PACKAGES_PREFIX,
        "PYTHONUSERBASE": PACKAGES_PREFIX,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
    }
