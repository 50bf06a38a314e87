"""``/hub/api/haven/accreditations/…``: people's accreditations over the hub's own API.

A hub API handler (``JupyterHub.extra_handlers``), not part of the built-in authenticator's
accounts API, so it serves OIDC deployments too. Recording or revoking needs
``admin:users`` (the operator token of ``haven account``); reading needs
``custom:haven:accreditations``, which the egress service holds to learn whether a checker
may review (it then trusts nothing but the hub, as for identity), and the operator and
haven-admin roles. Every change is a hub audit event. Handlers only translate: the rules
live in :mod:`.accreditation` and :mod:`.accreditation_store`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from jupyterhub.scopes import needs_scope
from tornado import web

from .. import roles
from ..audit.log import hub_log
from ..auth.api import JsonObjectHandler
from .accreditation import standing
from .accreditation_store import AccreditationError, AccreditationStore, store_of

PREFIX = r"/api/haven/accreditations"
OPERATOR_SERVICE = "haven-operator"  # haven_hub.config.OPERATOR_SERVICE (config imports this module)
OPERATOR_HEADER = "X-Haven-Operator"
AWARD_FIELDS = {"expires_on", "awarded_on", "awarded_by", "evidence"}


def _date(body: dict[str, Any], key: str, required: bool = False) -> date | None:
    value = body.get(key)
    if value in (None, ""):
        if required:
            raise AccreditationError(f"{key} is required (YYYY-MM-DD)")
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise AccreditationError(f"{key} must be a date written YYYY-MM-DD, not {value!r}") from None


class _AccreditationHandler(JsonObjectHandler):
    def initialize(self, settings: Any, store: AccreditationStore | None = None) -> None:
        self.haven_settings = settings
        self.store = store or store_of(settings)

    def _require_reader(self) -> None:
        # Checked here, not with needs_scope: that validates its scope when this module is
        # imported, before the hub has loaded Haven's custom scopes.
        if self.current_user is None:
            raise web.HTTPError(403, "Missing or invalid credentials.")
        held = set(self.expanded_scopes)
        if roles.READ_ACCREDITATIONS not in held and "admin:users" not in held:
            raise web.HTTPError(403, f"reading accreditations needs the {roles.READ_ACCREDITATIONS} scope")

    def _person(self, username: str) -> str:
        known = {account.name for account in self.haven_settings.auth.accounts}
        if self.find_user(username) is None and username not in known:
            raise web.HTTPError(404, f"no user named {username!r}")
        return username

    def actor(self) -> str:
        """Who recorded the change: for the operator token, the host login ``haven account`` names
        (as ``haven project`` records it); for anyone else, the hub's own name for them."""
        name = getattr(self.current_user, "name", "unknown")
        who = self.request.headers.get(OPERATOR_HEADER, "")
        if name == OPERATOR_SERVICE and who:
            return f"operator:{who}"[:64]
        return name

    def _audit(self, action: str, username: str, **details: Any) -> None:
        actor = self.actor()
        hub_log(self.haven_settings.hub.data_dir).record(actor, f"accreditation.{action}", f"user/{username}",
                                                        None, **details)


class AccreditationsHandler(_AccreditationHandler):
    def get(self) -> None:
        self._require_reader()
        self._answer({username: {kind: change.to_json() for kind, change in held.items()}
                      for username, held in self.store.holders().items()})


class PersonHandler(_AccreditationHandler):
    def get(self, username: str) -> None:
        self._require_reader()
        self._answer(standing(self.haven_settings, self._person(username), self.store))


class HistoryHandler(_AccreditationHandler):
    def get(self, username: str) -> None:
        self._require_reader()
        self._answer([change.to_json() for change in self.store.history(self._person(username))])


class AwardHandler(_AccreditationHandler):
    @needs_scope("admin:users")
    def post(self, username: str, kind: str) -> None:
        body = self._body()
        try:
            unknown = set(body) - AWARD_FIELDS
            if unknown:
                raise AccreditationError(f"unknown field {sorted(unknown)[0]!r}: send {', '.join(sorted(AWARD_FIELDS))}")
            self._declared(kind)
            change = self.store.award(
                self._person(username), kind, expires_on=_date(body, "expires_on", required=True),
                awarded_on=_date(body, "awarded_on"), awarded_by=str(body.get("awarded_by") or ""),
                evidence=str(body.get("evidence") or ""), recorded_by=self.actor())
        except AccreditationError as error:
            raise web.HTTPError(error.status, str(error)) from None
        self._audit("award", username, kind=kind, change=change.id, awarded_on=change.awarded_on.isoformat(),
                    expires_on=change.expires_on.isoformat(), awarded_by=change.awarded_by, evidence=change.evidence)
        self._answer(change.to_json(), status=201)

    def _declared(self, kind: str) -> None:
        rules = self.haven_settings.accreditation
        if rules.kind(kind) is None:
            names = ", ".join(k.name for k in rules.kinds) or "none are declared"
            raise AccreditationError(f"unknown accreditation kind {kind!r}: the settings declare {names}")


class RevokeHandler(_AccreditationHandler):
    @needs_scope("admin:users")
    def post(self, username: str, kind: str) -> None:
        body = self._body()
        try:
            if set(body) - {"reason"}:
                raise AccreditationError("send only a reason")
            change = self.store.revoke(self._person(username), kind, reason=str(body.get("reason") or ""),
                                       recorded_by=self.actor())
        except AccreditationError as error:
            raise web.HTTPError(error.status, str(error)) from None
        self._audit("revoke", username, kind=kind, change=change.id, reason=change.reason)
        self._answer(change.to_json(), status=201)


USER = r"([^/]+)"
KIND = r"([a-z][a-z0-9_]{0,39})"


def handlers(settings: Any) -> list[tuple[str, type, dict[str, Any]]]:
    arguments = {"settings": settings}
    return [
        (PREFIX, AccreditationsHandler, arguments),
        (rf"{PREFIX}/users/{USER}", PersonHandler, arguments),
        (rf"{PREFIX}/users/{USER}/history", HistoryHandler, arguments),
        (rf"{PREFIX}/users/{USER}/{KIND}", AwardHandler, arguments),
        (rf"{PREFIX}/users/{USER}/{KIND}/revoke", RevokeHandler, arguments),
    ]
