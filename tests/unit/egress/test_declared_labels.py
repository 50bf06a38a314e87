"""Label columns the author declared on a request's file ("label columns: a, b" among its
disclosure controls) decide how its table is read, in the background checks and the
preflight alike; without them an undecidable layout is sent to a person with the reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from haven_egress.checking import BackgroundChecks
from haven_egress.file_checks import CheckInput, CheckPolicy, check_one
from haven_egress.models import CheckResult
from haven_egress.service import EgressService
from haven_egress.storage import session_factory

from .factories import AUTHOR, submit, upload

# Site numbers are labels, but nothing in the table says so (no text, no cue in the header).
SITES = b"site_number,F,M\n101,30,40\n102,3,45\n"
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no engine matters


@pytest.fixture
def checked(engine, blobs, signer):
    checks = BackgroundChecks(session_factory(engine), blobs, CheckPolicy())
    service = EgressService(session_factory(engine), blobs, signer=signer, checks=checks)
    checks.start()
    yield service, checks
    checks.stop()


def stored_result(service, checks, controls: list[str]) -> CheckResult:
    request_id = submit(service, [upload("out/sites.csv", SITES, controls=controls)])
    assert checks.wait_idle(30)
    file_id = service.get_request(AUTHOR, request_id).versions[-1].files[0].id
    with service.sessions() as session:
        return session.scalars(select(CheckResult).where(CheckResult.file_id == file_id)).one()


@sqlite_only
def test_declared_label_columns_are_used_and_said_to_be_declared(checked):
    service, checks = checked
    row = stored_result(service, checks, ["suppressed < 10", "label columns: site_number"])
    table = row.result["tables"][0]
    assert table["label_columns"] == ["site_number"] and table["value_columns"] == ["F", "M"]
    assert table["label_reason"] == "declared by the author"
    small = next(f for f in row.result["findings"] if f["rule"] == "min_frequency")
    assert [(c["row_labels"], c["column"]) for c in small["cells"]] == [({"site_number": "102"}, "F")]
    assert not [f for f in row.result["findings"] if f["rule"] == "layout"]


@sqlite_only
def test_without_a_declaration_the_layout_goes_to_a_person_with_the_reason(checked):
    service, checks = checked
    row = stored_result(service, checks, ["suppressed < 10"])
    assert row.result["tables"][0]["label_columns"] == []
    layout = next(f for f in row.result["findings"] if f["rule"] == "layout")
    assert layout["verdict"] == "review"
    assert "every column was read as values" in layout["message"]
    assert "declare the label columns" in layout["message"]


@sqlite_only
def test_a_declared_column_the_table_lacks_is_a_clear_error_on_the_file(checked):
    service, checks = checked
    row = stored_result(service, checks, ["label columns: site, sex"])
    assert row.status == "error" and row.verdict is None
    assert "'site', 'sex' not in the header of sites.csv" in row.error


def test_the_preflight_reads_the_declaration_too():
    target = CheckInput("out/sites.csv", SITES, "frequency_table", False,
                        ("label columns: site_number",))
    outcome = check_one(target, {target.path: target}, "acro", CheckPolicy())
    assert outcome.result["tables"][0]["label_columns"] == ["site_number"]
