"""Where the hub process writes audit events: spawns, stops and logins.

``config.audit_config`` installs ``spawn_hooks`` as the spawner's ``pre_spawn_hook``
and ``post_stop_hook``; ``config.configure`` attaches a :class:`HubAuditTrail` to the
authenticator's reports (``auth.events.REPORTS``), which then records every login attempt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .log import EventFilter, hub_log

log = logging.getLogger("haven.audit")


def server_target(username: str, server_name: str) -> str:
    return f"server/{username}/{server_name}"


def spawn_hooks(data_dir: Path) -> tuple[Callable[[Any], None], Callable[[Any], None]]:
    """(pre_spawn_hook, post_stop_hook) writing ``server.start``/``server.refused`` and ``server.stop``."""

    def pre_spawn(spawner: Any) -> None:
        user, name = spawner.user.name, spawner.name
        try:
            # The spawner refuses the same way in start(); asking here records the refusal.
            project = spawner.requested_project()
        except Exception as refusal:
            message = getattr(refusal, "jupyterhub_message", None) or str(refusal)
            hub_log(data_dir).record(user, "server.refused", server_target(user, name), name or None,
                                     reason=message)
            raise
        # Raises if the event cannot be written: a server is not started unaudited.
        # The grants are recorded too: `haven report access` answers which datasets a project used, and when.
        hub_log(data_dir).record(user, "server.start", server_target(user, name), project.id,
                                 cpu=project.limits.cpu, memory=project.limits.memory,
                                 datasets=[f"{g.name}@{g.version or 'latest'}" for g in project.datasets])

    def post_stop(spawner: Any) -> None:
        user, name = spawner.user.name, spawner.name
        try:
            hub_log(data_dir).record(user, "server.stop", server_target(user, name), name or None)
        except Exception:  # the server is already stopped; say loudly that its event is missing
            log.exception("could not write the audit event for stopping %s/%s", user, name)

    return pre_spawn, post_stop


@dataclass(frozen=True)
class HubAuditTrail:
    """The hub side's log, as the authenticator's reports reach it (``auth.events.REPORTS``):
    attached by the hub's configuration, so the authenticator never needs the settings."""

    data_dir: Path

    def login(self, username: str, ok: bool, reason: str = "", remote_ip: str = "") -> None:
        record_login(self.data_dir, username, ok, reason, remote_ip)

    def account_change(self, actor: str, action: str, username: str, **details: Any) -> None:
        record_account_change(self.data_dir, actor, action, username, **details)

    def accepted_terms(self, username: str, version: str) -> bool:
        accepted = hub_log(self.data_dir).events(EventFilter(user=username, type="account.terms-accept"))
        return any(stored.event.details.get("version") == version for stored in accepted)


def record_login(data_dir: Path, username: str, ok: bool, reason: str = "", remote_ip: str = "") -> None:
    """One login attempt (``login.success`` or ``login.failure``).

    ``username`` is what was typed, even when no such account exists (worth seeing in a
    log of failed attempts); ``reason`` says why a failure failed.
    """
    name = username[:64]
    details = {"remote_ip": remote_ip} if remote_ip else {}
    if reason and reason != "ok":
        details["reason"] = reason
    hub_log(data_dir).record(name, "login.success" if ok else "login.failure", f"user/{name}", None,
                             **details)


def record_account_change(data_dir: Path, actor: str, action: str, username: str, **details: Any) -> None:
    """An account created, approved, disabled or changed (``account.<verb>``), by ``actor``."""
    hub_log(data_dir).record(actor, f"account.{action}", f"user/{username}", None, **details)
