"""A person logs in through the real login form in Chromium: password plus the code of an
authenticator app; a wrong code and an account past its approved-until date are refused."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from haven_hub.accounts import cli as account_cli
from haven_hub.audit.log import EventFilter, HubAuditLog
from haven_hub.projects import today_utc
from haven_hub.auth import totp
from haven_hub.auth.store import BAD_CREDENTIALS
from tests.fixtures.login import credentials, unused_code
from tests.fixtures.login_hub import login_hub  # noqa: F401

from .conftest import DOCS_SCREENSHOTS, SCREENSHOTS, log_in, serious_accessibility_problems

pytestmark = [pytest.mark.browser, pytest.mark.docker]


def _fill(page, hub, username: str, code: str) -> None:
    secret = credentials(hub.settings, username)
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", username)
    page.fill("#password_input", secret["password"])
    page.fill("#otp_input", code)
    page.check("#haven-accept-terms")
    page.click("#login_submit")


def test_password_and_authenticator_code_open_the_home_page(page, login_hub):
    log_in(page, login_hub, "ada")
    assert page.url.endswith("/hub/home")
    assert "Alpha cohort study" in page.locator("body").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "login-home.png"))


def test_the_form_asks_for_the_code_and_refuses_a_wrong_one(page, login_hub):
    page.goto(f"{login_hub.url}/hub/login")
    assert page.locator("label[for=otp_input]").inner_text().startswith("Code from your authenticator app")
    current = totp.code_at(credentials(login_hub.settings, "grace")["totp_secret"])
    _fill(page, login_hub, "grace", f"{(int(current) + 500_000) % 1_000_000:06d}")
    assert "/hub/login" in page.url
    assert page.locator(".login_error").inner_text() == BAD_CREDENTIALS


def test_an_account_past_its_approved_until_date_is_told_why(page, login_hub, capsys):
    yesterday = (today_utc() - timedelta(days=1)).isoformat()
    settings = ["--settings", str(login_hub.settings_path)]
    assert account_cli.main(["set-approved-until", "dave", yesterday, *settings]) == 0
    try:
        _fill(page, login_hub, "dave", unused_code(credentials(login_hub.settings, "dave")["totp_secret"]))
        assert "/hub/login" in page.url
        message = page.locator(".login_error").inner_text()
        assert f"ended on {yesterday}" in message and "Ask an administrator to renew it" in message
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "login-expired.png"))
    finally:
        later = (today_utc() + timedelta(days=30)).isoformat()
        assert account_cli.main(["set-approved-until", "dave", later, *settings]) == 0
    capsys.readouterr()


def test_a_first_login_chooses_a_password_then_logs_in(page, login_hub, capsys):
    assert account_cli.main(["create", "firsttimer", "--json", "--settings", str(login_hub.settings_path)]) == 0
    created = json.loads(capsys.readouterr().out)
    code = lambda: unused_code(created["totp_secret"])  # noqa: E731  (each code logs in once)
    page.goto(f"{login_hub.url}/hub/login")
    page.fill("#username_input", "firsttimer")
    page.fill("#password_input", created["password"])
    page.fill("#otp_input", code())
    page.check("#haven-accept-terms")
    page.click("#login_submit")
    page.wait_for_url("**/hub/haven-accounts/password?username=firsttimer&first=1")
    assert "for your first login only" in page.locator("#haven-password-first").inner_text()
    assert page.input_value("#username_input") == "firsttimer"
    page.fill("#password_input", created["password"])
    page.fill("#otp_input", code())
    page.fill("#new_password_input", "a phrase I chose myself")
    page.fill("#new_password_again_input", "a phrase I chose myself")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "login-choose-password.png"))
    page.click("#password_submit")
    page.locator("#haven-password-done").wait_for()
    page.click("#haven-password-done a")
    page.fill("#username_input", "firsttimer")
    page.fill("#password_input", "a phrase I chose myself")
    page.fill("#otp_input", code())
    page.check("#haven-accept-terms")
    page.click("#login_submit")
    page.wait_for_url("**/hub/home**")


def test_the_login_page_is_havens_shows_the_terms_and_records_their_acceptance_once(axe_page, login_hub):
    page = axe_page
    page.goto(f"{login_hub.url}/hub/login")
    assert page.locator("#haven-login-brand").inner_text().startswith("Haven")
    assert page.title() == "Log in · Haven"
    assert page.locator("#otp_input").get_attribute("autocomplete") == "one-time-code"
    assert "Never try to identify a person." in page.locator("#haven-terms-text").inner_text()
    assert serious_accessibility_problems(page) == []
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOTS / "login-terms.png"), full_page=True)
    version = page.locator("#haven-accept-terms").get_attribute("value")
    # Without the box ticked (a form sent past the browser's own check): refused, no code spent.
    secret = credentials(login_hub.settings, "bob")
    page.evaluate("document.getElementById('haven-accept-terms').removeAttribute('required')")
    page.fill("#username_input", "bob")
    page.fill("#password_input", secret["password"])
    page.fill("#otp_input", unused_code(secret["totp_secret"]))
    page.click("#login_submit")
    assert "tick the box accepting the terms of use" in page.locator(".login_error").inner_text()
    assert serious_accessibility_problems(page) == []
    assert accepted(login_hub, "bob") == []
    for _ in range(2):  # two logins, one acceptance of this version
        page.context.clear_cookies()
        log_in(page, login_hub, "bob")
    assert accepted(login_hub, "bob") == [version]


def accepted(hub, username: str) -> list[str]:
    log = HubAuditLog.for_data_dir(hub.settings.hub.data_dir)
    try:
        return [stored.event.details["version"]
                for stored in log.events(EventFilter(user=username, type="account.terms-accept"))]
    finally:
        log.close()
