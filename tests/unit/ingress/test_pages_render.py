"""The ingress pages' templates render every state of a request, with the theme's strict
undefined (a typo is an error here, not a 500 in front of a person)."""

from __future__ import annotations

import pytest

from haven_egress.ingress.workflow import State
from haven_egress.web.pages import _environment
from haven_hub.settings import Egress

from .factories import AUTHOR, CHECKER, create_at, package_request

COMMON = dict(page_title="t", hub_prefix="/hub/", static_prefix="/s/", prefix="/services/egress/", user_name="u",
              nav=[], logout_url="/hub/logout", xsrf="xsrf-token", age=lambda _: "1 minute")


@pytest.mark.parametrize("form", [{}, {"project": "alpha", "name": "numpy", "version": "2.0", "justification": "j"}])
def test_the_queue_renders_with_and_without_a_refused_form(ingress, form):
    file_id, package_id = create_at(ingress, State.SUBMITTED), package_request(ingress)
    html = _environment().get_template("ingress_queue.html").render(
        items=ingress.list(CHECKER), projects=["alpha"], error="refused", form=form, limits=Egress().ingress,
        done="", **COMMON)
    assert file_id in html and package_id in html and 'name="haven-xsrf" content="xsrf-token"' in html
    assert 'action="/services/egress/ingress/files"' in html and "refused" in html


@pytest.mark.parametrize("state", [State.SUBMITTED, State.DELIVERED, State.REJECTED, State.WITHDRAWN])
@pytest.mark.parametrize("decider", [True, False])
def test_a_request_renders_in_every_state(ingress, state, decider):
    view = ingress.get(CHECKER, create_at(ingress, state))
    html = _environment().get_template("ingress_request.html").render(
        request=view, decider=decider, is_author=not decider, content="code,term\n<script>", error="", done="",
        State=State, **COMMON)
    assert f'id="ingress-state">{state.value}<' in html and view.sha256 in html
    assert "&lt;script&gt;" in html and "<script>" not in html  # the file's text is escaped
    assert ('ingress-approve-form' in html) is (decider and state is State.SUBMITTED)
    assert ('ingress-withdraw-form' in html) is (not decider and state is State.SUBMITTED)
    if state is State.DELIVERED:
        assert f"imports/{view.id}/codes.csv" in html


def test_a_package_request_renders(ingress):
    view = ingress.get(AUTHOR, package_request(ingress))
    html = _environment().get_template("ingress_request.html").render(
        request=view, decider=False, is_author=True, content="", error="", done="", State=State, **COMMON)
    assert "lifelines==0.30.0" in html
