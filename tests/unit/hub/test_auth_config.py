"""The ``auth`` settings mapped onto JupyterHub's config (plain traitlets Config).

No identity provider is reachable from here, so the OIDC tests check the mapping onto
GenericOAuthenticator and the validation of its settings, not a login through a provider.
"""

from __future__ import annotations

import json

import pytest
from traitlets.config import Config

from haven_hub import config
from haven_hub.auth import configure as auth_config
from haven_hub.bootstrap import credentials_path, ensure_accounts, ensure_secrets
from haven_hub.settings import SettingsError, parse_settings

OIDC = {
    "authorize_url": "https://idp.example.org/auth",
    "token_url": "https://idp.example.org/token",
    "userdata_url": "https://idp.example.org/userinfo",
    "client_id": "haven",
    "callback_url": "https://haven.example.org/hub/oauth_callback",
    "login_service": "Example University",
}


def _settings(tmp_path, **auth):
    return parse_settings({
        "hub": {"data_dir": str(tmp_path)},
        "auth": {"accounts": [{"name": "ada"}, {"name": "boss", "admin": True},
                              {"name": "chk", "roles": ["output-checker"]}], **auth},
    })


def test_oidc_maps_onto_generic_oauthenticator(tmp_path):
    settings = _settings(tmp_path, kind="oidc", oidc=OIDC)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "oidc-client-secret").write_text("s3cret\n")
    c = config.auth_config(settings)
    oauth = c.GenericOAuthenticator
    assert c.JupyterHub.authenticator_class == "oauthenticator.generic.GenericOAuthenticator"
    assert (oauth.authorize_url, oauth.token_url, oauth.userdata_url) == (
        OIDC["authorize_url"], OIDC["token_url"], OIDC["userdata_url"])
    assert (oauth.client_id, oauth.client_secret) == ("haven", "s3cret")
    assert oauth.oauth_callback_url == OIDC["callback_url"]
    assert oauth.username_claim == "preferred_username"
    assert oauth.scope == ["openid", "profile", "email"]
    assert oauth.login_service == "Example University"
    # Only named accounts, whoever else the provider knows.
    assert oauth.allowed_users == {"ada", "boss", "chk"}
    assert c.Authenticator.admin_users == {"boss"}
    assert "HavenAuthenticator" not in c


def test_the_oidc_class_named_in_the_config_exists():
    from oauthenticator.generic import GenericOAuthenticator

    module, _, name = auth_config.OIDC_AUTHENTICATOR.rpartition(".")
    assert f"{GenericOAuthenticator.__module__}.{GenericOAuthenticator.__name__}" == f"{module}.{name}"
    # Every trait the mapping sets is one the class declares (a typo would be ignored by traitlets).
    c = Config()
    settings = _settings_for_traits()
    auth_config.configure_oidc(c, settings, "x")
    assert set(c.GenericOAuthenticator) <= set(GenericOAuthenticator.class_trait_names(config=True))


def _settings_for_traits():
    return parse_settings({"auth": {"kind": "oidc", "oidc": OIDC}})


def test_oidc_without_its_endpoints_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="auth.oidc lacks authorize_url, token_url"):
        _settings(tmp_path, kind="oidc", oidc={"client_id": "haven"})
    with pytest.raises(SettingsError, match="auth.oidc.token_url"):
        _settings(tmp_path, kind="oidc", oidc={**OIDC, "token_url": "http://idp.example.org/token"})


def test_oidc_without_its_client_secret_file_is_a_clear_error(tmp_path):
    settings = _settings(tmp_path, kind="oidc", oidc=OIDC)
    with pytest.raises(SettingsError, match="cannot read OIDC client secret"):
        config.auth_config(settings)


def test_an_unknown_login_kind_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="auth.kind"):
        _settings(tmp_path, kind="shared-password")


def test_bootstrap_creates_each_account_once_with_private_credentials(tmp_path):
    settings = _settings(tmp_path)
    ensure_secrets(settings)
    path = credentials_path(settings, "ada")
    first = json.loads(path.read_text())
    assert path.stat().st_mode & 0o077 == 0
    assert first["otpauth_uri"].startswith("otpauth://totp/Haven:ada?secret=")
    assert ensure_accounts(settings) == []  # a second run changes nothing
    assert json.loads(path.read_text()) == first
    store = auth_config.open_store(settings)
    assert {a.name: (a.roles, a.admin) for a in store.list()} == {
        "ada": (["analyst"], False), "boss": (["analyst"], True), "chk": (["output-checker"], False)}


def test_roles_follow_the_accounts_store_over_the_settings(tmp_path):
    settings = _settings(tmp_path)
    ensure_secrets(settings)
    store = auth_config.open_store(settings)
    store.create("newbie", roles=["output-checker"])  # made with `haven account create`
    store.update("ada", roles=["output-checker"])
    holders = {role["name"]: role.get("users") for role in config.load_roles(settings, [])}
    assert "newbie" in holders["output-checker"] and "ada" in holders["output-checker"]
    assert "ada" not in holders["analyst"]


def test_sign_up_is_off_unless_the_settings_turn_it_on(tmp_path):
    from haven_hub.auth.authenticator import SIGNUP_PAGE, HavenAuthenticator

    c = config.auth_config(_settings(tmp_path))
    assert c.HavenAuthenticator.allow_signup is False
    routes = lambda **kw: [route for route, _ in HavenAuthenticator(store_url="sqlite://", **kw).get_handlers(None)]  # noqa: E731
    assert f"/{SIGNUP_PAGE}" not in routes()
    assert f"/{SIGNUP_PAGE}" in routes(allow_signup=True)
    c = config.auth_config(_settings(tmp_path, signup=True))
    assert c.HavenAuthenticator.allow_signup is True
