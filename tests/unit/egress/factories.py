"""People and requests for the egress tests, built by driving the real service.

``create_request_at_status`` reaches each state the way users would, so a test that
starts from "approved" also proves the path to it still works.
"""

from __future__ import annotations

import hashlib

from haven_egress.permissions import Caller, Role
from haven_egress.service import EgressService
from haven_egress.uploads import FileUpload
from haven_egress.workflow import State
from tests.fixtures.media import png

PROJECT = "alpha"
# Analysts call from their project's server (server_project: its token is bound to it);
# checkers and admins from the browser (no server).
AUTHOR = Caller("alice", frozenset({Role.ANALYST}), frozenset({PROJECT}), PROJECT)
CO_MEMBER = Caller("bob", frozenset({Role.ANALYST}), frozenset({PROJECT}), PROJECT)
CHECKER = Caller("cara", frozenset({Role.CHECKER}))
CHECKER_2 = Caller("dan", frozenset({Role.CHECKER}))
CHECKER_3 = Caller("fay", frozenset({Role.CHECKER}))
CHECKER_MEMBER = Caller("eve", frozenset({Role.CHECKER, Role.ANALYST}), frozenset({PROJECT}), PROJECT)
ADMIN = Caller("ada", frozenset({Role.ADMIN}))
OUTSIDER = Caller("oscar", frozenset({Role.ANALYST}), frozenset({"beta"}), "beta")
# The author also holds the checker role: still never reviews their own request.
AUTHOR_CHECKER = Caller("alice", frozenset({Role.ANALYST, Role.CHECKER}), frozenset({PROJECT}), PROJECT)
# The author, from the browser (or a personal token): reads, comments, withdraws; never submits.
AUTHOR_IN_BROWSER = Caller("alice", frozenset({Role.ANALYST}), frozenset({PROJECT}))
# The author, from her server in another of her projects: may not file anything under alpha.
AUTHOR_IN_BETA = Caller("alice", frozenset({Role.ANALYST}), frozenset({PROJECT, "beta"}), "beta")


def upload(path: str = "out/table.csv", content: bytes = b"group,count\na,12\nb,15\n", **fields) -> FileUpload:
    fields.setdefault("sha256", hashlib.sha256(content).hexdigest())
    fields.setdefault("media_type", "text/csv")
    fields.setdefault("description", "counts by group")
    fields.setdefault("controls", ["rounded to 5", "suppressed < 10"])
    fields.setdefault("kind", "frequency_table")
    return FileUpload(path=path, content=content, **fields)


def default_files() -> list[FileUpload]:
    return [
        upload("out/table.csv"),
        upload("out/figure.png", png(), media_type="image/png", kind="figure"),
        upload("evidence/results.json", b'{"ok": true}', media_type="application/json",
               kind="other", supporting=True),
    ]


def submit(service: EgressService, files: list[FileUpload] | None = None, author: Caller = AUTHOR) -> str:
    return service.submit(author, PROJECT, "Counts by group", "paper table 1",
                          default_files() if files is None else files)


def vote_all(service: EgressService, request_id: str, checker: Caller, decision: str) -> State:
    state = None
    view = service.get_request(checker, request_id)
    for file in view.versions[-1].files:
        if not file.supporting:
            state = service.review_file(checker, file.id, decision,
                                        "" if decision == "approve" else f"{decision}: see notes")
    return state


def create_request_at_status(service: EgressService, status: State,
                             files: list[FileUpload] | None = None) -> str:
    request_id = submit(service, files)
    if status is State.SUBMITTED:
        return request_id
    if status is State.WITHDRAWN:
        service.withdraw(AUTHOR, request_id)
        return request_id
    if status is State.REJECTED:
        service.reject(CHECKER, request_id, "identifies individuals")
        return request_id
    service.start_review(CHECKER, request_id)
    if status is State.UNDER_REVIEW:
        return request_id
    # Both checkers agree: votes that disagree leave a file conflicted (review_rules).
    decision = {State.REVIEWED: "reject", State.RETURNED: "request_changes"}.get(status, "approve")
    vote_all(service, request_id, CHECKER, decision)
    vote_all(service, request_id, CHECKER_2, decision)
    if status in (State.REVIEWED, State.RETURNED, State.APPROVED):
        return request_id
    service.release(CHECKER, request_id)
    if status is State.RELEASED:
        return request_id
    service.revoke(CHECKER, request_id, "published by mistake")
    assert status is State.REVOKED
    return request_id
