"""The hardening spec: what the spawner asks Docker for."""

import pytest

from haven_hub import lockdown
from haven_hub.settings import Limits

LIMITS = Limits(cpu=1.5, memory="2G", pids=300)


def test_full_spec():
    spec = lockdown.hardened_spec(LIMITS, "256M", uid=71_000)
    assert spec.create == {"user": "71000:71000"}
    host = spec.host_config
    assert host["cap_drop"] == ["ALL"]
    assert host["security_opt"] == ["no-new-privileges:true"]
    assert host["read_only"] is True
    assert host["tmpfs"]["/tmp"].startswith("rw,nosuid,nodev,size=256M")
    assert host["pids_limit"] == 300
    assert host["mem_limit"] == host["memswap_limit"] == "2G"
    assert host["cpu_quota"] == 150_000 and host["cpu_period"] == 100_000
    assert "privileged" not in host and "binds" not in host


@pytest.mark.parametrize("name", lockdown.HARDENING_NAMES)
def test_omitting_one_setting_changes_the_spec(name):
    full = lockdown.hardened_spec(LIMITS, "256M")
    less = lockdown.hardened_spec(LIMITS, "256M", omit=frozenset({name}))
    assert (less.create, less.host_config) != (full.create, full.host_config)


def test_the_default_user_is_the_default_container_uid_not_a_host_account():
    spec = lockdown.hardened_spec(LIMITS, "256M")
    assert spec.create == {"user": "70000:70000"}


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown hardening"):
        lockdown.hardened_spec(LIMITS, "256M", omit=frozenset({"no-such-thing"}))
