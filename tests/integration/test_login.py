"""Safe people against a real hub: the login form with TOTP (each code once), lock-out, approval,
approved-until, idle sessions, disabled accounts' tokens, and ``haven account`` over the hub's API."""

from __future__ import annotations

import difflib
import json
import re
import time
from datetime import timedelta

import pytest
import requests

from haven_hub.accounts import cli as account_cli
from haven_hub.audit.log import EventFilter, HubAuditLog
from haven_hub.projects import today_utc
from haven_hub.auth import totp
from haven_hub import bootstrap
from haven_hub.auth.store import BAD_CREDENTIALS
from tests.fixtures.hub import REPO
from tests.fixtures.login import credentials, latest_code, login, submit_login, unused_code
from tests.fixtures.login_hub import IDLE_MINUTES, LOCKOUT_MINUTES, MAX_FAILED_LOGINS, login_hub  # noqa: F401

pytestmark = pytest.mark.docker


def haven_account(hub, *args: str, capsys=None) -> tuple[int, str, str]:
    code = account_cli.main([*args, "--settings", str(hub.settings_path)])
    out, err = capsys.readouterr() if capsys is not None else ("", "")
    return code, out, err


def account_json(hub, capsys, *args: str) -> dict:
    code, out, err = haven_account(hub, *args, "--json", capsys=capsys)
    assert code == 0, err
    return json.loads(out)


def _page(response: requests.Response) -> str:
    return response.text.replace("&#39;", "'")


def test_password_and_current_code_log_in_through_the_form(login_hub):
    session = requests.Session()
    response = login(session, login_hub.url, login_hub.settings, "ada")
    assert response.status_code == 302 and response.headers["Location"].endswith("/hub/home")
    home = session.get(f"{login_hub.url}/hub/home", timeout=30)
    assert home.status_code == 200 and "ada" in home.text
    # The form asks every user for the code.
    form = requests.get(f"{login_hub.url}/hub/login", timeout=30).text
    assert 'name="otp"' in form


@pytest.mark.parametrize("what", ["code", "password", "missing code"])
def test_a_wrong_code_or_password_is_refused(login_hub, what):
    secret = credentials(login_hub.settings, "dave")
    password = "not-the-password" if what == "password" else secret["password"]
    code = {"code": "000000", "password": totp.code_at(secret["totp_secret"]), "missing code": ""}[what]
    session = requests.Session()
    response = submit_login(session, login_hub.url, "dave", password, code)
    assert response.status_code == 403
    assert BAD_CREDENTIALS in _page(response)
    assert session.get(f"{login_hub.url}/hub/home", timeout=30, allow_redirects=False).status_code == 302
    # Not locked by one failure per test (the counter resets at the next success).
    assert login(requests.Session(), login_hub.url, login_hub.settings, "dave").status_code == 302


def test_repeated_failures_lock_the_account_for_a_while(login_hub, capsys):
    secret = credentials(login_hub.settings, "carol")
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert submit_login(requests.Session(), login_hub.url, "carol", secret["password"], "000000").status_code == 403
    locking = submit_login(requests.Session(), login_hub.url, "carol", secret["password"], "000000")
    # The form does not say the account is locked (that would say it exists); the admin sees it.
    assert locking.status_code == 403 and BAD_CREDENTIALS in _page(locking)
    # The right password and code are refused while the lock holds...
    refused = login(requests.Session(), login_hub.url, login_hub.settings, "carol")
    assert refused.status_code == 403 and BAD_CREDENTIALS in _page(refused)
    listed = {a["name"]: a for a in account_json(login_hub, capsys, "list")}
    assert listed["carol"]["locked"] is True
    # ...and accepted once it has passed.
    time.sleep(LOCKOUT_MINUTES * 60 + 1)
    assert login(requests.Session(), login_hub.url, login_hub.settings, "carol").status_code == 302


def test_an_account_past_its_approved_until_date_is_refused_at_login_and_spawn(login_hub, capsys):
    session = login_hub.login("bob")
    token = login_hub.user_token("bob")
    yesterday = (today_utc() - timedelta(days=1)).isoformat()
    changed = account_json(login_hub, capsys, "set-approved-until", "bob", yesterday)
    assert changed["approved_until"] == yesterday
    try:
        refused = login(requests.Session(), login_hub.url, login_hub.settings, "bob")
        assert refused.status_code == 403
        assert f"Your approval to use Haven ended on {yesterday}" in _page(refused)
        # The old browser session and API token no longer work...
        assert session.get(f"{login_hub.url}/hub/home", timeout=30, allow_redirects=False).status_code == 302
        assert login_hub.api("GET", "/user", token=token).status_code == 403
        # ...and a server cannot be started for the account, even by an administrator.
        spawn = login_hub.api("POST", "/users/bob/servers/beta")
        assert spawn.status_code >= 400
        assert f"ended on {yesterday}" in spawn.text
    finally:
        account_json(login_hub, capsys, "set-approved-until", "bob", (today_utc() + timedelta(days=30)).isoformat())
    assert login(requests.Session(), login_hub.url, login_hub.settings, "bob").status_code == 302


def test_a_pending_account_logs_in_only_after_approval(login_hub, capsys):
    created = account_json(login_hub, capsys, "create", "newbie", "--pending")
    assert created["approved"] is False
    code = lambda: unused_code(created["totp_secret"])  # noqa: E731
    refused = submit_login(requests.Session(), login_hub.url, "newbie", created["password"], code())
    assert refused.status_code == 403 and "waiting for an administrator's approval" in _page(refused)
    assert account_json(login_hub, capsys, "approve", "newbie")["approved"] is True
    # The handed-over password leads only to the page where its holder chooses their own.
    session = requests.Session()
    first = submit_login(session, login_hub.url, "newbie", created["password"], code())
    assert first.status_code == 302
    assert first.headers["Location"].endswith("/hub/haven-accounts/password?username=newbie&first=1")
    assert session.get(f"{login_hub.url}/hub/home", timeout=30, allow_redirects=False).status_code == 302
    page = session.get(login_hub.url + first.headers["Location"], timeout=30)
    assert "for your first login only" in page.text
    changed = change_password(session, login_hub.url, "newbie", created["password"], code(), "my own long phrase")
    assert changed.status_code == 200 and 'id="haven-password-done"' in changed.text
    assert submit_login(requests.Session(), login_hub.url, "newbie", created["password"], code()).status_code == 403
    session = requests.Session()
    assert submit_login(session, login_hub.url, "newbie", "my own long phrase", code()).status_code == 302
    assert session.get(f"{login_hub.url}/hub/home", timeout=30).status_code == 200
    listed = {a["name"]: a for a in account_json(login_hub, capsys, "list")}
    assert listed["newbie"]["totp_enrolled"] is True and listed["newbie"]["must_change_password"] is False


def change_password(session, hub_url, username, password, code, new, again=None) -> requests.Response:
    form = session.get(f"{hub_url}/hub/haven-accounts/password", timeout=30).text
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form).group(1)
    return session.post(f"{hub_url}/hub/haven-accounts/password", timeout=30, data={
        "username": username, "password": password, "otp": code, "new_password": new,
        "new_password_again": new if again is None else again, "_xsrf": xsrf})


@pytest.mark.parametrize("problem", ["wrong code", "mismatch", "short"])
def test_the_password_page_refuses_clearly_and_changes_nothing(login_hub, capsys, problem):
    name = f"pw-{problem.split()[0]}"
    created = account_json(login_hub, capsys, "create", name)
    code = totp.code_at(created["totp_secret"])
    args = {"wrong code": ("000000", "my own long phrase", None), "mismatch": (code, "my own long phrase", "other"),
            "short": (code, "short", None)}[problem]
    answer = change_password(requests.Session(), login_hub.url, name, created["password"], *args)
    expected = {"wrong code": (403, BAD_CREDENTIALS), "mismatch": (400, "The two new passwords differ."),
                "short": (400, "at least 12 characters")}[problem]
    assert (answer.status_code, expected[1] in _page(answer)) == (expected[0], True)
    assert account_json(login_hub, capsys, "show", name)["must_change_password"] is True


def _session_tokens(hub, username: str, session_id: str) -> list[str]:
    # The user's own API token (it belongs to no browser session, so idleness does not end it).
    answer = hub.api("GET", f"/users/{username}/tokens", token=hub.user_token(username))
    assert answer.status_code == 200, answer.text
    tokens = answer.json()["api_tokens"]
    return [t["id"] for t in tokens if t.get("session_id") == session_id]


def test_an_idle_session_must_log_in_again(login_hub):
    busy, idle = login_hub.login("grace"), login_hub.login("grace")
    # The idle browser also opened the review queue: the service holds an OAuth token of that session.
    assert idle.get(f"{login_hub.url}/services/egress/", timeout=30).status_code == 200
    idle_session = idle.cookies.get("jupyterhub-session-id")
    assert _session_tokens(login_hub, "grace", idle_session)
    deadline = time.monotonic() + IDLE_MINUTES * 60 + 3
    while time.monotonic() < deadline:  # one session keeps working, the other sits
        assert busy.get(f"{login_hub.url}/hub/home", timeout=30, allow_redirects=False).status_code == 200
        time.sleep(1)
    assert busy.get(f"{login_hub.url}/hub/home", timeout=30, allow_redirects=False).status_code == 200
    expired = idle.get(f"{login_hub.url}/hub/home", timeout=30, allow_redirects=False)
    assert expired.status_code == 302 and "/hub/login" in expired.headers["Location"]
    assert _session_tokens(login_hub, "grace", idle_session) == []  # the service's token is revoked
    # Logging in again works, in the same browser.
    assert login(idle, login_hub.url, login_hub.settings, "grace").status_code == 302
    assert idle.get(f"{login_hub.url}/hub/home", timeout=30, allow_redirects=False).status_code == 200


def test_disabling_an_account_ends_its_sessions_and_tokens_at_once(login_hub, capsys):
    session = login_hub.login("alan")
    token = login_hub.user_token("alan")
    assert login_hub.api("GET", "/user", token=token).status_code == 200
    assert account_json(login_hub, capsys, "disable", "alan")["disabled"] is True
    try:
        assert login_hub.api("GET", "/user", token=token).status_code == 403
        assert session.get(f"{login_hub.url}/hub/home", timeout=30, allow_redirects=False).status_code == 302
        refused = login(requests.Session(), login_hub.url, login_hub.settings, "alan")
        assert refused.status_code == 403 and "disabled" in _page(refused)
    finally:
        assert account_json(login_hub, capsys, "enable", "alan")["disabled"] is False
    login_hub._user_tokens.pop("alan", None)
    assert login(requests.Session(), login_hub.url, login_hub.settings, "alan").status_code == 302


def test_the_account_command_creates_lists_and_shows_who_sees_what(login_hub, capsys):
    code, out, _ = haven_account(login_hub, "create", "zoe", "--role", "checker", "--approved-until", "2031-01-31",
                                 capsys=capsys)
    assert code == 0
    assert "one-time password:" in out and "otpauth://totp/Haven:zoe?secret=" in out
    hub_user = login_hub.api("GET", "/users/zoe").json()
    assert "output-checker" in hub_user["roles"] and "analyst" not in hub_user["roles"]

    code, out, _ = haven_account(login_hub, "list", capsys=capsys)
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "ROLES", "APPROVED", "APPROVED", "UNTIL", "2FA", "ENROLLED", "LOCKED", "DISABLED"]
    assert any(row.split()[:4] == ["zoe", "output-checker", "yes", "2031-01-31"] for row in rows)

    access = account_json(login_hub, capsys, "access")
    assert [g["project"] for g in access["users"]["grace"]["projects"]] == ["alpha", "beta"]
    assert access["users"]["grace"]["projects"][0]["datasets"] == ["admissions", "patients"]
    assert access["users"]["zoe"] == {"account": "active", "projects": []}
    assert access["projects"]["beta"]["members"] == ["bob", "grace"]
    code, out, _ = haven_account(login_hub, "access", "--user", "bob", capsys=capsys)
    assert code == 0 and "patients@1" in out and "ada" not in out


@pytest.mark.parametrize("args, message", [
    (["approve", "nobody"], "no account named 'nobody'"),
    (["create", "ada"], "an account named 'ada' already exists"),
    (["create", "Bad Name"], "invalid account name"),
    (["access", "--user", "nobody"], "no account named 'nobody'"),
])
def test_the_account_command_refuses_clearly(login_hub, capsys, args, message):
    before = account_json(login_hub, capsys, "list")
    code, _, err = haven_account(login_hub, *args, capsys=capsys)
    assert code == 1 and message in err
    assert account_json(login_hub, capsys, "list") == before


def test_the_account_command_needs_the_operator_token(login_hub):
    user_token = login_hub.user_token("ada")
    answer = requests.get(f"{login_hub.url}/hub/haven-accounts/api/accounts",
                          headers={"Authorization": f"token {user_token}"}, timeout=30)
    assert answer.status_code == 403
    assert requests.get(f"{login_hub.url}/hub/haven-accounts/api/accounts", timeout=30).status_code == 403


def sign_up(session, hub_url, username, password, again=None) -> requests.Response:
    form = session.get(f"{hub_url}/hub/haven-accounts/signup", timeout=30).text
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form).group(1)
    return session.post(f"{hub_url}/hub/haven-accounts/signup", timeout=30, data={
        "username": username, "new_password": password, "new_password_again": password if again is None else again,
        "_xsrf": xsrf})


def test_a_sign_up_logs_in_only_after_an_administrator_approves_it(login_hub, capsys):
    answer = sign_up(requests.Session(), login_hub.url, "walk-in", "a phrase of my own choosing")
    assert answer.status_code == 201 and "waiting for an administrator's approval" in _page(answer)
    secret = re.search(r'id="haven-totp-secret">([A-Z2-7]+)<', answer.text).group(1)
    assert f"otpauth://totp/Haven:walk-in?secret={secret}" in answer.text
    code = lambda: unused_code(secret)  # noqa: E731
    refused = submit_login(requests.Session(), login_hub.url, "walk-in", "a phrase of my own choosing", code())
    assert refused.status_code == 403 and "waiting for an administrator's approval" in _page(refused)
    shown = account_json(login_hub, capsys, "show", "walk-in")
    assert (shown["approved"], shown["roles"]) == (False, ["analyst"])
    account_json(login_hub, capsys, "approve", "walk-in")
    session = requests.Session()
    assert submit_login(session, login_hub.url, "walk-in", "a phrase of my own choosing", code()).status_code == 302
    assert session.get(f"{login_hub.url}/hub/home", timeout=30).status_code == 200


@pytest.mark.parametrize("name, password, again, status, message", [
    ("ada", "a phrase of my own choosing", None, 409, "an account named 'ada' already exists"),
    ("Not Valid", "a phrase of my own choosing", None, 400, "invalid account name"),
    ("shorty", "short", None, 400, "at least 12 characters"),
    ("typo", "a phrase of my own choosing", "a phrase of my own chosing", 400, "The two passwords differ."),
])
def test_a_bad_sign_up_is_refused_and_changes_nothing(login_hub, capsys, name, password, again, status, message):
    before = account_json(login_hub, capsys, "list")
    answer = sign_up(requests.Session(), login_hub.url, name, password, again)
    assert answer.status_code == status and message in _page(answer)
    assert account_json(login_hub, capsys, "list") == before


# The form's hidden field and the page script's copy of the token (it carries the time).
XSRF = re.compile(r'((?:name="_xsrf" value=|xsrf_token: )")[^"]+(")')
# Headers that differ between any two answers (the moment, the XSRF cookie's fresh token).
VARYING_HEADERS = {"date", "set-cookie", "etag"}


def _answer(response: requests.Response) -> tuple:
    """What the person at the login form gets, without the XSRF tokens and the date."""
    headers = sorted((k.lower(), v) for k, v in response.headers.items() if k.lower() not in VARYING_HEADERS)
    return response.status_code, headers, XSRF.sub(r"\1-\2", response.text)


def _login_events(hub, username: str) -> list[tuple[str, str]]:
    log = HubAuditLog.for_data_dir(hub.settings.hub.data_dir)
    try:
        return [(e.action, e.details.get("reason", "")) for e in
                (stored.event for stored in log.events(EventFilter(user=username, type="login")))]
    finally:
        log.close()


def test_unknown_locked_and_wrong_answers_are_the_same_page_while_the_audit_log_keeps_the_reason(login_hub, capsys):
    """One name, first unknown, then an account: wrong password, wrong code, locked with the
    right ones. The person at the form gets the same bytes each time; the audit log and
    ``haven account show`` say what really happened."""
    name = "quiet-quinn"
    post = lambda password, code: submit_login(requests.Session(), login_hub.url, name, password, code)  # noqa: E731
    unknown = post("a wrong password here", "000000")
    created = account_json(login_hub, capsys, "create", name)
    password, code = created["password"], lambda: totp.code_at(created["totp_secret"])  # noqa: E731
    wrong_password = post("a wrong password here", code())
    wrong_code = post(password, "000000")
    assert MAX_FAILED_LOGINS == 3
    locking = post("a wrong password here", code())
    locked = post(password, code())
    shown = account_json(login_hub, capsys, "show", name)  # the administrator sees the lock
    answers = {"unknown": unknown, "wrong password": wrong_password, "wrong code": wrong_code,
               "locking": locking, "locked": locked}
    assert all(a.status_code == 403 for a in answers.values()), {k: a.status_code for k, a in answers.items()}
    assert BAD_CREDENTIALS in _page(unknown)
    reference = _answer(unknown)
    for what, answer in answers.items():
        status, headers, body = _answer(answer)
        assert (status, headers) == reference[:2], what
        assert body == reference[2], f"{what}:\n" + "\n".join(
            difflib.unified_diff(reference[2].splitlines(), body.splitlines(), lineterm="", n=1))
    assert shown["locked"] is True and shown["locked_until"]
    assert _login_events(login_hub, name) == [
        ("login.failure", "unknown-user"), ("login.failure", "bad-password"), ("login.failure", "bad-code"),
        ("login.failure", "bad-password,locked"), ("login.failure", "locked"),
    ]
    # Control: once the lock has passed, the same right password and code get a different answer
    # (the password page for a first login), so the comparison above can tell answers apart.
    time.sleep(LOCKOUT_MINUTES * 60 + 1)
    let_in = post(password, code())
    assert let_in.status_code == 302 and _answer(let_in) != reference


def _log_out(session: requests.Session, hub_url: str) -> None:
    session.get(f"{hub_url}/hub/logout", timeout=30)
    assert session.get(f"{hub_url}/hub/home", timeout=30, allow_redirects=False).status_code == 302


def test_a_code_logs_in_once_and_the_next_one_is_accepted(login_hub):
    """RFC 6238 §5.2: log in with a code, log out, and the same code (still inside the validity
    window) is refused with the wrong-code answer and audited; the next step's code logs in."""
    name, secret = "dave", credentials(login_hub.settings, "dave")
    first_code = unused_code(secret["totp_secret"])
    session = requests.Session()
    assert submit_login(session, login_hub.url, name, secret["password"], first_code).status_code == 302
    _log_out(session, login_hub.url)

    replay = submit_login(session, login_hub.url, name, secret["password"], first_code)
    wrong = submit_login(requests.Session(), login_hub.url, name, secret["password"], "000000")
    assert replay.status_code == 403 and BAD_CREDENTIALS in _page(replay)
    assert _answer(replay)[::2] == _answer(wrong)[::2]  # the page of a wrong code, word for word
    assert session.get(f"{login_hub.url}/hub/home", timeout=30, allow_redirects=False).status_code == 302

    assert submit_login(session, login_hub.url, name, secret["password"],
                        unused_code(secret["totp_secret"])).status_code == 302
    assert session.get(f"{login_hub.url}/hub/home", timeout=30).status_code == 200
    assert _login_events(login_hub, name)[-3:-1] == [("login.failure", "reused-code"), ("login.failure", "bad-code")]


def test_a_used_code_stays_used_across_a_hub_restart(login_hub):
    """The last used step is stored with the account, not in the hub process: restart the hub
    between the login and the replay. Runs last in this module (the restart ends every session)."""
    name, secret = "bob", credentials(login_hub.settings, "bob")
    # At the start of a step, the next step's code stays inside the window for about a minute,
    # longer than the restart takes (~30 s here).
    time.sleep(totp.STEP_SECONDS - time.time() % totp.STEP_SECONDS + 0.1)
    code = latest_code(secret["totp_secret"])
    assert submit_login(requests.Session(), login_hub.url, name, secret["password"], code).status_code == 302
    assert bootstrap.stop(login_hub.settings) == 0
    assert bootstrap.start(login_hub.settings, login_hub.settings_path, REPO / "jupyterhub_config.py", timeout=60) == 0
    login_hub._admin = None  # its session ended with the old hub process
    replay = submit_login(requests.Session(), login_hub.url, name, secret["password"], code)
    assert totp.code_is_valid(secret["totp_secret"], code), "the restart outlasted the code's window: nothing proven"
    assert replay.status_code == 403 and BAD_CREDENTIALS in _page(replay)
    # Refused as a replay, not as a code out of its window.
    assert _login_events(login_hub, name)[-1] == ("login.failure", "reused-code")
    assert submit_login(requests.Session(), login_hub.url, name, secret["password"],
                        unused_code(secret["totp_secret"])).status_code == 302
