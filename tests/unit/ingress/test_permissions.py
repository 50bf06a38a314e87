"""Who may file, see and decide ingress requests: truth tables over the roles that exist."""

import pytest

from haven_egress.ingress.permissions import IngressFacts, may_decide, may_file, may_view
from haven_hub.settings import Egress

from .factories import ADMIN, AUTHOR, AUTHOR_ADMIN, AUTHOR_CHECKER, CHECKER, CHECKER_MEMBER, CO_MEMBER, OUTSIDER

REQUEST = IngressFacts(author="alice", project="alpha")
STRICT, LENIENT = Egress(), Egress(checkers_may_review_own_projects=True)

#            caller          file   view   decide(strict) decide(lenient)
TABLE = [
    (AUTHOR, True, True, False, False),
    (AUTHOR_CHECKER, True, True, False, False),  # never their own, whatever roles they hold
    (AUTHOR_ADMIN, True, True, False, False),
    (CO_MEMBER, True, True, False, False),
    (OUTSIDER, False, False, False, False),
    (CHECKER, False, True, True, True),
    (CHECKER_MEMBER, True, True, False, True),
    (ADMIN, False, True, True, True),
]


@pytest.mark.parametrize(("caller", "file", "view", "decide", "decide_lenient"), TABLE,
                         ids=[row[0].name + "-" + "-".join(sorted(r.value for r in row[0].roles)) for row in TABLE])
def test_truth_table(caller, file, view, decide, decide_lenient):
    assert may_file(caller, "alpha") is file
    assert may_view(caller, REQUEST) is view
    assert may_decide(caller, REQUEST, STRICT) is decide
    assert may_decide(caller, REQUEST, LENIENT) is decide_lenient


def test_nobody_files_for_a_project_they_are_not_in():
    for caller, *_ in TABLE:
        assert may_file(caller, "gamma") is False
