"""``haven account``: bad input and an unreachable hub are clear errors with sysexits-style codes
(the commands against a real hub are in tests/integration/test_login.py)."""

from __future__ import annotations

import pytest
import yaml

from haven_hub.accounts import cli
from haven_hub.bootstrap import ensure_secrets
from haven_hub.settings import load_settings


@pytest.fixture
def settings_file(tmp_path):
    path = tmp_path / "haven.yaml"
    # A port nothing listens on: the hub is "down".
    path.write_text(yaml.safe_dump({"hub": {"data_dir": str(tmp_path), "public_port": 9}}))
    ensure_secrets(load_settings(path))
    return path


@pytest.mark.parametrize("args, message", [
    (["create", "ada", "--approved-until", "2026-13-01"], "'2026-13-01' is not a date"),
    (["create", "ada", "--role", "superuser"], "invalid choice: 'superuser'"),
    (["set-approved-until", "ada"], "the following arguments are required: date"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_usage_errors_exit_64(settings_file, capsys, args, message):
    assert cli.main([*args, "--settings", str(settings_file)]) == 64
    assert message in capsys.readouterr().err


def test_an_unreachable_hub_is_one_clear_line(settings_file, capsys):
    assert cli.main(["list", "--settings", str(settings_file)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("haven account: cannot reach the hub at http://127.0.0.1:9/hub/haven-accounts")
    assert len(err.strip().splitlines()) == 1


def test_a_missing_settings_file_is_named(tmp_path, capsys):
    assert cli.main(["list", "--settings", str(tmp_path / "nope.yaml")]) == 1
    assert "cannot read settings file" in capsys.readouterr().err


def test_oidc_sites_are_told_the_provider_keeps_accounts(tmp_path, capsys):
    path = tmp_path / "haven.yaml"
    path.write_text(yaml.safe_dump({"hub": {"data_dir": str(tmp_path)}, "auth": {"kind": "oidc", "oidc": {
        "authorize_url": "https://idp.example.org/a", "token_url": "https://idp.example.org/t",
        "userdata_url": "https://idp.example.org/u", "client_id": "haven",
        "callback_url": "https://haven.example.org/hub/oauth_callback"}}}))
    assert cli.main(["list", "--settings", str(path)]) == 1
    assert "accounts are kept by the identity provider" in capsys.readouterr().err


@pytest.mark.parametrize("changes, state", [
    ({}, "active"), ({"disabled": True}, "disabled"), ({"approved": False}, "pending"),
    ({"approved_until": "2026-03-01"}, "expired"), ({"locked": True}, "locked"),
])
def test_the_account_state_in_the_access_table(changes, state):
    from datetime import date

    account = {"disabled": False, "approved": True, "approved_until": "2026-03-02", "locked": False, **changes}
    assert cli.account_state(account, today=date(2026, 3, 2)) == state
    assert cli.account_state(None) == "no-account"
