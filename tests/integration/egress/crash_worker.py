"""Submits requests through the real service layer, saying where it is, until it is killed.

``python -m tests.integration.egress.crash_worker SETTINGS FIRST LAST`` submits requests
FIRST..LAST-1 with the service as the hub would open it (``startup.open_service``, so the
``HAVEN_EGRESS_FAULT_SLEEP`` fault hook is the production one). It prints ``begin i``
before any write, ``window i`` once the first blob is on disk, and ``done i <id>`` after
the commit; ``test_crash`` kills it with SIGKILL between those lines.
"""

from __future__ import annotations

import hashlib
import io
import random
import sys

from PIL import Image

from haven_egress.permissions import Caller, Role
from haven_egress.uploads import FileUpload
from haven_egress.web import startup
from haven_hub.settings import load_settings

AUTHOR = Caller("ada", frozenset({Role.ANALYST}), frozenset({"alpha"}), server_project="alpha")
FILES_PER_REQUEST = 3


def files(i: int) -> list[FileUpload]:
    contents = [("out/table.csv", b"group,count\na,%d\n" % (100 + i), "frequency_table"),
                ("out/figure.png", noise_png(i), "figure"),
                ("out/notes.json", b'{"request": %d}' % i, "other")]
    return [FileUpload(path=p, content=c, sha256=hashlib.sha256(c).hexdigest(), kind=k) for p, c, k in contents]


def noise_png(seed: int) -> bytes:
    """A real PNG of ~19 KB that differs per request (noise does not compress), already in the
    form the service re-encodes to, so the stored blob is this file."""
    out = io.BytesIO()
    Image.frombytes("RGB", (80, 80), random.Random(seed).randbytes(80 * 80 * 3)).save(out, "PNG")
    return out.getvalue()


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    settings_path, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    service = startup.open_service(load_settings(settings_path))
    production_hook = service.before_commit
    current = {"i": -1, "blobs": 0}

    def hook(point: str) -> None:
        if point == "submit.blob":
            current["blobs"] += 1
            if current["blobs"] == 1:
                say(f"window {current['i']}")
        if production_hook is not None:
            production_hook(point)

    service.before_commit = hook
    say("ready")
    for i in range(first, last):
        current.update(i=i, blobs=0)
        say(f"begin {i}")
        request_id = service.submit(AUTHOR, "alpha", f"crash {i}", "crash test", files(i))
        say(f"done {i} {request_id}")


if __name__ == "__main__":
    main()
