"""The accreditations page: who holds which accreditation until when; record and revoke them.

Over the hub's accreditations API, as ``haven account accredit`` (the rules stay in
``haven_hub.governance``), with the operator's token and the administrator's name, so the
hub's audit event names who pressed the button (``operator:<admin>``).
"""

from __future__ import annotations

import re
from datetime import date

from ..governance.accreditation_cli import Client
from ..provisioning.hub_api import HubError
from ..settings.common import USERNAME
from .handlers import AdminHandler

KIND = r"([a-z][a-z0-9_]{0,39})"
FIELDS = ("name", "kind", "expires_on", "awarded_on", "awarded_by", "evidence")


class AccreditationsBase(AdminHandler):
    def client(self) -> Client:
        base = self.context.hub_api_url.removesuffix("/hub/api")
        return Client(base, self.context.operator_token, operator=self.admin_name)

    async def page(self, notice: str = "", status: int = 200, form: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None) -> None:
        held = await self.run(self.client().call, "GET")
        today = self.context.clock()
        rules = self.context.settings.accreditation
        rows = []
        for changes in held.values():
            for change in changes.values():
                expires = date.fromisoformat(change["expires_on"])
                days = (expires - today).days
                state = "expired" if days < 0 else "expiring" if days <= rules.warn_days else "current"
                kind = rules.kind(change["kind"])
                rows.append({**change, "state": state, "title": kind.title if kind else change["kind"]})
        self.render_page("accreditations.html", "Accreditations", status, section="accreditations", rows=rows,
                         kinds=rules.kinds, notice=notice, form=form or {"kind": ""}, errors=errors or {})


class AccreditationsHandler(AccreditationsBase):
    async def get(self) -> None:
        await self.page(self.get_argument("done", ""))

    async def post(self) -> None:
        """Records an award: every field checked, all errors shown beside their fields."""
        form = {name: self.get_body_argument(name, "").strip() for name in FIELDS}
        errors = {}
        if not re.match(USERNAME, form["name"]):
            errors["name"] = "give the person's login name"
        if self.context.settings.accreditation.kind(form["kind"]) is None:
            errors["kind"] = "choose one of the accreditations the settings declare"
        for key, label in (("expires_on", "expiry date"), ("awarded_on", "award date")):
            try:
                if form[key] or key == "expires_on":
                    date.fromisoformat(form[key])
            except ValueError:
                errors[key] = f"give the {label} as YYYY-MM-DD"
        if not errors:
            body = {key: form[key] for key in ("expires_on", "awarded_on", "awarded_by", "evidence") if form[key]}
            try:
                await self.run(self.client().call, "POST", f"/users/{form['name']}/{form['kind']}", body)
            except HubError as refused:
                errors["general"] = str(refused).splitlines()[0]
            else:
                self.back_to("accreditations", done=f"Recorded: {form['name']} holds {form['kind']} "
                                                   f"until {form['expires_on']}.")
                return
        await self.page(status=422, form=form, errors=errors)


class RevokeHandler(AccreditationsBase):
    async def post(self, name: str, kind: str) -> None:
        reason = self.get_body_argument("reason", "").strip()
        if not reason:
            await self.page(status=422, errors={f"reason-{name}-{kind}": "say why it is revoked"})
            return
        try:
            await self.run(self.client().call, "POST", f"/users/{name}/{kind}/revoke", {"reason": reason})
        except HubError as refused:
            self.back_to("accreditations", done=f"Refused: {str(refused).splitlines()[0]}")
            return
        self.back_to("accreditations", done=f"Revoked: {name} no longer holds {kind}.")
