"""WHO may act: the full truth table of people x deeds, under both member-review settings."""

import pytest

from haven_egress import permissions as p
from haven_egress.errors import Forbidden
from haven_egress.permissions import RequestFacts
from haven_hub.settings import Egress
from haven_egress.workflow import Actor

from .factories import (ADMIN, AUTHOR, AUTHOR_CHECKER, AUTHOR_IN_BETA, AUTHOR_IN_BROWSER, CHECKER,
                        CHECKER_MEMBER, CO_MEMBER, OUTSIDER, PROJECT)

REQUEST = RequestFacts(author="alice", project=PROJECT)
STRICT = Egress()
LENIENT = Egress(checkers_may_review_own_projects=True, members_may_download=True)

DEEDS = {
    "view": lambda c, r: p.may_view(c, REQUEST),
    "submit": lambda c, r: p.may_submit(c, PROJECT),
    "check": lambda c, r: p.may_check(c, REQUEST, r),
    "act_as_author": lambda c, r: p.may_act_as(c, Actor.AUTHOR, REQUEST, r),
    "act_as_system": lambda c, r: p.may_act_as(c, Actor.SYSTEM, REQUEST, r),
    "comment": lambda c, r: p.may_comment(c, REQUEST, r),
    "see_private": lambda c, r: p.may_see_private(c, REQUEST, r),
    "download": lambda c, r: p.may_download(c, REQUEST, r),
}
PEOPLE = {
    "author": AUTHOR,
    "author_checker": AUTHOR_CHECKER,
    "co_member": CO_MEMBER,
    "checker": CHECKER,
    "checker_member": CHECKER_MEMBER,
    "admin": ADMIN,
    "outsider": OUTSIDER,
    "author_in_browser": AUTHOR_IN_BROWSER,
    "author_in_beta": AUTHOR_IN_BETA,
}
# Rows: person; columns in DEEDS order. 1 = allowed. (strict rules, lenient rules)
TABLE = {
    #                   view submit check author system comment private download
    "author":         ((1, 1, 0, 1, 0, 1, 0, 1), (1, 1, 0, 1, 0, 1, 0, 1)),
    "author_checker": ((1, 1, 0, 1, 0, 1, 0, 1), (1, 1, 0, 1, 0, 1, 0, 1)),
    "co_member":      ((1, 1, 0, 0, 0, 0, 0, 0), (1, 1, 0, 0, 0, 0, 0, 1)),
    "checker":        ((1, 0, 1, 0, 0, 1, 1, 0), (1, 0, 1, 0, 0, 1, 1, 0)),
    "checker_member": ((1, 1, 0, 0, 0, 0, 0, 0), (1, 1, 1, 0, 0, 1, 1, 1)),
    "admin":          ((1, 0, 0, 0, 0, 0, 0, 0), (1, 0, 0, 0, 0, 0, 0, 0)),
    "outsider":       ((0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0)),
    # Submitting is the only deed that depends on where the token comes from.
    "author_in_browser": ((1, 0, 0, 1, 0, 1, 0, 1), (1, 0, 0, 1, 0, 1, 0, 1)),
    "author_in_beta":    ((1, 0, 0, 1, 0, 1, 0, 1), (1, 0, 0, 1, 0, 1, 0, 1)),
}
CASES = [
    (person, deed, rules_name, bool(row[i]))
    for person, rows in TABLE.items()
    for rules_name, row in zip(("strict", "lenient"), rows)
    for i, deed in enumerate(DEEDS)
]


@pytest.mark.parametrize(("person", "deed", "rules_name", "expected"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_truth_table(person, deed, rules_name, expected):
    rules = STRICT if rules_name == "strict" else LENIENT
    assert DEEDS[deed](PEOPLE[person], rules) is expected


def test_table_covers_every_person():
    assert set(TABLE) == set(PEOPLE)


def test_require_raises_forbidden_with_a_reason():
    with pytest.raises(Forbidden, match="you may not review"):
        p.require(p.may_check(AUTHOR_CHECKER, REQUEST, LENIENT), "review this request")
    p.require(True, "anything")


@pytest.mark.parametrize("bad", [{"required_approvals": 0}, {"max_files": 0}, {"max_file_size": -1}])
def test_rules_refuse_settings_that_would_let_requests_through_unchecked(bad):
    with pytest.raises(ValueError):
        Egress(**bad)


@pytest.mark.parametrize(("caller", "named", "filed"), [
    (AUTHOR, "", PROJECT), (AUTHOR, PROJECT, PROJECT), (AUTHOR_IN_BETA, "", "beta"),
    (AUTHOR_IN_BETA, PROJECT, p.ProjectMismatch), (AUTHOR_IN_BROWSER, "", Forbidden),
    (AUTHOR_IN_BROWSER, PROJECT, Forbidden), (CHECKER, "", Forbidden),
])
def test_a_submission_is_filed_under_the_callers_server_project(caller, named, filed):
    if isinstance(filed, str):
        assert p.filing_project(caller, named) == filed
    else:
        with pytest.raises(filed):
            p.filing_project(caller, named)
