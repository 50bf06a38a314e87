"""Settings mapped onto JupyterHub's config, checked on a plain traitlets Config."""

from __future__ import annotations

import pytest
from traitlets.config import Config

from haven_hub import config
from haven_hub.bootstrap import ensure_secrets
from haven_hub.settings import SettingsError, parse_settings


def _write(settings) -> str:
    import yaml

    path = settings.hub.data_dir / "haven.yaml"
    path.write_text(yaml.safe_dump(settings.model_dump(mode="json")))
    return str(path)


@pytest.fixture
def settings(tmp_path):
    settings = parse_settings(
        {
            "hub": {"data_dir": str(tmp_path), "public_port": 9000, "api_port": 9081},
            "auth": {"accounts": [{"name": "ada"}, {"name": "boss", "admin": True}]},
            "projects": [{"id": "demo", "title": "Demo", "members": ["ada"], "limits": {"cpu": 2, "memory": "3G"}}],
        }
    )
    ensure_secrets(settings)
    return settings


def test_hub_listens_where_the_settings_say(settings):
    c = config.hub_config(settings)
    assert c.JupyterHub.bind_url == "http://127.0.0.1:9000/"
    assert c.JupyterHub.hub_bind_url == "http://0.0.0.0:9081"
    assert c.JupyterHub.allow_named_servers is True
    assert config.services(settings, "haven.yaml")[0]["name"] == config.OPERATOR_SERVICE
    role = config.load_roles(settings, [])[0]
    assert role["services"] == [config.OPERATOR_SERVICE]
    # The operator administers users and servers but cannot reach into them.
    assert "access:servers" not in role["scopes"] and "tokens" not in role["scopes"]


def test_projects_are_not_loaded_by_config_so_restarts_keep_changes(settings):
    c = Config()
    config.configure(c, settings_path=_write(settings))
    # Seeded through the REST API by bootstrap (only when absent), never by load_groups,
    # which would overwrite a suspended or edited project at every start.
    assert "load_groups" not in c.JupyterHub


def test_built_in_login_maps_the_auth_settings(settings):
    c = config.auth_config(settings)
    assert c.JupyterHub.authenticator_class == "haven_hub.auth.authenticator.HavenAuthenticator"
    assert c.HavenAuthenticator.store_url == f"sqlite:///{settings.hub.data_dir / 'accounts.sqlite'}"
    assert c.HavenAuthenticator.session_idle_seconds == 30 * 60
    assert c.HavenAuthenticator.max_failed_logins == 5
    assert c.Authenticator.admin_users == {"boss"}
    # Absolute upper bound of a session; idleness is the authenticator's.
    assert c.JupyterHub.cookie_max_age_days == 0.5


def test_spawner_never_pulls_and_removes_containers(settings):
    c = config.spawner_config(settings)
    assert c.JupyterHub.spawner_class == "haven_hub.spawner.HavenSpawner"
    assert c.HavenSpawner.pull_policy == "never"
    assert c.HavenSpawner.remove is True


def test_a_missing_secret_is_a_clear_error(settings):
    settings.data_path(settings.hub.operator_token_file).unlink()
    with pytest.raises(SettingsError, match="cannot read operator token"):
        config.operator_service(settings)


def test_secrets_are_made_once_and_private(settings):
    path = settings.data_path(settings.hub.operator_token_file)
    before = path.read_text()
    ensure_secrets(settings)
    assert path.read_text() == before
    assert path.stat().st_mode & 0o077 == 0


def _comparable(value):
    """A config value with its functions named instead of compared by identity (each build
    makes new closures)."""
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_comparable(item) for item in value]
    if callable(value):
        return getattr(value, "__qualname__", repr(value))
    return value


def _parts(settings, path):
    return [config.hub_config(settings), config.auth_config(settings), config.spawner_config(settings),
            config.services_config(settings, path), config.audit_config(settings),
            config.browser_meter_config(settings), config.operations_config(settings)]


def test_each_part_is_the_same_for_the_same_settings_and_their_order_does_not_matter(settings):
    path = _write(settings)
    assert _comparable(_parts(settings, path)) == _comparable(_parts(settings, path))
    parts = _parts(settings, path)
    before = _comparable(parts)
    whole = _comparable(config.merged(parts))
    assert _comparable(parts) == before  # merging changes no part
    for order in ([6, 5, 4, 3, 2, 1, 0], [3, 0, 6, 5, 1, 4, 2], [2, 5, 0, 6, 4, 1, 3]):
        assert _comparable(config.merged([parts[i] for i in order])) == whole
    assert whole == _comparable(config.configuration(settings, path))
    c = Config()
    config.configure(c, path)
    assert _comparable(c) == whole


def test_two_parts_setting_one_trait_is_refused(settings):
    with pytest.raises(ValueError, match="JupyterHub.allow_named_servers is set by two parts"):
        config.merged([config.hub_config(settings), config.hub_config(settings)])


def test_roles_follow_the_services_the_hub_runs(settings):
    path = _write(settings)
    names = lambda c: {entry["name"] for entry in c.JupyterHub.load_roles}  # noqa: E731
    with_culler = config.services_config(settings, path)
    assert {config.OPERATOR_SERVICE, "idle-culler", "egress"} <= {s["name"] for s in with_culler.JupyterHub.services}
    assert "idle-culler" in names(with_culler)
    off = settings.model_copy(update={"idle_culler": settings.idle_culler.model_copy(update={"timeout_minutes": 0})})
    without = config.services_config(off, path)
    assert "idle-culler" not in {s["name"] for s in without.JupyterHub.services} | names(without)
