"""The one place every command looks for the settings file, in its documented order."""

from __future__ import annotations

import pytest

from haven_hub.settings import SettingsError, location, locate_settings


@pytest.fixture
def places(tmp_path, monkeypatch):
    deployed, demo = tmp_path / "etc" / "haven.yaml", tmp_path / "checkout" / "config" / "haven.demo.yaml"
    monkeypatch.setattr(location, "DEPLOYED", deployed)
    monkeypatch.setattr(location, "DEMO", demo)
    monkeypatch.delenv("HAVEN_SETTINGS", raising=False)
    return deployed, demo


def test_the_order_is_flag_environment_deployed_then_the_checkouts_demo(places, tmp_path, monkeypatch):
    deployed, demo = places
    with pytest.raises(SettingsError, match="give --settings FILE or set \\$HAVEN_SETTINGS"):
        locate_settings()
    demo.parent.mkdir(parents=True)
    demo.write_text("{}")
    assert locate_settings() == demo
    deployed.parent.mkdir(parents=True)
    deployed.write_text("{}")
    assert locate_settings() == deployed
    monkeypatch.setenv("HAVEN_SETTINGS", str(tmp_path / "env.yaml"))
    assert locate_settings() == tmp_path / "env.yaml"
    assert locate_settings(tmp_path / "flag.yaml") == tmp_path / "flag.yaml"


def test_the_checkout_is_found_from_the_code_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert location.CHECKOUT == location.Path(__file__).resolve().parents[3]
    assert location.DEMO.is_file()


def test_no_other_module_keeps_a_default_settings_path():
    """The default is written in one place: no module names the files itself."""
    root = location.CHECKOUT
    sources = [*root.glob("hub/haven_hub/**/*.py"), *root.glob("egress/haven_egress/**/*.py"),
               *root.glob("cli/haven_cli/**/*.py"), root / "images" / "build.py", root / "jupyterhub_config.py",
               *root.glob("bench/**/*.py")]
    offenders = [str(path.relative_to(root)) for path in sources
                 if path != root / "hub/haven_hub/settings/location.py"
                 and ("haven.demo.yaml" in path.read_text() or "/etc/haven/haven.yaml" in path.read_text())]
    assert offenders == []
