"""What the request page shows beyond the request itself: each file as it renders, what
changed since the previous version, the timeline, and the project's other releases.

Runs off the event loop (it reads files). File bytes are fetched through
``EgressService.view_file``, which only checkers may call and which audits every view, so
drawing a table is recorded exactly like opening the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from .. import overview, permissions, policies
from haven_disclosure.errors import UnreadableTable
from ..errors import EgressError
from ..permissions import Caller, RequestFacts
from ..service import EgressService
from ..views import FileView, RequestView
from . import controls, finding_words, rendering

SIGNATURES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


@dataclass
class ShownFile:
    file: FileView
    kind: str  # rendering.kind_of
    table: rendering.Table | None = None
    problem: str = ""  # why the content is not drawn
    previous_version: int | None = None
    diff: rendering.TableDiff | None = None
    changed: bool = False  # differs from the file of the same path in the previous version
    new: bool = False  # no file of this path in the previous version
    findings: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (element id, finding)
    summary: list[finding_words.RuleSummary] = field(default_factory=list)  # one line per rule
    my_vote: str = ""  # the caller's own vote on this file, "" when none
    downloadable: bool = False  # released, and the caller may download it

    @property
    def flagged(self) -> list[tuple[str, dict[str, Any]]]:
        return [(element_id, f) for element_id, f in self.findings if f.get("verdict") in ("fail", "review")]


@dataclass(frozen=True)
class Choice:
    """The one file a checker has in view, and its neighbours for "next" and "previous"."""

    shown: ShownFile | None
    position: int  # 1-based, as "file 3 of 20"
    previous: ShownFile | None = None
    next: ShownFile | None = None
    problem: str = ""  # the address named a file this version does not have


@dataclass(frozen=True)
class Moment:
    time: datetime
    version: int
    who: str
    what: str  # "state" | "vote" | "comment"
    text: str
    detail: str = ""
    visibility: str = "shared"


def page(service: EgressService, caller: Caller, view: RequestView, wanted: str = "", *, done: str = "",
         error: str = "", status: int = 200, place: str = "") -> tuple[int, dict[str, Any]]:
    """The request page's status and template context for this caller.

    ``place`` is where the form just used sits ("file", "comments", "decision"; "top"
    otherwise): its outcome is said there, so nobody scrolls back to read it.
    """
    facts = RequestFacts(view.author, view.project)
    checker = permissions.may_check(caller, facts, service.rules)
    parts = context(service, caller, view, checker, wanted)
    choice = parts["choice"]
    if choice.problem and not error:
        error, status, place = choice.problem, 404, "top"
    request_controls = controls.request_controls(caller, view, service.rules)
    if (place == "file" and not (checker and choice.shown)) or (place == "decision" and not request_controls):
        place = "top"  # the form is not on this person's page (a refusal of a form not offered here)
    return status, dict(
        request=view, done=done, error=error, place=place or "top", checker=checker,
        is_author=permissions.is_author(caller, facts),
        may_see_private=permissions.may_see_private(caller, facts, service.rules),
        controls=request_controls, finding_where=finding_words.where, finding_note=finding_words.cell_note,
        comment_control=controls.comment_control(caller, view, service.rules),
        vote_control=partial(controls.vote_control, caller, view, rules=service.rules),
        checker_refusal=controls.why_not_checker(caller, facts, service.rules),
        **parts)


def context(service: EgressService, caller: Caller, view: RequestView, checker: bool,
            wanted: str = "") -> dict[str, Any]:
    """What the page shows; a checker's page draws only the file ``wanted`` names (or the
    first that still needs their vote), so a request of many files costs one table."""
    current = view.versions[-1]
    previous = view.versions[-2] if len(view.versions) > 1 else None
    before = {f.path: f for f in previous.files} if previous else {}
    downloads = (policies.may_download(view.state)
                 and permissions.may_download(caller, RequestFacts(view.author, view.project), service.rules))
    shown = []
    for file in current.files:
        findings = file.checks.get("findings", [])
        item = ShownFile(file, rendering.kind_of(file.media_type),
                         findings=[(rendering.finding_id(file.id, i), f) for i, f in enumerate(findings)],
                         summary=finding_words.summarise(findings, file.path),
                         my_vote=next((r.decision for r in file.reviews if r.reviewer == caller.name), ""),
                         downloadable=downloads and not file.supporting)
        old = before.get(file.path)
        if previous is not None:
            item.previous_version = previous.number
            item.new = old is None
            # Changed for a checker: other bytes, or another description or controls (its votes
            # were not carried, review_rules.unchanged).
            item.changed = old is not None and (old.sha256, old.description, old.controls) != (
                file.sha256, file.description, file.controls)
        shown.append(item)
    choice = choose(shown, wanted, prefer_unvoted=checker and policies.may_vote(view.state))
    if checker and choice.shown is not None and choice.shown.kind == "table":
        chosen = choice.shown
        _draw_table(service, caller, chosen, before.get(chosen.file.path) if chosen.changed else None)
    return {
        "files": shown,
        "choice": choice,
        "removed": sorted(set(before) - {f.path for f in current.files}),
        "timeline": timeline(view),
        "released": overview.released_in_project(service, caller, view.project, view.id),
        "fixes": fixes(view),
    }


def choose(files: list[ShownFile], wanted: str, prefer_unvoted: bool = False) -> Choice:
    """The file the address names; without one, the first still waiting for the caller's vote."""
    if not files:
        return Choice(None, 0)
    problem = ""
    index = next((i for i, item in enumerate(files) if str(item.file.id) == wanted), None)
    if wanted and index is None:
        problem = "this version of the request has no such file; here is its first file"
    if index is None:
        waiting = (i for i, item in enumerate(files) if not item.my_vote and not item.file.supporting)
        index = next(waiting, 0) if prefer_unvoted and not problem else 0
    return Choice(files[index], index + 1, files[index - 1] if index > 0 else None,
                  files[index + 1] if index + 1 < len(files) else None, problem)


def _draw_table(service: EgressService, caller: Caller, item: ShownFile, old: FileView | None) -> None:
    try:
        _, data = service.view_file(caller, item.file.id)
        raw = rendering.parse(data, item.file.path, item.file.media_type)
    except (EgressError, UnreadableTable) as problem:
        item.problem = f"the table cannot be drawn: {problem}"
        return
    previous_raw = None
    if old is not None:
        try:
            _, old_data = service.view_file(caller, old.id)
            previous_raw = rendering.parse(old_data, old.path, old.media_type)
            item.diff = rendering.diff(previous_raw, raw)
        except (EgressError, UnreadableTable):
            previous_raw = None  # the diff is a help, not a must; the table still shows
    item.table = rendering.table(raw, item.file.id, item.file.checks.get("findings", []), previous_raw)


# What each final decision does, and what its reason is asked for (the confirmation page).
FINAL_WORDS = {
    "release": ("Release", "Releasing is final: the author can download these files, outside Haven, from now on. "
                "A release can later be revoked, but copies already downloaded stay out.",
                "why these outputs are safe to release, for the record (the author sees it)"),
    "reject": ("Reject", "Rejecting is final: the request is closed and cannot be revised or resubmitted; "
               "the author must start a new request.",
               "why these outputs cannot be released, for the author"),
}


def confirmation(view: RequestView, final: str, reason: str = "", error: str = "") -> dict[str, Any]:
    """The confirmation page of a final decision: what it does, the files it concerns, a reason."""
    label, consequence, hint = FINAL_WORDS[final]
    return dict(request=view, final=final, label=label, consequence=consequence, hint=hint, reason=reason,
                error=error, files=[f for f in view.versions[-1].files if not f.supporting])


def timeline(view: RequestView) -> list[Moment]:
    """State changes, the votes the caller may see and the comments, oldest first."""
    moments = [Moment(e.time, e.version, e.actor, "state", e.state.replace("_", " "), e.reason)
               for e in view.history]
    for version in view.versions:
        for file in version.files:
            moments += [Moment(r.time, version.number, r.reviewer, "vote",
                               f"{r.decision.replace('_', ' ')} {file.path}", r.comment, r.visibility)
                        for r in file.reviews]
    moments += [Moment(c.time, c.version, c.author, "comment", "comment", c.body, c.visibility)
                for c in view.comments]
    return sorted(moments, key=lambda m: m.time)


def fixes(view: RequestView) -> list[str]:
    """What the author is asked to change: the return reason and the shared votes against
    the version that was returned (private comments never reach the author)."""
    if view.state.value != "returned":
        return []
    asked = [e.reason for e in view.history if e.state == "returned" and e.version == view.version and e.reason]
    for file in view.versions[-1].files:
        asked += [f"{file.path}: {r.comment}" for r in file.reviews
                  if r.decision != "approve" and r.visibility == "shared" and r.comment]
    return asked


def preview_kind(media_type: str, data: bytes) -> str | None:
    """The Content-Type to serve a preview with, or None when the page must not show it."""
    signature = SIGNATURES.get(media_type)
    if signature is not None:
        return media_type if data.startswith(signature) else None
    if media_type in rendering.HTML_TYPES:
        return "text/html; charset=utf-8"
    return None
