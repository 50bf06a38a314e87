"""A submission past the project's daily limit is a 429 over HTTP with Retry-After and the
service's sentence (when the count resets), through the handlers' one translation of refusals.
The hub's login is the only part stood in for: the caller is set as the hub would vouch."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from tornado import web

from haven_egress.service import EgressService
from haven_egress.storage import session_factory
from haven_egress.web import handlers
from haven_hub.settings import Egress
from tests.fixtures.in_process import serving

from .factories import AUTHOR, PROJECT, default_files


class SubmitAsAuthor(handlers.BaseHandler):
    async def prepare(self) -> None:
        self.caller = AUTHOR  # as the hub would vouch for her server's token

    async def post(self) -> None:
        request_id = await self.call(self.service.submit, PROJECT, "Counts", "paper", default_files())
        self.send({"id": request_id}, status=201)


def test_a_submission_past_the_daily_limit_is_429_with_retry_after(engine, blobs):
    service = EgressService(session_factory(engine), blobs, Egress(daily_request_limit=1))
    with ThreadPoolExecutor(2) as executor, serving(lambda: web.Application([
            (r"/submit", SubmitAsAuthor, {"service": service, "executor": executor, "methods": ("POST",),
                                          "names": (), "form_on": ""})])) as (base, _):
        assert requests.post(base + "/submit", timeout=30).status_code == 201
        refused = requests.post(base + "/submit", timeout=30)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 86_400
    assert refused.json()["status"] == 429
    assert "resets at 00:00 UTC" in refused.json()["message"]
