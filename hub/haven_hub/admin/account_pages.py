"""The accounts pages: list, create, disable/enable, reset two-factor.

Over the same accounts API as ``haven account`` (served by the hub, called with the operator's
token), so the rules stay in ``haven_hub.auth.store``. The hub records each change as done by
the operator service; this page also records who pressed the button (``admin.account.*``),
with the reason asked for disabling. New credentials are shown once and never cached.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from tornado import web

from ..accounts.cli import ROLE_WORDS, account_state
from ..provisioning.hub_api import HubError
from ..settings.common import USERNAME
from .handlers import AdminHandler

ACCOUNT = r"([a-z][a-z0-9._-]{0,31})"
ROLE_CHOICES = (("analyst", "Analyst"), ("checker", "Output checker"), ("admin", "Administrator"))
ACTIONS = {"disable": "disabled", "enable": "enabled", "reset": "given new credentials"}


class AccountsBase(AdminHandler):
    def prepare_accounts(self) -> Any:
        if self.context.settings.auth.kind != "builtin":
            raise web.HTTPError(404, "Accounts are kept by your identity provider (auth.kind is oidc), "
                                     "not by Haven: manage them there.")
        return self.context.accounts()

    def record(self, action: str, name: str, **details: Any) -> None:
        self.context.audit.record(self.admin_name, f"admin.account.{action}", f"user/{name}", None, **details)

    def credentials_page(self, account: dict[str, Any], done: str) -> None:
        # Shown once: the browser must not keep it (back button, history, a shared machine).
        self.set_header("Cache-Control", "no-store")
        self.render_page("credentials.html", f"Account {account['name']} {done}", section="accounts",
                         account=account)

    async def list_page(self, notice: str = "", status: int = 200, **values: Any) -> None:
        client = self.prepare_accounts()
        accounts = await self.run(client.list)
        for account in accounts:
            account["state"] = account_state(account)
        values.setdefault("form", {"name": "", "roles": ["analyst"], "approved_until": ""})
        values.setdefault("errors", {})
        self.render_page("accounts.html", "Accounts", status, section="accounts", accounts=accounts,
                         notice=notice, role_choices=ROLE_CHOICES, **values)


class AccountsHandler(AccountsBase):
    async def get(self) -> None:
        await self.list_page(self.get_argument("done", ""))

    async def post(self) -> None:
        """A new account: every field checked, all errors shown at once beside their fields."""
        client = self.prepare_accounts()
        name = self.get_body_argument("name", "").strip()
        words = [w for w in self.get_body_arguments("roles") if w in ROLE_WORDS]
        until = self.get_body_argument("approved_until", "").strip()
        errors = {}
        if not re.match(USERNAME, name):
            errors["name"] = ("give a login name: a lower-case letter, then up to 31 lower-case letters, "
                              "digits, dots, dashes or underscores" if name else "give the account a login name")
        if not words:
            errors["roles"] = "tick at least one role"
        if until:
            try:
                date.fromisoformat(until)
            except ValueError:
                errors["approved_until"] = f"{until!r} is not a date: use YYYY-MM-DD"
        form = {"name": name, "roles": words, "approved_until": until}
        if not errors:
            roles = [ROLE_WORDS[w] for w in words if w != "admin"]
            try:
                created = await self.run(client.create, name, roles, "admin" in words, True, until or None)
            except HubError as refused:
                message = str(refused).splitlines()[0]
                errors["name" if "exists" in message or "name" in message else "general"] = message
            else:
                self.record("create", name, roles=words)
                self.credentials_page(created, "created")
                return
        await self.list_page(status=422, form=form, errors=errors)


class AccountActionHandler(AccountsBase):
    async def post(self, name: str, action: str) -> None:
        client = self.prepare_accounts()
        reason = self.get_body_argument("reason", "").strip()
        if action == "disable" and not reason:
            await self.list_page(status=422, errors={f"reason-{name}": "say why the account is disabled"})
            return
        try:
            if action == "reset":
                fresh = await self.run(client.reset, name)
            else:
                changes = {"disabled": True} if action == "disable" else {"disabled": False, "unlock": True}
                await self.run(lambda: client.change(name, **changes))
        except HubError as refused:
            self.back_to("accounts", done=f"Refused: {str(refused).splitlines()[0]}")
            return
        self.record(action, name, **({"reason": reason} if reason else {}))
        if action == "reset":
            self.credentials_page(fresh, "given new credentials")
            return
        self.back_to("accounts", done=f"Account {name} {ACTIONS[action]}."
                                      + (" Its sessions, tokens and servers were stopped." if action == "disable" else ""))
