"""The environment a project server runs in, as the hub knows it: its provenance.

The spawner writes this record when a server starts and keeps it in the server's state in
the hub's database (``HavenSpawner.get_state``). Nothing in the container can change a
server's state, so the egress service reads the record through the hub's API (role
``egress-service``: ``read:servers``, ``admin:server_state``) and stores it with each
release request version: the image the files were made in (its content id), the kernel's
locked package versions (a label the image build writes from the lock) and each mounted
dataset's version and checksums.

The kernel labels are written by ``images/build.py`` with ``label_value`` and read back
here with ``packages_from_label``: one format, one module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .datasets.metadata import Metadata

FORMAT = "haven-provenance/1"
# The key of the record in the spawner's state (what the hub's API shows as the server's "state").
STATE_KEY = "haven_provenance"
# Every package of the default kernel, "name==version,...", from images/notebook/requirements.lock.
KERNEL_LOCK_LABEL = "org.haven.kernel-lock"
# The kernel's top-level packages (images/notebook/requirements.txt), same form: the spawn page's list.
KERNEL_PACKAGES_LABEL = "org.haven.kernel-packages"

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]{0,99})==([A-Za-z0-9][A-Za-z0-9._+!-]{0,63})$")


def label_value(pins: Mapping[str, str]) -> str:
    """Pins as one label value: sorted ``name==version`` joined by commas (no spaces or quotes,
    so a Dockerfile ``LABEL`` takes it as one word)."""
    items = [f"{name}=={version}" for name, version in sorted(pins.items())]
    bad = [item for item in items if not _PIN.match(item)]
    if bad:
        raise ValueError(f"not a pin a label can carry: {bad[0]!r}")
    return ",".join(items)


def packages_from_label(value: str | None) -> dict[str, str] | None:
    """The pins of a kernel label; None when the image has no such label (built before it was
    written) or it does not read as pins, so nobody trusts a half-read list."""
    if not value:
        return None
    found = {}
    for item in value.split(","):
        match = _PIN.match(item.strip())
        if match is None:
            return None
        found[match.group(1)] = match.group(2)
    return found


def kernel_packages(labels: Mapping[str, str] | None) -> dict[str, str] | None:
    """The top-level kernel packages an image's labels name (None: not recorded)."""
    return packages_from_label((labels or {}).get(KERNEL_PACKAGES_LABEL))


def image_and_kernel(name: str, attrs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the record says of an image and of its kernel, from the engine's ``inspect`` of it."""
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    return {
        "name": name,
        # The content id (sha256 of the image's config): the same id names the same bytes.
        "id": attrs.get("Id", ""),
        "repo_digests": sorted(attrs.get("RepoDigests") or []),
        "created": attrs.get("Created", ""),
    }, {
        "packages": packages_from_label(labels.get(KERNEL_LOCK_LABEL)),
        "source": f"image label {KERNEL_LOCK_LABEL}",
    }


def dataset_record(granted_version: str | None, version_dir: Path) -> dict[str, Any]:
    """One mounted dataset version: its name, version, what the grant said and its files' checksums."""
    metadata = Metadata.read(version_dir)
    return {
        "name": metadata.name,
        "version": metadata.version,
        "granted": granted_version or "latest",
        "title": metadata.title,
        "rows": metadata.rows,
        "files": [{"path": entry.path, "sha256": entry.sha256} for entry in metadata.files],
    }


def server_record(image_name: str, image_attrs: Mapping[str, Any], datasets: Iterable[dict[str, Any]],
                  recorded_at: datetime | None = None) -> dict[str, Any]:
    """The whole record the spawner keeps for a started server."""
    image, kernel = image_and_kernel(image_name, image_attrs)
    return {
        "format": FORMAT,
        "recorded_by": "hub",
        "recorded_at": (recorded_at or datetime.now(timezone.utc)).isoformat(),
        "image": image,
        "kernel": kernel,
        "datasets": sorted(datasets, key=lambda d: d["name"]),
    }
