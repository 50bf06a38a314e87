"""Maps the ``auth`` settings onto JupyterHub's traitlets config (only sets values on ``c``).

``builtin`` uses :class:`haven_hub.auth.authenticator.HavenAuthenticator`; ``oidc`` uses
oauthenticator's GenericOAuthenticator, where the identity provider owns passwords, 2FA
and expiry, and Haven only lets in names that have an account in the settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from traitlets.config import Config

from .. import roles
from ..settings import Settings, SettingsError
from .store import AccountStore

AUTHENTICATOR = "haven_hub.auth.authenticator.HavenAuthenticator"
OIDC_AUTHENTICATOR = "oauthenticator.generic.GenericOAuthenticator"


def accounts_url(settings: Settings) -> str:
    return settings.auth.database_url or f"sqlite:///{settings.hub.data_dir / 'accounts.sqlite'}"


def open_store(settings: Settings, **kwargs: Any) -> AccountStore:
    auth = settings.auth
    return AccountStore(
        accounts_url(settings),
        max_failed_logins=auth.max_failed_logins,
        lockout=timedelta(minutes=auth.lockout_minutes),
        default_approval=timedelta(days=auth.default_approval_days),
        **kwargs,
    )


def configure_builtin(c: Config, settings: Settings) -> None:
    auth = settings.auth
    c.JupyterHub.authenticator_class = AUTHENTICATOR
    c.HavenAuthenticator.store_url = accounts_url(settings)
    c.HavenAuthenticator.max_failed_logins = auth.max_failed_logins
    c.HavenAuthenticator.lockout_seconds = auth.lockout_minutes * 60
    c.HavenAuthenticator.default_approval_days = auth.default_approval_days
    c.HavenAuthenticator.session_idle_seconds = auth.session_idle_minutes * 60
    c.HavenAuthenticator.allow_signup = auth.signup
    from .terms import load_terms

    terms = load_terms(settings)
    c.HavenAuthenticator.terms_text = terms.text
    c.HavenAuthenticator.terms_version = terms.version


def configure_oidc(c: Config, settings: Settings, client_secret: str) -> None:
    """No real identity provider is reachable here; tests check this mapping, not a login."""
    oidc = settings.auth.oidc
    c.JupyterHub.authenticator_class = OIDC_AUTHENTICATOR
    c.GenericOAuthenticator.authorize_url = oidc.authorize_url
    c.GenericOAuthenticator.token_url = oidc.token_url
    c.GenericOAuthenticator.userdata_url = oidc.userdata_url
    c.GenericOAuthenticator.client_id = oidc.client_id
    c.GenericOAuthenticator.client_secret = client_secret
    c.GenericOAuthenticator.oauth_callback_url = oidc.callback_url
    c.GenericOAuthenticator.username_claim = oidc.username_claim
    c.GenericOAuthenticator.scope = list(oidc.scopes)
    c.GenericOAuthenticator.login_service = oidc.login_service
    # Only the named accounts of the settings, never anyone the provider knows.
    c.GenericOAuthenticator.allowed_users = {a.name for a in settings.auth.accounts}
    c.GenericOAuthenticator.admin_users = roles.admin_users(settings.auth.accounts)


def configure_sessions(c: Config, settings: Settings) -> None:
    c.JupyterHub.cookie_max_age_days = settings.auth.session_max_hours / 24
    # JupyterLab tabs' tokens end with the session's upper bound too.
    c.JupyterHub.oauth_token_expires_in = int(settings.auth.session_max_hours * 3600)


def stored_accounts(settings: Settings) -> Iterable[Any]:
    """Accounts made with ``haven account`` (for roles at start-up); none under OIDC."""
    if settings.auth.kind != "builtin":
        return []
    try:
        return open_store(settings).list()
    except Exception as exc:  # a broken store must name itself, not fail deep in the hub
        raise SettingsError(f"cannot open the accounts store {accounts_url(settings)}: {exc}") from None
