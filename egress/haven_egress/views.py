"""What a caller may see of a request: the read side of the service.

Votes and comments on a file follow ``review_rules.may_see``: a checker sees others' only
after voting on that file (each judges alone), the author only the shared ones and only
once the request is decided; private comments are for the checkers who may judge the
request, never for the author. Enforced here, so no page or API answer can show more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import acro_results, check_view, permissions, review_rules
from .models import Comment, File, Request, Review, StateEvent
from .permissions import Caller, RequestFacts
from haven_hub.settings import Egress
from .workflow import State


@dataclass(frozen=True)
class ReviewView:
    reviewer: str
    decision: str
    comment: str
    visibility: str
    time: datetime
    # The version the vote was cast on, when carried to this unchanged file; None: cast on it.
    carried_from: int | None = None


@dataclass(frozen=True)
class FileView:
    id: int
    path: str
    sha256: str
    size: int
    media_type: str
    description: str
    controls: list[str]
    kind: str
    supporting: bool
    reviews: list[ReviewView]
    # The automated disclosure checks, shaped as ``check_view`` documents (never None).
    checks: dict[str, Any] = field(default_factory=check_view.pending)
    # What ACRO itself said about this file, when the request carries an ACRO results.json
    # naming it (shape: ``acro_results.file_view``); None otherwise.
    acro: dict[str, Any] | None = None
    # The file's discussion thread as this caller may see it (CommentView, oldest first).
    comments: list[CommentView] = field(default_factory=list)
    # Its votes disagree with no majority; only ever True for a checker who may judge it.
    conflicted: bool = False


@dataclass(frozen=True)
class VersionView:
    number: int
    files: list[FileView]
    # Where the files were made (egress.provenance.document); None for versions filed before it was recorded.
    provenance: dict[str, Any] | None = None


@dataclass(frozen=True)
class EventView:
    version: int
    state: str
    action: str
    actor: str
    reason: str
    time: datetime


@dataclass(frozen=True)
class CommentView:
    version: int
    author: str
    body: str
    visibility: str
    time: datetime


@dataclass(frozen=True)
class RequestView:
    id: str
    project: str
    author: str
    title: str
    purpose: str
    state: State
    version: int
    versions: list[VersionView]
    history: list[EventView]
    comments: list[CommentView]


def facts(request: Request) -> RequestFacts:
    return RequestFacts(author=request.author, project=request.project)


def build(caller: Caller, request: Request, state: State, current: int, rules: Egress) -> RequestView:
    insider = permissions.may_see_private(caller, facts(request), rules)
    by_file: dict[int, list[Comment]] = {}
    for c in request.comments:
        if c.file_id is not None:
            by_file.setdefault(c.file_id, []).append(c)

    def viewer(file: File) -> review_rules.Viewer:
        return review_rules.Viewer(caller.name, insider, any(r.reviewer == caller.name for r in file.reviews))

    def reviews(file: File, version: int) -> list[ReviewView]:
        who = viewer(file)
        return [_review(r) for r in file.reviews
                if review_rules.may_see(who, r.reviewer, r.visibility, state, version == current)]

    def comments(file: File, version: int) -> list[CommentView]:
        who = viewer(file)
        return [_comment(c) for c in by_file.get(file.id, [])
                if review_rules.may_see(who, c.author, c.visibility, state, version == current)]

    acro = {version.number: _acro_by_path(version.files) for version in request.versions}
    versions = [
        VersionView(
            number=version.number,
            files=[
                FileView(
                    id=f.id, path=f.path, sha256=f.sha256, size=f.size, media_type=f.media_type,
                    description=f.description, controls=list(f.controls), kind=f.kind,
                    supporting=f.supporting,
                    reviews=reviews(f, version.number),
                    checks=checks_of(f),
                    acro=acro[version.number].get(f.path),
                    comments=comments(f, version.number),
                    conflicted=insider and version.number == current and review_rules.conflicted([r.decision for r in f.reviews]),
                )
                for f in version.files
            ],
            provenance=version.provenance,
        )
        for version in request.versions
    ]
    return RequestView(
        id=request.id, project=request.project, author=request.author, title=request.title,
        purpose=request.purpose, state=state, version=current, versions=versions,
        history=[_event(e) for e in request.events],
        comments=[_comment(c) for c in request.comments
                  if c.file_id is None and (insider or c.visibility == "shared")],
    )


def checks_of(file: File) -> dict[str, Any]:
    """The latest check record of a file (a re-run is a new row), as ``check_view`` shapes it."""
    if not file.check_results:
        return check_view.pending()
    latest = file.check_results[-1]
    if latest.status == check_view.ERROR:
        return check_view.failed(latest.error, latest.preset, latest.created_at)
    return check_view.done(latest.result, latest.created_at)


def _acro_by_path(files: list[File]) -> dict[str, dict[str, Any]]:
    """What any ACRO results.json of this version said, by the request path it names; the
    results.json itself gets its whole reading."""
    found: dict[str, dict[str, Any]] = {}
    for file in files:
        parsed = file.check_results[-1].acro if file.check_results else None
        if parsed:
            found.update(acro_results.by_request_path(parsed))
            found[file.path] = parsed
    return found


def _review(review: Review) -> ReviewView:
    return ReviewView(review.reviewer, review.decision, review.comment, review.visibility, review.created_at,
                      review.carried_from)


def _event(event: StateEvent) -> EventView:
    return EventView(event.version_number, event.state, event.action, event.actor, event.reason, event.created_at)


def _comment(comment: Comment) -> CommentView:
    return CommentView(comment.version_number, comment.author, comment.body, comment.visibility, comment.created_at)
