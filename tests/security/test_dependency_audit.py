"""pip-audit over the hub's, the notebook image's and the ACRO kernel's pins: a known
vulnerability without a reasoned, unexpired acceptance fails; an audit that could not be
made (PyPI unreachable, or no answer for some pins) is a skip that says so, never a pass."""

from __future__ import annotations

from datetime import date

import pytest

from tests.security.dependency_audit import (
    EXCEPTIONS, PIN_SETS, Acceptance, AuditUnavailable, judge, load_acceptances, run_pip_audit,
)


@pytest.mark.parametrize("pin_set", sorted(PIN_SETS))
def test_no_pinned_package_has_an_unaccepted_known_vulnerability(pin_set, capsys):
    acceptances = load_acceptances()
    try:
        report = run_pip_audit(PIN_SETS[pin_set])
    except AuditUnavailable as unavailable:
        pytest.skip(f"pip-audit [{pin_set}] not run: {unavailable}")
    verdict = judge(report, acceptances)
    with capsys.disabled():  # the result belongs in the test output, passed or not
        print("\n" + verdict.report(pin_set))
    assert not verdict.vulnerable, (
        f"known vulnerabilities in the {pin_set} pins: upgrade, or accept each in {EXCEPTIONS.name} "
        "with a reason and a review date:\n" + "\n".join(verdict.vulnerable))
    if verdict.unaudited:
        pytest.skip(f"pip-audit [{pin_set}]: PyPI gave no vulnerability data for {len(verdict.unaudited)} of "
                    f"{verdict.pins} pins, so the audit proves nothing for them; first: {verdict.unaudited[0]}")


# The judging itself, on pip-audit reports of the shape it writes (so it is shown to fail).

REPORT = {"dependencies": [
    {"name": "jinja2", "version": "3.1.2", "vulns": [
        {"id": "GHSA-h5c8-rqwp-cp95", "aliases": ["CVE-2024-22195"], "fix_versions": ["3.1.3"]}]},
    {"name": "requests", "version": "2.34.2", "vulns": []},
    {"name": "private-thing", "version": "1.0", "skip_reason": "Dependency not found on PyPI and could not be audited"},
]}


def _acceptance(**changes) -> Acceptance:
    values = {"id": "CVE-2024-22195", "package": "jinja2", "reason": "only trusted templates",
              "review_by": date(2099, 1, 1)} | changes
    return Acceptance(**values)


def test_an_unaccepted_vulnerability_is_reported_and_an_unauditable_pin_is_not_a_pass():
    verdict = judge(REPORT, [])
    assert verdict.vulnerable == ["jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)"]
    assert verdict.unaudited == ["private-thing: Dependency not found on PyPI and could not be audited"]
    assert "1 unaccepted vulnerabilities" in verdict.report("hub")


def test_an_acceptance_matches_by_any_alias_but_only_for_its_package():
    assert judge(REPORT, [_acceptance()]).vulnerable == []
    assert judge(REPORT, [_acceptance()]).accepted[0].endswith("only trusted templates (review by 2099-01-01)")
    assert judge(REPORT, [_acceptance(package="markupsafe")]).vulnerable


def _write(tmp_path, text: str):
    path = tmp_path / "accepted.yaml"
    path.write_text(text)
    return path


def test_the_real_acceptances_file_is_valid():
    load_acceptances(EXCEPTIONS)


@pytest.mark.parametrize("entry, message", [
    ("- {id: CVE-1, package: jinja2, review_by: 2099-01-01}", "missing reason"),
    ("- {id: CVE-1, package: jinja2, reason: ' ', review_by: 2099-01-01}", "missing reason"),
    ("- {id: CVE-1, package: jinja2, reason: fine}", "missing review_by"),
    ("- {id: CVE-1, package: jinja2, reason: fine, review_by: soon}", "not a date"),
    ("- {id: CVE-1, package: jinja2, reason: fine, review_by: 2026-01-31}", "review date 2026-01-31 has passed"),
])
def test_an_acceptance_without_reason_or_with_a_passed_review_date_fails(tmp_path, entry, message):
    with pytest.raises(ValueError, match=message):
        load_acceptances(_write(tmp_path, entry), today=date(2026, 2, 1))


def test_an_acceptance_counts_until_its_review_date(tmp_path):
    path = _write(tmp_path, "- {id: CVE-1, package: Jinja2, reason: fine, review_by: 2026-02-01}")
    assert load_acceptances(path, today=date(2026, 2, 1))[0].package == "jinja2"
    with pytest.raises(ValueError, match="has passed"):
        load_acceptances(path, today=date(2026, 2, 2))
