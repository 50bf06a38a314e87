"""Where every login attempt and account change is reported: the one place the audit log attaches to.

``on_login`` is called once per attempt at the built-in login form, after the outcome
is known. It logs a line, and hands the event to whatever audit trail the hub process
attached to :data:`REPORTS` (``haven_hub.audit.hooks.HubAuditTrail``, attached by
``config.configure``). The authenticator needs no settings and no import of the audit
package. Keep it cheap and never let it raise into the login path.
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("haven.auth")


class AuditTrail(Protocol):
    def login(self, username: str, ok: bool, reason: str = "", remote_ip: str = "") -> None: ...

    def account_change(self, actor: str, action: str, username: str, **details: object) -> None: ...

    def accepted_terms(self, username: str, version: str) -> bool: ...


class Reports:
    """Where reports go beyond the log: nowhere until the hub's configuration attaches a trail
    (a process with no audit log, such as a test of the login form alone, only logs)."""

    def __init__(self) -> None:
        self.audit: AuditTrail | None = None

    def attach(self, trail: AuditTrail | None) -> None:
        self.audit = trail


REPORTS = Reports()


def on_login(username: str, ok: bool, reason: str, remote_ip: str = "") -> None:
    """One login attempt: ``reason`` is ``ok``, ``unknown-user``, ``bad-password``, ``bad-code``,
    ``locked``, ``disabled``, ``pending`` or ``expired`` (``bad-…,locked`` when it caused a lock)."""
    if ok:
        log.info("login ok: %s from %s", username, remote_ip)
    else:
        log.warning("login refused (%s): %r from %s", reason, username[:40], remote_ip)
    _to_audit_log(username, ok, reason, remote_ip)


def on_password_change(username: str, ok: bool, reason: str, remote_ip: str = "") -> None:
    """The holder of an account changed (or failed to change) its password on the password page."""
    if ok:
        on_account_change(username, "password-change", username, remote_ip=remote_ip)
    else:
        log.warning("password change refused (%s): %r from %s", reason, username[:40], remote_ip)
        _to_audit_log(username, False, f"password-change:{reason}", remote_ip)


def on_account_change(actor: str, action: str, username: str, **details: object) -> None:
    """An account created, approved, disabled, enabled, unlocked or changed, by ``actor``."""
    log.info("account %s: %s by %s %s", action, username, actor, details or "")
    trail = REPORTS.audit
    if trail is None:
        return
    try:
        trail.account_change(actor, action, username, **details)
    except Exception:
        log.exception("could not write the audit event account.%s for %r", action, username)


def _to_audit_log(username: str, ok: bool, reason: str, remote_ip: str) -> None:
    trail = REPORTS.audit
    if trail is None:
        return
    try:
        trail.login(username, ok, reason, remote_ip)
    except Exception:  # the audit log failing must not lock people out; it is logged
        log.exception("could not write the login audit event for %r", username)


def on_terms_accepted(username: str, version: str, remote_ip: str = "") -> None:
    """A login that ticked the terms of use: recorded once per account and version of the terms."""
    trail = REPORTS.audit
    if trail is None:
        log.info("terms %s accepted by %s (no audit log attached)", version, username)
        return
    try:
        if not trail.accepted_terms(username, version):
            trail.account_change(username, "terms-accept", username, version=version, remote_ip=remote_ip)
    except Exception:
        log.exception("could not record that %r accepted the terms of use %s", username, version)
