"""Accredited people: the store keeps history, the rules stop exactly what the settings say."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from tornado import web

from haven_hub.governance import accreditation as rules_module
from haven_hub.governance.accreditation import refusal, refusing_post_auth_hook, warnings
from haven_hub.governance.accreditation_store import AccreditationError, AccreditationStore
from haven_hub.projects import ProjectRecord
from haven_hub.settings import Accreditation, parse_settings

TODAY = date(2026, 12, 2)
RULES = Accreditation.model_validate({
    "kinds": [
        {"name": "induction", "title": "Haven induction", "required_for": ["login"]},
        {"name": "safe_researcher", "title": "Safe researcher training", "required_for": ["spawn"]},
        {"name": "output_checker", "title": "Output checker training", "required_for": ["review"]},
        {"name": "data_protection", "title": "Data protection"},
    ],
    "warn_days": 30,
})
KIND_OF_ACTION = {"login": "induction", "spawn": "safe_researcher", "review": "output_checker"}


@pytest.fixture
def store(tmp_path) -> AccreditationStore:
    return AccreditationStore(f"sqlite:///{tmp_path / 'accounts.sqlite'}",
                              clock=lambda: datetime(2026, 12, 2, 9, tzinfo=timezone.utc))


def held(store: AccreditationStore, username: str = "ada") -> dict:
    return store.current(username)


def test_a_change_is_a_new_row_and_the_newest_counts(store):
    store.award("ada", "safe_researcher", expires_on=date(2026, 12, 31), awarded_by="UKDS", evidence="cert 1",
                recorded_by="operator:root")
    store.award("ada", "safe_researcher", expires_on=date(2027, 12, 31), recorded_by="operator:root")
    assert held(store)["safe_researcher"].expires_on == date(2027, 12, 31)
    store.revoke("ada", "safe_researcher", reason="certificate withdrawn", recorded_by="operator:root")
    assert held(store) == {}
    history = store.history("ada")
    assert [c.change for c in history] == ["award", "award", "revoke"]
    assert history[0].evidence == "cert 1" and history[0].awarded_by == "UKDS"
    assert history[1].awarded_by == "operator:root"  # who recorded it, when no awarding body is named
    assert store.holders() == {}


@pytest.mark.parametrize("call, message", [
    (lambda s: s.award("ada", "safe_researcher", expires_on=TODAY, awarded_on=TODAY, recorded_by="x"), "must be after"),
    (lambda s: s.award("ada", "safe_researcher", expires_on=date(2028, 1, 1), awarded_on=date(2027, 1, 1),
                       recorded_by="x"), "in the future"),
    (lambda s: s.award("Not A Name", "safe_researcher", expires_on=date(2028, 1, 1), recorded_by="x"), "username"),
    (lambda s: s.award("ada", "Bad Kind", expires_on=date(2028, 1, 1), recorded_by="x"), "kind"),
    (lambda s: s.award("ada", "safe_researcher", expires_on=date(2028, 1, 1), evidence="x" * 2001,
                       recorded_by="x"), "at most"),
    (lambda s: s.revoke("ada", "safe_researcher", reason="", recorded_by="x"), "say why"),
    (lambda s: s.revoke("ada", "safe_researcher", reason="gone", recorded_by="x"), "holds no"),
])
def test_bad_changes_are_refused_and_change_nothing(store, call, message):
    with pytest.raises(AccreditationError, match=message):
        call(store)
    assert store.history() == []


@pytest.mark.parametrize("action", ["login", "spawn", "review"])
@pytest.mark.parametrize("state", ["missing", "expired", "current", "last-day"])
def test_each_action_needs_only_its_own_kinds(store, action, state):
    kind = KIND_OF_ACTION[action]
    # Everything else is held and current: only the kind of this action varies.
    for other in {"induction", "safe_researcher", "output_checker"} - {kind}:
        store.award("ada", other, expires_on=date(2027, 6, 1), recorded_by="x")
    if state != "missing":
        expires = {"expired": TODAY - timedelta(days=1), "current": date(2027, 6, 1), "last-day": TODAY}[state]
        store.award("ada", kind, awarded_on=date(2025, 1, 1), expires_on=expires, recorded_by="x")
    answers = {a: refusal(RULES, held(store), a, TODAY) for a in ("login", "spawn", "review")}
    blocked = {a for a, why in answers.items() if why}
    assert blocked == ({action} if state in ("missing", "expired") else set())
    if state == "expired":
        assert "expired on 2026-12-01" in answers[action]
    if state == "missing":
        assert "none is recorded for you" in answers[action]


def test_a_project_adds_its_own_kinds_to_spawning(store):
    store.award("ada", "safe_researcher", expires_on=date(2027, 6, 1), recorded_by="x")
    assert refusal(RULES, held(store), "spawn", TODAY) is None
    why = refusal(RULES, held(store), "spawn", TODAY, also=("data_protection",), where="for project 'alpha'")
    assert why.startswith("Starting a project server for project 'alpha' needs a current Data protection")
    store.award("ada", "data_protection", expires_on=date(2027, 6, 1), recorded_by="x")
    assert refusal(RULES, held(store), "spawn", TODAY, also=("data_protection",)) is None
    assert refusal(RULES, held(store), "login", TODAY, also=()) is not None  # no induction: login is another matter


@pytest.mark.parametrize("days_ahead, warned", [(0, True), (1, True), (30, True), (31, False), (-1, False)])
def test_warnings_start_warn_days_ahead(store, days_ahead, warned):
    store.award("ada", "output_checker", awarded_on=date(2025, 1, 1), expires_on=TODAY + timedelta(days=days_ahead),
                recorded_by="x")
    found = warnings(RULES, held(store), TODAY)
    assert bool(found) is warned
    if warned:
        assert (TODAY + timedelta(days=days_ahead)).isoformat() in found[0]
        assert "needed for reviewing outputs" in found[0]


def test_no_warnings_when_warn_days_is_zero(store):
    store.award("ada", "output_checker", expires_on=TODAY + timedelta(days=2), recorded_by="x")
    assert warnings(Accreditation(warn_days=0), held(store), TODAY) == []


def test_settings_refuse_a_kind_declared_twice_or_an_unknown_action():
    with pytest.raises(Exception, match="declared once"):
        parse_settings({"accreditation": {"kinds": [{"name": "a", "title": "A"}, {"name": "a", "title": "B"}]}})
    with pytest.raises(Exception, match="required_for"):
        parse_settings({"accreditation": {"kinds": [{"name": "a", "title": "A", "required_for": ["export"]}]}})


def test_by_default_nothing_is_required():
    defaults = parse_settings({}).accreditation
    assert [kind.name for kind in defaults.kinds] == ["safe_researcher", "output_checker"]
    assert all(not defaults.required_for(action) for action in ("login", "spawn", "review"))
    assert rules_module.login_check(parse_settings({})) is None


def test_a_project_names_kinds_by_their_pattern():
    assert ProjectRecord(title="t", required_accreditations=("data_protection",)).required_accreditations
    with pytest.raises(ValidationError):
        ProjectRecord(title="t", required_accreditations=("Data Protection",))


def test_the_oidc_hook_refuses_with_the_sentence_after_the_provider_said_who():
    hook = refusing_post_auth_hook(lambda name: "no induction" if name == "ada" else None)
    with pytest.raises(web.HTTPError) as refused:
        hook(None, None, {"name": "ada"})
    assert refused.value.status_code == 403 and refused.value.log_message == "no induction"
    assert hook(None, None, {"name": "grace"}) == {"name": "grace"}


OIDC = {"authorize_url": "https://idp.example.org/auth", "token_url": "https://idp.example.org/token",
        "userdata_url": "https://idp.example.org/userinfo", "client_id": "haven",
        "callback_url": "https://haven.example.org/hub/oauth_callback"}
AT_LOGIN = {"kinds": [{"name": "induction", "title": "Haven induction", "required_for": ["login"]}]}


@pytest.mark.parametrize("kind", ["builtin", "oidc"])
def test_a_login_kind_reaches_either_authenticator_and_none_leaves_both_alone(tmp_path, kind):
    from haven_hub import config

    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "oidc-client-secret").write_text("s3cret\n")
    auth = {"kind": kind, **({"oidc": OIDC} if kind == "oidc" else {}), "accounts": [{"name": "ada"}]}
    required = parse_settings({"hub": {"data_dir": str(tmp_path)}, "auth": auth, "accreditation": AT_LOGIN})
    plain = parse_settings({"hub": {"data_dir": str(tmp_path)}, "auth": auth})
    section = "GenericOAuthenticator" if kind == "oidc" else "HavenAuthenticator"
    trait = "post_auth_hook" if kind == "oidc" else "accreditation_check"
    assert trait in config.auth_config(required)[section]
    assert trait not in config.auth_config(plain)[section]
    # The check itself reads the store of that deployment's accounts database (OIDC too).
    check = rules_module.login_check(required)
    assert "Haven induction" in check("ada")


def test_the_admin_project_form_keeps_the_required_kinds():
    from haven_hub.admin import forms
    from haven_hub.projects import Project

    raw = {**forms.blank().values, "id": "alpha", "title": "Alpha",
           "required_accreditations": "safe_researcher, data_protection"}
    _, parsed = forms.parse(raw, creating=True)
    assert parsed is not None and parsed.fields["required_accreditations"] == ("safe_researcher", "data_protection")
    project = Project(id="alpha", title="Alpha", required_accreditations=parsed.fields["required_accreditations"])
    assert forms.from_project(project).values["required_accreditations"] == "safe_researcher, data_protection"
