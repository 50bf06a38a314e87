"""Image builds are cached by content: a second build of unchanged inputs builds nothing."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "images"))

from build import digest_of  # noqa: E402

pytestmark = pytest.mark.docker


def test_rebuilding_unchanged_images_builds_nothing(notebook_image):
    result = subprocess.run(
        [sys.executable, str(REPO / "images" / "build.py"), "--settings", str(REPO / "config" / "haven.demo.yaml")],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "base image haven/base:bookworm-" in result.stdout and "is current" in result.stdout
    assert "building" not in result.stdout and "making" not in result.stdout, result.stdout
    # --print-tag names the image a build would make, without building (images/build.py's usage).
    built = result.stdout.strip().splitlines()[-1].rpartition(" -> ")[2]
    printed = subprocess.run(
        [sys.executable, str(REPO / "images" / "build.py"), "--print-tag",
         "--settings", str(REPO / "config" / "haven.demo.yaml")],
        capture_output=True, text=True, timeout=600,
    )
    assert (printed.returncode, printed.stdout) == (0, f"{built}\n"), printed.stderr


def test_the_digest_follows_content_not_time(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "a.py").write_text("x = 1\n")
    (tmp_path / "Dockerfile").write_text("FROM base\n")
    paths = [tmp_path / "lib", tmp_path / "Dockerfile"]
    first = digest_of(paths, "base", root=tmp_path)
    (tmp_path / "Dockerfile").touch()
    assert digest_of(paths, "base", root=tmp_path) == first
    (tmp_path / "lib" / "a.py").write_text("x = 2\n")
    assert digest_of(paths, "base", root=tmp_path) != first
    assert digest_of(paths, "other-base", root=tmp_path) != digest_of(paths, "base", root=tmp_path)
