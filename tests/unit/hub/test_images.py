import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

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


def _analyst_environment():
    # images/ is scripts, not a package: load the page generator by its path.
    spec = importlib.util.spec_from_file_location("analyst_environment", REPO / "images" / "analyst_environment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NOTEBOOK = REPO / "images" / "notebook"


def test_the_lock_pins_every_top_level_requirement_at_its_version():
    env = _analyst_environment()
    top, locked = env.pins(NOTEBOOK / "requirements.txt"), env.pins(NOTEBOOK / "requirements.lock")
    assert {name: locked.get(name) for name in top} == top


def test_the_lock_holds_only_exact_pins(tmp_path):
    env = _analyst_environment()
    assert len(env.pins(NOTEBOOK / "requirements.lock")) > 100
    loose = tmp_path / "requirements.lock"
    loose.write_text("pandas==3.1.1\n    # via haven-py\nscipy>=1.17\n")
    with pytest.raises(ValueError, match="not an exact pin: 'scipy>=1.17'"):
        env.pins(loose)


def test_the_lock_holds_what_havens_own_packages_need():
    # The image installs haven-py and haven-lab with --no-deps on top of the lock.
    env = _analyst_environment()
    locked = env.pins(NOTEBOOK / "requirements.lock")
    for project in ("haven-py", "haven-lab"):
        needs = tomllib.loads((REPO / "extensions" / project / "pyproject.toml").read_text())["project"]["dependencies"]
        for need in needs:
            name = env.normalise(re.split(r"[<>=!~\[; ]", need, maxsplit=1)[0])
            assert name in locked, f"{project} needs {need}, which requirements.lock does not pin"
            if "==" in need:
                assert locked[name] == need.split("==")[1], f"{project} pins {need}; the lock has {locked[name]}"


def test_the_image_installs_the_lock_without_resolving():
    dockerfile = (NOTEBOOK / "Dockerfile").read_text()
    assert "pip install --no-deps --require-hashes -r /tmp/requirements.lock" in dockerfile
    assert "COPY requirements.txt" not in dockerfile


def test_the_analyst_environment_page_is_generated_from_the_lock():
    env = _analyst_environment()
    assert env.PAGE.read_text() == env.render(), \
        "docs/analyst-environment.md is stale: run .venv/bin/python images/analyst_environment.py --write"
    for name in ("scipy", "statsmodels", "scikit-learn", "matplotlib", "seaborn", "lifelines"):
        assert f"| `{name}` | {env.pins(NOTEBOOK / 'requirements.lock')[name]} |" in env.PAGE.read_text()
