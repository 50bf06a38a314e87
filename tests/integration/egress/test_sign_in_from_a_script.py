"""A script in the browser (Lab's download code) asking for an egress page signs in once,
not in a loop.

Browsers mark a ``fetch`` with ``Sec-Fetch-Mode: cors``; HubOAuth takes the service's login
cookie on such a GET only with the XSRF token, which a script on another path cannot read.
Sent to the hub's sign-in again each time, the script came back refused, round after round,
until the browser gave up (and the hub issued a token per round). The first round still
signs the browser in; after it the service answers 401 (haven_egress.web.handlers).
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

FETCH = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "empty"}


def test_a_fetch_signs_in_once_then_gets_401(haven_hub):
    browser = haven_hub.login("ada")  # logged in at the hub, not yet at the egress service
    answer = browser.get(f"{haven_hub.url}/services/egress/mine", headers=FETCH, timeout=30)
    hops = [hop.headers["Location"].split("?")[0] for hop in answer.history]
    assert hops == ["/hub/api/oauth2/authorize", "/services/egress/oauth_callback", "/services/egress/mine"]
    assert answer.status_code == 401
    assert "signed in to the egress service" in answer.text
    # Again: no round through the hub at all.
    again = browser.get(f"{haven_hub.url}/services/egress/mine", headers=FETCH, timeout=30)
    assert (again.status_code, again.history) == (401, [])
    # The browser is signed in: a page it navigates to opens at once (and so would a download).
    page = browser.get(f"{haven_hub.url}/services/egress/mine", timeout=30)
    assert (page.status_code, page.history) == (200, [])


def test_a_page_opened_without_the_cookie_still_goes_to_sign_in(haven_hub):
    browser = haven_hub.login("carol")
    page = browser.get(f"{haven_hub.url}/services/egress/", timeout=30)
    assert page.status_code == 200
    assert [hop.status_code for hop in page.history] == [302, 302, 302]
