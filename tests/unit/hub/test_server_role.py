"""The single-user server's token: the hub's defaults plus submitting, never reviewing."""

from __future__ import annotations

from haven_hub import config, roles
from haven_hub.bootstrap import ensure_secrets
from haven_hub.settings import parse_settings


def test_the_server_role_can_submit_and_reach_egress_but_not_review_or_administer():
    scopes = set(roles.server_role()["scopes"])
    assert {roles.SUBMIT, roles.ACCESS_EGRESS} <= scopes
    assert not scopes & {roles.REVIEW, roles.ADMIN}
    # JupyterHub's own defaults for the role stay, so the server still reports activity.
    assert {"users:activity!user", "access:servers!server"} <= scopes


def test_the_loaded_roles_redefine_the_server_role(tmp_path):
    settings = parse_settings({"hub": {"data_dir": str(tmp_path)}, "auth": {"accounts": [{"name": "ada"}]}})
    ensure_secrets(settings)
    server = [role for role in config.load_roles(settings, []) if role["name"] == "server"]
    assert server == [roles.server_role()]
