"""The notebook image holds no set-uid, set-gid or file-capability binary.

On Docker a server runs with no-new-privileges; a Swarm service cannot ask for it (docs/swarm.md),
so the image itself must offer nothing to raise privileges with. The scan reads the image's
filesystem as the engine exports it, not through any tool inside the image, and a control image
made here with one of each shows the scan finds them.
"""

from __future__ import annotations

import io
import tarfile
import time

import pytest

from tests.fixtures.docker_engine import TEST_PREFIX

pytestmark = pytest.mark.docker

CAPABILITY_XATTR = "SCHILY.xattr.security.capability"
# struct vfs_cap_data, revision 2: cap_net_raw (13) permitted and effective.
NET_RAW_CAPABILITY = bytes.fromhex("01000002") + (1 << 13).to_bytes(4, "little") + bytes(12)


def privileged_files(client, image: str) -> list[str]:
    """Paths in ``image`` with a set-uid or set-gid bit or a file capability."""
    container = client.containers.create(image, command=["true"], entrypoint=[], network_mode="none")
    try:
        stream = io.BufferedReader(_Chunks(container.export(chunk_size=1 << 20)), buffer_size=1 << 20)
        found = []
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if member.isfile() and (member.mode & 0o6000 or CAPABILITY_XATTR in member.pax_headers):
                    found.append(member.name)
        return found
    finally:
        container.remove(force=True)


class _Chunks(io.RawIOBase):
    def __init__(self, chunks):
        self._chunks, self._left = iter(chunks), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            self._left = next(self._chunks, None)
            if self._left is None:
                return 0
        size = min(len(buffer), len(self._left))
        buffer[:size], self._left = self._left[:size], self._left[size:]
        return size


@pytest.fixture(scope="module")
def control_image(docker_client):
    """A tiny image with one set-uid, one set-gid and one file-capability binary."""
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, mode, pax in (("usr/bin/plain", 0o755, {}), ("usr/bin/setuid", 0o4755, {}),
                                ("usr/bin/setgid", 0o2755, {}),
                                ("usr/bin/capable", 0o755, {CAPABILITY_XATTR: NET_RAW_CAPABILITY.decode("latin-1")})):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.pax_headers = 4, mode, pax
            tar.addfile(info, io.BytesIO(b"#!x\n"))
    tag = f"{TEST_PREFIX}-privileged-control:latest"
    docker_client.api.import_image_from_data(archive.getvalue(), repository=tag.split(":")[0], tag="latest")
    yield tag
    docker_client.images.remove(tag, force=True)


def test_the_scan_finds_set_uid_set_gid_and_capabilities_in_a_control_image(docker_client, control_image):
    assert sorted(privileged_files(docker_client, control_image)) == [
        "usr/bin/capable", "usr/bin/setgid", "usr/bin/setuid"]


def test_the_notebook_image_has_none(docker_client, notebook_image):
    started = time.monotonic()
    found = privileged_files(docker_client, notebook_image.id)
    assert found == [], f"set-uid, set-gid or file-capability files in the notebook image: {found}"
    # The whole image is read (about 2 GB); kept in view so the scan stays cheap.
    print(f"scanned the notebook image in {time.monotonic() - started:.1f}s")
