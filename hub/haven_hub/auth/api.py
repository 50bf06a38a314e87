"""``/hub/haven-accounts/api/…``: the accounts store over HTTP, for ``haven account``.

Served by the hub itself (the authenticator registers these handlers), so the hub's own
token check and scopes apply: every call needs ``admin:users``, which the operator
service's token holds. Handlers only translate: the rules live in ``store``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from jupyterhub import orm
from jupyterhub import roles as hub_roles
from jupyterhub.apihandlers.base import APIHandler
from jupyterhub.scopes import needs_scope
from jupyterhub.utils import new_token
from tornado import web

from .. import roles as haven_roles
from .events import on_account_change
from .store import AccountError

PREFIX = r"/haven-accounts/api/accounts"


def _date(value: Any, key: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise AccountError(f"{key} must be a date written YYYY-MM-DD, not {value!r}") from None


def _roles(body: dict[str, Any]) -> list[str]:
    roles = body.get("roles", ["analyst"])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise AccountError("roles must be a list of role names")
    return roles


class JsonObjectHandler(APIHandler):
    """A Haven hub API handler that takes a JSON object and answers JSON (accounts, accreditations)."""

    def _body(self) -> dict[str, Any]:
        body = self.get_json_body() or {}
        if not isinstance(body, dict):
            raise web.HTTPError(400, "the request body must be a JSON object")
        return body

    def _answer(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))


class _AccountsHandler(JsonObjectHandler):
    @property
    def store(self):
        return self.authenticator.store

    def _audit(self, action: str, account: str, **details: Any) -> None:
        actor = getattr(self.current_user, "name", "unknown")
        on_account_change(actor, action, account, **details)

    def _refuse(self, error: AccountError) -> None:
        raise web.HTTPError(error.status, str(error))

    def _hub_user(self, name: str) -> orm.User:
        return self.user_from_username(name).orm_user

    def _grant(self, orm_user: orm.User, roles: list[str], admin: bool) -> None:
        sync_roles(self.db, orm_user, roles, admin)

    async def _cut_off(self, name: str) -> None:
        """A disabled account: its cookies, tokens and running servers stop now."""
        orm_user = orm.User.find(self.db, name)
        if orm_user is None:
            return
        orm_user.cookie_id = new_token()  # every browser cookie of this user becomes invalid
        for token in list(orm_user.api_tokens):
            self.db.delete(token)
        self.db.commit()
        user = self.users[orm_user]
        for server_name, spawner in list(user.spawners.items()):
            if spawner.active:
                await self.stop_single_user(user, server_name)


class AccountListHandler(_AccountsHandler):
    @needs_scope("admin:users")
    def get(self):
        self._answer([account.to_json() for account in self.store.list()])


class AccountHandler(_AccountsHandler):
    @needs_scope("admin:users")
    def get(self, account: str):
        try:
            self._answer(self.store.get(account).to_json())
        except AccountError as error:
            self._refuse(error)

    @needs_scope("admin:users")
    def post(self, account: str):
        body = self._body()
        try:
            until = _date(body["approved_until"], "approved_until") if body.get("approved_until") else None
            created = self.store.create(
                account, roles=_roles(body), admin=bool(body.get("admin", False)),
                approved=bool(body.get("approved", True)), approved_until=until,
            )
        except AccountError as error:
            self._refuse(error)
        self._grant(self._hub_user(account), created.account.roles, created.account.admin)
        self._audit("create", account, roles=created.account.roles, admin=created.account.admin,
                    approved=created.account.approved, approved_until=created.account.approved_until.isoformat())
        self._answer({
            **created.account.to_json(),
            "password": created.password,
            "totp_secret": created.totp_secret,
            "otpauth_uri": created.otpauth_uri,
        }, status=201)

    @needs_scope("admin:users")
    async def patch(self, account: str):
        body = self._body()
        changes: dict[str, Any] = {}
        try:
            for key in ("approved", "disabled", "unlock", "admin"):
                if key in body:
                    if not isinstance(body[key], bool):
                        raise AccountError(f"{key} must be true or false")
                    changes[key] = body[key]
            if "approved_until" in body:
                changes["approved_until"] = _date(body["approved_until"], "approved_until")
            if "roles" in body:
                changes["roles"] = _roles(body)
            unknown = set(body) - {"approved", "disabled", "unlock", "admin", "approved_until", "roles"}
            if unknown:
                raise AccountError(f"cannot change {', '.join(sorted(unknown))} of an account")
            updated = self.store.update(account, **changes)
        except AccountError as error:
            self._refuse(error)
        if {"roles", "admin"} & set(changes):
            self._grant(self._hub_user(account), updated.roles, updated.admin)
        if changes.get("disabled"):
            await self._cut_off(account)
        self._audit("update", account, **{key: str(value) for key, value in changes.items()})
        self._answer(updated.to_json())


class CredentialsHandler(_AccountsHandler):
    @needs_scope("admin:users")
    def post(self, account: str):
        """New one-time password and TOTP secret, e.g. for a lost phone."""
        try:
            fresh = self.store.reset_credentials(account)
        except AccountError as error:
            self._refuse(error)
        self._audit("reset-credentials", account)
        self._answer({**fresh.account.to_json(), "password": fresh.password,
                      "totp_secret": fresh.totp_secret, "otpauth_uri": fresh.otpauth_uri})


def sync_roles(db, orm_user: orm.User, roles: list[str], admin: bool) -> None:
    """Makes the hub's roles of a user match its account (the hub's ``users`` table holds roles)."""
    wanted = haven_roles.account_roles(roles, admin)
    for name in haven_roles.ACCOUNT_ROLES:
        role = orm.Role.find(db, name)
        if role is None:
            continue
        if name in wanted:
            hub_roles.grant_role(db, orm_user, role, commit=False)
        elif role in orm_user.roles:
            hub_roles.strip_role(db, orm_user, role, commit=False)
    orm_user.admin = admin
    db.commit()


def handlers() -> list[tuple[str, type]]:
    return [
        (PREFIX, AccountListHandler),
        (PREFIX + r"/([^/]+)", AccountHandler),
        (PREFIX + r"/([^/]+)/credentials", CredentialsHandler),
    ]
