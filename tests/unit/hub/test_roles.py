"""Roles and custom scopes as data: consistent, least-privilege, and wired into the hub's config."""

from __future__ import annotations

import pytest
from jupyterhub.scopes import _custom_scope_pattern

from haven_egress.permissions import Role
from haven_egress.web.identity import caller_from_model
from haven_hub import config, roles
from haven_hub.bootstrap import ensure_secrets
from haven_hub.settings import Account, SettingsError, parse_settings


def custom_scopes_of(spec: roles.RoleSpec) -> set[str]:
    return {scope for scope in spec.scopes if scope.startswith("custom:")}


def test_every_custom_scope_a_role_uses_is_declared_with_a_description():
    for spec in roles.ROLES.values():
        for scope in custom_scopes_of(spec):
            assert scope in roles.CUSTOM_SCOPES, f"{spec.name} uses undeclared {scope}"
    for scope, definition in roles.CUSTOM_SCOPES.items():
        assert _custom_scope_pattern.match(scope), scope
        assert definition["description"].strip()


def test_every_declared_scope_is_granted_by_some_role_and_offered_to_the_service():
    granted = set().union(*(custom_scopes_of(spec) for spec in roles.ROLES.values()))
    assert granted == set(roles.CUSTOM_SCOPES)
    # Each service's OAuth tokens may carry its own scopes and no other's.
    assert (set(roles.EGRESS_OAUTH_SCOPES) | set(roles.ADMIN_OAUTH_SCOPES) | set(roles.SERVICE_TOKEN_SCOPES)
            == set(roles.CUSTOM_SCOPES))
    assert not set(roles.SERVICE_TOKEN_SCOPES) & (set(roles.EGRESS_OAUTH_SCOPES) | set(roles.ADMIN_OAUTH_SCOPES))
    assert not set(roles.EGRESS_OAUTH_SCOPES) & set(roles.ADMIN_OAUTH_SCOPES)


def test_each_role_holds_only_its_own_egress_power():
    assert custom_scopes_of(roles.ROLES[roles.ANALYST]) == {roles.SUBMIT}
    assert custom_scopes_of(roles.ROLES[roles.OUTPUT_CHECKER]) == {roles.REVIEW}
    assert custom_scopes_of(roles.ROLES[roles.HAVEN_ADMIN]) == {roles.ADMIN, roles.HAVEN_ADMIN_PAGES}
    assert all(roles.HAVEN_ADMIN_PAGES not in spec.scopes for name, spec in roles.ROLES.items()
               if name != roles.HAVEN_ADMIN)
    # The service acts on nobody's behalf: no egress power (only the service-token scope that reads
    # whether a checker is accredited), no admin, no access to servers. It
    # reads servers' state, where the spawner keeps each server's provenance (haven_hub.provenance):
    # admin:server_state is the only scope that shows it, and the hub's API has no way to write one.
    service = roles.ROLES[roles.EGRESS_SERVICE_ROLE].scopes
    assert custom_scopes_of(roles.ROLES[roles.EGRESS_SERVICE_ROLE]) <= set(roles.SERVICE_TOKEN_SCOPES)
    reads_provenance = {"read:servers", "admin:server_state"}
    assert reads_provenance <= set(service)
    assert not any(s.startswith(("admin", "access:", "tokens", "servers")) for s in set(service) - reads_provenance)


def test_people_reach_the_service_only_through_a_role():
    for name in (roles.ANALYST, roles.OUTPUT_CHECKER, roles.HAVEN_ADMIN):
        assert roles.ACCESS_EGRESS in roles.ROLES[name].scopes


def test_the_service_reads_back_exactly_the_roles_granted():
    expected = {roles.ANALYST: {Role.ANALYST}, roles.OUTPUT_CHECKER: {Role.CHECKER},
                roles.HAVEN_ADMIN: {Role.ADMIN}}
    for name, held in expected.items():
        model = {"name": "x", "groups": [], "scopes": list(roles.ROLES[name].scopes)}
        assert caller_from_model(model).roles == held
    # A filtered scope is not the whole permission.
    assert caller_from_model({"name": "x", "scopes": [roles.SUBMIT + "!user=x"]}).roles == frozenset()
    caller = caller_from_model({"name": "x", "groups": ["project-alpha", "staff", "project-beta"], "scopes": []})
    assert caller.projects == {"alpha", "beta"}


def test_holders_come_from_the_accounts():
    accounts = [Account(name="ada"), Account(name="carol", roles=["output-checker"]),
                Account(name="grace", roles=["analyst", "output-checker"]), Account(name="boss", admin=True)]
    entries = {entry["name"]: entry for entry in roles.load_roles(accounts, {roles.EGRESS_SERVICE})}
    assert entries[roles.ANALYST]["users"] == ["ada", "boss", "grace"]
    assert entries[roles.OUTPUT_CHECKER]["users"] == ["carol", "grace"]
    assert entries[roles.HAVEN_ADMIN]["users"] == ["boss"]
    assert entries[roles.EGRESS_SERVICE_ROLE]["services"] == [roles.EGRESS_SERVICE]
    # A role naming a service the hub does not run would stop the hub starting.
    assert roles.IDLE_CULLER_ROLE not in entries
    # Of JupyterHub's own roles, load_roles redefines only "user" (the server role is appended
    # apart: test_server_role), and only to take token minting away.
    assert not {"admin", "server", "token"} & set(entries)
    assert "users" not in entries["user"]  # every person holds it, as JupyterHub's does


def test_people_cannot_mint_tokens_but_keep_their_servers():
    scopes = set(roles.user_role()["scopes"])
    assert not {s for s in scopes if s.split("!")[0] in {"tokens", "self", "shares", "users:shares"}}
    assert {"servers!user", "access:servers!user", "read:tokens!user"} <= scopes


@pytest.mark.parametrize(("scopes", "server"), [
    (["access:servers!server=ada/alpha", roles.SUBMIT], "alpha"),
    # A person's own token reaches every server of theirs: bound to none.
    (["access:servers!user=ada", roles.SUBMIT], None),
    (["access:servers", roles.SUBMIT], None),
    # Two servers, or another person's (a shared server): bound to none.
    (["access:servers!server=ada/alpha", "access:servers!server=ada/beta"], None),
    (["access:servers!server=ada/alpha", "access:servers!user=ada"], None),
    (["access:servers!server=bob/alpha"], None),
    (["access:servers!server=ada/"], None),
    ([roles.SUBMIT], None),
])
def test_a_token_is_bound_to_one_server_of_its_owner_or_none(scopes, server):
    assert roles.bound_server(scopes, "ada") == server
    assert caller_from_model({"name": "ada", "scopes": scopes}).server_project == server


@pytest.mark.parametrize("bad,key", [
    ({"name": "ada", "roles": ["superuser"]}, "auth.accounts.0.roles.0"),
    ({"name": "ada", "roles": ["analyst", "analyst"]}, "auth.accounts.0.roles"),
])
def test_unknown_or_repeated_roles_are_settings_errors(bad, key):
    with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
        parse_settings({"auth": {"accounts": [bad]}})


@pytest.fixture
def settings(tmp_path):
    settings = parse_settings({
        "hub": {"data_dir": str(tmp_path)},
        "auth": {"accounts": [{"name": "ada"}, {"name": "carol", "roles": ["output-checker"]}]},
        "egress": {"port": 9123, "required_approvals": 3, "checkers_may_review_own_projects": True,
                   "max_file_size": "1M"},
    })
    ensure_secrets(settings)
    return settings


def test_roles_and_scopes_are_wired_after_the_operators(settings, tmp_path):
    c = config.services_config(settings, tmp_path / "haven.yaml")
    assert c.JupyterHub.custom_scopes == roles.CUSTOM_SCOPES
    names = [role["name"] for role in c.JupyterHub.load_roles]
    assert names[0] == config.OPERATOR_SERVICE and set(roles.ROLES) <= set(names)


def test_the_egress_service_is_managed_by_the_hub(settings, tmp_path):
    c = config.services_config(settings, tmp_path / "haven.yaml")
    (service,) = [service for service in c.JupyterHub.services if service["name"] == "egress"]
    assert service["name"] == "egress" and service["url"] == "http://127.0.0.1:9123"
    # Under the supervisor, which restarts it at once after a crash (haven_hub.supervise).
    assert service["command"][1:] == ["-m", "haven_hub.supervise", "haven_egress.web"]
    assert service["environment"]["HAVEN_SETTINGS"] == str(tmp_path / "haven.yaml")
    assert c.JupyterHub.services[0]["name"] == config.OPERATOR_SERVICE

