"""The egress business logic: every rule of the review queue, with no HTTP in sight.

Each public method is one use case and one database transaction; the audit event for a
change is written in that same transaction. Refusals are typed (``errors``) so the web
handlers only translate them. Blobs are written before the transaction that references
them, so a crash leaves at worst an orphan blob for ``fsck``, never a half request.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from haven_disclosure import DisclosureCheckError
from haven_hub.settings import Egress

from . import audit, check_view, daily_limit, fsck, idempotency, listing, permissions, policies, provenance, release
from . import review_rules, revisions, views
from .holds import HoldLookup, no_holds, require_not_held
from .blobs import BlobStore, CorruptBlob, FsckReport
from .checking import BackgroundChecks
from .listing import RequestSummary
from .lookup import load_file, load_request
from .reviewing import FileReviews, required_text
from .texts import limited
from .file_checks import CheckInput, check_one
from .errors import Conflict, Forbidden, Invalid
from .models import File, Request, RequestVersion, StateEvent, audit_events
from .permissions import Caller
from .refusals import audited_refusals
from .signing import Signer
from .storage import lock_blobs, writing
from .uploads import FileUpload, check_uploads
from .workflow import SUBMIT, Action, Actor, State, TransitionRefused, actors_for, next_state

class EgressService(FileReviews):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        blobs: BlobStore,
        rules: Egress = Egress(),
        before_commit: Callable[[str], None] | None = None,
        signer: Signer | None = None,
        checks: BackgroundChecks | None = None,
        hub_records: provenance.HubLookup = provenance.no_hub,
        project_holds: HoldLookup = no_holds,
    ):
        self.sessions = sessions
        self.blobs = blobs
        self.rules = rules
        # A fault hook, called inside each transaction just before it commits (with the
        # operation's name), after each blob a submission writes ("submit.blob") and after
        # its commit ("submit.committed"): the crash tests raise, sleep or get killed there
        # to prove nothing half-done is left.
        self.before_commit = before_commit
        # Signs release manifests; a service without one cannot make bundles.
        self.signer = signer
        # Runs the automated disclosure checks off the request path; without it, files
        # stay "pending" (unit tests of the workflow need no checks).
        self.checks = checks
        # Where each version's provenance comes from: the hub's record of the caller's server.
        self.hub_records = hub_records
        # Whether a project is frozen by an incident (haven_egress.holds), asked of the hub.
        self.project_holds = project_holds

    # ---- author ----------------------------------------------------------------

    @audited_refusals
    def submit(self, caller: Caller, named_project: str, title: str, purpose: str,
               files: Sequence[FileUpload], idempotency_key: str | None = None,
               declared: dict[str, Any] | None = None) -> str:
        """A new request, filed under the project of the server the caller's token belongs to.

        ``named_project`` is what the client said (may be empty); it is never believed, only
        compared: naming another project is refused and audited. A retry with the same
        ``idempotency_key`` returns the first request's id and files nothing.
        """
        project = self._server_project(caller, named_project, "submit")
        permissions.require(permissions.may_submit(caller, project),
                            f"submit requests for project {project}")
        require_not_held(self.project_holds, project, "submit requests")
        if not title.strip():
            raise Invalid("a request needs a title")
        title = revisions.checked_title(title)
        purpose = revisions.checked_purpose(purpose)
        server_said = provenance.declared(declared)
        key = idempotency.checked_key(idempotency_key)
        asked = idempotency.fingerprint("submit", files, project=project, title=title, purpose=purpose)
        if key is not None and (filed := self._filed(caller, key, asked)) is not None:
            return filed.request_id  # a retry: no blob written, nothing checked again
        uploads = check_uploads(files, self.rules)
        if all(upload.supporting for upload in uploads):
            raise Invalid("a request needs at least one file to release, not only supporting files")
        environment = self._provenance(caller, project, server_said)
        for upload in uploads:
            self.blobs.put(upload.content)
            if self.before_commit is not None:
                self.before_commit("submit.blob")
        with self._transaction("submit") as session:
            lock_blobs(session)
            if key is not None and (filed := idempotency.claim(session, caller, key, asked)) is not None:
                return filed.request_id
            daily_limit.require_room(session, self.rules, project, audit.utcnow())
            # Again under the lock: fsck may have deleted a reused blob since (see blobs).
            for upload in uploads:
                self.blobs.put(upload.content)
            request = Request(id=uuid.uuid4().hex, project=project, author=caller.name,
                              title=title, purpose=purpose)
            session.add(request)
            request.versions.append(RequestVersion(
                number=1, files=[revisions.file_row(upload) for upload in uploads], provenance=environment))
            request.events.append(StateEvent(version_number=1, state=State.SUBMITTED,
                                             action=SUBMIT, actor=caller.name, reason=""))
            session.flush()
            self._audit(session, caller, "submit", request, files=[u.path for u in uploads])
            if key is not None:
                idempotency.record(session, caller, key, asked, idempotency.Filed(request.id, 1))
            file_ids = [f.id for f in request.versions[0].files]
        if self.before_commit is not None:
            self.before_commit("submit.committed")
        self._queue_checks(file_ids)
        return request.id

    @audited_refusals
    def resubmit(self, caller: Caller, request_id: str, files: Sequence[FileUpload],
                 keep: Sequence[str] = (), named_project: str = "", *, title: str = "",
                 purpose: str = "", idempotency_key: str | None = None,
                 declared: dict[str, Any] | None = None) -> int:
        """A returned request, revised: files in ``keep`` carry over, the rest are dropped.

        Only from a server of the request's own project, like the request itself. A title or
        purpose given replaces the request's (the audit event keeps both); empty keeps it. A
        retry with the same ``idempotency_key`` returns the first one's version number.
        """
        server_project = self._server_project(caller, named_project, "resubmit")
        server_said = provenance.declared(declared)
        key = idempotency.checked_key(idempotency_key)
        asked = idempotency.fingerprint("resubmit", files, request_id=request_id, keep=sorted(keep),
                                        project=server_project, title=title, purpose=purpose)
        environment = self._provenance(caller, server_project, server_said)
        with self._transaction("resubmit") as session:
            lock_blobs(session)
            if key is not None and (filed := idempotency.claim(session, caller, key, asked)) is not None:
                return filed.version_number
            request, state, current = load_request(session, caller, request_id)
            self._require_actor(caller, request, Action.RESUBMIT)
            require_not_held(self.project_holds, request.project, "revise it")
            if server_project != request.project:
                raise Forbidden(f"this server belongs to project {server_project}; request "
                                f"{request.id} belongs to {request.project}: revise it from a "
                                f"{request.project} server")
            previous = {f.path: f for f in request.versions[-1].files}
            unknown = sorted(set(keep) - set(previous))
            if unknown:
                raise Invalid(f"cannot keep files the last version did not have: {', '.join(unknown)}")
            kept = [previous[path] for path in keep]
            uploads = check_uploads(files, self.rules, kept=list(keep),
                                    kept_bytes=sum(f.size for f in kept))
            if all(u.supporting for u in uploads) and all(f.supporting for f in kept):
                raise Invalid("a request needs at least one file to release, not only supporting files")
            # The resubmission's state event already belongs to the new version.
            self._move(session, caller, request, state, current + 1, Action.RESUBMIT, Actor.AUTHOR)
            # Written inside the transaction, after the state check; a rollback after this
            # point leaves only orphan blobs, which fsck cleans.
            for upload in uploads:
                self.blobs.put(upload.content)
            version = RequestVersion(number=current + 1,
                                     files=[revisions.copy_row(f) for f in kept] + [revisions.file_row(u) for u in uploads],
                                     provenance=environment)
            request.versions.append(version)
            # Unchanged files keep their votes (marked with the version cast on); the rest wait.
            carried = review_rules.carry_votes(request.versions[-2].files, current, version.files)
            revised = revisions.revise(request, title, purpose)
            session.flush()
            self._audit(session, caller, "resubmit", request, version=version.number,
                        kept=list(keep), added=[u.path for u in uploads], carried=carried, **revised)
            if key is not None:
                idempotency.record(session, caller, key, asked, idempotency.Filed(request.id, version.number))
            file_ids, number = [f.id for f in version.files], version.number
        # Kept files are checked again too: their evidence or preset may have changed.
        self._queue_checks(file_ids)
        return number

    @audited_refusals
    def preflight(self, caller: Caller, named_project: str,
                  files: Sequence[FileUpload]) -> list[dict[str, Any]]:
        """The checks a submission of ``files`` would get, run now; nothing is stored or audited
        (but a body naming another project than the server's is refused and audited, as in ``submit``).

        The same validation as ``submit`` (sizes, checksums, types) and the same checks with
        the project's preset, so what the author sees here is what the checkers will see.
        """
        project = self._server_project(caller, named_project, "preflight")
        permissions.require(permissions.may_submit(caller, project),
                            f"submit requests for project {project}")
        uploads = check_uploads(files, self.rules)
        checks = self.checks or BackgroundChecks(self.sessions, self.blobs)
        try:
            preset = checks.policy.preset_for(checks.project_preset(project))
        except DisclosureCheckError as error:
            raise Conflict(str(error)) from None
        siblings = {u.path: CheckInput(u.path, u.content, u.kind, u.supporting, tuple(u.controls))
                    for u in uploads}
        return [check_view.preflight_entry(u.path, u.sha256.lower(), len(u.content),
                                           check_one(siblings[u.path], siblings, preset, checks.policy))
                for u in uploads]

    @audited_refusals
    def withdraw(self, caller: Caller, request_id: str, reason: str = "") -> State:
        # The reason is optional (an author may just change their mind) but kept when given.
        return self._decide(caller, request_id, Action.WITHDRAW, reason.strip())

    # ---- checker ---------------------------------------------------------------

    @audited_refusals
    def start_review(self, caller: Caller, request_id: str) -> State:
        return self._decide(caller, request_id, Action.START_REVIEW)

    @audited_refusals
    def return_request(self, caller: Caller, request_id: str, reason: str) -> State:
        return self._decide(caller, request_id, Action.RETURN, required_text(reason, "returning"))

    @audited_refusals
    def reject(self, caller: Caller, request_id: str, reason: str) -> State:
        return self._decide(caller, request_id, Action.REJECT, required_text(reason, "rejecting"))

    @audited_refusals
    def release(self, caller: Caller, request_id: str, reason: str = "") -> State:
        # The pages ask for a confirmation and a reason (docs/egress-pages.md); kept when given.
        return self._decide(caller, request_id, Action.RELEASE, reason.strip())

    @audited_refusals
    def revoke(self, caller: Caller, request_id: str, reason: str) -> State:
        return self._decide(caller, request_id, Action.REVOKE, required_text(reason, "revoking"))

    # ---- anyone who may see the request ------------------------------------------

    @audited_refusals
    def get_request(self, caller: Caller, request_id: str) -> views.RequestView:
        with self.sessions() as session:
            request, state, current = load_request(session, caller, request_id)
            return views.build(caller, request, state, current, self.rules)

    def list_requests(self, caller: Caller, project: str | None = None,
                      author: str | None = None) -> list[RequestSummary]:
        """Checkers and admins see every request; analysts only their projects' and their own."""
        with self.sessions() as session:
            return listing.summaries(session, caller, project, author)

    def list_whole_requests(self, caller: Caller, project: str | None = None,
                            author: str | None = None) -> listing.WholeList:
        """The same list, each request as ``get_request`` shows it: a panel's one call (the
        newest ``listing.MAX_WHOLE_REQUESTS``, and how many older ones are left out)."""
        with self.sessions() as session:
            return listing.whole(session, caller, self.rules, project, author)

    def download(self, caller: Caller, file_id: int) -> bytes:
        """A released file's bytes, re-checked against their SHA-256 first; audited."""
        return self.download_named(caller, file_id)[1]

    @audited_refusals
    def download_named(self, caller: Caller, file_id: int) -> tuple[str, bytes]:
        """As ``download``, with the file's path as the author submitted it."""
        with self._transaction("download") as session:
            file, (request, state, current) = load_file(session, caller, file_id)
            permissions.require(permissions.may_download(caller, views.facts(request), self.rules),
                                "download this request's files")
            require_not_held(self.project_holds, request.project, "download")
            policies.require(policies.may_download(state), "download", state)
            if file.version.number != current or file.supporting:
                raise Forbidden(f"{file.path} was not released")
            data = self._verified_bytes(file, "what the checkers approved")
            self._audit(session, caller, "download", request, file=file.path, sha256=file.sha256)
            return file.path, data

    @audited_refusals
    def bundle(self, caller: Caller, request_id: str) -> bytes:
        """A released request's files and signed manifest as a zip; audited like a download."""
        if self.signer is None:
            raise Conflict("this service has no signing key, so it cannot make release bundles")
        with self._transaction("bundle") as session:
            request, state, _ = load_request(session, caller, request_id)
            permissions.require(permissions.may_download(caller, views.facts(request), self.rules),
                                "download this request's files")
            require_not_held(self.project_holds, request.project, "download")
            policies.require(policies.may_download(state), "download", state)
            released_at = request.events[-1].created_at
            data, manifest_sha256 = release.bundle(request, self.blobs, self.signer, released_at,
                                                   caller.name, audit.utcnow())
            self._audit(session, caller, "bundle", request, manifest_sha256=manifest_sha256,
                        files=[f.path for f in request.versions[-1].files if not f.supporting])
            return data

    @audited_refusals
    def view_file(self, caller: Caller, file_id: int) -> tuple[str, bytes]:
        """A checker opens a file to judge it (supporting files too); each view is audited."""
        with self._transaction("view") as session:
            file, (request, _, _) = load_file(session, caller, file_id)
            permissions.require(permissions.may_check(caller, views.facts(request), self.rules),
                                "open this request's files for review", caller)
            data = self._verified_bytes(file, "what was submitted")
            self._audit(session, caller, "view", request, file=file.path, sha256=file.sha256,
                        version=file.version.number)
            return file.media_type, data

    def fsck(self, delete_orphans: bool = False, grace_seconds: float = 0) -> FsckReport:
        return fsck.fsck(self.sessions, self.blobs, delete_orphans, grace_seconds)

    def _filed(self, caller: Caller, key: str, asked: str) -> idempotency.Filed | None:
        with self.sessions() as session:
            return idempotency.find(session, caller, key, asked)

    def verify_audit(self) -> audit.ChainReport:
        with self.sessions() as session:
            return audit.verify(session, audit_events)

    # ---- internals -----------------------------------------------------------------

    def _server_project(self, caller: Caller, named_project: str, operation: str) -> str:
        """The project files are filed under: the caller's server's; a mismatch is audited."""
        try:
            return permissions.filing_project(caller, named_project)
        except permissions.ProjectMismatch as mismatch:
            with self._transaction(f"{operation}.refused") as session:
                audit.record(session, audit_events, audit.AuditEvent(
                    actor=caller.name, action=f"egress.{operation}_refused", target=f"project/{named_project}",
                    project=mismatch.server_project, details=mismatch.details()))
            raise

    def _provenance(self, caller: Caller, project: str, server_said: dict[str, Any] | None) -> dict[str, Any]:
        """The environment of the server filing (the caller's, named by their token; its name is
        the project's id), as the hub recorded it, beside what the server itself declared."""
        return provenance.document(f"{caller.name}/{project}", self.hub_records(caller.name, project), server_said)

    def _queue_checks(self, file_ids: list[int]) -> None:
        # After the commit: the worker must find the rows it is told about.
        if self.checks is not None:
            self.checks.enqueue(file_ids)

    def _verified_bytes(self, file: File, against: str) -> bytes:
        """The file's bytes, read back and checked against its SHA-256; a mismatch is a conflict."""
        try:
            return self.blobs.read(file.sha256)
        except (CorruptBlob, FileNotFoundError):
            raise Conflict(f"{file.path} no longer matches {against}") from None

    @contextmanager
    def _transaction(self, operation: str) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            writing(session)
            yield session
            if self.before_commit is not None:
                self.before_commit(operation)

    def _require_actor(self, caller: Caller, request: Request, action: Action) -> None:
        facts = views.facts(request)
        permissions.require(
            any(permissions.may_act_as(caller, actor, facts, self.rules) for actor in actors_for(action)),
            f"{action.value.replace('_', ' ')} this request", caller)

    def _decide(self, caller: Caller, request_id: str, action: Action, reason: str = "") -> State:
        limited(reason, f"the reason for {action.value.replace('_', ' ')}")
        with self._transaction(action.value) as session:
            request, state, current = load_request(session, caller, request_id)
            self._require_actor(caller, request, action)
            if action is not Action.REVOKE:  # revoking a release protects, so an incident allows it
                require_not_held(self.project_holds, request.project, action.value.replace("_", " "))
            actor = Actor.AUTHOR if permissions.is_author(caller, views.facts(request)) else Actor.CHECKER
            return self._move(session, caller, request, state, current, action, actor, reason)

    def _move(self, session: Session, caller: Caller, request: Request, state: State,
              version: int, action: Action, actor: Actor, reason: str = "") -> State:
        try:
            new = next_state(state, action, actor)
        except TransitionRefused as refused:
            raise Conflict(str(refused)) from None
        name = caller.name if actor is not Actor.SYSTEM else "system"
        request.events.append(StateEvent(version_number=version, state=new,
                                         action=action, actor=name, reason=reason))
        session.flush()
        self._audit(session, caller, action.value, request, by=actor.value, to=new.value,
                    **({"reason": reason} if reason else {}))
        return new

    def _audit(self, session: Session, caller: Caller, action: str, request: Request, **details) -> None:
        audit.record(session, audit_events, audit.AuditEvent(
            actor=caller.name, action=f"egress.{action}", target=f"request/{request.id}",
            project=request.project, details=details))
