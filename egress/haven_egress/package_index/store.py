"""The approved packages: wheels content-addressed on disk, the catalogue in the egress audit chain.

The catalogue is not a table of its own: it is the ``packages.add`` and ``packages.remove``
events of the egress service's hash-chained audit log, read in order (the newest event for
a release wins). Who added what, when and why is therefore recorded exactly once, in the
tamper-evident chain the rest of the airlock uses, and needs no migration. Wheels live in
their own ``BlobStore`` (beside, not inside, the submitted files' store, so the egress
``fsck`` never takes them for orphans) and are never deleted: a removed release stops being
served, and its bytes stay as evidence of what was once installed.

Reading touches only the local database and disk: nothing here opens a connection out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .. import audit
from ..blobs import BlobStore, CorruptBlob
from ..errors import Invalid, NotFound
from ..models import audit_events
from ..storage import writing
from .fetch import FetchedWheel
from .names import Pin, normal_name, wheel_pin

# Beside the submitted files' blobs in egress.data_dir.
INDEX_DIR = "package-index"
ADD = "packages.add"
REMOVE = "packages.remove"


@dataclass(frozen=True)
class PackageRecord:
    name: str
    version: str
    filename: str
    sha256: str
    size: int
    projects: tuple[str, ...] | None  # None: every project
    requires: tuple[str, ...]
    added_by: str
    reason: str
    added_at: datetime

    @property
    def pin(self) -> Pin:
        return Pin(self.name, self.version)

    def serves(self, project: str) -> bool:
        return self.projects is None or project in self.projects


def checked_projects(projects: Iterable[str] | None) -> tuple[str, ...] | None:
    if projects is None:
        return None
    chosen = tuple(sorted({str(p).strip() for p in projects}))
    if not chosen or any(not p for p in chosen):
        raise Invalid("--project needs a project id (leave it out to serve every project)")
    return chosen


def _reason(reason: str) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid("say why the package is added or removed (--reason)")
    return reason.strip()


class PackageIndex:
    def __init__(self, sessions: sessionmaker[Session], root: Path, source: str = "https://pypi.org"):
        self.sessions = sessions
        self.wheels = BlobStore(Path(root) / "wheels")
        # Where ``approve`` fetches from (settings: egress.package_source_url).
        self.source = source

    # ---- reading: what the index serves ------------------------------------------

    def catalogue(self) -> dict[Pin, PackageRecord]:
        """Every release currently approved, from the audit chain's add and remove events."""
        query = (select(audit_events.c.action, audit_events.c.actor, audit_events.c.time, audit_events.c.details)
                 .where(audit_events.c.action.in_((ADD, REMOVE))).order_by(audit_events.c.id))
        approved: dict[Pin, PackageRecord] = {}
        with self.sessions() as session:
            for action, actor, time, details in session.execute(query):
                pin = Pin(details["name"], details["version"])
                if action == REMOVE:
                    approved.pop(pin, None)
                    continue
                projects = details.get("projects")
                approved[pin] = PackageRecord(
                    name=pin.name, version=pin.version, filename=details["filename"], sha256=details["sha256"],
                    size=int(details["size"]), projects=None if projects is None else tuple(projects),
                    requires=tuple(details.get("requires") or ()), added_by=actor,
                    reason=details.get("reason", ""), added_at=time)
        return approved

    def for_project(self, project: str) -> list[PackageRecord]:
        return sorted((r for r in self.catalogue().values() if r.serves(project)),
                      key=lambda r: (r.name, r.version))

    def releases(self, project: str, name: str) -> list[PackageRecord]:
        """The releases of ``name`` this project may install (NotFound when there are none)."""
        wanted = normal_name(name)
        found = [r for r in self.for_project(project) if r.name == wanted]
        if not found:
            raise NotFound(f"no approved package {wanted!r} for project {project}")
        return found

    def wheel(self, project: str, sha256: str, filename: str) -> bytes:
        """A served wheel's bytes, only when an approved release of this project names both."""
        pin = wheel_pin(filename)
        record = next((r for r in self.for_project(project)
                       if r.pin == pin and r.sha256 == sha256 and r.filename == filename), None)
        if record is None:
            raise NotFound(f"no approved file {filename!r} for project {project}")
        try:
            return self.wheels.read(record.sha256)
        except (FileNotFoundError, CorruptBlob):
            # Never serve bytes that are not the approved ones; fsck-like repair is a person's job.
            raise NotFound(f"{filename}: the stored wheel is missing or damaged; ask an administrator") from None

    # ---- writing: administrators and approved ingress requests -----------------------

    def add(self, wheel: FetchedWheel, actor: str, reason: str,
            projects: Iterable[str] | None = None) -> PackageRecord:
        reason, chosen = _reason(reason), checked_projects(projects)
        self.wheels.put(wheel.content)  # before the event that names it: a crash leaves only bytes
        details = {"name": wheel.pin.name, "version": wheel.pin.version, "filename": wheel.filename,
                   "sha256": wheel.sha256, "size": len(wheel.content),
                   "projects": None if chosen is None else list(chosen), "requires": list(wheel.requires),
                   "reason": reason, "source": wheel.source_url}
        self._record(actor, ADD, wheel.pin, details)
        return self.catalogue()[wheel.pin]

    def remove(self, requirement: Pin, actor: str, reason: str) -> PackageRecord:
        reason = _reason(reason)
        current = self.catalogue().get(requirement)
        if current is None:
            raise NotFound(f"{requirement} is not in the package index")
        self._record(actor, REMOVE, requirement,
                     {"name": requirement.name, "version": requirement.version, "reason": reason})
        return current

    def _record(self, actor: str, action: str, pin: Pin, details: dict) -> None:
        if not actor or not actor.strip():
            raise Invalid("an approval needs the name of who made it")
        with self.sessions() as session, session.begin():
            writing(session)
            audit.record(session, audit_events, audit.AuditEvent(
                actor=actor.strip(), action=action, target=f"package/{pin}", details=details))
