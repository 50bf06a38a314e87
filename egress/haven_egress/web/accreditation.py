"""Whether a checker may review now, as the hub says (their accreditations live on the hub).

The egress service keeps no record of people: it asks the hub's
``/hub/api/haven/accreditations/users/<name>`` with its own service token (scope
``custom:haven:accreditations``), the way it learns identity and projects, so the hub stays
the one source of truth and the service trusts nothing else. Asked only for callers holding
the review scope, and only when the settings make some accreditation a condition of
reviewing; answers are kept as long as the hub's own identity answers
(``egress.auth_cache_seconds``). When the hub cannot answer, the checker is refused
(review is what the rule protects), with a sentence saying so.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from ..permissions import Caller, Role

log = logging.getLogger("haven.egress")
UNCONFIRMED = ("Haven could not confirm your output-checker accreditation with the hub just now, so reviewing is "
               "paused for you; try again in a moment.")
TIMEOUT_SECONDS = 10


class HubAccreditations:
    def __init__(self, api_url: str, token: str, cache_seconds: float) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}

    async def standing(self, username: str) -> dict[str, Any]:
        kept = self._cache.get(username)
        if kept is not None and time.monotonic() - kept[0] < self.cache_seconds:
            return kept[1]
        answer = await AsyncHTTPClient().fetch(HTTPRequest(
            f"{self.api_url}/haven/accreditations/users/{quote(username, safe='')}",
            headers={"Authorization": f"token {self.token}", "Accept": "application/json"},
            request_timeout=TIMEOUT_SECONDS))
        standing = json.loads(answer.body)
        self._cache[username] = (time.monotonic(), standing)
        return standing


async def vouched(caller: Caller, lookup: HubAccreditations | None) -> Caller:
    """The caller with the hub's word on their reviewing (unchanged for non-checkers)."""
    if lookup is None or Role.CHECKER not in caller.roles:
        return caller
    try:
        standing = await lookup.standing(caller.name)
    except Exception as error:  # the hub down, a timeout, a malformed answer: refuse reviewing, say why
        log.warning("could not learn %s's accreditations from the hub: %s", caller.name, error)
        return replace(caller, review_refusal=UNCONFIRMED)
    return replace(caller, review_refusal=(standing.get("refusals") or {}).get("review") or "",
                   notices=tuple(standing.get("warnings") or ()))


def from_environment(settings: Any) -> HubAccreditations | None:
    """The hub's answers when run as its service and some kind is required for review; else None
    (nothing is asked, and reviewing depends on no accreditation)."""
    api_url, token = os.environ.get("JUPYTERHUB_API_URL"), os.environ.get("JUPYTERHUB_API_TOKEN")
    if not settings.accreditation.required_for("review") or not (api_url and token):
        return None
    return HubAccreditations(api_url, token, settings.egress.auth_cache_seconds)
