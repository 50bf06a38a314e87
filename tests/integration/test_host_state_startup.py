"""The hub, the egress service and the admin service refuse to start on host state others can read.

Each is started the way it runs for real (bootstrap, the ``jupyterhub`` command on
jupyterhub_config.py, the services' own ``python -m``), on a test hub's data directory whose
accounts database or egress database was loosened as the code before this check made them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from haven_hub import bootstrap
from haven_hub.settings import load_settings
from tests.fixtures.hub import REPO, Hub, make_test_catalogue, stop_test_hub
from tests.fixtures.hub import test_settings as hub_settings

PREFIX, BRIDGE_PREFIX = "hvstate", "hvp-"


@pytest.fixture
def data_dir(tmp_path):
    """A test hub's state, made as the fixture makes it (private), not yet started."""
    path = tmp_path / "haven"
    path.mkdir(mode=0o700)
    settings_path = path / "haven.yaml"
    settings_path.write_text(yaml.safe_dump(hub_settings(path, prefix=PREFIX, bridge_prefix=BRIDGE_PREFIX)))
    settings = load_settings(settings_path)
    bootstrap.ensure_secrets(settings)
    make_test_catalogue(settings)
    return path


def run(command: list[str], data_dir: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "HAVEN_SETTINGS": str(data_dir / "haven.yaml"), "PYTHONPATH": str(REPO)}
    try:
        return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as timed_out:
        # Still running means it started: the refusal this test expects did not happen.
        raise AssertionError(f"{command} started instead of refusing:\n{timed_out.stderr}") from None


def test_a_hub_with_a_loosened_accounts_database_refuses_to_start_naming_it(data_dir, capsys):
    settings = load_settings(data_dir / "haven.yaml")
    accounts = data_dir / "accounts.sqlite"
    accounts.chmod(0o644)

    started = bootstrap.start(settings, data_dir / "haven.yaml", REPO / "jupyterhub_config.py", timeout=30)

    err = capsys.readouterr().err
    assert started == 1
    assert f"{accounts} (the accounts store (password hashes, TOTP secrets)) is mode 0644" in err
    assert f"chmod go-rwx {accounts}" in err
    assert "python -m haven_hub.bootstrap secrets" in err
    assert bootstrap.hub_pid(settings) is None and not bootstrap.hub_answers(settings)

    # The jupyterhub command on Haven's config refuses too, before it opens a database or listens.
    (data_dir / "jupyterhub.sqlite").unlink(missing_ok=True)
    jupyterhub = run([str(Path(sys.executable).with_name("jupyterhub")), "-f", str(REPO / "jupyterhub_config.py")],
                     data_dir)
    assert jupyterhub.returncode != 0
    assert f"{accounts} (the accounts store (password hashes, TOTP secrets)) is mode 0644" in jupyterhub.stderr
    assert not (data_dir / "jupyterhub.sqlite").exists()

    # The one-shot tighten step scripts/up runs, and the same hub starts.
    assert bootstrap.main(["secrets", "--settings", str(data_dir / "haven.yaml")]) == 0
    assert f"made private (it was readable by others or owned by another uid): {accounts}" in capsys.readouterr().out
    assert bootstrap.start(settings, data_dir / "haven.yaml", REPO / "jupyterhub_config.py", timeout=60) == 0
    try:
        assert bootstrap.hub_answers(settings)
        # What the running hub made is private from the start.
        for made in ("jupyterhub.sqlite", "jupyterhub.pid", "logs/jupyterhub.log"):
            assert (data_dir / made).stat().st_mode & 0o077 == 0, made
    finally:
        stop_test_hub(Hub(settings=settings, settings_path=data_dir / "haven.yaml", url="", operator_token=""))


def test_the_egress_service_refuses_to_start_on_a_loosened_database(data_dir):
    egress = data_dir / "egress"
    egress.mkdir(mode=0o700)
    database = egress / "egress.sqlite"
    database.write_bytes(b"")
    database.chmod(0o644)
    refused = run([sys.executable, "-m", "haven_egress.web"], data_dir)
    assert refused.returncode != 0
    assert "the egress service refuses to start" in refused.stderr
    assert f"{database} (the egress database (requests, reviews, audit chain)) is mode 0644" in refused.stderr


def test_the_admin_service_refuses_to_start_on_a_loosened_secrets_folder(data_dir):
    secrets = data_dir / "secrets"
    secrets.chmod(0o755)
    refused = run([sys.executable, "-m", "haven_hub.admin"], data_dir)
    assert refused.returncode != 0
    assert "the admin service refuses to start" in refused.stderr
    assert f"{secrets} (the secrets folder (cookie secrets, API tokens, keys)) is mode 0755" in refused.stderr
