"""Haven's state on the host is private: what must be, checking it at start-up, tightening it.

Every database, secret, key, head file, log and blob folder Haven keeps is mode 0600 or
stricter (files) and 0700 (folders), owned by the user Haven runs as; each project's
workspace is owned by the containers' uid (``spawner.container_uid``) instead, mode 0700.
The hub, the egress service and the admin service call :func:`require_private` before they
start and refuse to on anything looser, naming the path, the mode found and the fix.
:func:`tighten` (``python -m haven_hub.bootstrap secrets``, which scripts/up runs) brings an
install made before this was checked to these modes once.

The dataset catalogue's own folder is private too; the versions inside stay 0555/0444 because
containers read them through bind mounts as ``spawner.container_uid``, and a bind mount does
not cross the private folders above its source (docs/host-state.md).
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .settings import Settings, SettingsError

PRIVATE_UMASK = 0o077
Kind = Literal["file", "dir", "sqlite", "tree", "dirs", "workspace"]
SQLITE_SIDECARS = ("", "-wal", "-shm", "-journal")
SUBORDINATE_ID_FILES = (Path("/etc/subuid"), Path("/etc/subgid"))


class HostStateError(SettingsError):
    """Haven's state on the host is readable by others; the message names each path and the fix."""


@dataclass(frozen=True)
class Private:
    """One path that must be private.

    ``kind``: ``file``; ``dir`` (the folder alone); ``sqlite`` (a database and its -wal, -shm,
    -journal files); ``tree`` (a folder and everything below it); ``dirs`` (a folder and every
    folder below it: the egress blobs, each file read-only behind them); ``workspace`` (a folder
    owned by the containers' uid; what is inside is the analysts' and is re-owned, not checked).
    """

    path: Path
    kind: Kind
    what: str


def private_paths(settings: Settings) -> list[Private]:
    """What must be private, for these settings (paths that do not exist are skipped)."""
    data = settings.hub.data_dir
    egress = settings.data_path(settings.egress.data_dir)
    paths = [
        Private(data, "dir", "Haven's data directory"),
        Private(data / "jupyterhub.sqlite", "sqlite", "the hub's database (users, API tokens, projects)"),
        Private(data / "accounts.sqlite", "sqlite", "the accounts store (password hashes, TOTP secrets)"),
        Private(data / "secrets", "tree", "the secrets folder (cookie secrets, API tokens, keys)"),
        Private(settings.data_path(settings.hub.operator_token_file), "file", "the operator API token"),
        Private(settings.data_path(settings.auth.credentials_dir), "tree", "the accounts' initial credentials"),
        Private(settings.data_path(settings.auth.oidc.client_secret_file), "file", "the OIDC client secret"),
        Private(data / "audit", "tree", "the hub's audit log, its head file and lock"),
        Private(data / "meter", "tree", "the counts of bytes sent to browsers"),
        Private(data / "logs", "tree", "the hub's logs"),
        Private(data / "usage.json", "file", "the projects' disk measurements"),
        Private(data / "jupyterhub.pid", "file", "the hub's pid file"),
        Private(data / "proxy.pid", "file", "the proxy's pid file"),
        Private(settings.data_path(settings.datasets.catalogue_dir), "dir", "the dataset catalogue"),
        Private(egress, "dir", "the egress service's data directory"),
        Private(egress / "egress.sqlite", "sqlite", "the egress database (requests, reviews, audit chain)"),
        Private(egress / "cookie_secret", "file", "the egress service's cookie secret"),
        Private(egress / "audit.head", "file", "the egress audit chain's head file"),
        Private(egress / "notify-watermark", "file", "the egress notices' watermark"),
        Private(egress / "signing", "tree", "the release signing keys"),
        Private(egress / "blobs", "dirs", "the submitted files"),
        Private(egress / "package-index", "dirs", "the approved package index's wheels"),
        Private(data / "projects", "dir", "the projects' folder"),
    ]
    projects = data / "projects"
    if projects.is_dir():
        for project in sorted(p for p in projects.iterdir() if p.is_dir() and not p.is_symlink()):
            paths.append(Private(project, "dir", f"project {project.name}'s folder"))
            paths.append(Private(project / "workspace", "workspace", f"project {project.name}'s workspace"))
    return paths


@dataclass(frozen=True)
class Loose:
    """A path that is readable by others or owned by someone else."""

    path: Path
    what: str
    mode: int
    owner: int
    wanted_owner: int
    is_dir: bool
    is_workspace: bool = False

    def sentence(self) -> str:
        wanted = "0700" if self.is_dir else "0600 or stricter"
        problems = []
        if self.mode & 0o077:
            problems.append(f"is mode {self.mode:04o} (group or other may use it; it must be {wanted}): "
                            f"chmod {'700' if self.is_dir else 'go-rwx'} {self.path}")
        if self.owner != self.wanted_owner:
            fix = (f"chown -R {self.wanted_owner}:{self.wanted_owner}" if self.is_workspace
                   else f"chown {self.wanted_owner}")
            problems.append(f"is owned by uid {self.owner}{_account(self.owner)} (it must be uid "
                            f"{self.wanted_owner}{_account(self.wanted_owner)}): {fix} {self.path}")
        return f"{self.path} ({self.what}) " + "; and ".join(problems)



def _account(uid: int) -> str:
    try:
        return f" ({pwd.getpwuid(uid).pw_name})"
    except KeyError:
        return ""


def _entries(item: Private) -> list[tuple[Path, os.stat_result]]:
    """The paths ``item`` covers that exist, with their lstat; symbolic links are not followed."""
    if item.kind == "sqlite":
        candidates = [item.path.with_name(item.path.name + suffix) for suffix in SQLITE_SIDECARS]
        return [(p, p.lstat()) for p in candidates if p.exists() and not p.is_symlink()]
    try:
        top = item.path.lstat()
    except FileNotFoundError:
        return []
    found = [(item.path, top)]
    if item.kind in ("tree", "dirs") and stat.S_ISDIR(top.st_mode):
        for root, dirs, files in os.walk(item.path):
            names = dirs + (files if item.kind == "tree" else [])
            for name in names:
                path = Path(root) / name
                info = path.lstat()
                if not stat.S_ISLNK(info.st_mode):
                    found.append((path, info))
    return found


def find_loose(settings: Settings, *, owner: int | None = None) -> list[Loose]:
    """Every private path that group or other may use, or that someone else owns."""
    owner = os.geteuid() if owner is None else owner
    container_uid = settings.spawner.container_uid
    loose = []
    for item in private_paths(settings):
        wanted_owner = container_uid if item.kind == "workspace" else owner
        for path, info in _entries(item):
            if info.st_mode & 0o077 or info.st_uid != wanted_owner:
                loose.append(Loose(path, item.what, stat.S_IMODE(info.st_mode), info.st_uid, wanted_owner,
                                   stat.S_ISDIR(info.st_mode), item.kind == "workspace"))
    return loose


def require_private(settings: Settings, service: str) -> None:
    """Raises HostStateError naming every loose path; ``service`` is who refuses to start."""
    loose = find_loose(settings)
    if loose:
        lines = "\n".join(f"  - {item.sentence()}" for item in loose)
        raise HostStateError(
            f"{service} refuses to start: Haven's state on the host must be private (files 0600, folders "
            f"0700, owned by uid {os.geteuid()}), and {len(loose)} path(s) are not:\n{lines}\n"
            "Fix each as shown, or tighten them all at once with: "
            "python -m haven_hub.bootstrap secrets --settings FILE (scripts/up runs it)."
        )


def tighten(settings: Settings) -> list[Path]:
    """Makes every private path private (strips group and other bits, gives it its owner);
    workspaces and what is inside them go to the containers' uid. Returns what it changed."""
    changed = []
    for loose in find_loose(settings):
        if loose.is_workspace:
            own_tree(loose.path, loose.wanted_owner)
        elif loose.owner != loose.wanted_owner:
            os.chown(loose.path, loose.wanted_owner, -1, follow_symlinks=False)
        os.chmod(loose.path, loose.mode & ~0o077)
        changed.append(loose.path)
    return changed


def own_tree(top: Path, uid: int) -> int:
    """Gives ``top`` and everything below it to ``uid`` (group the same), never following a
    symbolic link; for folders made when containers ran as another uid. Returns how many changed."""
    changed = 0
    for root, dirs, files in os.walk(top):
        for path in [Path(root)] + [Path(root) / name for name in dirs + files]:
            info = path.lstat()
            if (info.st_uid, info.st_gid) != (uid, uid):
                os.chown(path, uid, uid, follow_symlinks=False)
                changed += 1
    return changed


def make_private_dir(path: Path, owner: int | None = None) -> Path:
    """Creates ``path`` (and missing parents) 0700 whatever the umask; an existing folder keeps its mode."""
    missing = []
    for candidate in [path, *path.parents]:
        if candidate.exists():
            break
        missing.append(candidate)
    for candidate in reversed(missing):
        try:
            candidate.mkdir(mode=0o700)
        except FileExistsError:
            continue
        candidate.chmod(0o700)  # mkdir's mode passes through the umask
    if owner is not None:
        os.chown(path, owner, owner)
    return path


def use_private_umask() -> None:
    """Whatever a Haven process creates is its user's alone, unless it says otherwise."""
    os.umask(PRIVATE_UMASK)


def container_uid_refusal(uid: int) -> str | None:
    """Why ``uid`` may not be the containers' uid on this host: a host account or group has it,
    or it is in a range of subordinate ids handed to a user (rootless containers map to those)."""
    try:
        account = pwd.getpwuid(uid).pw_name
    except KeyError:
        pass
    else:
        return (f"spawner.container_uid is {uid}, which is the host account {account!r}: that account "
                "would own every project's workspace. Choose a uid no host account has (see docs/host-state.md).")
    try:
        group = grp.getgrgid(uid).gr_name
    except KeyError:
        pass
    else:
        return (f"spawner.container_uid is {uid}, which is the gid of the host group {group!r} (the "
                "containers' gid is the same number). Choose an id no host account or group has.")
    for path in SUBORDINATE_ID_FILES:
        for user, start, count in _subordinate_ranges(path):
            if start <= uid < start + count:
                return (f"spawner.container_uid is {uid}, inside {user!r}'s subordinate ids in {path} "
                        f"({start}-{start + count - 1}): that user's rootless containers could act as it. "
                        "Choose an id outside every range there.")
    return None


def _subordinate_ranges(path: Path) -> list[tuple[str, int, int]]:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    ranges = []
    for line in lines:
        parts = line.strip().split(":")
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            ranges.append((parts[0], int(parts[1]), int(parts[2])))
    return ranges


def require_container_uid(settings: Settings) -> None:
    refusal = container_uid_refusal(settings.spawner.container_uid)
    if refusal is not None:
        raise HostStateError(f"the hub refuses to start: {refusal}")
