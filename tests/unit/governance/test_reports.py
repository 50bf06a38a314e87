"""``haven report access``: which datasets each project's servers used, and when, from a real hub
audit chain with known events (the counts of requests and outputs are in tests/unit/egress)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import yaml

from haven_hub.audit.log import HubAuditLog
from haven_hub.governance import report_cli, reports


def test_dataset_access_counts_starts_people_and_first_and_last_use(tmp_path):
    audit = HubAuditLog.for_data_dir(tmp_path)
    audit.record("ada", "server.start", "server/ada/alpha", "alpha", datasets=["admissions@latest", "patients@1"])
    audit.record("grace", "server.start", "server/grace/alpha", "alpha", datasets=["admissions@latest"])
    audit.record("ada", "server.start", "server/ada/alpha", "alpha", datasets=["admissions@2"])
    audit.record("bob", "server.start", "server/bob/beta", "beta", cpu=1)  # recorded before grants were
    audit.record("ada", "server.stop", "server/ada/alpha", "alpha")
    audit.record("ada", "server.refused", "server/ada/gamma", "gamma", reason="not a member")
    rows = {(r.project, r.dataset): r for r in reports.dataset_access(audit)}
    assert sorted(rows) == [("alpha", "admissions"), ("alpha", "patients"), ("beta", reports.NOT_RECORDED)]
    admissions = rows[("alpha", "admissions")]
    assert (admissions.starts, admissions.people, admissions.versions) == (3, 2, ("2", "latest"))
    assert admissions.first <= admissions.last
    assert (rows[("alpha", "patients")].starts, rows[("alpha", "patients")].people) == (1, 1)
    assert [r.dataset for r in reports.dataset_access(audit, project="beta")] == [reports.NOT_RECORDED]
    later = datetime.now(UTC) + timedelta(hours=1)
    assert reports.dataset_access(audit, since=later) == []


def test_the_command_prints_the_same_counts_as_json(tmp_path, capsys):
    settings = tmp_path / "haven.yaml"
    settings.write_text(yaml.safe_dump({"hub": {"data_dir": str(tmp_path)}}))
    audit = HubAuditLog.for_data_dir(tmp_path)
    audit.record("ada", "server.start", "server/ada/alpha", "alpha", datasets=["admissions@latest"])
    audit.record("ada", "server.start", "server/ada/alpha", "alpha", datasets=["patients@1"])
    assert report_cli.main(["access", "--settings", str(settings), "--json", "--dataset", "admissions"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["project"], row["dataset"], row["starts"]) == ("alpha", "admissions", 1)
    # No egress database yet: nothing requested, nothing released, said plainly.
    assert report_cli.main(["requests", "--settings", str(settings)]) == 0
    assert report_cli.main(["outputs", "--settings", str(settings)]) == 0
    assert capsys.readouterr().out == "nothing recorded\nnothing recorded\n"
    assert report_cli.main(["access", "--since", "yesterday", "--settings", str(settings)]) == 64
