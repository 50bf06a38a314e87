"""A checker the hub says may not review (accreditation missing or expired) neither votes,
decides nor opens files; told why; an author's own actions are untouched."""

from dataclasses import replace

import pytest

from haven_egress import permissions
from haven_egress.errors import Forbidden
from haven_egress.permissions import RequestFacts
from haven_egress.workflow import State
from haven_hub.settings import Egress

from .factories import AUTHOR, AUTHOR_CHECKER, CHECKER, CHECKER_2, PROJECT, create_request_at_status, submit

WHY = "Reviewing outputs needs a current Output checker training accreditation (output_checker): yours expired on 2026-12-01."
BARRED = replace(CHECKER, review_refusal=WHY)
REQUEST = RequestFacts(author="alice", project=PROJECT)


def test_a_barred_checker_may_not_check_but_still_sees_the_queue():
    assert permissions.may_check(CHECKER, REQUEST, Egress())
    assert not permissions.may_check(BARRED, REQUEST, Egress())
    assert permissions.may_view(BARRED, REQUEST)


def test_the_refusal_says_why():
    with pytest.raises(Forbidden, match="you may not vote: Reviewing outputs needs"):
        permissions.require(False, "vote", BARRED)
    with pytest.raises(Forbidden, match=r"^you may not vote$"):
        permissions.require(False, "vote", CHECKER)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_votes_decisions_and_file_views_are_refused_with_the_reason(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    file_id = service.get_request(CHECKER, request_id).versions[-1].files[0].id
    for deed in (lambda: service.review_file(BARRED, file_id, "approve"),
                 lambda: service.reject(BARRED, request_id, "no"),
                 lambda: service.return_request(BARRED, request_id, "fix"),
                 lambda: service.view_file(BARRED, file_id)):
        with pytest.raises(Forbidden, match="expired on 2026-12-01"):
            deed()
    assert service.get_request(CHECKER, request_id).state is State.UNDER_REVIEW
    # The control: the same request, a checker in good standing.
    assert service.review_file(CHECKER_2, file_id, "approve") in (State.UNDER_REVIEW, State.APPROVED)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_author_barred_from_reviewing_still_withdraws_their_own(service):
    request_id = submit(service, author=AUTHOR)
    author = replace(AUTHOR_CHECKER, review_refusal=WHY)
    assert service.withdraw(author, request_id) is State.WITHDRAWN


class _Hub:
    def __init__(self, answer=None, error=None):
        self.answer, self.error, self.asked = answer, error, []

    async def standing(self, username):
        self.asked.append(username)
        if self.error:
            raise self.error
        return self.answer


def test_the_hub_s_word_reaches_checkers_only_and_its_silence_refuses_review():
    import asyncio

    from haven_egress.web import accreditation

    hub = _Hub({"refusals": {"review": WHY}, "warnings": ["expires soon"]})
    barred = asyncio.run(accreditation.vouched(CHECKER, hub))
    assert (barred.review_refusal, barred.notices) == (WHY, ("expires soon",))
    assert asyncio.run(accreditation.vouched(AUTHOR, hub)) == AUTHOR and hub.asked == ["cara"]
    down = asyncio.run(accreditation.vouched(CHECKER, _Hub(error=ConnectionError("refused"))))
    assert down.review_refusal == accreditation.UNCONFIRMED
    assert asyncio.run(accreditation.vouched(CHECKER, None)) == CHECKER  # no kind required for review
