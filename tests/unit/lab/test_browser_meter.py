"""The server counts what it sends to the browser and refuses past the budget (real server, real kernel).

No hub here (BrowserMeter reports nowhere): these are the counting and the server's own
refusal; tests/integration/meter has the hub's side.
"""

from __future__ import annotations

import json

import pytest
from tornado.escape import url_escape
from tornado.httpclient import HTTPClientError

from haven_lab import meter
from tests.fixtures.kernel_messages import execute

BUDGET = 60_000


@pytest.fixture
def jp_server_config(jp_server_config):
    jp_server_config.BrowserMeter.budget = BUDGET
    return jp_server_config


@pytest.fixture
def active_meter(jp_serverapp) -> meter.BrowserMeter:
    assert meter._active is not None and meter._active.parent is jp_serverapp
    return meter._active


async def read(jp_fetch, name: str):
    return await jp_fetch("api", "contents", "workspace", name, params={"content": "1", "format": "text"})


async def test_contents_reads_count_their_bytes_and_stop_at_the_budget(jp_fetch, workspace, active_meter):
    (workspace / "piece.txt").write_text("x" * 20_000)
    before = active_meter.total
    first = await read(jp_fetch, "piece.txt")
    assert first.code == 200
    assert active_meter.total - before == len(first.body)  # the body as sent, JSON and all

    # Below the budget the same read keeps working (the control).
    assert (await read(jp_fetch, "piece.txt")).code == 200
    assert not active_meter.over

    # The read that would cross is counted but not sent, and so is everything after it.
    with pytest.raises(HTTPClientError) as crossed:
        await read(jp_fetch, "piece.txt")
    assert crossed.value.code == 429
    assert "daily budget" in json.loads(crossed.value.response.body)["message"]
    assert active_meter.over and active_meter.total > BUDGET
    with pytest.raises(HTTPClientError) as after:
        await jp_fetch("api", "contents", "workspace")
    assert after.value.code == 429


async def test_every_response_counts_not_only_contents(jp_fetch, active_meter):
    before = active_meter.total
    response = await jp_fetch("api", "kernelspecs")
    assert active_meter.total - before == len(response.body) > 0


def test_a_static_file_the_analyst_can_write_is_metered(tmp_path):
    mine = tmp_path / "bundle.js"
    mine.write_text("x")
    assert not meter.served_from_fixed_path(str(mine))
    mine.chmod(0o444)  # read-only but the owner's: it could be made writable again
    assert not meter.served_from_fixed_path(str(mine))


async def test_kernel_output_counts_and_the_socket_closes_past_the_budget(jp_fetch, jp_ws_fetch, active_meter):
    kernel = json.loads((await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))).body)
    try:
        socket = await jp_ws_fetch("api", "kernels", kernel["id"], "channels")
        # Below the budget: output arrives and is counted.
        before = active_meter.total
        message_id = await execute(socket, "print('y' * 5000)")
        received = 0
        while True:
            message = json.loads(await socket.read_message())
            if message.get("parent_header", {}).get("msg_id") != message_id:
                continue
            if message["msg_type"] == "stream":
                received += len(message["content"]["text"])
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                break
        assert received == 5001
        assert active_meter.total - before > 5000 and not active_meter.over

        # Streaming past the budget: the server closes the socket itself.
        await execute(socket, "for _ in range(40): print('z' * 4000, flush=True)")
        streamed = 0
        for _ in range(1000):
            raw = await socket.read_message()
            if raw is None:
                break
            message = json.loads(raw)
            if message.get("msg_type") == "stream":
                streamed += len(message["content"]["text"])
        else:
            pytest.fail("the socket stayed open past the budget")
        assert active_meter.over
        assert socket.close_code == meter.POLICY_VIOLATION
        assert streamed < BUDGET  # what got through stayed under the ceiling
    finally:
        meter._active.over = False  # let the clean-up through
        await jp_fetch("api", "kernels", url_escape(kernel["id"]), method="DELETE")
