"""API tokens made or deleted through the hub's token API (``/hub/api/users/<u>/tokens``,
which the token page uses too), and attempts the hub refused, go to the hub's audit chain.

JupyterHub has no hook for tokens, so two of its own extension points meet here:
SQLAlchemy's mapper events on ``APIToken`` note each token inserted or deleted while a
request runs, keyed by the asyncio task running it (tornado runs each request's handler in
a task of its own), and the hub's ``log_function`` (called once per request, in that task,
when it finished) writes the events with the requester the hub authenticated. (Not a
context variable: a value set before the hub serves, at start-up, would be shared by every
request's copy of the context.) Only the token API's requests are
written: the tokens JupyterHub makes for servers and OAuth logins are not token changes a
person asked for. An event names the token by its id (``a<id>``), scopes, expiry and note,
never by its secret.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from pathlib import Path
from typing import Any, Callable
from weakref import WeakKeyDictionary

from jupyterhub import orm
from jupyterhub.apihandlers.users import UserTokenAPIHandler, UserTokenListAPIHandler
from jupyterhub.log import log_request
from sqlalchemy import event

from .log import hub_log

log = logging.getLogger("haven.audit")

# The token changes of the request each task runs; a finished task's entry goes with it.
_changes: WeakKeyDictionary[asyncio.Task[Any], list[dict[str, Any]]] = WeakKeyDictionary()
_TOKEN_HANDLERS = (UserTokenListAPIHandler, UserTokenAPIHandler)


def _facts(token: orm.APIToken) -> dict[str, Any]:
    return {"token_id": f"a{token.id}", "scopes": sorted(token.scopes or []),
            "expires_at": token.expires_at.isoformat() + "Z" if token.expires_at else None,
            "note": (token.note or "")[:200]}


def _noted(kind: str) -> Callable[..., None]:
    def note(_mapper: Any, _connection: Any, token: orm.APIToken) -> None:
        task = _current_task()
        if task is not None:  # outside any request (start-up): nobody asked for it
            _changes.setdefault(task, []).append({"change": kind, **_facts(token)})

    return note


@functools.cache
def listen() -> None:
    """Once per process: note every APIToken insert and delete (cheap: a list append)."""
    event.listen(orm.APIToken, "after_insert", _noted("create"))
    event.listen(orm.APIToken, "before_delete", _noted("delete"))


def log_function(data_dir: Path) -> Callable[[Any], None]:
    """The hub's request logger (JupyterHub's own), then the token API's audit events."""
    listen()

    def log_and_audit(handler: Any) -> None:
        log_request(handler)
        task = _current_task()
        changes = _changes.pop(task, []) if task is not None else []
        if not isinstance(handler, _TOKEN_HANDLERS) or handler.request.method not in ("POST", "DELETE"):
            return
        try:
            _record(data_dir, handler, changes)
        except Exception:  # the response is sent; say loudly that its event is missing
            log.exception("could not write the audit event for %s %s", handler.request.method,
                          handler.request.path)

    return log_and_audit


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no event loop in this thread
        return None


def _requester(handler: Any) -> tuple[str, str]:
    who = getattr(handler, "_jupyterhub_user", None)
    if who is None:
        return "anonymous", "anonymous"
    return who.name, "user" if isinstance(who, orm.User) or hasattr(who, "orm_user") else "service"


def _record(data_dir: Path, handler: Any, changes: list[dict[str, Any]]) -> None:
    actor, kind = _requester(handler)
    owner = str(handler.path_args[0]) if handler.path_args else ""
    status = handler.get_status()
    if status >= 400:
        details: dict[str, Any] = {"status": status, "method": handler.request.method, "requester": kind,
                                   "remote_ip": handler.request.remote_ip or ""}
        if len(handler.path_args) > 1:
            details["token_id"] = str(handler.path_args[1])[:64]
        hub_log(data_dir).record(actor[:64], "token.refused", f"user/{owner}"[:128], None, **details)
        return
    for change in changes:
        facts = {k: v for k, v in change.items() if k != "change"}
        hub_log(data_dir).record(actor[:64], f"token.{change['change']}", f"user/{owner}"[:128], None,
                                 requester=kind, **facts)
