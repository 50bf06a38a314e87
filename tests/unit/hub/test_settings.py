"""The settings file: one schema, validated on every load, errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from haven_hub.settings import SettingsError, load_settings, parse_settings, settings_reference

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "config" / "haven.demo.yaml"


def valid() -> dict:
    return {
        "auth": {"accounts": [{"name": "ada"}, {"name": "grace"}]},
        "projects": [{"id": "demo", "title": "Demo", "members": ["ada", "grace"]}],
    }


def test_the_demo_settings_are_valid():
    settings = load_settings(DEMO)
    assert [p.id for p in settings.projects] == ["demo"]
    assert set(settings.projects[0].members) == {"ada", "grace"}


def test_defaults_fill_what_is_left_out():
    settings = parse_settings({})
    assert settings.hub.public_ip == "127.0.0.1"
    assert settings.spawner.image == "haven/notebook:latest"
    assert settings.projects == []


@pytest.mark.parametrize(
    "change, key",
    [
        (lambda s: s["hub"].update(pubilc_port=8000), "hub.pubilc_port: unknown setting"),
        (lambda s: s.update(spawnr={}), "spawnr: unknown setting"),
        (lambda s: s["projects"][0].update(id="Demo Project"), "projects.0.id"),
        (lambda s: s["projects"][0]["limits"].update(memory="lots"), "projects.0.limits.memory"),
        (lambda s: s["projects"][0]["limits"].update(cpu=0), "projects.0.limits.cpu"),
        (lambda s: s["projects"][0].update(members=["ada", "eve"]), "'eve' has no account"),
        (lambda s: s["projects"].append(dict(s["projects"][0])), "appears twice"),
        (lambda s: s["network"].update(bridge_prefix="haven-long-"), "network.bridge_prefix"),
        (lambda s: s["hub"].update(api_port=70000), "hub.api_port"),
        (lambda s: s["projects"][0].update(datasets=[{"name": "a"}, {"name": "a"}]), "granted once"),
        (lambda s: s["projects"][0].update(datasets=[{"name": "../etc"}]), "projects.0.datasets.0.name"),
        (lambda s: s["projects"][0].update(datasets=[{"name": "a", "version": "../1"}]), "projects.0.datasets.0.version"),
    ],
)
def test_a_bad_key_is_named_in_the_error(change, key):
    raw = valid()
    raw["hub"] = {}
    raw["network"] = {}
    raw["projects"][0]["limits"] = {}
    change(raw)
    with pytest.raises(SettingsError) as error:
        parse_settings(raw, "haven.yaml")
    assert key in str(error.value)
    assert str(error.value).startswith("haven.yaml is invalid")


def test_validated_on_every_load(tmp_path):
    path = tmp_path / "haven.yaml"
    path.write_text(yaml.safe_dump(valid()))
    assert load_settings(path).projects[0].id == "demo"
    path.write_text(yaml.safe_dump({**valid(), "unknown": 1}))
    with pytest.raises(SettingsError, match="unknown: unknown setting"):
        load_settings(path)


def test_unreadable_and_malformed_files_get_clear_errors(tmp_path):
    with pytest.raises(SettingsError, match="cannot read settings file"):
        load_settings(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("hub: [unclosed\n")
    with pytest.raises(SettingsError, match="not valid YAML"):
        load_settings(bad)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just a string\n")
    with pytest.raises(SettingsError, match="must be a mapping"):
        load_settings(scalar)


def test_relative_paths_are_under_the_data_dir():
    settings = parse_settings({"hub": {"data_dir": "/srv/haven"}})
    assert settings.data_path(settings.auth.credentials_dir) == Path("/srv/haven/secrets/accounts")
    assert settings.data_path(Path("/etc/x")) == Path("/etc/x")


def test_the_settings_reference_is_generated_from_the_schema():
    page = (REPO / "docs" / "settings.md").read_text()
    assert page == settings_reference(), "regenerate: python -m haven_hub.settings --docs > docs/settings.md"
    assert "| `projects[].limits.memory` |" in page


def test_two_listeners_on_one_port_are_refused_by_name():
    with pytest.raises(SettingsError, match="hub.proxy_api_port: port 8000 is already hub.public_port"):
        parse_settings({"hub": {"public_port": 8000, "proxy_api_port": 8000}})
    with pytest.raises(SettingsError, match="admin.port: port 9000 is already egress.port"):
        parse_settings({"egress": {"port": 9000}, "admin": {"port": 9000}})
