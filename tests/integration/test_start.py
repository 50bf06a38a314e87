"""The host firewall is in place from the moment the hub listens, not from the first spawn."""

import subprocess

import pytest

from tests.fixtures.hub import firewall_chain, start_test_hub, stop_test_hub
from tests.fixtures.hub import test_settings as hub_settings

pytestmark = pytest.mark.docker

PREFIX, BRIDGE_PREFIX = "hvstart", "hvs-"


def iptables_has(*rule: str) -> bool:
    return subprocess.run(["iptables", "-w", "-C", *rule], capture_output=True).returncode == 0


def test_a_fresh_hub_is_firewalled_before_any_server_starts(tmp_path):
    hub = start_test_hub(tmp_path, hub_settings(tmp_path, prefix=PREFIX, bridge_prefix=BRIDGE_PREFIX))
    chain = firewall_chain(PREFIX)
    try:
        assert hub.api("GET", "/").status_code == 200  # listening on every address now
        assert iptables_has("INPUT", "-j", chain)
        for port in (hub.settings.hub.api_port, hub.settings.egress.port):
            assert iptables_has(chain, "!", "-i", "lo", "-p", "tcp", "--dport", str(port),
                                "-j", "REJECT", "--reject-with", "tcp-reset"), port
        assert iptables_has(chain, "-i", f"{BRIDGE_PREFIX}+", "-j", "REJECT")
    finally:
        stop_test_hub(hub)
    assert not iptables_has("INPUT", "-j", chain)
