"""The analysts' home folders: Docker volumes ``<spawner.container_prefix>-home-<project>-<user>``.

Read and written through the volume's mountpoint on the host (Docker's ``local`` driver;
Haven runs as root beside the engine), with owners and modes kept, as the other folders
are. Scratch volumes are not state (DuckDB's spill space) and are left out.

Restoring a volume fills a folder beside its mountpoint and swaps the two in one step
(``renameat2`` with ``RENAME_EXCHANGE``), so a server never sees half a home folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from . import trees
from .exchange import exchange
from .manifest import Entry, Manifest
from .state import StateError


def _client():
    import docker  # only when volumes are asked for: a backup without them needs no engine

    try:
        client = docker.from_env()
        client.ping()
    except Exception as error:  # docker raises several kinds for "no engine"
        raise StateError(f"the Docker engine cannot be reached ({error}): start it, or leave the home "
                         "volumes out with --without-volumes") from None
    return client


def _mountpoint(volume) -> Path:
    if volume.attrs.get("Driver") != "local":
        raise StateError(f"volume {volume.name} uses the {volume.attrs.get('Driver')!r} driver: "
                         "only the local driver's volumes can be backed up")
    return Path(volume.attrs["Mountpoint"])


def save_volumes(prefix: str, backup: Path, folder: str, record: Manifest,
                 log: Callable[[str], None]) -> list[str]:
    client = _client()
    names = sorted(volume.name for volume in client.volumes.list(filters={"name": prefix})
                   if volume.name.startswith(prefix))
    if names:
        (backup / folder).mkdir(mode=0o700)
        record.entries[folder] = Entry("dir", 0o700, os.geteuid(), os.getegid())
    for name in names:
        log(f"volume {name}")
        trees.save_tree(_mountpoint(client.volumes.get(name)), backup, f"{folder}/{name}", record)
    return names


def load_volumes(backup: Path, folder: str, record: Manifest, log: Callable[[str], None]) -> None:
    if not record.volumes:
        return
    client = _client()
    for name in record.volumes:
        log(f"volume {name}")
        try:
            volume = client.volumes.get(name)
        except Exception:  # docker.errors.NotFound
            volume = client.volumes.create(name, driver="local")
        mountpoint = _mountpoint(volume)
        staged = mountpoint.with_name(mountpoint.name + ".haven-restore")
        if staged.exists():
            shutil.rmtree(staged)
        trees.load_tree(backup, f"{folder}/{name}", record, staged)
        exchange(staged, mountpoint)
        shutil.rmtree(staged)
