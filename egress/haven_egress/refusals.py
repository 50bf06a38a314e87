"""Refused attempts go to the audit chain too, with who tried what on which id.

A use case marked ``@audited_refusals`` that refuses its caller (``Forbidden``: self-approval,
an analyst calling a checker's action, a browser token submitting; ``NotFound``: another
project's request or file, a forged id) writes ``egress.refused`` in a transaction of its
own (the refused one rolled back), then raises the same error: the caller sees exactly
what they would have seen. The event says what the id really is (its project, whether it
exists) for whoever reads the audit log, never to the caller.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from .errors import Forbidden, NotFound
from .models import File, Request, RequestVersion, audit_events
from .permissions import Caller, ProjectMismatch

UseCase = TypeVar("UseCase", bound=Callable[..., Any])
TARGET_MAX = 128  # the audit table's target column
_ID_ARGUMENTS = {"request_id": "request", "file_id": "file", "named_project": "project"}


def audited_refusals(method: UseCase) -> UseCase:
    signature = inspect.signature(method)

    @functools.wraps(method)
    def use_case(service: Any, caller: Caller, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(service, caller, *args, **kwargs)
        except ProjectMismatch:
            raise  # audited where it is found (egress.<operation>_refused), with both projects
        except (Forbidden, NotFound) as refused:
            bound = signature.bind_partial(service, caller, *args, **kwargs).arguments
            kind, value = next(((kind, bound[name]) for name, kind in _ID_ARGUMENTS.items() if name in bound),
                               ("request", None))
            record(service, caller, method.__name__, kind, value, refused)
            raise

    return use_case  # type: ignore[return-value]


def record(service: Any, caller: Caller, operation: str, kind: str, value: Any, refused: Exception) -> None:
    with service._transaction("refused") as session:
        project, exists = _what_it_is(session, kind, value)
        details: dict[str, Any] = {
            "operation": operation,
            "refusal": "forbidden" if isinstance(refused, Forbidden) else "not-found",
            "reason": str(refused),
            "roles": sorted(role.value for role in caller.roles),
        }
        if caller.server_project is not None:
            details["server_project"] = caller.server_project
        if exists is not None:
            details["exists"] = exists
        audit.record(session, audit_events, audit.AuditEvent(
            actor=caller.name[:64], action="egress.refused", target=_target(kind, value),
            project=project, details=details))


def _target(kind: str, value: Any) -> str:
    return f"{kind}/{value if value is not None else ''}"[:TARGET_MAX]


def _what_it_is(session: Session, kind: str, value: Any) -> tuple[str | None, bool | None]:
    """(the project it belongs to, whether it exists), for a request or file id."""
    if kind == "request" and isinstance(value, str) and len(value) <= 64:
        project = session.scalar(select(Request.project).where(Request.id == value))
        return project, project is not None
    if kind == "file" and isinstance(value, int) and 0 < value < 2**31:
        project = session.scalar(select(Request.project)
                                 .join(RequestVersion, RequestVersion.request_id == Request.id)
                                 .join(File, File.version_id == RequestVersion.id).where(File.id == value))
        return project, project is not None
    if kind == "project":
        return None, None
    return None, False
