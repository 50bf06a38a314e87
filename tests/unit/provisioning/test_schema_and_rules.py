"""The project property schema and the lifecycle rules, called directly."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from haven_hub import projects
from haven_hub.projects import ACTIVE, ARCHIVED, STATUSES, SUSPENDED, Project, ProjectRecord
from haven_hub.provisioning import rules
from haven_hub.provisioning.rules import ProvisioningError
from haven_hub.settings import Project as ProjectSettings

D = date.fromisoformat


def project(**fields) -> Project:
    return Project(id="prov-unit", title="Unit", members=frozenset({"ada"}), **fields)


def test_every_field_survives_the_trip_through_group_properties():
    record = rules.new_record({
        "title": "Cohort", "lay_summary": "Plain words", "purpose": "Study X", "lead": "Dr Lovelace",
        "organisation": "Haven Univ", "start_date": D("2026-01-01"), "end_date": D("2026-12-31"),
        "limits": {"cpu": 2, "memory": "4G", "pids": 256}, "disk_quota": "50G",
        "disclosure_preset": "acro", "datasets": ({"name": "admissions", "version": "1"},),
    })
    properties = record.properties()
    assert properties["kind"] == "haven-project" and properties["end_date"] == "2026-12-31"
    again = Project.from_group("project-cohort", properties, ["ada", "bob"])
    assert again.model_dump(exclude={"id", "members"}) == record.model_dump()
    assert again.id == "cohort" and again.members == {"ada", "bob"}


def test_properties_written_before_provisioning_still_read():
    old = {"kind": "haven-project", "title": "Demo", "purpose": "", "end_date": None,
           "limits": {"cpu": 1.0, "memory": "2G", "pids": 512}, "datasets": [{"name": "patients", "version": None}]}
    demo = Project.from_group("project-demo", old, ["ada"])
    assert demo.status == ACTIVE and demo.datasets[0].name == "patients" and demo.spawn_refusal() is None


def test_settings_projects_become_active_records():
    settings = ProjectSettings(id="demo", title="Demo", end_date=D("2030-01-01"), datasets=[{"name": "patients"}])
    properties = projects.group_properties(settings)
    assert properties["status"] == ACTIVE and properties["end_date"] == "2030-01-01"
    assert properties["datasets"] == [{"name": "patients", "version": None}]


@pytest.mark.parametrize("fields, message", [
    ({"title": "T", "start_date": D("2026-05-01"), "end_date": D("2026-04-30")}, "before the start date"),
    ({"title": "T", "datasets": ({"name": "a"}, {"name": "a"})}, "granted once"),
    ({"title": "T", "disk_quota": "lots"}, "disk_quota"),
    ({"title": "T", "colour": "red"}, "colour: unknown field"),
    ({"title": ""}, "title"),
    ({"title": "T", "status": SUSPENDED}, "always active"),
    ({"title": "T", "disclosure_preset": "acr0"}, "disclosure_preset: unknown preset 'acr0'"),
])
def test_bad_records_are_refused_with_the_field_named(fields, message):
    with pytest.raises(ProvisioningError, match=message):
        rules.new_record(fields)


def test_a_change_is_validated_with_the_whole_record():
    current = project(start_date=D("2026-01-01"))
    with pytest.raises(ProvisioningError, match="before the start date"):
        rules.record_with(current, end_date=D("2025-12-31"))


@pytest.mark.parametrize("bad", ["Upper", "a", "9lives", "ends-", "has_underscore", "x" * 40, "../x"])
def test_invalid_project_ids_are_refused(bad):
    with pytest.raises(ProvisioningError, match="invalid project id"):
        rules.check_project_id(bad)


def test_transition_table_is_total_and_only_reaches_known_states():
    for action, status in itertools.product(rules.ACTIONS, STATUSES):
        after = rules.TRANSITIONS.get((action, status))
        assert (after in STATUSES) if after else rules.refusal(action, status), (action, status)
    # Archiving is final: no action leaves it.
    assert not [key for key in rules.TRANSITIONS if key[1] == ARCHIVED]


@pytest.mark.parametrize("action, before, after", [
    ("suspend", ACTIVE, SUSPENDED), ("resume", SUSPENDED, ACTIVE),
    ("archive", ACTIVE, ARCHIVED), ("archive", SUSPENDED, ARCHIVED),
])
def test_allowed_transitions(action, before, after):
    record = rules.transition(project(status=before), action, D("2026-06-01"), reason="audit")
    assert record.status == after
    assert record.status_reason == ("" if after == ACTIVE else "audit")
    assert record.status_changed is not None


@pytest.mark.parametrize("action, before, message", [
    ("suspend", SUSPENDED, "already suspended"), ("resume", ACTIVE, "not suspended"),
    ("resume", ARCHIVED, "archiving is final"), ("archive", ARCHIVED, "already archived"),
])
def test_refused_transitions(action, before, message):
    with pytest.raises(ProvisioningError, match=message):
        rules.transition(project(status=before), action, D("2026-06-01"))


def test_resume_after_the_end_date_asks_for_a_new_end_date():
    ended = project(status=SUSPENDED, end_date=D("2026-05-31"))
    with pytest.raises(ProvisioningError, match="ended on 2026-05-31.*--end-date"):
        rules.transition(ended, "resume", D("2026-06-01"))
    assert rules.transition(ended, "resume", D("2026-05-31")).status == ACTIVE


def test_expire_applies_only_after_the_last_day():
    running = project(end_date=D("2026-05-31"))
    with pytest.raises(ProvisioningError, match="has not ended"):
        rules.transition(running, "expire", D("2026-05-31"))
    expired = rules.transition(running, "expire", D("2026-06-01"))
    assert expired.status == SUSPENDED and "2026-05-31 passed" in expired.status_reason


def test_archived_projects_cannot_be_edited():
    rules.check_editable(project(status=SUSPENDED))
    with pytest.raises(ProvisioningError, match="archived"):
        rules.check_editable(project(status=ARCHIVED))


@pytest.mark.parametrize("fields, today, expected", [
    ({}, "2026-06-01", None),
    ({"end_date": D("2026-06-01")}, "2026-06-01", None),
    ({"end_date": D("2026-06-01")}, "2026-06-02", "ended on 2026-06-01"),
    ({"start_date": D("2026-07-01")}, "2026-06-30", "starts on 2026-07-01"),
    ({"status": SUSPENDED, "status_reason": "ethics review"}, "2026-06-01", "suspended (ethics review)"),
    ({"status": ARCHIVED}, "2026-06-01", "archived"),
])
def test_spawn_refusal_names_the_state_and_what_to_do(fields, today, expected):
    refusal = project(**fields).spawn_refusal(D(today))
    if expected is None:
        assert refusal is None
    else:
        assert expected in refusal and "prov-unit" in refusal


def test_record_is_the_only_schema_the_project_extends():
    # Project adds only its identity; every stored field is declared once, on the record.
    assert set(Project.model_fields) - set(ProjectRecord.model_fields) == {"id", "members"}


def test_a_preset_is_checked_on_change_too():
    with pytest.raises(ProvisioningError, match="known presets: acro, opensafely"):
        rules.record_with(project(), disclosure_preset="strict")
    assert rules.record_with(project(), disclosure_preset="opensafely").disclosure_preset == "opensafely"
    assert rules.record_with(project(), disclosure_preset="").disclosure_preset == ""
