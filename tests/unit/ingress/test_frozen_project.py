"""A frozen project brings nothing in (#17 item 4): filing, deciding and delivering are held
and audited until it is thawed; withdrawing stays open (it only takes something back)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from haven_egress.errors import Forbidden
from haven_egress.ingress.service import IngressService
from haven_egress.ingress.workflow import State
from haven_egress.models import audit_events

from .factories import AUTHOR, CHECKER, PROJECT, file_request, package_request


@pytest.fixture
def freezable(ingress: IngressService):
    frozen: dict[str, str] = {}
    ingress.project_holds = lambda project: frozen.get(project)
    return ingress, frozen


def _refused(service: IngressService) -> list[dict]:
    with service.sessions() as session:
        return list(session.scalars(select(audit_events.c.details).where(audit_events.c.action == "ingress.refused")))


def test_a_frozen_project_files_decides_and_receives_nothing_until_thawed(freezable, data_dir, package_index):
    service, frozen = freezable
    waiting = file_request(service)
    to_withdraw = package_request(service)

    frozen[PROJECT] = "suspected breach"
    held = [lambda: file_request(service),
            lambda: package_request(service),
            lambda: service.approve(CHECKER, waiting, "a published code list"),
            lambda: service.reject(CHECKER, waiting, "no")]
    for attempt in held:
        with pytest.raises(Forbidden, match=r"frozen by an administrator \(suspected breach\)"):
            attempt()
    assert service.get(CHECKER, waiting).state == State.SUBMITTED
    assert not list(data_dir.rglob("codes.csv"))  # nothing reached the workspace
    assert len([d for d in _refused(service) if "frozen" in d["reason"]]) == len(held)
    assert service.withdraw(AUTHOR, to_withdraw, "not needed after all") == State.WITHDRAWN
    assert package_index.added == []

    del frozen[PROJECT]
    assert service.approve(CHECKER, waiting, "a published code list") == State.DELIVERED
    assert list(data_dir.rglob("codes.csv"))
