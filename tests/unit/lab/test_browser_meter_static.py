"""Which static files the meter leaves out: the route allowlist's static routes, and only while
the file served is fixed (real server; the route gate is off here, since on this host the
static folders are the venv's, writable, and the gate would refuse them: that is its own test)."""

from __future__ import annotations

import pytest

from haven_lab import meter


@pytest.fixture
def jp_server_config(jp_server_config):
    jp_server_config.HavenLab.route_allowlist = False
    return jp_server_config


async def test_a_static_route_counts_unless_its_file_is_fixed(jp_fetch, jp_serverapp, monkeypatch):
    active_meter = meter._active
    # On this host the image's static folders are the venv's, writable here: counted.
    before = active_meter.total
    icon = await jp_fetch("static", "favicon.ico")
    assert icon.code == 200 and active_meter.total - before == len(icon.body) > 0
    # Where the file and its folders are fixed (the image's read-only root), the route
    # allowlist's static routes are not counted; other routes still are.
    monkeypatch.setattr(meter, "served_from_fixed_path", lambda path: True)
    before = active_meter.total
    assert (await jp_fetch("static", "favicon.ico")).code == 200
    assert active_meter.total == before
    specs = await jp_fetch("api", "kernelspecs")
    assert active_meter.total - before == len(specs.body)


