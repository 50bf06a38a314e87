"""The preview's front-end wording (src/previewFormat.ts), run by Node's test runner from pytest:
the module is compiled alone into a temporary folder, so the extension's own lib/ is untouched."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[3] / "extensions" / "haven-lab"
TSC = LAB / "node_modules" / ".bin" / "tsc"


def test_the_preview_wording_and_file_types(tmp_path):
    node = shutil.which("node")
    if node is None or not TSC.exists():
        pytest.fail("node and haven-lab's node_modules are needed (images/build.py installs them)")
    subprocess.run([str(TSC), str(LAB / "src" / "previewFormat.ts"), "--outDir", str(tmp_path / "lib"),
                    "--target", "ES2018", "--module", "esnext", "--strict", "--skipLibCheck", "--lib", "ES2018,DOM"],
                   check=True, capture_output=True, timeout=120)
    (tmp_path / "package.json").write_text(json.dumps({"type": "module"}))
    (tmp_path / "test").mkdir()
    shutil.copy(LAB / "test" / "preview.test.mjs", tmp_path / "test")
    run = subprocess.run([node, "--test", "test/preview.test.mjs"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# pass 3" in run.stdout, run.stdout
