"""The Releases panel asks for the list every ~25 s: an unchanged list costs a 304, no body.

The panel sends the list's ETag back as If-None-Match (src/liveRequests.ts); tornado
computes the ETag from the answer's bytes, so a change of state, comment or file is a new
ETag and a full answer. The egress service is still asked each time (this server keeps no
copy), but nothing is sent to the browser, whose bytes are metered (haven_lab.meter).
"""

from __future__ import annotations

from tornado.httpclient import HTTPClientError

from tests.unit.lab.test_egress_contract import a_request, egress_url, stand_in  # noqa: F401  (fixtures)


async def list_requests(jp_fetch, etag: str | None = None):
    try:
        return await jp_fetch("haven", "requests", headers={"If-None-Match": etag} if etag else {})
    except HTTPClientError as error:
        return error.response


async def test_an_unchanged_list_is_answered_304_without_a_body(jp_fetch, stand_in):  # noqa: F811
    recorder, _ = stand_in
    first = await list_requests(jp_fetch)
    assert first.code == 200 and b'"requests"' in first.body
    etag = first.headers["Etag"]
    again = await list_requests(jp_fetch, etag)
    assert again.code == 304 and again.body == b""
    assert len([seen for seen in recorder.seen if seen["path"] == "api/requests"]) == 2


async def test_a_changed_list_is_answered_whole_with_a_new_etag(jp_fetch, stand_in, monkeypatch):  # noqa: F811
    recorder, _ = stand_in
    first = await list_requests(jp_fetch)
    monkeypatch.setattr("tests.unit.lab.test_egress_contract.a_request", lambda state="returned": a_request(state))
    changed = await list_requests(jp_fetch, first.headers["Etag"])
    assert changed.code == 200 and b'"returned"' in changed.body
    assert changed.headers["Etag"] != first.headers["Etag"]
