"""Who holds which role has one source: an account's ``roles`` and ``admin``, through
``roles.account_roles``. The roles the hub loads at start-up, its administrators and what
``haven account`` changes at run time are checked against it in a real JupyterHub database."""

from __future__ import annotations

import typing
from types import SimpleNamespace

import pytest
from jupyterhub import orm
from jupyterhub import roles as hub_roles
from jupyterhub import scopes

from haven_hub import roles
from haven_hub.auth import store
from haven_hub.auth.api import sync_roles
from haven_hub.settings import Account

ACCOUNTS = [Account(name="ada"), Account(name="carol", roles=["output-checker"]),
            Account(name="grace", roles=["analyst", "output-checker"]), Account(name="boss", admin=True)]


@pytest.fixture
def hub_db():
    """A JupyterHub database holding the roles Haven loads, with their holders, as the hub
    does at start-up (load_roles, then admin_users)."""
    db = orm.new_session_factory("sqlite://")()
    scopes.define_custom_scopes({scope: dict(d) for scope, d in roles.CUSTOM_SCOPES.items()
                                 if scope not in scopes.scope_definitions})
    for role in hub_roles.get_default_roles():
        hub_roles.create_role(db, role)
    entries = roles.load_roles(ACCOUNTS, running_services=())
    for entry in entries:
        hub_roles.create_role(db, {key: entry[key] for key in ("name", "description", "scopes")})
    for account in ACCOUNTS:
        db.add(orm.User(name=account.name))
    db.commit()
    for entry in entries:
        for name in entry.get("users", []):
            hub_roles.grant_role(db, orm.User.find(db, name), orm.Role.find(db, entry["name"]))
    for name in roles.admin_users(ACCOUNTS):
        user = orm.User.find(db, name)
        user.admin = True
        hub_roles.grant_role(db, user, orm.Role.find(db, roles.HUB_ADMIN))
    db.commit()
    yield db
    db.close()


def held(db, name: str) -> set[str]:
    return {role.name for role in orm.User.find(db, name).roles} & set(roles.ACCOUNT_ROLES)


def test_start_up_gives_each_account_exactly_its_roles(hub_db):
    for account in ACCOUNTS:
        assert held(hub_db, account.name) == roles.account_roles(account.roles, account.admin), account.name
    assert held(hub_db, "boss") == {roles.ANALYST, roles.HAVEN_ADMIN, roles.HUB_ADMIN}


def test_haven_account_changes_reach_the_same_roles_as_a_restart(hub_db):
    changed = {"ada": (["output-checker"], True), "boss": (["analyst"], False), "carol": ([], False)}
    for name, (assigned, admin) in changed.items():
        sync_roles(hub_db, orm.User.find(hub_db, name), assigned, admin)
    for name, (assigned, admin) in changed.items():
        after_restart = roles.members([SimpleNamespace(name=name, roles=assigned, admin=admin)])
        assert held(hub_db, name) == {role for role, names in after_restart.items() if name in names}
        assert orm.User.find(hub_db, name).admin is admin
    assert roles.admin_users([SimpleNamespace(name=n, roles=r, admin=a) for n, (r, a) in changed.items()]) == {"ada"}


def test_the_roles_an_account_may_hold_are_listed_once():
    assert store.ROLE_NAMES is roles.ASSIGNABLE
    (listed,) = typing.get_args(Account.model_fields["roles"].annotation)
    assert set(typing.get_args(listed)) == set(roles.ASSIGNABLE)
    with pytest.raises(ValueError, match="unknown role 'superuser'"):
        roles.account_roles(["superuser"], False)
