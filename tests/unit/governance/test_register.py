"""The public register shows exactly the allowlisted, non-confidential fields: a marker planted in
every other field of a project never reaches its JSON, CSV or HTML."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from haven_hub.datasets.catalogue import AddRequest, Catalogue
from haven_hub.governance import register_web
from haven_hub.governance.egress_records import Release
from haven_hub.governance.register import build, size_band
from haven_hub.projects import PUBLIC_FIELDS, Project, ProjectRecord

TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def planted(project_id: str, confidential: tuple[str, ...], **fields) -> Project:
    """A project with a unique marker in every text field (the public ones and the rest)."""
    marker = f"MARK-{project_id}"
    values = dict(title=f"{marker}-title", lay_summary=f"{marker}-lay_summary", lead=f"{marker}-lead",
                  organisation=f"{marker}-organisation", purpose=f"{marker}-purpose",
                  status_reason=f"{marker}-status_reason", frozen_reason=f"{marker}-frozen_reason",
                  disclosure_preset=f"{marker}-preset", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                  datasets=[{"name": "admissions"}], members=frozenset({f"member-{project_id}"}))
    values.update(fields)
    return Project(id=project_id, confidential_fields=confidential, **values)


@pytest.fixture
def catalogue(tmp_path):
    catalogue = Catalogue(tmp_path / "catalogue")
    source = tmp_path / "admissions.csv"
    source.write_text("id,ward\n" + "".join(f"{i},w{i % 3}\n" for i in range(1500)))
    catalogue.add(AddRequest(name="admissions", source=source, title="Hospital admissions",
                             description="Synthetic admissions"))
    return catalogue


def rendered(register) -> dict[str, str]:
    page = register_web._templates.get_template("register.html").render(
        page_title="Transparency register", hub_prefix="/hub/", static_prefix="/s/", user_name=None,
        logout_url="", nav=[], prefix="/services/admin/", register=register)
    return {"json": json.dumps(register.as_json()), "projects.csv": register.projects_csv(),
            "datasets.csv": register.datasets_csv(), "html": page}


def test_only_public_fields_not_marked_confidential_appear_anywhere(catalogue):
    open_ = planted("open-study", ())
    hidden = planted("hidden-study", ("id", "title", "lead", "organisation"), status="suspended")
    releases = [Release("r1", "hidden-study", NOW, 3, ("admissions@1",)),
                Release("r2", "hidden-study", NOW, 2, ("admissions@1",))]
    register = build([open_, hidden], catalogue, releases, TODAY, NOW)
    never = ["purpose", "status_reason", "frozen_reason", "preset"]
    for name, body in rendered(register).items():
        for project in (open_, hidden):
            for field in never:
                assert f"MARK-{project.id}-{field}" not in body, (name, field)
            assert f"member-{project.id}" not in body, name
        for field in ("title", "lead", "organisation"):
            assert f"MARK-hidden-study-{field}" not in body, (name, field)
        # The confidential id leaks through no reference either (markers, dataset use, row ids).
        assert "hidden-study" not in body.replace("MARK-hidden-study-lay_summary", ""), name
        assert "suspended" not in body, name  # a suspension is not announced
        # Control: what is public is there.
        if name != "datasets.csv":
            assert "MARK-open-study-lead" in body and "MARK-hidden-study-lay_summary" in body, name
        else:
            assert "open-study" in body and "confidential-" in body
    entry = next(p for p in register.projects if p["lay_summary"] == "MARK-hidden-study-lay_summary")
    assert entry["reference"].startswith("confidential-") and entry["title"] is None
    assert (entry["outputs_released"], entry["releases"]) == (5, [{"date": "2026-06-01", "outputs": 3},
                                                                  {"date": "2026-06-01", "outputs": 2}])
    assert entry["status"] == "active"
    assert entry["not_published"] == ["id", "lead", "organisation", "title"]
    dataset = register.datasets[0]
    assert dataset["used_by"] == sorted(["open-study", entry["reference"]])
    assert (dataset["version"], dataset["size_band"]) == ("1", "1,000 to 100,000 rows")


def test_a_project_that_hides_its_datasets_is_not_listed_as_using_them(catalogue):
    project = planted("quiet", ("datasets",))
    register = build([project], catalogue, [], TODAY, NOW)
    assert register.projects[0]["datasets"] is None
    assert register.datasets[0]["used_by"] == []


def test_every_project_field_outside_the_allowlist_is_never_read():
    # The allowlist is the only door: adding a field to ProjectRecord does not publish it.
    public = set(PUBLIC_FIELDS) - {"id"}
    assert public < set(ProjectRecord.model_fields)
    assert {"purpose", "members", "status_reason", "frozen_reason", "limits"}.isdisjoint(PUBLIC_FIELDS)


def test_confidential_fields_are_checked_against_the_allowlist():
    with pytest.raises(ValueError, match="confidential_fields"):
        ProjectRecord(title="t", confidential_fields=("purpose",))


def test_a_spreadsheet_formula_in_a_cell_is_defused(catalogue):
    project = planted("formula", (), lay_summary="=HYPERLINK(\"http://x\")")
    csv_text = build([project], catalogue, [], TODAY, NOW).projects_csv()
    assert "'=HYPERLINK" in csv_text and ",=HYPERLINK" not in csv_text


@pytest.mark.parametrize(("rows", "band"), [(0, "under 1,000 rows"), (999, "under 1,000 rows"),
                                            (1000, "1,000 to 100,000 rows"), (10_000_000, "over 10 million rows")])
def test_size_bands(rows, band):
    assert size_band(rows) == band


def test_the_admin_form_and_the_record_keep_one_spelling_of_the_confidential_fields():
    from haven_hub.admin import forms

    raw = {**forms.blank().values, "id": "study", "title": "Study", "confidential_fields": "lead, id"}
    form, parsed = forms.parse(raw, creating=True)
    assert form.valid and parsed.fields["confidential_fields"] == ("id", "lead")
    stored = Project(id="study", title="Study", confidential_fields=("lead", "id", "lead"))
    assert stored.confidential_fields == ("id", "lead")
    assert forms.from_project(stored).values["confidential_fields"] == "id, lead"
    _, refused = forms.parse({**raw, "confidential_fields": "purpose"}, creating=True)
    with pytest.raises(ValueError, match="confidential_fields"):
        ProjectRecord(title="Study", **{"confidential_fields": refused.fields["confidential_fields"]})
