"""Writing an approved file into the project's workspace, and checking it arrived.

The egress service writes as root into a folder the analyst's containers own and can change
at any moment, so nothing here follows a symbolic link: every step opens the next folder
relative to the last one's descriptor with ``O_NOFOLLOW`` (an ``imports`` link planted to
``/etc`` makes the delivery fail, not write there). What lands is owned by the containers'
uid (``spawner.container_uid``), read-only for them (0400, folders 0700), as
``<folder>/<request id>/<name>``, and is read back and hashed before the delivery counts.

Written now rather than at the next server start: the workspace is a bind mount, so a
running server sees the file at once, and a stopped one finds it when it starts.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from haven_hub import host_state

from ..errors import Conflict

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
FILE_MODE = 0o400
DIR_MODE = 0o700


class DeliveryFailed(Conflict):
    """The file could not be written or did not arrive intact; the request stays approved."""


def workspace_of(data_dir: Path, project: str) -> Path:
    # Where the spawner mounts the project's workspace (HavenSpawner.workspace_dir).
    return data_dir / "projects" / project / "workspace"


def deliver(workspace: Path, relative: tuple[str, ...], name: str, content: bytes,
            sha256: str, uid: int) -> str:
    """Write ``content`` at ``workspace/<relative...>/<name>``; returns the path inside the workspace.

    A file already there with the same bytes (a retried delivery) counts as delivered;
    anything else there is left alone and the delivery fails.
    """
    _ensure_workspace(workspace, uid)
    descriptors = [_open_dir(workspace)]
    try:
        for part in relative:
            descriptors.append(_subdir(descriptors[-1], part, uid))
        folder = descriptors[-1]
        try:
            handle = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE, dir_fd=folder)
        except FileExistsError:
            pass  # a retry, or something the analyst put there: judged by its bytes below
        else:
            try:
                os.fchown(handle, uid, uid)
                view = memoryview(content)
                while view:  # os.write may write less than asked
                    view = view[os.write(handle, view):]
                os.fsync(handle)
            finally:
                os.close(handle)
            os.fsync(folder)
        arrived = _sha256_at(folder, name)
    except OSError as error:
        raise DeliveryFailed(f"the file could not be written into the workspace: {error.strerror or error}") from None
    finally:
        for descriptor in reversed(descriptors):
            os.close(descriptor)
    where = "/".join((*relative, name))
    if arrived != sha256:
        raise DeliveryFailed(f"{where} in the workspace does not match the approved SHA-256 "
                             f"({arrived[:12]}… ≠ {sha256[:12]}…); it was left as found")
    return where


def _ensure_workspace(workspace: Path, uid: int) -> None:
    """A project whose server never started has no workspace yet: make it as the spawner would."""
    if workspace.is_symlink():
        raise DeliveryFailed(f"{workspace} is a symbolic link; refusing to write through it")
    if workspace.exists():
        return
    host_state.make_private_dir(workspace.parent)
    workspace.mkdir(mode=DIR_MODE)
    os.chown(workspace, uid, uid)
    workspace.chmod(DIR_MODE)


def _open_dir(path: Path) -> int:
    try:
        return os.open(path, DIR_FLAGS)
    except OSError as error:
        raise DeliveryFailed(f"the workspace {path} cannot be opened: {error.strerror}") from None


def _subdir(parent: int, name: str, uid: int) -> int:
    try:
        os.mkdir(name, DIR_MODE, dir_fd=parent)
    except FileExistsError:
        pass
    else:
        os.chown(name, uid, uid, dir_fd=parent, follow_symlinks=False)
    # O_NOFOLLOW | O_DIRECTORY: a symbolic link or a file in its place fails here.
    return os.open(name, DIR_FLAGS, dir_fd=parent)


def _sha256_at(folder: int, name: str) -> str:
    # O_NONBLOCK: a FIFO the analyst planted under the name would otherwise hold this open
    # forever; it opens at once and is refused as not a regular file.
    handle = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise DeliveryFailed(f"{name} in the workspace is not a regular file")
        hasher = hashlib.sha256()
        with os.fdopen(os.dup(handle), "rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                hasher.update(chunk)
        return hasher.hexdigest()
    finally:
        os.close(handle)
