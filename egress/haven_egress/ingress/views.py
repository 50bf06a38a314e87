"""What the pages and the API show of an ingress request: plain data, read inside a transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .models import IngressRequest
from .permissions import IngressFacts
from .workflow import State


@dataclass(frozen=True)
class EventView:
    state: str
    action: str
    actor: str
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class IngressView:
    id: str
    project: str
    author: str
    kind: str
    description: str
    justification: str
    state: State
    created_at: datetime
    events: list[EventView]
    file_name: str | None = None
    sha256: str | None = None
    size: int | None = None
    media_type: str | None = None
    package_name: str | None = None
    package_version: str | None = None
    # Where an approved file landed in the workspace, once delivered.
    delivered_to: str | None = None

    @property
    def what(self) -> str:
        return self.file_name or f"{self.package_name}=={self.package_version}"


def facts(request: IngressRequest) -> IngressFacts:
    return IngressFacts(request.author, request.project)


def view_of(request: IngressRequest) -> IngressView:
    events = [EventView(e.state, e.action, e.actor, e.reason, e.created_at) for e in request.events]
    delivered = next((e.reason for e in request.events if e.state == State.DELIVERED and request.kind == "file"), None)
    return IngressView(
        id=request.id, project=request.project, author=request.author, kind=request.kind,
        description=request.description, justification=request.justification,
        state=State(request.events[-1].state), created_at=request.created_at, events=events,
        file_name=request.file_name, sha256=request.sha256, size=request.size, media_type=request.media_type,
        package_name=request.package_name, package_version=request.package_version, delivered_to=delivered)
