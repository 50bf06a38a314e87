"""How many requests' checks run at once is a setting (``egress.check_workers``): it reaches
the running service's pool of workers, and a count outside 1-16 is refused at load."""

from __future__ import annotations

import threading

import pytest
import yaml

from haven_egress import checking
from haven_egress.web.startup import open_service
from haven_hub.settings import Egress, load_settings
from haven_hub.settings.common import SettingsError


def settings_with(tmp_path, **egress):
    path = tmp_path / "haven.yaml"
    path.write_text(yaml.safe_dump({"hub": {"data_dir": str(tmp_path / "data")}, "egress": egress}))
    return load_settings(path)


def test_the_worker_count_reaches_the_running_pool(tmp_path):
    service = open_service(settings_with(tmp_path, check_workers=5))
    try:
        assert service.checks.workers == 5
        running = [t for t in threading.enumerate() if t.name.startswith("haven-checks-") and t.is_alive()]
        assert len(service.checks._threads) == 5 and set(service.checks._threads) <= set(running)
    finally:
        service.checks.stop()
        service.sessions.kw["bind"].dispose()


def test_the_default_is_the_pools_own_default():
    assert Egress().check_workers == checking.DEFAULT_WORKERS == 3


@pytest.mark.parametrize("count", [0, 17, "many"])
def test_a_count_outside_one_to_sixteen_is_refused_with_the_setting_named(tmp_path, count):
    with pytest.raises(SettingsError, match="check_workers"):
        settings_with(tmp_path, check_workers=count)
