import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def _pin(text: str, name: str) -> str:
    match = re.search(rf"^\s*\"?{name}==([^\"\s]+)", text, re.MULTILINE)
    assert match, f"{name} is not pinned"
    return match.group(1)


def test_the_image_runs_the_hubs_jupyterhub_version():
    hub = "\n".join(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"])
    image = (REPO / "images" / "notebook" / "requirements.txt").read_text()
    assert _pin(image, "jupyterhub") == _pin(hub, "jupyterhub")


def test_scripts_up_installs_the_jupyterlab_the_image_front_end_is_built_against():
    # images/build.py compiles haven-lab against the jupyterlab beside it; scripts/up installs
    # only the main dependencies, so the pin must be there (not only in the test extras),
    # at the version the image runs.
    hub = "\n".join(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"])
    image = (REPO / "images" / "notebook" / "requirements.txt").read_text()
    assert _pin(hub, "jupyterlab") == _pin(image, "jupyterlab")


def test_every_image_requirement_is_pinned():
    lines = (REPO / "images" / "notebook" / "requirements.txt").read_text().splitlines()
    requirements = [line for line in lines if line.strip() and not line.startswith("#")]
    assert requirements and all("==" in line for line in requirements)
