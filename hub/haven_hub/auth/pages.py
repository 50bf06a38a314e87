"""The built-in login's own pages: choosing a password, and asking for an account.

Handlers only translate form fields to :mod:`haven_hub.auth.store` calls and outcomes to
pages; neither page logs anyone in.
"""

from __future__ import annotations

from typing import Any

from jupyterhub.handlers.base import BaseHandler

from .api import sync_roles
from .events import on_account_change, on_password_change
from .store import MIN_PASSWORD_LENGTH, AccountError


class _FormPage(BaseHandler):
    template = ""

    def _page(self, **values: Any) -> str:
        values.setdefault("username", self.get_argument("username", ""))
        return self.render_template(self.template, min_length=MIN_PASSWORD_LENGTH, **values)

    async def _refuse(self, status: int, name: str, message: str) -> None:
        self.set_status(status)
        self.finish(await self._page(username=name, error=message))

    def _fields(self) -> tuple[str, str, str]:
        name = self.authenticator.normalize_username(self.get_body_argument("username", "").strip())
        return name, self.get_body_argument("new_password", ""), self.get_body_argument("new_password_again", "")

    async def get(self):
        self.finish(await self._page(first=self.get_argument("first", "") == "1"))


class PasswordHandler(_FormPage):
    """The holder of an account changes its password (needs the current one and a TOTP code)."""

    template = "haven-password.html"

    async def post(self):
        name, new, again = self._fields()
        if new != again:
            return await self._refuse(400, name, "The two new passwords differ.")
        outcome = self.authenticator.store.change_password(
            name, self.get_body_argument("password", ""), self.get_body_argument("otp", ""), new)
        on_password_change(name, outcome.ok, outcome.reason, self.request.remote_ip)
        if not outcome.ok:
            return await self._refuse(400 if outcome.reason == "weak-password" else 403, name, outcome.message)
        self.finish(await self._page(username=name, done=True))


class SignupHandler(_FormPage):
    """Someone asks for an account: they choose a password and get their TOTP secret once;
    the account logs in only after an administrator approves it."""

    template = "haven-signup.html"

    async def post(self):
        name, new, again = self._fields()
        if new != again:
            return await self._refuse(400, name, "The two passwords differ.")
        if name and name in new.lower():
            return await self._refuse(400, name, "Choose a password that does not contain your username.")
        try:
            created = self.authenticator.store.create(
                name, roles=["analyst"], approved=False, password=new, one_time_password=False)
        except AccountError as error:
            return await self._refuse(409 if error.status == 409 else 400, name, str(error))
        sync_roles(self.db, self.user_from_username(name).orm_user, created.account.roles, False)
        on_account_change(name, "signup", name, remote_ip=self.request.remote_ip)
        self.set_status(201)
        self.finish(await self._page(username=name, done=True, totp_secret=created.totp_secret,
                                     otpauth_uri=created.otpauth_uri))
