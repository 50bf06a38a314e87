"""Haven's built-in login: password + TOTP code for everyone, approval, lock-out, expiry, idle sessions.

Why not jupyterhub-nativeauthenticator (evaluated, 1.3.0): its two-factor is optional per
user and enrolled only at sign-up; its lock-out counter lives in the hub process's memory
(lost at restart, invisible to an admin command); it reaches into the hub's deprecated
shared ``Authenticator.db`` session and depends on the unmaintained ``onetimepass``. Haven
needs the opposite on each point, so this is a small authenticator over
:mod:`haven_hub.auth.store` instead.

Idle sessions: JupyterHub's ``cookie_max_age_days`` counts from login, not from the last
activity. Each browser session has a JupyterHub session id (the ``jupyterhub-session-id``
cookie, also stamped on the OAuth tokens its JupyterLab tabs use). ``refresh_user``, which
the hub calls on every authenticated request (see ``auth_refresh_age`` below), records
when each session was last seen; a session unseen for ``session_idle_seconds`` is ended:
its hub cookie is cleared, its tokens are deleted, and the person logs in again.
Sessions live in the hub process's memory: after a restart of the hub everyone logs in again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from jupyterhub import orm
from jupyterhub.auth import Authenticator
from jupyterhub.handlers.base import SESSION_COOKIE_NAME
from jupyterhub.handlers.login import LoginHandler
from tornado.httputil import url_concat
from traitlets import Any as AnyTrait
from traitlets import Bool, Float, Integer, Unicode, default

from .events import on_login, on_terms_accepted
from .store import BAD_CREDENTIALS, AccountStore, LoginOutcome, utcnow


PASSWORD_PAGE = "haven-accounts/password"
SIGNUP_PAGE = "haven-accounts/signup"


TERMS_REFUSAL = ("To log in, tick the box accepting the terms of use below (read them again if they "
                 "changed since you opened this page).")


class HavenLoginHandler(LoginHandler):
    """JupyterHub's login form, showing why a login was refused when that is safe to say (only
    after the password and code were right: an unknown name, a locked account and a wrong
    password or code all get the same page and status), and sending a first login with a
    handed-over password to the password page."""

    haven_refusal: str | None = None
    haven_password_change = False

    def _render(self, login_error=None, username=None, **kwargs):
        return super()._render(login_error=self.haven_refusal or login_error, username=username, **kwargs)

    async def post(self):
        data = {arg: self.get_argument(arg, strip=arg == "username")
                for arg in self.request.body_arguments if arg != "_xsrf"}
        terms = getattr(self.authenticator, "terms_version", "")
        if terms and data.get("accept_terms") != terms:
            # Refused before the password and code are checked: no code is spent, no failure counted.
            self.haven_refusal = TERMS_REFUSAL
            self.set_status(400)
            self.finish(await self._render(username=data.get("username", "")[:32]))
            return
        user = await self.login_user(data)
        if user and terms:
            on_terms_accepted(user.name, terms, self.request.remote_ip)
        if user:
            self._jupyterhub_user = user
            self.redirect(self.get_next_url(user))
        elif self.haven_password_change:
            self.redirect(url_concat(f"{self.hub.base_url}{PASSWORD_PAGE}",
                                     {"username": data.get("username", ""), "first": "1"}))
        else:
            self.set_status(403)
            self.finish(await self._render(login_error=BAD_CREDENTIALS,
                                           username=data.get("username", "")[:32]))


class HavenAuthenticator(Authenticator):
    store_url = Unicode(help="SQLAlchemy URL of the accounts store (haven_hub.auth.store).").tag(config=True)
    max_failed_logins = Integer(5, help="Failed logins in a row that lock an account.").tag(config=True)
    lockout_seconds = Float(900, help="How long a locked account stays locked.").tag(config=True)
    default_approval_days = Integer(365, help="Approved-until of a new account, in days.").tag(config=True)
    session_idle_seconds = Float(1800, help="A browser session unseen this long must log in again.").tag(config=True)
    allow_signup = Bool(False, help="Whether people may ask for an account (approved by an admin).").tag(config=True)
    terms_text = Unicode("", help="Terms of use shown at login; empty: none to accept.").tag(config=True)
    terms_version = Unicode("", help="The version the login form's box accepts (haven_hub.auth.terms).").tag(config=True)
    clock = AnyTrait(help="Callable returning the current aware datetime; tests inject their own.").tag(config=True)
    accreditation_check = AnyTrait(None, allow_none=True, help=(
        "Callable(username) -> why the person may not log in for want of an accreditation, or None "
        "(haven_hub.governance.accreditation.login_check); None: no accreditation is needed to log in.")).tag(config=True)

    # JupyterHub re-checks a user at most once per auth_refresh_age, per user, not per session:
    # a second session of the same user would slip through that window unchecked. Sessions and
    # approval are checked on every request instead (a dictionary lookup and one indexed query).
    auth_refresh_age = Float(0.001, help="Seconds between checks of a user's session and account.").tag(config=True)

    # Every login asks for the code: JupyterHub's login form shows the field.
    request_otp = True
    otp_prompt = Unicode("Code from your authenticator app:").tag(config=True)

    @default("clock")
    def _default_clock(self):
        return utcnow

    @default("auth_refresh_strict")
    def _strict(self) -> bool:
        # A refused account's API tokens stop working too, not only its browser session.
        return True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._store: AccountStore | None = None
        self._session_last_seen: dict[str, Any] = {}

    @property
    def store(self) -> AccountStore:
        if self._store is None:
            self._store = AccountStore(
                self.store_url,
                clock=self.clock,
                max_failed_logins=self.max_failed_logins,
                lockout=timedelta(seconds=self.lockout_seconds),
                default_approval=timedelta(days=self.default_approval_days),
            )
        return self._store

    # -- login ------------------------------------------------------------------------

    async def authenticate(self, handler, data):
        username = self.normalize_username(data.get("username", ""))
        outcome = self.store.check_login(username, data.get("password", ""), data.get("otp", ""))
        if outcome.ok and self.accreditation_check is not None:
            # Only after the password and code were right, so it may say why (BAD_CREDENTIALS otherwise).
            missing = self.accreditation_check(username)
            if missing is not None:
                outcome = LoginOutcome(False, "accreditation", missing)
        on_login(username, outcome.ok, outcome.reason, getattr(handler.request, "remote_ip", "") if handler else "")
        if not outcome.ok:
            if isinstance(handler, HavenLoginHandler):
                handler.haven_refusal = outcome.message
                handler.haven_password_change = outcome.reason == "password-change"
            return None
        if handler is not None:
            # The session id JupyterHub's login cookie will carry (made now if the browser has none).
            session_id = handler.get_session_cookie() or handler.set_session_cookie()
            self._forget_idle_sessions()
            self._session_last_seen[session_id] = self.clock()
        return {"name": username, "admin": self.store.get(username).admin}

    def check_allowed(self, username, authentication=None):
        # authenticate() returned a name only for an approved, enabled, unexpired account.
        return authentication is not None or self.store.exists(username)

    # -- after login ------------------------------------------------------------------

    async def refresh_user(self, user, handler=None):
        if self.store.refusal(user.name) is not None:
            return False
        if self.accreditation_check is not None and self.accreditation_check(user.name) is not None:
            return False  # expired during the session: the next login says why
        if handler is None:
            return True
        session_id = self._session_of(handler)
        if session_id is None:
            return True
        now = self.clock()
        last_seen = self._session_last_seen.get(session_id)
        # A session this process never saw log in (the hub restarted) logs in again too.
        if last_seen is None or (now - last_seen).total_seconds() > self.session_idle_seconds:
            self._end_session(handler, user, session_id)
            return False
        self._session_last_seen[session_id] = now
        return True

    def _forget_idle_sessions(self) -> None:
        """Drops sessions past the idle limit (logged out or abandoned), so the map stays small."""
        now = self.clock()
        self._session_last_seen = {
            session: seen for session, seen in self._session_last_seen.items()
            if (now - seen).total_seconds() <= self.session_idle_seconds
        }

    def _session_of(self, handler) -> str | None:
        if getattr(handler, "_token_authenticated", False):
            token = handler.get_token()
            return getattr(token, "session_id", None) if token is not None else None
        return handler.get_session_cookie()

    def _end_session(self, handler, user, session_id: str) -> None:
        self._session_last_seen.pop(session_id, None)
        self.log.info("Session of %s idle for more than %.0fs (or unknown): ended", user.name, self.session_idle_seconds)
        db = handler.db
        for token in db.query(orm.APIToken).filter_by(user_id=user.id, session_id=session_id):
            db.delete(token)
        db.commit()
        if not getattr(handler, "_token_authenticated", False):
            handler.clear_cookie(handler.hub.cookie_name, path=handler.hub.base_url)
            handler.clear_cookie(SESSION_COOKIE_NAME, path=handler.base_url)

    def get_handlers(self, app):
        from .api import handlers  # jupyterhub's API base class imports the app lazily
        from .pages import PasswordHandler, SignupHandler

        pages = [(r"/login", HavenLoginHandler), (f"/{PASSWORD_PAGE}", PasswordHandler)]
        if self.allow_signup:
            pages.append((f"/{SIGNUP_PAGE}", SignupHandler))
        return [*pages, *handlers()]


def account_refusal(spawner) -> str | None:
    """Why the spawner's user may not start a server (disabled, not approved, approval ended)."""
    authenticator = getattr(spawner, "authenticator", None)
    if not isinstance(authenticator, HavenAuthenticator):
        return None  # OIDC: the identity provider decides who is current
    return authenticator.store.refusal(spawner.user.name)
