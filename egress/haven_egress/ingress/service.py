"""The ingress use cases: each one transaction, with its audit event in the egress chain.

Refusals are typed (``..errors``); handlers only translate them. A file's bytes go to the
blob store (content-addressed, immutable) before the transaction that references them, as
for release requests. Delivery runs after the approval commits: an approval is a person's
decision and stands even when the workspace or the index cannot take the thing yet; the
request then stays approved, the failure is audited, and a decider may try again.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from haven_hub.settings import Egress

from .. import audit
from ..blobs import BlobStore, CorruptBlob
from ..errors import Conflict, EgressError, Forbidden, Invalid, NotFound
from ..holds import HoldLookup, no_holds, require_not_held
from ..models import audit_events
from ..permissions import Caller
from ..storage import lock_blobs, writing
from . import delivery, permissions, policies
from .models import IngressEvent, IngressRequest
from .views import IngressView, facts, view_of
from .workflow import SUBMIT, Action, Actor, State, TransitionRefused, next_state

NO_REQUEST = "there is no ingress request with this id that you may see"
_ID = re.compile(r"^[0-9a-f]{32}$")

# Use cases whose first argument is a project or a path, not a request id.
FILING = frozenset({"request_file", "request_package", "record_lab_upload"})
# (requirement, actor, reason, projects): adds an approved package to the package index.
PackageApprover = Callable[[str, str, str, list[str]], Any]


@dataclass(frozen=True)
class Destinations:
    """Where approved things go: the projects' workspaces (as which uid), the package index."""

    data_dir: Path
    container_uid: int
    approve_package: PackageApprover

    def workspace(self, project: str) -> Path:
        return delivery.workspace_of(self.data_dir, project)


def _audited_refusals(method):
    """A refused caller (Forbidden, NotFound) is audited in a transaction of its own."""

    @functools.wraps(method)
    def use_case(self: IngressService, caller: Caller, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, caller, *args, **kwargs)
        except (Forbidden, NotFound) as refused:
            # The request id when the use case takes one (a forged id is kept as given, cut short).
            target = args[0] if args and isinstance(args[0], str) and method.__name__ not in FILING else ""
            with self._transaction() as session:
                project = session.scalar(select(IngressRequest.project).where(IngressRequest.id == target[:32]))
                audit.record(session, audit_events, audit.AuditEvent(
                    actor=caller.name[:64], action="ingress.refused", target=f"ingress/{target}"[:128],
                    project=project, details={"operation": method.__name__, "reason": str(refused),
                                              "refusal": "forbidden" if isinstance(refused, Forbidden) else "not-found",
                                              "roles": sorted(r.value for r in caller.roles)}))
            raise

    return use_case


class IngressService:
    def __init__(self, sessions: sessionmaker[Session], blobs: BlobStore, rules: Egress,
                 destinations: Destinations, project_holds: HoldLookup = no_holds):
        self.sessions = sessions
        self.blobs = blobs
        self.rules = rules
        self.destinations = destinations
        # A frozen project brings nothing in either (haven_egress.holds): no filing, no decision,
        # no delivery into its workspace; withdrawing stays open, as it only takes something back.
        self.project_holds = project_holds

    # ---- analyst ---------------------------------------------------------------------

    @_audited_refusals
    def request_file(self, caller: Caller, project: str, name: str, content: bytes,
                     description: str, justification: str) -> str:
        self._require_filing(caller, project)
        description = policies.text(description, "a description of the file")
        justification = policies.text(justification, "a reason why the project needs it")
        checked = policies.check_file(name, content, self.rules.ingress)
        digest = self.blobs.put(checked.content)
        with self._transaction() as session:
            lock_blobs(session)
            self.blobs.put(checked.content)  # again under the lock: fsck may have removed a reused blob
            request = IngressRequest(
                id=uuid.uuid4().hex, project=project, author=caller.name, kind="file", description=description,
                justification=justification, file_name=checked.name, sha256=digest, size=len(checked.content),
                media_type=checked.media_type)
            return self._file(session, caller, request, file=checked.name, sha256=digest, size=len(checked.content))

    @_audited_refusals
    def request_package(self, caller: Caller, project: str, name: str, version: str,
                        justification: str, description: str = "") -> str:
        self._require_filing(caller, project)
        package, version = policies.check_package(name, version)
        justification = policies.text(justification, "a reason why the project needs it")
        description = policies.text(description, "a description", required=False)
        with self._transaction() as session:
            request = IngressRequest(
                id=uuid.uuid4().hex, project=project, author=caller.name, kind="package", description=description,
                justification=justification, package_name=package, package_version=version)
            return self._file(session, caller, request, package=f"{package}=={version}")

    @_audited_refusals
    def withdraw(self, caller: Caller, request_id: str, reason: str = "") -> State:
        return self._decide(caller, request_id, Action.WITHDRAW, Actor.AUTHOR,
                            policies.text(reason, "a reason", required=False))

    @_audited_refusals
    def record_lab_upload(self, caller: Caller, path: str, size: int, sha256: str) -> None:
        """A small text file the settings let through JupyterLab's upload, recorded in the audit
        chain under the project of the server that sent it (its token's, never a body's)."""
        project = caller.server_project
        limit = self.rules.ingress.lab_upload_max_size
        if project is None:
            raise Forbidden("uploads are recorded only by a project server")
        self._require(permissions.may_file(caller, project), f"upload files into project {project}")
        if limit <= 0:
            raise Forbidden("uploads through JupyterLab are closed (egress.ingress.lab_upload_max_size is 0)")
        path = policies.text(path, "the uploaded file's path")[:1024]
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= limit:
            raise Invalid(f"an upload through JupyterLab may be at most {limit:,} bytes")
        if not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise Invalid("sha256 must be 64 lowercase hex digits")
        with self._transaction() as session:
            audit.record(session, audit_events, audit.AuditEvent(
                actor=caller.name, action="ingress.lab_upload", target=f"project/{project}", project=project,
                details={"path": path, "size": size, "sha256": sha256}))

    # ---- checker or admin ---------------------------------------------------------------

    @_audited_refusals
    def approve(self, caller: Caller, request_id: str, reason: str) -> State:
        """Approve (a reason is required), then deliver; the state it ends in is returned."""
        self._decide(caller, request_id, Action.APPROVE, Actor.DECIDER, policies.text(reason, "an approval reason"))
        return self._deliver(caller, request_id)

    @_audited_refusals
    def reject(self, caller: Caller, request_id: str, reason: str) -> State:
        return self._decide(caller, request_id, Action.REJECT, Actor.DECIDER,
                            policies.text(reason, "a rejection reason"))

    @_audited_refusals
    def retry_delivery(self, caller: Caller, request_id: str) -> State:
        with self.sessions() as session:
            request = self._load(session, caller, request_id)
            self._require(permissions.may_decide(caller, facts(request), self.rules), "deliver this request")
        return self._deliver(caller, request_id)

    @_audited_refusals
    def file_content(self, caller: Caller, request_id: str) -> tuple[IngressView, bytes]:
        """A decider reads the file to judge it; each read is audited."""
        with self._transaction() as session:
            request = self._load(session, caller, request_id)
            self._require(permissions.may_decide(caller, facts(request), self.rules)
                          or permissions.is_author(caller, facts(request)), "read this request's file")
            if request.kind != "file":
                raise NotFound("this ingress request carries a package, not a file")
            data = self._bytes(request)
            self._audit(session, caller, "view", request, sha256=request.sha256)
            return view_of(request), data

    # ---- reading -----------------------------------------------------------------------

    @_audited_refusals
    def get(self, caller: Caller, request_id: str) -> IngressView:
        with self.sessions() as session:
            return view_of(self._load(session, caller, request_id))

    def list(self, caller: Caller) -> list[IngressView]:
        """Newest first: what this caller may see (their projects'; the whole queue for deciders)."""
        with self.sessions() as session:
            rows = session.scalars(select(IngressRequest).order_by(IngressRequest.created_at.desc(),
                                                                    IngressRequest.id))
            return [view_of(r) for r in rows if permissions.may_view(caller, facts(r))]

    # ---- internals ---------------------------------------------------------------------

    def _require_filing(self, caller: Caller, project: str) -> None:
        if not isinstance(project, str) or not project:
            raise Invalid("choose the project the thing is for")
        self._require(permissions.may_file(caller, project),
                      f"ask to bring things into project {project} (only its members may)")
        require_not_held(self.project_holds, project, "bring things in")

    def _file(self, session: Session, caller: Caller, request: IngressRequest, **details: Any) -> str:
        session.add(request)
        request.events.append(IngressEvent(state=State.SUBMITTED, action=SUBMIT, actor=caller.name, reason=""))
        session.flush()
        self._audit(session, caller, "submit", request, kind=request.kind, **details)
        return request.id

    def _decide(self, caller: Caller, request_id: str, action: Action, actor: Actor, reason: str) -> State:
        with self._transaction() as session:
            request = self._load(session, caller, request_id, for_update=True)
            self._require(permissions.may_act_as(caller, actor, facts(request), self.rules),
                          f"{action.value} this ingress request")
            if action is not Action.WITHDRAW:
                require_not_held(self.project_holds, request.project, f"{action.value} ingress requests")
            return self._move(session, caller, request, action, actor, reason)

    def _deliver(self, caller: Caller, request_id: str) -> State:
        with self.sessions() as session:
            request = self._load(session, caller, request_id)
            state = State(request.events[-1].state)
            if state is not State.APPROVED:
                raise Conflict(f"only an approved ingress request is delivered (it is {state.value})")
            require_not_held(self.project_holds, request.project, "receive deliveries")
            approval = next(e for e in reversed(request.events) if e.action == Action.APPROVE)
            kind, project = request.kind, request.project
            file = (request.file_name, request.sha256) if kind == "file" else None
            requirement = f"{request.package_name}=={request.package_version}"
            data = self._bytes(request) if kind == "file" else b""
        try:
            if file is not None:
                name, sha256 = file
                where = delivery.deliver(self.destinations.workspace(project),
                                         (self.rules.ingress.folder, request_id), name, data, sha256,
                                         self.destinations.container_uid)
            else:
                self.destinations.approve_package(
                    requirement, approval.actor, f"{approval.reason} (ingress request {request_id})", [project])
                where = requirement
        except Exception as failure:  # noqa: BLE001 - any failure leaves the approval standing, audited
            message = str(failure) if isinstance(failure, EgressError) else f"{type(failure).__name__}: {failure}"
            with self._transaction() as session:
                request = self._load(session, caller, request_id)
                self._audit(session, caller, "delivery_failed", request, error=message[:2000])
            raise Conflict(f"approved, but not delivered yet: {message}") from None
        with self._transaction() as session:
            request = self._load(session, caller, request_id, for_update=True)
            if State(request.events[-1].state) is State.DELIVERED:
                return State.DELIVERED  # delivered meanwhile by another call: the same bytes, one event
            details = {"path": where, "sha256": request.sha256} if kind == "file" else {"package": where}
            return self._move(session, caller, request, Action.DELIVER, Actor.SYSTEM, where, **details)

    def _move(self, session: Session, caller: Caller, request: IngressRequest, action: Action, actor: Actor,
              reason: str, **details: Any) -> State:
        try:
            new = next_state(State(request.events[-1].state), action, actor)
        except TransitionRefused as refused:
            raise Conflict(str(refused)) from None
        request.events.append(IngressEvent(state=new, action=action, reason=reason,
                                           actor=caller.name if actor is not Actor.SYSTEM else "system"))
        session.flush()
        self._audit(session, caller, action.value, request, by=actor.value, to=new.value,
                    **({"reason": reason} if reason and actor is not Actor.SYSTEM else {}), **details)
        return new

    def _load(self, session: Session, caller: Caller, request_id: str, for_update: bool = False) -> IngressRequest:
        if not isinstance(request_id, str) or not _ID.match(request_id):
            raise NotFound(NO_REQUEST)
        query = select(IngressRequest).where(IngressRequest.id == request_id)
        request = session.scalars(query.with_for_update() if for_update else query).one_or_none()
        if request is None or not permissions.may_view(caller, facts(request)):
            raise NotFound(NO_REQUEST)
        return request

    def _bytes(self, request: IngressRequest) -> bytes:
        try:
            return self.blobs.read(request.sha256 or "")
        except (CorruptBlob, FileNotFoundError, ValueError):
            raise Conflict(f"{request.file_name} no longer matches what was filed") from None

    @staticmethod
    def _require(allowed: bool, what: str) -> None:
        if not allowed:
            raise Forbidden(f"you may not {what}")

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            writing(session)
            yield session

    def _audit(self, session: Session, caller: Caller, action: str, request: IngressRequest, **details: Any) -> None:
        audit.record(session, audit_events, audit.AuditEvent(
            actor=caller.name, action=f"ingress.{action}", target=f"ingress/{request.id}",
            project=request.project, details=details))
