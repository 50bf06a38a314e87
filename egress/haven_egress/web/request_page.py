"""What the request page shows beyond the request itself: each file as it renders, what
changed since the previous version, the timeline, and the project's other releases.

Runs off the event loop (it reads files). File bytes are fetched through
``EgressService.view_file``, which only checkers may call and which audits every view, so
drawing a table is recorded exactly like opening the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import overview
from haven_disclosure.errors import UnreadableTable
from ..errors import EgressError
from ..permissions import Caller
from ..service import EgressService
from ..views import FileView, RequestView
from . import rendering

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


@dataclass(frozen=True)
class Moment:
    time: datetime
    version: int
    who: str
    what: str  # "state" | "vote" | "comment"
    text: str
    detail: str = ""
    visibility: str = "shared"


def context(service: EgressService, caller: Caller, view: RequestView, checker: bool) -> dict[str, Any]:
    current = view.versions[-1]
    previous = view.versions[-2] if len(view.versions) > 1 else None
    before = {f.path: f for f in previous.files} if previous else {}
    shown = []
    for file in current.files:
        item = ShownFile(file, rendering.kind_of(file.media_type),
                         findings=[(rendering.finding_id(file.id, i), f)
                                   for i, f in enumerate(file.checks.get("findings", []))])
        old = before.get(file.path)
        if previous is not None:
            item.previous_version = previous.number
            item.new = old is None
            item.changed = old is not None and old.sha256 != file.sha256
        if checker and item.kind == "table":
            _draw_table(service, caller, item, old if item.changed else None)
        shown.append(item)
    return {
        "files": shown,
        "removed": sorted(set(before) - {f.path for f in current.files}),
        "timeline": timeline(view),
        "released": overview.released_in_project(service, caller, view.project, view.id),
        "fixes": fixes(view),
    }


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
