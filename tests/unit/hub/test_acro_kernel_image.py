"""The ACRO kernel's place in the notebook image: pinned, in the image's digest, and in a
build stage that Haven's own code cannot invalidate."""

import json
import re
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
NOTEBOOK = REPO / "images" / "notebook"
KERNEL_LOCK = NOTEBOOK / "acro-kernel.lock"
ACRO_LOCK = REPO / "egress" / "acro" / "requirements.lock"
sys.path.insert(0, str(REPO / "images"))

import build  # noqa: E402


def pins(lock: Path) -> dict[str, str]:
    lines = [line.strip() for line in lock.read_text().splitlines()]
    requirements = [line for line in lines if line and not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+", line) for line in requirements), requirements
    return {re.sub(r"[-_.]+", "-", name).lower(): version
            for name, version in (line.split("==") for line in requirements)}


def dockerfile_stage(name: str) -> str:
    text = (NOTEBOOK / "Dockerfile").read_text()
    match = re.search(rf"^FROM \S+ AS {name}\n(.*?)(?=^FROM )", text, re.MULTILINE | re.DOTALL)
    assert match, f"no stage {name}"
    return match.group(1)


def test_the_kernel_lock_is_pinned_sorted_and_does_not_repeat_acros():
    kernel = pins(KERNEL_LOCK)
    assert list(kernel) == sorted(kernel)
    assert "ipykernel" in kernel
    assert not set(kernel) & set(pins(ACRO_LOCK))


def test_the_kernel_has_the_duckdb_the_haven_library_is_pinned_to():
    project = tomllib.loads((REPO / "extensions" / "haven-py" / "pyproject.toml").read_text())["project"]
    haven = dict(dependency.split("==") for dependency in project["dependencies"])
    assert pins(KERNEL_LOCK)["duckdb"] == haven["duckdb"]


def test_acros_stage_copies_only_its_locks_so_haven_code_never_reinstalls_it():
    copied = re.findall(r"^COPY (.+) /tmp/?\S*$", dockerfile_stage("acro"), re.MULTILINE)
    assert copied == ["build-ca.crt", "acro-requirements.lock acro-kernel.lock"]


def test_the_egress_acro_lock_and_the_kernel_files_are_in_the_image_digest(tmp_path):
    build.fill_context(tmp_path, None)
    assert (tmp_path / "acro-requirements.lock").read_bytes() == ACRO_LOCK.read_bytes()
    assert (tmp_path / "acro-kernel.lock").is_file()
    before = build.digest_of(list(tmp_path.iterdir()), root=tmp_path)
    (tmp_path / "acro-requirements.lock").write_text(ACRO_LOCK.read_text().replace("acro==", "acro==9"))
    assert build.digest_of(list(tmp_path.iterdir()), root=tmp_path) != before


def test_the_kernelspec_runs_ipykernel_from_the_acro_venv():
    spec = json.loads((NOTEBOOK / "acro-kernel.json").read_text())
    assert spec["display_name"] == "Python 3 (ACRO)"
    assert spec["argv"][0] == "/opt/acro/bin/python"
    assert spec["argv"][-4:] == ["-m", "ipykernel_launcher", "-f", "{connection_file}"]
