"""People and ingress requests, built by driving the real service."""

from __future__ import annotations

from haven_egress.ingress.service import IngressService
from haven_egress.ingress.workflow import State
from haven_egress.permissions import Caller, Role

PROJECT = "alpha"
# Ingress requests are filed from the browser: no server token needed.
AUTHOR = Caller("alice", frozenset({Role.ANALYST}), frozenset({PROJECT}))
CO_MEMBER = Caller("bob", frozenset({Role.ANALYST}), frozenset({PROJECT}))
OUTSIDER = Caller("oscar", frozenset({Role.ANALYST}), frozenset({"beta"}))
CHECKER = Caller("cara", frozenset({Role.CHECKER}))
CHECKER_MEMBER = Caller("eve", frozenset({Role.CHECKER, Role.ANALYST}), frozenset({PROJECT}))
ADMIN = Caller("ada", frozenset({Role.ADMIN}))
AUTHOR_CHECKER = Caller("alice", frozenset({Role.ANALYST, Role.CHECKER}), frozenset({PROJECT}))
AUTHOR_ADMIN = Caller("alice", frozenset({Role.ANALYST, Role.ADMIN}), frozenset({PROJECT}))

CODE_LIST = b"code,term\nE11,Type 2 diabetes mellitus\nI10,Essential hypertension\n"


def file_request(service: IngressService, content: bytes = CODE_LIST, name: str = "codes.csv",
                 author: Caller = AUTHOR) -> str:
    return service.request_file(author, PROJECT, name, content, "ICD-10 code list", "to define the cohort")


def package_request(service: IngressService, author: Caller = AUTHOR) -> str:
    return service.request_package(author, PROJECT, "lifelines", "0.30.0", "survival models for aim 2")


def create_at(service: IngressService, state: State, kind: str = "file") -> str:
    request_id = file_request(service) if kind == "file" else package_request(service)
    if state is State.SUBMITTED:
        return request_id
    if state is State.WITHDRAWN:
        service.withdraw(AUTHOR, request_id, "not needed")
    elif state is State.REJECTED:
        service.reject(CHECKER, request_id, "carries identifiers")
    elif state is State.DELIVERED:
        # Approval delivers at once; "approved" alone is a delivery that failed (test_delivery).
        assert service.approve(CHECKER, request_id, "a published code list") is State.DELIVERED
    else:
        raise ValueError(f"no factory path to {state}")
    return request_id
