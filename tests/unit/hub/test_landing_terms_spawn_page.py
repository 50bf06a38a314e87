"""Where each role lands, the terms of use's versions, and the spawn page that only refuses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from haven_hub import landing, spawn_page, theme
from haven_hub.auth import terms
from haven_hub.projects import Project
from haven_hub.settings import SettingsError, parse_settings


@pytest.mark.parametrize(("roles", "has_projects", "lands"), [
    (["analyst"], False, "hub/home"),
    (["output-checker"], False, "services/egress/"),
    (["haven-admin", "admin"], False, "services/admin/"),
    # Several roles: the home page shows a section for each.
    (["analyst", "output-checker"], True, "hub/home"),
    (["output-checker", "haven-admin"], False, "hub/home"),
    # A checker who is also a member of a project has work on the home page too.
    (["output-checker"], True, "hub/home"),
])
def test_each_role_lands_on_its_own_page_and_several_roles_on_home(roles, has_projects, lands):
    assert landing.landing_path(roles, has_projects) == lands


def test_the_hub_navigation_follows_the_scopes_and_never_links_jupyterhubs_admin_page():
    analyst = [link.label for link in theme.hub_nav({"custom:egress:submit"})]
    everyone = theme.hub_nav({"custom:egress:review", "custom:haven:admin", "admin-ui"}, current="Projects")
    assert analyst == ["Projects", "My requests", "Bring in"]
    assert [link.label for link in everyone][-2:] == ["Review queue", "Administration"]
    assert all(not link.href.endswith("/hub/admin") for link in everyone)
    assert [link.current for link in everyone][0] is True


def _settings(tmp_path, **terms_section):
    return parse_settings({"hub": {"data_dir": str(tmp_path)}, "auth": {"terms": terms_section}})


def test_terms_are_versioned_by_their_text_from_a_setting_or_a_file(tmp_path):
    inline = terms.load_terms(_settings(tmp_path, text="  Be careful.\n"))
    assert inline.text == "Be careful." and len(inline.version) == 12
    (tmp_path / "terms.txt").write_text("Be careful.", encoding="utf-8")
    from_file = terms.load_terms(_settings(tmp_path, file="terms.txt"))
    assert from_file == inline  # same text, same version
    assert terms.load_terms(_settings(tmp_path, text="Be very careful.")).version != inline.version
    assert terms.load_terms(_settings(tmp_path)) == terms.NONE


def test_terms_refuse_two_sources_and_an_unreadable_or_empty_file(tmp_path):
    with pytest.raises(SettingsError, match="text or file, not both"):
        _settings(tmp_path, text="x", file="terms.txt")
    with pytest.raises(SettingsError, match="cannot read auth.terms.file"):
        terms.load_terms(_settings(tmp_path, file="missing.txt"))
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    with pytest.raises(SettingsError, match="is empty"):
        terms.load_terms(_settings(tmp_path, file="empty.txt"))


def _project(project_id: str, **fields) -> Project:
    return Project.from_group(f"project-{project_id}", {"kind": "haven-project", "title": project_id.title(), **fields},
                              ["ada"])


def test_a_member_starts_directly_and_anyone_else_gets_a_reason_without_a_start_button():
    alpha, beta = _project("alpha"), _project("beta", end_date=str(date.today() - timedelta(days=1)))
    assert spawn_page.project_form("/hub/", "ada", "alpha", [alpha, beta]) == ""
    refused = spawn_page.project_form("/hub/", "ada", "gamma", [alpha])
    assert spawn_page.NO_START in refused and "not a member of project <code>gamma</code>" in refused
    assert 'href="/hub/spawn/ada/alpha"' in refused
    ended = spawn_page.project_form("/hub/", "ada", "beta", [alpha, beta])
    assert spawn_page.NO_START in ended and 'id="haven-spawn-refused"' in ended
    assert spawn_page.NO_START in spawn_page.project_form("/hub/", "ada", "", [alpha])
