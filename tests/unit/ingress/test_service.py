"""The ingress use cases on a real database, blob store and workspace folder."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import func, select

from haven_egress import audit
from haven_egress.errors import Conflict, Forbidden, Invalid, NotFound
from haven_egress.fsck import fsck
from haven_egress.ingress.models import IngressEvent, IngressRequest
from haven_egress.ingress.workflow import State
from haven_egress.models import audit_events
from haven_hub.settings import Egress
from haven_hub.settings.ingress import Ingress

from .conftest import CONTAINER_UID
from .factories import (ADMIN, AUTHOR, AUTHOR_ADMIN, AUTHOR_CHECKER, CHECKER, CHECKER_MEMBER, CODE_LIST, CO_MEMBER, OUTSIDER,
                        PROJECT, create_at, file_request, package_request)


def audit_actions(service) -> list[tuple[str, str, str]]:
    with service.sessions() as session:
        rows = session.execute(select(audit_events.c.actor, audit_events.c.action, audit_events.c.target)
                               .order_by(audit_events.c.id)).all()
    return [tuple(row) for row in rows]


def counts(service) -> dict:
    with service.sessions() as session:
        return {"requests": session.scalar(select(func.count()).select_from(IngressRequest)),
                "events": session.scalar(select(func.count()).select_from(IngressEvent)),
                "audit": session.scalar(select(func.count()).select_from(audit_events)
                                        .where(audit_events.c.action != "ingress.refused")),
                "blobs": sorted(service.blobs.digests())}


def check_file_lifecycle(service, data_dir):
    request_id = file_request(service)
    view = service.get(CHECKER, request_id)
    assert view.state is State.SUBMITTED and view.sha256 == __import__("hashlib").sha256(CODE_LIST).hexdigest()
    assert service.blobs.read(view.sha256) == CODE_LIST  # content-addressed, in the egress blob store
    assert service.approve(CHECKER, request_id, "a published NHS code list") is State.DELIVERED
    landed = data_dir / "projects" / PROJECT / "workspace" / "imports" / request_id / "codes.csv"
    assert landed.read_bytes() == CODE_LIST
    info = landed.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (CONTAINER_UID, CONTAINER_UID, 0o400)
    assert (landed.parent.stat().st_uid, stat.S_IMODE(landed.parent.stat().st_mode)) == (CONTAINER_UID, 0o700)
    view = service.get(AUTHOR, request_id)
    assert view.state is State.DELIVERED and view.delivered_to == f"imports/{request_id}/codes.csv"
    assert [e.action for e in view.events] == ["submit", "approve", "deliver"]
    assert view.events[1].reason == "a published NHS code list" and view.events[1].actor == "cara"
    assert audit_actions(service) == [("alice", "ingress.submit", f"ingress/{request_id}"),
                                      ("cara", "ingress.approve", f"ingress/{request_id}"),
                                      ("cara", "ingress.deliver", f"ingress/{request_id}")]
    assert service_chain_ok(service)


def service_chain_ok(service) -> bool:
    with service.sessions() as session:
        return audit.verify(session, audit_events).intact


def test_an_approved_file_lands_in_the_workspace_with_its_checksum(ingress, data_dir):
    check_file_lifecycle(ingress, data_dir)


def test_the_same_lifecycle_on_postgresql(postgres_ingress, data_dir):
    check_file_lifecycle(postgres_ingress, data_dir)


def test_an_approved_package_goes_to_the_index_with_who_and_why(ingress, package_index):
    request_id = package_request(ingress)
    assert package_index.added == []
    assert ingress.approve(ADMIN, request_id, "widely used; pure Python") is State.DELIVERED
    assert package_index.added == [("lifelines==0.30.0", "ada",
                                    f"widely used; pure Python (ingress request {request_id})", [PROJECT])]


@pytest.mark.parametrize("author", [AUTHOR_CHECKER, AUTHOR_ADMIN], ids=["checker", "admin"])
def test_a_checker_never_approves_their_own_request(make_ingress, author):
    # Even where checkers may review their own projects: the author rule stands alone.
    ingress = make_ingress(Egress(checkers_may_review_own_projects=True))
    request_id = file_request(ingress, author=author)
    before = counts(ingress)
    with pytest.raises(Forbidden):
        ingress.approve(author, request_id, "looks fine to me")
    with pytest.raises(Forbidden):
        ingress.reject(author, request_id, "changed my mind")
    assert counts(ingress) == before
    assert ingress.get(CHECKER, request_id).state is State.SUBMITTED
    assert audit_actions(ingress)[-1][1] == "ingress.refused"


@pytest.mark.parametrize("caller", [AUTHOR, CO_MEMBER, CHECKER_MEMBER], ids=lambda c: c.name)
def test_analysts_and_member_checkers_cannot_decide(ingress, caller):
    request_id = file_request(ingress, author=CO_MEMBER if caller is AUTHOR else AUTHOR)
    with pytest.raises(Forbidden):
        ingress.approve(caller, request_id, "fine")


def test_reasons_are_required_for_approve_and_reject(ingress):
    request_id = file_request(ingress)
    before = counts(ingress)
    for decide in (ingress.approve, ingress.reject):
        with pytest.raises(Invalid, match="reason"):
            decide(CHECKER, request_id, "   ")
    assert counts(ingress) == before


@pytest.mark.parametrize("forged", ["0" * 32, "not-an-id", "../../etc", "a" * 5000, ""])
def test_a_forged_id_finds_nothing(ingress, forged):
    file_request(ingress)
    with pytest.raises(NotFound):
        ingress.get(CHECKER, forged)
    with pytest.raises(NotFound):
        ingress.approve(CHECKER, forged, "why not")


def test_another_projects_request_is_not_found_for_an_outsider(ingress):
    request_id = file_request(ingress)
    with pytest.raises(NotFound) as refused:
        ingress.get(OUTSIDER, request_id)
    with pytest.raises(NotFound) as forged:
        ingress.get(OUTSIDER, "f" * 32)
    assert str(refused.value) == str(forged.value)  # no difference between "not yours" and "none"
    assert ingress.list(OUTSIDER) == []
    with pytest.raises(Forbidden):
        ingress.request_file(OUTSIDER, PROJECT, "x.csv", b"a\n", "d", "w")


def test_bad_input_changes_nothing(ingress):
    before = counts(ingress)
    for bad in [dict(name="../../../root/.ssh/authorized_keys"), dict(name="codes.exe"),
                dict(content=b"x" * (Egress().ingress.max_file_size + 1)), dict(content=b"\x00\x01")]:
        with pytest.raises(Invalid):
            file_request(ingress, **bad)
    with pytest.raises(Invalid):
        ingress.request_file(AUTHOR, PROJECT, "codes.csv", CODE_LIST, "", "why")
    with pytest.raises(Invalid):
        ingress.request_package(AUTHOR, PROJECT, "numpy", ">=1", "why")
    assert counts(ingress) == before


def test_a_file_too_big_for_a_smaller_setting_is_refused(make_ingress):
    service = make_ingress(Egress(ingress=Ingress(max_file_size="16")))
    with pytest.raises(Invalid, match="at most 16 bytes"):
        file_request(service)


def test_withdraw_reject_and_final_states(ingress):
    withdrawn = create_at(ingress, State.WITHDRAWN)
    rejected = create_at(ingress, State.REJECTED)
    for request_id in (withdrawn, rejected):
        with pytest.raises(Conflict, match="final"):
            ingress.approve(CHECKER, request_id, "after all")
    with pytest.raises(Forbidden):
        ingress.withdraw(CO_MEMBER, file_request(ingress))  # only the author withdraws


def test_a_planted_symlink_is_not_followed_and_the_request_stays_approved(ingress, data_dir, tmp_path):
    workspace = data_dir / "projects" / PROJECT / "workspace"
    workspace.mkdir(parents=True)
    elsewhere = tmp_path / "host-folder"
    elsewhere.mkdir()
    (workspace / "imports").symlink_to(elsewhere)  # what an analyst could do from inside
    request_id = file_request(ingress)
    with pytest.raises(Conflict, match="approved, but not delivered"):
        ingress.approve(CHECKER, request_id, "fine")
    assert list(elsewhere.iterdir()) == []
    assert ingress.get(AUTHOR, request_id).state is State.APPROVED
    assert audit_actions(ingress)[-1][1] == "ingress.delivery_failed"
    (workspace / "imports").unlink()
    assert ingress.retry_delivery(CHECKER, request_id) is State.DELIVERED
    assert (workspace / "imports" / request_id / "codes.csv").read_bytes() == CODE_LIST


def test_a_file_changed_in_place_before_delivery_is_not_taken_as_delivered(ingress, data_dir):
    request_id = file_request(ingress)
    target = data_dir / "projects" / PROJECT / "workspace" / "imports" / request_id
    target.mkdir(parents=True)
    (target / "codes.csv").write_bytes(b"forged\n")
    with pytest.raises(Conflict, match="does not match the approved SHA-256"):
        ingress.approve(CHECKER, request_id, "fine")
    assert (target / "codes.csv").read_bytes() == b"forged\n"  # left as found
    assert ingress.get(CHECKER, request_id).state is State.APPROVED


def test_a_fifo_planted_under_the_name_is_refused_without_hanging(ingress, data_dir):
    request_id = file_request(ingress)
    target = data_dir / "projects" / PROJECT / "workspace" / "imports" / request_id
    target.mkdir(parents=True)
    os.mkfifo(target / "codes.csv")  # opening it for reading would wait for a writer forever
    with pytest.raises(Conflict, match="not a regular file"):
        ingress.approve(CHECKER, request_id, "fine")
    assert ingress.get(CHECKER, request_id).state is State.APPROVED


def test_a_failing_package_index_leaves_the_approval_standing(ingress, package_index):
    package_index.fail_with = RuntimeError("index unreachable")
    request_id = package_request(ingress)
    with pytest.raises(Conflict, match="index unreachable"):
        ingress.approve(CHECKER, request_id, "fine")
    assert ingress.get(AUTHOR, request_id).state is State.APPROVED
    package_index.fail_with = None
    with pytest.raises(Forbidden):
        ingress.retry_delivery(AUTHOR, request_id)
    assert ingress.retry_delivery(CHECKER, request_id) is State.DELIVERED
    assert [added[0] for added in package_index.added] == ["lifelines==0.30.0"]


def test_checkers_read_the_file_and_each_read_is_audited(ingress):
    request_id = file_request(ingress)
    view, data = ingress.file_content(CHECKER, request_id)
    assert data == CODE_LIST and view.file_name == "codes.csv"
    assert audit_actions(ingress)[-1] == ("cara", "ingress.view", f"ingress/{request_id}")
    with pytest.raises(NotFound):
        ingress.file_content(OUTSIDER, request_id)


def test_fsck_keeps_ingress_blobs(ingress):
    file_request(ingress)
    report = fsck(ingress.sessions, ingress.blobs, delete_orphans=True)
    assert report.orphans == [] and report.deleted == []
    assert os.listdir(ingress.blobs.root)
