"""haven-lab's pure front-end modules under Node's own test runner (extensions/haven-lab/test).

The modules with no JupyterLab imports (what the Releases panel announces and when it looks:
requestNews.ts, liveRequests.ts; the dialog's wording: format.ts; the links to the egress
service's pages: ingressLink.ts) are compiled with the
extension's own TypeScript into a temporary folder, so the run neither needs nor touches the
extension's lib/ (images/build.py rebuilds that under its lock), and a type error in another
part of src/ does not hide these results.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[3] / "extensions" / "haven-lab"
TSC = LAB / "node_modules" / ".bin" / "tsc"
PURE_MODULES = ["requestNews.ts", "liveRequests.ts", "format.ts", "ingressLink.ts"]
TESTS = ["requestNews.test.mjs", "liveRequests.test.mjs", "format.test.mjs", "ingress.test.mjs"]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> Path:
    if not TSC.exists() or shutil.which("node") is None:
        pytest.fail(f"{TSC} or node is missing: images/build.py installs haven-lab's npm packages (scripts/test does)")
    root = tmp_path_factory.mktemp("haven-lab")
    built = subprocess.run(
        [str(TSC), "--outDir", str(root / "lib"), "--rootDir", "src", "--module", "esnext", "--target", "ES2018",
         "--moduleResolution", "node", "--lib", "DOM,ES2018", "--strict", "--noUnusedLocals", "--skipLibCheck",
         *(f"src/{name}" for name in PURE_MODULES)],
        cwd=LAB, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stdout + built.stderr
    # Node reads lib/*.js as ES modules only under a package.json that says so.
    (root / "package.json").write_text('{"type": "module"}\n')
    (root / "test").mkdir()
    for name in TESTS:
        shutil.copy(LAB / "test" / name, root / "test" / name)
    return root


@pytest.mark.parametrize("name", TESTS)
def test_node_unit_tests_pass(compiled, name):
    run = subprocess.run(["node", "--test", f"test/{name}"], cwd=compiled, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout and "# pass 0" not in run.stdout, run.stdout[-2000:]
