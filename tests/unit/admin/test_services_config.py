"""The admin service, the idle culler and the audit hooks as they are put into JupyterHub's config."""

from __future__ import annotations

import pytest
import yaml
from traitlets.config import Config

from haven_hub import config, roles
from haven_hub.bootstrap import ensure_secrets
from haven_hub.settings import parse_settings


@pytest.fixture
def settings_path(tmp_path):
    def write(**sections):
        raw = {"hub": {"data_dir": str(tmp_path)}, "auth": {"accounts": [{"name": "boss", "admin": True}]},
               **sections}
        path = tmp_path / "haven.yaml"
        path.write_text(yaml.safe_dump(raw))
        ensure_secrets(parse_settings(raw))
        return path
    return write


def services(c):
    return {service["name"]: service for service in c.JupyterHub.services}


def test_the_culler_runs_with_the_timeout_from_the_settings_and_its_least_role(settings_path):
    c = Config()
    config.configure(c, settings_path(idle_culler={"timeout_minutes": 2.5, "every_seconds": 30}))
    command = services(c)[roles.IDLE_CULLER_SERVICE]["command"]
    assert "--timeout=150" in command and "--cull-every=30" in command and "--cull-users=false" in command
    role = next(r for r in c.JupyterHub.load_roles if r["name"] == roles.IDLE_CULLER_ROLE)
    assert role["services"] == [roles.IDLE_CULLER_SERVICE]
    assert sorted(role["scopes"]) == ["delete:servers", "list:users", "read:servers", "read:users:activity"]


def test_a_timeout_of_zero_runs_no_culler_and_grants_its_role_to_no_one(settings_path):
    c = Config()
    config.configure(c, settings_path(idle_culler={"timeout_minutes": 0}))
    assert roles.IDLE_CULLER_SERVICE not in services(c)
    assert roles.IDLE_CULLER_ROLE not in {r["name"] for r in c.JupyterHub.load_roles}


def test_the_admin_service_asks_only_for_its_own_scope_and_admins_alone_hold_it(settings_path):
    c = Config()
    config.configure(c, settings_path(admin={"port": 9999}))
    admin = services(c)[roles.ADMIN_SERVICE]
    assert admin["url"] == "http://127.0.0.1:9999" and admin["oauth_client_allowed_scopes"] == [roles.HAVEN_ADMIN_PAGES]
    holders = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert holders[roles.HAVEN_ADMIN]["users"] == ["boss"]
    assert [name for name, r in holders.items() if roles.HAVEN_ADMIN_PAGES in r.get("scopes", [])] == [roles.HAVEN_ADMIN]
    assert callable(c.HavenSpawner.pre_spawn_hook) and callable(c.HavenSpawner.post_stop_hook)
