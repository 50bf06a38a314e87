"""Copying a folder of state into a backup and back, with the modes and owners it had.

Symbolic links are recorded, never followed (an analyst's workspace may hold one pointing
anywhere); sockets and pipes are not state and are left out. The backup's copies are
private (0600/0700) whatever the originals were; the originals' modes and owners come back
on restore (a workspace is the containers' uid's, a blob is 0444).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from .manifest import Entry, Manifest, copy_file


def save_tree(source: Path, backup: Path, prefix: str, manifest: Manifest,
              keep: Callable[[Path], bool] = lambda _relative: True) -> None:
    """``source`` and everything below it that ``keep`` (given the path inside ``source``)
    accepts, into ``backup / prefix``, each entry recorded in ``manifest``."""
    info = source.lstat()
    (backup / prefix).mkdir(mode=0o700)
    manifest.entries[prefix] = _entry("dir", info)
    for top, dirs, files in os.walk(source):
        top_path = Path(top)
        for name in sorted(dirs + files):
            path = top_path / name
            relative = path.relative_to(source)
            if not keep(relative):
                if name in dirs:
                    dirs.remove(name)  # nothing below it either
                continue
            key = f"{prefix}/{relative.as_posix()}"
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                manifest.entries[key] = _entry("link", info, target=os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                (backup / key).mkdir(mode=0o700)
                manifest.entries[key] = _entry("dir", info)
            elif stat.S_ISREG(info.st_mode):
                digest, size = copy_file(path, backup / key)
                manifest.entries[key] = _entry("file", info, sha256=digest, size=size)
            else:
                manifest.notes.append(f"{path}: not a file, folder or link (a socket or pipe); left out")


def _entry(kind: str, info: os.stat_result, **more) -> Entry:
    return Entry(kind, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid, **more)


def load_tree(backup: Path, prefix: str, manifest: Manifest, target: Path) -> None:
    """Recreates ``prefix`` of the backup at ``target`` (which must not exist), modes and owners as
    recorded. Folders get their modes last, so a read-only folder can still be filled."""
    entries = sorted((key, entry) for key, entry in manifest.entries.items()
                     if key == prefix or key.startswith(prefix + "/"))
    folders = []
    for key, entry in entries:
        path = target / key[len(prefix) + 1:] if key != prefix else target
        if entry.type == "dir":
            path.mkdir(mode=0o700)
            folders.append((path, entry))
            continue
        if entry.type == "link":
            os.symlink(entry.target, path)
        else:
            copy_file(backup / key, path, mode=0o600)
            os.chmod(path, entry.mode)
        _own(path, entry)
    for path, entry in reversed(folders):  # deepest first
        _own(path, entry)
        os.chmod(path, entry.mode)


def _own(path: Path, entry: Entry) -> None:
    # Only root can give a path to someone else; anyone else restores their own state.
    if os.geteuid() == 0:
        os.chown(path, entry.uid, entry.gid, follow_symlinks=False)
