"""While the egress service is down or restarting, the analyst is told it is the review
service that is not answering, not that their own server is down (issue 15)."""

from __future__ import annotations

import socket

import pytest

from haven_lab import egress
from haven_lab.workspace import Refused


def a_closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_a_service_that_does_not_listen_is_named_as_the_review_service():
    client = egress.EgressClient(f"http://127.0.0.1:{a_closed_loopback_port()}/services/egress/", "token", 2)
    with pytest.raises(Refused) as refused:
        await client.call("GET", "api/requests")
    assert refused.value.status == 502
    assert refused.value.message.startswith("the review service (Haven's egress service) is not answering")
    assert "server appears to be down" not in refused.value.message


@pytest.mark.parametrize(("code", "body", "status", "words"), [
    # A proxy's page while the service restarts: its words are not the analyst's problem.
    (503, b"<html>Your server appears to be down.</html>", 502, "review service"),
    (502, b"", 502, "review service"),
    # The service's own refusal still reaches the analyst in its own words.
    (503, b'{"message": "the project is frozen"}', 502, "the project is frozen"),
    (422, b"", 422, "refused the request (HTTP 422)"),
])
def test_answers_without_the_services_words_name_the_review_service(code, body, status, words):
    assert egress._refusal(code, body)[0] == status
    assert words in egress._refusal(code, body)[1]
