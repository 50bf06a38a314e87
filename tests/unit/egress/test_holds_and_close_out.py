"""A frozen project's requests are held; close-out deletes only unreleased content (#17 items 4, 5)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from haven_egress import models
from haven_egress.closeout import purge_unreleased
from haven_egress.errors import Conflict, Forbidden
from haven_egress.holds import require_not_held
from haven_egress.storage import session_factory
from haven_egress.workflow import State

from .factories import ADMIN, AUTHOR, CHECKER, PROJECT, create_request_at_status, submit, upload


@pytest.fixture
def freezable(engine, blobs, signer):
    """A service whose hub says the project is frozen while ``frozen`` holds a reason."""
    from haven_egress.service import EgressService

    frozen: dict[str, str] = {}
    service = EgressService(session_factory(engine), blobs, signer=signer,
                            project_holds=lambda project: frozen.get(project))
    return service, frozen


def _refusals(service) -> list[dict]:
    with service.sessions() as session:
        return list(session.scalars(select(models.audit_events.c.details)
                                    .where(models.audit_events.c.action == "egress.refused")))


def test_every_action_on_a_frozen_projects_requests_is_held_and_audited_until_thawed(freezable):
    service, frozen = freezable
    approved = create_request_at_status(service, State.APPROVED)
    released = create_request_at_status(service, State.RELEASED)
    reviewing = create_request_at_status(service, State.UNDER_REVIEW)
    released_file = service.get_request(AUTHOR, released).versions[-1].files[0].id
    reviewing_file = service.get_request(CHECKER, reviewing).versions[-1].files[0].id

    frozen[PROJECT] = "suspected breach"
    held = [lambda: service.release(CHECKER, approved),
            lambda: service.review_file(CHECKER, reviewing_file, "approve"),
            lambda: service.reject(CHECKER, reviewing, "no"),
            lambda: service.download(AUTHOR, released_file),
            lambda: service.bundle(AUTHOR, released),
            lambda: service.comment(CHECKER, reviewing, "hello"),
            lambda: submit(service)]
    for attempt in held:
        with pytest.raises(Forbidden, match="frozen by an administrator \\(suspected breach\\)"):
            attempt()
    assert service.get_request(CHECKER, approved).state == State.APPROVED
    assert len([d for d in _refusals(service) if "frozen" in d["reason"]]) == len(held)
    # Revoking a release protects: allowed during an incident.
    assert service.revoke(CHECKER, released, "pulled during the incident") == State.REVOKED

    del frozen[PROJECT]
    assert service.release(CHECKER, approved) == State.RELEASED
    assert service.review_file(CHECKER, reviewing_file, "approve") == State.UNDER_REVIEW


def test_a_hub_that_cannot_be_asked_holds_the_action():
    def unreachable(project):
        raise Conflict("the hub could not be asked")

    with pytest.raises(Conflict):
        require_not_held(unreachable, PROJECT, "release")


def test_close_out_deletes_unreleased_blobs_only_and_fsck_stays_clean(service, blobs):
    shared = b"group,count\nshared,10\n"
    released = create_request_at_status(service, State.RELEASED, files=[upload("out/shared.csv", shared)])
    draft = create_request_at_status(service, State.SUBMITTED, files=[
        upload("out/draft.csv", b"group,count\ndraft,20\n"), upload("out/again.csv", shared)])
    released_digest = service.get_request(AUTHOR, released).versions[-1].files[0].sha256
    draft_files = service.get_request(AUTHOR, draft).versions[-1].files
    draft_digest = next(f.sha256 for f in draft_files if f.path == "out/draft.csv")

    preview = purge_unreleased(service, PROJECT, "operator:test", dry_run=True)
    assert [entry["sha256"] for entry in preview] == [draft_digest]
    assert blobs.exists(draft_digest)

    removed = purge_unreleased(service, PROJECT, "operator:test")
    assert [entry["sha256"] for entry in removed] == [draft_digest]
    assert removed[0]["size"] == len(b"group,count\ndraft,20\n")
    assert not blobs.exists(draft_digest)
    # The released file's content stays even though a purged draft shared it.
    assert blobs.exists(released_digest) and service.download(AUTHOR, service.get_request(
        AUTHOR, released).versions[-1].files[0].id) == shared
    assert service.fsck().clean
    assert service.verify_audit().intact
    assert purge_unreleased(service, PROJECT, "operator:test") == []  # nothing left to purge
    # The request's history stays for the audit trail.
    assert service.get_request(ADMIN, draft).state == State.SUBMITTED
