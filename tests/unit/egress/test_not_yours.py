"""The service refuses another project's request or file exactly as a missing one (the web
layer turns both into the same 404); who may see it but not act gets Forbidden."""

from __future__ import annotations

import pytest

from haven_egress.errors import Forbidden, NotFound
from haven_egress.lookup import NO_FILE, NO_REQUEST
from haven_egress.workflow import State

from .factories import AUTHOR, CHECKER, OUTSIDER, create_request_at_status

MISSING_REQUEST = "f" * 32
MISSING_FILE = 10**15


def refusal(call) -> tuple[type, str]:
    with pytest.raises(Exception) as refused:
        call()
    return type(refused.value), str(refused.value)


def test_another_projects_file_and_request_are_refused_as_missing_ones(service):
    request_id = create_request_at_status(service, State.RELEASED)
    file_id = service.get_request(AUTHOR, request_id).versions[-1].files[0].id
    for use in (service.download_named, service.view_file,
                lambda caller, f: service.review_file(caller, f, "approve")):
        assert refusal(lambda: use(OUTSIDER, file_id)) == refusal(lambda: use(OUTSIDER, MISSING_FILE)) \
            == (NotFound, NO_FILE)
    for use in (service.get_request, service.bundle, service.withdraw,
                lambda caller, r: service.comment(caller, r, "hello")):
        assert refusal(lambda: use(OUTSIDER, request_id)) == refusal(lambda: use(OUTSIDER, MISSING_REQUEST)) \
            == (NotFound, NO_REQUEST)
    # Control: the author gets the file; a checker, who sees every request, is refused the
    # download as Forbidden, with the reason.
    assert service.download_named(AUTHOR, file_id)[0] == "out/table.csv"
    kind, message = refusal(lambda: service.download_named(CHECKER, file_id))
    assert kind is Forbidden and "download" in message
