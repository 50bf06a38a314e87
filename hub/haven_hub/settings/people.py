"""Who may log in, and how: accounts, the built-in login, the OIDC switch."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ..roles import ANALYST, OUTPUT_CHECKER
from .common import USERNAME, _Section


class Account(_Section):
    name: Annotated[str, Field(pattern=USERNAME)] = Field(description="Login name.")
    admin: bool = Field(False, description="Whether the account administers Haven.")
    roles: list[Literal[ANALYST, OUTPUT_CHECKER]] = Field(
        default_factory=lambda: [ANALYST],
        description=(
            "Haven roles of the account: `analyst` (works in projects, submits outputs) and/or "
            "`output-checker` (reviews the egress queue). Admins also get the `haven-admin` role. "
            "Roles and their scopes are defined in `hub/haven_hub/roles.py`."
        ),
    )

    @field_validator("roles")
    @classmethod
    def _roles_once_each(cls, roles: list[str]) -> list[str]:
        if len(set(roles)) != len(roles):
            raise ValueError("each role may appear once")
        return roles


HTTPS_URL = r"^https://\S+$"


class Oidc(_Section):
    authorize_url: str = Field("", description="The identity provider's authorization endpoint (`https://`).")
    token_url: str = Field("", description="The identity provider's token endpoint (`https://`).")
    userdata_url: str = Field("", description="The identity provider's userinfo endpoint (`https://`).")
    client_id: str = Field("", description="OAuth client id Haven is registered under at the provider.")
    client_secret_file: Path = Field(
        Path("secrets/oidc-client-secret"), description="File holding the OAuth client secret."
    )
    callback_url: str = Field(
        "", description="Haven's public callback URL, ending in `/hub/oauth_callback`."
    )
    username_claim: str = Field(
        "preferred_username", min_length=1, description="Claim of the userinfo that becomes the Haven username."
    )
    scopes: list[str] = Field(
        default_factory=lambda: ["openid", "profile", "email"], description="OAuth scopes requested."
    )
    login_service: str = Field("your organisation", description="Shown on the button: Sign in with ...")

    @field_validator("authorize_url", "token_url", "userdata_url")
    @classmethod
    def _https(cls, url: str) -> str:
        if url and not re.match(HTTPS_URL, url):
            raise ValueError(f"{url!r} is not an https:// URL")
        return url

    @field_validator("callback_url")
    @classmethod
    def _callback(cls, url: str) -> str:
        if url and not re.match(r"^https?://\S+/hub/oauth_callback$", url):
            raise ValueError(f"{url!r} must be Haven's address ending in /hub/oauth_callback")
        return url


class Terms(_Section):
    text: str = Field("", description="The terms of use, as plain text (paragraphs separated by blank lines).")
    file: Path | None = Field(
        None, description="Or a UTF-8 text file holding them (relative paths are under `hub.data_dir`).")

    @model_validator(mode="after")
    def _one_source(self) -> Terms:
        if self.text.strip() and self.file is not None:
            raise ValueError("auth.terms takes text or file, not both")
        return self


class Auth(_Section):
    kind: Literal["builtin", "oidc"] = Field(
        "builtin",
        description=(
            "How people log in. `builtin`: Haven's own accounts (`haven account`), each with a hashed "
            "password and a TOTP second factor required for everyone, admin approval, lock-out and "
            "an approved-until date. `oidc`: an OpenID Connect provider (oauthenticator's "
            "GenericOAuthenticator) configured under `auth.oidc`; the provider enforces 2FA."
        ),
    )
    database_url: str = Field(
        "",
        description=(
            "SQLAlchemy URL of the built-in accounts store (hashed passwords, TOTP secrets, approval, "
            "lock-out). Empty: SQLite at `accounts.sqlite` in `hub.data_dir`."
        ),
    )
    max_failed_logins: int = Field(
        5, ge=1, le=100, description="Failed logins in a row (wrong password or code) that lock an account."
    )
    lockout_minutes: float = Field(
        15, gt=0, description="How long a locked account stays locked (an admin may unlock it earlier)."
    )
    default_approval_days: int = Field(
        365,
        ge=1,
        description="Approved-until date of a new account, in days from its creation, unless given.",
    )
    session_idle_minutes: float = Field(
        30,
        gt=0,
        description=(
            "A browser session with no activity (hub pages, or JupyterLab requests the hub sees) for "
            "this long must log in again, and the session's JupyterLab tokens are revoked."
        ),
    )
    session_max_hours: float = Field(
        12, gt=0, description="A browser session ends this long after its login, active or not."
    )
    signup: bool = Field(
        False,
        description=(
            "Whether people may ask for an account at `/hub/haven-accounts/signup` (they choose a "
            "password and enrol TOTP there); such accounts log in only after `haven account approve`."
        ),
    )
    credentials_dir: Path = Field(
        Path("secrets/accounts"),
        description=(
            "Where `scripts/up` writes the demo accounts' initial passwords and TOTP secrets "
            "(one file per account, readable by root only)."
        ),
    )
    terms: Terms = Field(
        default_factory=Terms,
        description=(
            "Terms of use shown on the built-in login page. When set, the box accepting them must be "
            "ticked to log in, and each account's first login under each version (a hash of the text) "
            "is recorded in the audit log as `account.terms-accept`."
        ),
    )
    oidc: Oidc = Field(default_factory=Oidc, description="OpenID Connect provider, used when `kind` is `oidc`.")
    accounts: list[Account] = Field(default_factory=list, description="Accounts allowed to log in.")

    @model_validator(mode="after")
    def _oidc_complete(self) -> Auth:
        if self.kind == "oidc":
            missing = [
                key for key in ("authorize_url", "token_url", "userdata_url", "client_id", "callback_url")
                if not getattr(self.oidc, key)
            ]
            if missing:
                raise ValueError(f"auth.kind is oidc but auth.oidc lacks {', '.join(missing)}")
        return self


