"""Close-out of a project in the egress store: the content of its unreleased files goes.

Kept: every released file (the current version of a request whose state is ``released``,
supporting files excepted: they are never released), every row of every request (history,
reviews, comments) and the audit chain. A blob is deleted only when no kept file, in any
project, and no ingress request shares its content (the store is content-addressed).

Deletion happens inside the transaction that holds the store's exclusive lock (as fsck's
orphan cleaning does), so no submission can reuse a digest between the decision and the
unlink; ``purged_files`` marks the files so fsck expects no blob for them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from . import audit
from .ingress.models import IngressRequest
from .models import File, PurgedFile, Request, audit_events
from .workflow import State


def purge_unreleased(service: Any, project: str, actor: str, dry_run: bool = False) -> list[dict[str, Any]]:
    """Purges the project's unreleased files; returns the manifest of blobs deleted (or that
    would be): ``{"path": "egress-blob:<sha256>", "size", "sha256", "files": [...]}``."""
    from .storage import lock_blobs

    with service._transaction("close_out") as session:
        lock_blobs(session, exclusive=True)
        purged = set(session.scalars(select(PurgedFile.file_id)))
        doomed: list[File] = []
        for request in session.scalars(select(Request).where(Request.project == project)):
            released = _released_files(request)
            doomed += [f for version in request.versions for f in version.files
                       if f.id not in released and f.id not in purged]
        doomed_ids = {f.id for f in doomed}
        digests = {f.sha256 for f in doomed}
        shared = _still_needed(session, digests, doomed_ids | purged)
        manifest: dict[str, dict[str, Any]] = {}
        for file in doomed:
            if file.sha256 in shared:
                continue
            entry = manifest.setdefault(file.sha256, {"path": f"egress-blob:{file.sha256}", "size": file.size,
                                                      "sha256": file.sha256, "files": []})
            entry["files"].append(f"request/{file.version.request_id}/v{file.version.number}/{file.path}")
        if dry_run:
            session.rollback()
            return list(manifest.values())
        for file in doomed:
            session.add(PurgedFile(file_id=file.id, blob_deleted=file.sha256 not in shared, actor=actor[:64]))
        audit.record(session, audit_events, audit.AuditEvent(
            actor=actor[:64], action="egress.close_out", target=f"project/{project}", project=project,
            details={"purged_files": len(doomed), "deleted_blobs": list(manifest.values()),
                     "kept_shared_blobs": sorted(shared)}))
        session.flush()
        for digest in manifest:
            service.blobs.path(digest).unlink(missing_ok=True)
        return list(manifest.values())


def _released_files(request: Request) -> set[int]:
    if not request.events or State(request.events[-1].state) is not State.RELEASED:
        return set()
    return {f.id for f in request.versions[-1].files if not f.supporting}


def _still_needed(session: Any, digests: set[str], going: set[int]) -> set[str]:
    """Which digests a file that stays (or an ingress request) still references."""
    needed: set[str] = set()
    ordered = sorted(digests)
    for start in range(0, len(ordered), 500):
        part = ordered[start:start + 500]
        needed.update(session.scalars(select(File.sha256).where(File.sha256.in_(part))
                                      .where(File.id.not_in(going))))
        needed.update(session.scalars(select(IngressRequest.sha256).where(IngressRequest.sha256.in_(part))))
    return needed


def _open_anchored(path: Any) -> Any:
    """The service's store, for a process other than the service: migrated as its start does,
    with the audit chain's head anchored as the service anchors it (else the events written
    here would read as appended behind the writers' backs)."""
    from haven_hub.settings import load_settings

    from .blobs import BlobStore
    from .service import EgressService
    from .storage import open_engine, session_factory, upgrade
    from .web.startup import data_dir, database_url

    settings = load_settings(path)
    url = database_url(settings)
    upgrade(url)
    engine = open_engine(url)
    audit.anchor_table(engine, audit_events, audit.anchor_for(settings, data_dir(settings)))
    return EgressService(session_factory(engine), BlobStore(data_dir(settings) / "blobs"), settings.egress)


def main(argv: Sequence[str] | None = None) -> int:
    """Run by ``haven project close-out`` as a process of its own (the hub's package never
    imports the egress service): prints the manifest as JSON."""
    from haven_hub.command_line import UsageParser, add_settings_option, settings_path

    parser = UsageParser(prog="python -m haven_egress.closeout",
                         description="Delete a closed-out project's unreleased egress content.")
    add_settings_option(parser)
    parser.add_argument("--project", required=True)
    parser.add_argument("--actor", required=True)
    parser.add_argument("--dry-run", action="store_true")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    service = _open_anchored(settings_path(args))
    try:
        print(json.dumps(purge_unreleased(service, args.project, args.actor, args.dry_run)))
    except Exception as error:  # the hub side reports it and audits the failure
        print(f"egress close-out of {args.project}: {error}", file=sys.stderr)
        return 1
    finally:
        service.sessions.kw["bind"].dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
