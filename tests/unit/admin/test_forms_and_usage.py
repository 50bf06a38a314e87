"""The admin form's parsing and the disk-usage measurement and warning levels."""

from __future__ import annotations

import os
from datetime import date

import pytest

from haven_hub import usage
from haven_hub.admin import forms
from haven_hub.projects import Project
from haven_hub.settings import DatasetGrant, Settings

GOOD = {"id": "diabetes-2026", "title": "Diabetes outcomes", "purpose": "Outcomes", "start_date": "2026-01-01",
        "end_date": "2026-12-31", "members": "ada, bob ada", "datasets": "admissions, patients@1",
        "cpu": "0.5", "memory": "1G", "pids": "300", "disk_quota": "20g", "disclosure_preset": ""}


def test_a_good_form_parses_to_the_lifecycle_input():
    form, parsed = forms.parse(GOOD, creating=True)
    assert form.valid and parsed is not None
    assert parsed.members == ["ada", "bob"]
    assert parsed.fields["end_date"] == date(2026, 12, 31) and parsed.fields["disk_quota"] == "20G"
    assert parsed.fields["limits"] == {"cpu": 0.5, "memory": "1G", "pids": 300}
    assert parsed.fields["datasets"] == (DatasetGrant(name="admissions"), DatasetGrant(name="patients", version="1"))


@pytest.mark.parametrize("field,value,message", [
    ("id", "", "give the project an id"),
    ("title", "  ", "give the project a title"),
    ("end_date", "31/12/2026", "is not a date"),
    ("cpu", "lots", "is not a number of CPU cores"),
    ("pids", "1.5", "is not a whole number"),
    ("datasets", "Admissions!", "is not a dataset name"),
])
def test_bad_fields_are_named_and_the_input_is_kept(field, value, message):
    form, parsed = forms.parse({**GOOD, field: value}, creating=True)
    assert parsed is None and message in form.errors[field]
    assert form.values["purpose"] == "Outcomes" and form.values[field] == value.strip()


def test_lifecycle_refusals_land_beside_their_field_or_above_the_form():
    form = forms.blank()
    form.add_error("end_date: the end date 2026-01-01 is before the start date 2026-02-01; limits.cpu: too big")
    form.add_error("no account named 'zed': only existing Haven accounts can be members")
    assert form.errors == {"end_date": "the end date 2026-01-01 is before the start date 2026-02-01",
                           "cpu": "too big"}
    assert form.general == ["no account named 'zed': only existing Haven accounts can be members"]


def project(**fields):
    return Project(id="alpha", title="Alpha", members=frozenset({"ada"}), **fields)


def test_usage_counts_the_workspace_and_warns_near_the_quota(tmp_path):
    settings = Settings(hub={"data_dir": str(tmp_path)})
    workspace = usage.workspace_dir(settings, "alpha")
    (workspace / "sub").mkdir(parents=True)
    (workspace / "sub" / "a.bin").write_bytes(os.urandom(300 * 1024))
    os.link(workspace / "sub" / "a.bin", workspace / "hardlink.bin")  # counted once
    (workspace / "link").symlink_to("/usr")  # never followed
    measured = usage.measure(settings, project(disk_quota="1M"))
    assert 300 * 1024 <= measured.used_bytes < 400 * 1024
    assert measured.level(80) == usage.OK and measured.describe(80).endswith("(29%)")
    assert measured.level(25) == usage.WARNING and "near the quota" in measured.describe(25)
    (workspace / "b.bin").write_bytes(os.urandom(800 * 1024))
    over = usage.measure(settings, project(disk_quota="1M"))
    assert over.level(80) == usage.OVER and "over the quota (not enforced" in over.describe(80)
    assert usage.measure(settings, project()).level(80) == usage.NO_QUOTA
    usage.save(settings, [over])
    assert usage.load(tmp_path)["alpha"] == over
    assert usage.load(tmp_path / "nowhere") == {}


def test_volume_names_match_the_spawners():
    settings = Settings(spawner={"container_prefix": "hv"})
    assert usage.member_volumes(settings, "alpha", ["ada", "o.neil"]) == [
        "hv-home-alpha-ada", "hv-scratch-alpha-ada", "hv-home-alpha-o-2eneil", "hv-scratch-alpha-o-2eneil"]
