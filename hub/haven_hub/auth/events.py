"""Where every login attempt is reported: the one hook the audit log attaches to.

``on_login`` is called once per attempt at the built-in login form, after the outcome
is known. It logs a line; the audit log (``haven_hub.audit``, when present) records the
event too (``haven_hub.audit.hooks``). Keep it cheap and never let it raise into the login path.
"""

from __future__ import annotations

import importlib
import logging

log = logging.getLogger("haven.auth")


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
    hooks = _audit_hooks()
    if hooks is None:
        return
    try:
        hooks.record_account_change(hooks._hub_data_dir, actor, action, username, **details)
    except Exception:
        log.exception("could not write the audit event account.%s for %r", action, username)


def _audit_hooks():
    """The audit log's hooks when this hub process has an audit log configured, else None."""
    try:
        hooks = importlib.import_module("haven_hub.audit.hooks")
    except ImportError:
        return None
    return hooks if getattr(hooks, "_hub_data_dir", None) is not None else None


def _to_audit_log(username: str, ok: bool, reason: str, remote_ip: str) -> None:
    hooks = _audit_hooks()
    if hooks is None:
        return
    try:
        hooks.record_login(username=username, ok=ok, reason=reason, remote_ip=remote_ip)
    except Exception:  # the audit log failing must not lock people out; it is logged
        log.exception("could not write the login audit event for %r", username)
