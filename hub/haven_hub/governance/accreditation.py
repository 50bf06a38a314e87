"""May this person log in, start a server or review now, as far as their accreditations go?

The rules only: the settings (``accreditation``) say which kinds each action needs, a
project may add kinds of its own (``required_accreditations``), and the store
(:mod:`.accreditation_store`) says what the person holds. An accreditation is current up
to and including its expiry date. Every answer is a sentence for the person refused, or
None; warnings are sentences too, from ``warn_days`` before an expiry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from ..settings.accreditation import Accreditation
from .accreditation_store import AccreditationStore, Change, store_of

# How each action reads in a refusal or a warning.
DOING = {"login": "Logging in to Haven", "spawn": "Starting a project server", "review": "Reviewing outputs"}
NEEDED_FOR = {"login": "logging in", "spawn": "starting servers", "review": "reviewing outputs"}


def title_of(rules: Accreditation, kind: str) -> str:
    declared = rules.kind(kind)
    return declared.title if declared is not None else kind


def needed(rules: Accreditation, action: str, also: Iterable[str] = ()) -> list[str]:
    """The kinds ``action`` needs: the settings' and ``also`` (a project's), each once."""
    return list(dict.fromkeys([kind.name for kind in rules.required_for(action)] + list(also)))


def refusal(rules: Accreditation, held: Mapping[str, Change], action: str, today: date,
            also: Iterable[str] = (), where: str = "") -> str | None:
    """Why ``action`` is refused for someone holding ``held`` (None: it is not)."""
    for kind in needed(rules, action, also):
        change = held.get(kind)
        title = title_of(rules, kind)
        doing = DOING[action] + (f" {where}" if where else "")
        if change is None:
            return (f"{doing} needs a current {title} accreditation ({kind}), and none is recorded for you. "
                    "Ask an administrator to record yours.")
        if change.expires_on is not None and today > change.expires_on:
            return (f"{doing} needs a current {title} accreditation ({kind}): yours expired on "
                    f"{change.expires_on.isoformat()}. Ask an administrator to record its renewal.")
    return None


def warnings(rules: Accreditation, held: Mapping[str, Change], today: date) -> list[str]:
    """Accreditations expiring within ``warn_days`` (today included), soonest first."""
    if rules.warn_days == 0:
        return []
    soon = sorted((change for change in held.values()
                   if change.expires_on is not None and 0 <= (change.expires_on - today).days <= rules.warn_days),
                  key=lambda change: change.expires_on)
    lines = []
    for change in soon:
        days = (change.expires_on - today).days
        when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
        uses = [NEEDED_FOR[action] for action in ("login", "spawn", "review")
                if rules.kind(change.kind) is not None and action in rules.kind(change.kind).required_for]
        why = f" It is needed for {' and '.join(uses)}." if uses else ""
        lines.append(f"Your {title_of(rules, change.kind)} accreditation expires on {change.expires_on.isoformat()} "
                     f"({when}).{why} Ask an administrator to record its renewal before then.")
    return lines


def standing(settings: Any, username: str, store: AccreditationStore | None = None) -> dict[str, Any]:
    """What the hub tells the egress service (and ``haven account accreditations``) about a person."""
    store = store or store_of(settings)
    held, today = store.current(username), store.today()
    rules = settings.accreditation
    return {
        "username": username,
        "accreditations": {kind: change.to_json() for kind, change in held.items()},
        "refusals": {action: refusal(rules, held, action, today) for action in ("login", "spawn", "review")},
        "warnings": warnings(rules, held, today),
    }


def spawn_refusal(settings: Any, username: str, project: Any) -> str | None:
    """The spawner's check: the settings' spawn kinds and the project's own required ones."""
    also = tuple(getattr(project, "required_accreditations", ()) or ())
    if not needed(settings.accreditation, "spawn", also):
        return None  # nothing to look up: no store is opened for deployments that use none
    store = store_of(settings)
    return refusal(settings.accreditation, store.current(username), "spawn", store.today(), also,
                   where=f"for project {project.id!r}")


def login_check(settings: Any) -> Callable[[str], str | None] | None:
    """For the authenticators: why this person may not log in (None: they may); None when no
    kind is required at login, so logins then never open the store."""
    if not needed(settings.accreditation, "login"):
        return None

    def check(username: str) -> str | None:
        store = store_of(settings)
        return refusal(settings.accreditation, store.current(username), "login", store.today())

    return check


def notices(settings: Any, username: str) -> list[str]:
    """For the hub's home page: why servers cannot start (the settings' spawn kinds), then
    expiries within ``warn_days``."""
    try:
        store = store_of(settings)
        held, today = store.current(username), store.today()
    except Exception:  # a notice must never break the home page; the refusals are checked where they apply
        return []
    rules = settings.accreditation
    spawn = refusal(rules, held, "spawn", today)
    return ([spawn] if spawn else []) + warnings(rules, held, today)


def refusing_post_auth_hook(check: Callable[[str], str | None]) -> Callable[..., Any]:
    """For OIDC (``Authenticator.post_auth_hook``): the provider said who it is; a missing or
    expired accreditation then refuses the login with its sentence (a 403 page)."""
    from tornado import web

    def hook(authenticator: Any, handler: Any, auth_model: dict[str, Any] | None) -> dict[str, Any] | None:
        if auth_model is not None:
            why = check(auth_model["name"])
            if why is not None:
                raise web.HTTPError(403, why)
        return auth_model

    return hook
