"""Row filters end to end: a real hub spawns real containers for a project under a national
opt-out and a consent filter, and for a project exempt from the opt-out (the control). The
opted-out row is not readable in the filtered server by ``haven.sql``, by raw DuckDB or by
searching the bytes of every file under /data, while the exempt server finds it each way."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
from pathlib import Path

import docker
import requests
import pytest

from haven_hub.audit.log import EventFilter, HubAuditLog
from haven_hub.datasets import AddRequest, Catalogue
from haven_hub.datasets import cli as dataset_cli
from haven_hub.governance import filtered_copies
from haven_hub.provisioning import cli as project_cli
from tests.fixtures.docker_engine import run_python

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]

DATASET = "optout_cohort"
FILTERED, EXEMPT = "rowfiltered", "rowexempt"  # no dash: a server name with one is escaped in container names
# Each planted in one row only, sorting first so a Parquet page's statistics carry it as written.
OPTED_OUT = "AAOPTEDOUT-5b1e0c9d77"
NO_CONSENT = "AANOCONSENT-c44f2a10e3"
LATER_OPTED_OUT = "AALATER-91d7e2b6aa"
ROWS = [("4010000001", "true", "ordinary"), ("4010000002", "true", OPTED_OUT),
        ("4010000003", "false", NO_CONSENT), ("4010000004", "true", LATER_OPTED_OUT),
        ("4010000005", "true", "kept")]

PROBE = """
import duckdb, haven, json, os
markers = json.loads({markers!r})
found = {{"haven": {{}}, "duckdb": {{}}, "bytes": {{}}}}
for marker in markers:
    found["haven"][marker] = haven.sql(f"select count(*) from {dataset} where note = '{{marker}}'").fetchall()[0][0]
    with duckdb.connect() as con:
        found["duckdb"][marker] = con.execute(
            "select count(*) from read_parquet('/data/{dataset}/*.parquet') where note = ?", [marker]).fetchone()[0]
    hits = []
    for root, _, files in os.walk("/data"):
        for name in files:
            with open(os.path.join(root, name), "rb") as stream:
                if marker.encode() in stream.read():
                    hits.append(os.path.join(root, name))
    found["bytes"][marker] = hits
found["rows"] = haven.sql("select count(*) from {dataset}").fetchall()[0][0]
found["listing"] = sorted(os.listdir("/data/{dataset}"))
print(json.dumps(found))
"""


def haven_cli(hub, word: str, *args: str) -> subprocess.CompletedProcess:
    """``haven dataset|project ...`` in this process (a new interpreter per call costs seconds)."""
    main = {"dataset": dataset_cli.main, "project": project_cli.main}[word]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*args, "--settings", str(hub.settings_path)])
    return subprocess.CompletedProcess([word, *args], code, out.getvalue(), err.getvalue())


def ok(hub, *args: str) -> str:
    done = haven_cli(hub, *args)
    assert done.returncode == 0, f"haven {' '.join(args)} exited {done.returncode}:\n{done.stderr}{done.stdout}"
    return done.stdout


def declare(hub, tmp: Path, opted_out: list[str]) -> None:
    (tmp / "optouts.txt").write_text("".join(f"{i}\n" for i in opted_out))
    (tmp / "filters.yaml").write_text("""
filters:
  - {id: national-opt-out, kind: exclude-ids, column: nhs_number, ids_file: optouts.txt,
     description: National data opt-out}
  - {id: research-consent, kind: require-value, column: consent, value: true}
""")
    ok(hub, "dataset", "row-filters", DATASET, "--set", str(tmp / "filters.yaml"))


def probe(hub, project: str) -> dict:
    code = PROBE.format(markers=json.dumps([OPTED_OUT, NO_CONSENT, LATER_OPTED_OUT]), dataset=DATASET)
    return json.loads(run_python(hub.container_name("ada", project), code).strip().splitlines()[-1])


def mounted_source(hub, project: str) -> str:
    container = docker.from_env(version="auto").containers.get(hub.container_name("ada", project))
    return next(m["Source"] for m in container.attrs["Mounts"] if m["Destination"] == f"/data/{DATASET}")


def row_filter_events(hub, project: str) -> list[dict]:
    log = HubAuditLog.from_settings(hub.settings)
    try:
        return [e.as_json() for e in log.events(EventFilter(project=project, type=filtered_copies.AUDIT_ACTION))
                if e.event.action == filtered_copies.AUDIT_ACTION]
    finally:
        log.close()


@pytest.fixture(scope="module")
def servers(haven_hub, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("row-filters")
    catalogue = Catalogue(haven_hub.settings.data_path(haven_hub.settings.datasets.catalogue_dir))
    source = tmp / "cohort.csv"
    source.write_text("nhs_number,consent,note\n" + "".join(f"{a},{b},{c}\n" for a, b, c in ROWS))
    catalogue.add(AddRequest(name=DATASET, source=source, title="Cohort under a national opt-out"))
    declare(haven_hub, tmp, ["4010000002"])
    for project in (FILTERED, EXEMPT):
        ok(haven_hub, "project", "create", project, "--title", f"Row filters {project}", "--member", "ada",
           "--dataset", DATASET)
    ok(haven_hub, "project", "exempt", EXEMPT, DATASET, "national-opt-out",
       "--reason", "approved by the data access committee, ref DAC-2026-17")
    # Both start at once: each start waits mostly on JupyterLab in its container.
    for project in (FILTERED, EXEMPT):
        started = haven_hub.api("POST", f"/users/ada/servers/{project}", token=haven_hub.user_token("ada"))
        assert started.status_code in (201, 202), started.text
    for project in (FILTERED, EXEMPT):
        haven_hub.wait_ready("ada", project)
    try:
        yield tmp, catalogue
    finally:
        running = haven_hub.api("GET", "/users/ada").json()["servers"]
        for project in (FILTERED, EXEMPT):
            if project in running:  # withdrawing the exemption stopped the exempt one
                haven_hub.stop("ada", project)


def test_a_filtered_row_cannot_be_read_in_the_container_while_the_exempt_project_reads_it(haven_hub, servers):
    _, catalogue = servers
    original = catalogue.resolve(DATASET) / "data.parquet"
    assert OPTED_OUT.encode() in original.read_bytes()  # the byte search below can find it
    filtered, exempt = probe(haven_hub, FILTERED), probe(haven_hub, EXEMPT)

    for way in ("haven", "duckdb"):
        assert filtered[way] == {OPTED_OUT: 0, NO_CONSENT: 0, LATER_OPTED_OUT: 1}, way
        # The control: exempt from the opt-out only, so the consent filter still holds there.
        assert exempt[way] == {OPTED_OUT: 1, NO_CONSENT: 0, LATER_OPTED_OUT: 1}, way
    assert filtered["bytes"][OPTED_OUT] == [] and filtered["bytes"][NO_CONSENT] == []
    assert exempt["bytes"][OPTED_OUT] == [f"/data/{DATASET}/data.parquet"]
    assert (filtered["rows"], exempt["rows"]) == (3, 4)
    assert "row-filters.json" in filtered["listing"]
    # Its own copy: the consent filter, which it is not exempt from, still applies there.
    assert mounted_source(haven_hub, EXEMPT) != mounted_source(haven_hub, FILTERED)


def test_each_spawn_is_audited_naming_its_filters_and_exemptions(haven_hub, servers):
    filtered = row_filter_events(haven_hub, FILTERED)[0]  # the first start (a later test restarts it)
    assert [f["id"] for f in filtered["details"]["applied"]] == ["national-opt-out", "research-consent"]
    assert filtered["actor"] == "ada" and filtered["details"]["server"] == f"ada/{FILTERED}"
    assert filtered["details"]["removed"] == 2 and filtered["details"]["reused"] is False
    exempt = row_filter_events(haven_hub, EXEMPT)[0]
    assert [f["id"] for f in exempt["details"]["applied"]] == ["research-consent"]
    assert exempt["details"]["exempt"][0]["filter"] == "national-opt-out"
    assert "DAC-2026-17" in exempt["details"]["exempt"][0]["reason"]
    log = HubAuditLog.from_settings(haven_hub.settings)
    try:
        actions = {e.event.action for e in log.events(EventFilter(type="project.row_filter"))}
        declared = [e for e in log.events(EventFilter(type="dataset.row_filters.set"))
                    if e.event.target == f"dataset/{DATASET}"]
    finally:
        log.close()
    assert "project.row_filter.exempt" in actions
    assert declared and [f["id"] for f in declared[-1].event.details["after"]][0] == "national-opt-out"


def test_the_servers_provenance_names_the_filters_for_checkers(haven_hub, servers):
    server = haven_hub.api("GET", f"/users/ada/servers/{FILTERED}").json()
    record = server["state"]["haven_provenance"]
    (dataset,) = record["datasets"]
    assert dataset["name"] == DATASET
    applied = dataset["row_filters"]["applied"]
    assert [f["id"] for f in applied] == ["national-opt-out", "research-consent"]
    assert dataset["row_filters"]["copy"]["rows"] == 3


def test_a_changed_opt_out_list_makes_a_new_copy_at_the_next_start(haven_hub, servers):
    # (That an unchanged one is reused is tests/unit/governance/test_row_filters.py's: a restart costs seconds.)
    tmp, _ = servers
    first = mounted_source(haven_hub, FILTERED)
    declare(haven_hub, tmp, ["4010000002", "4010000004"])
    haven_hub.stop("ada", FILTERED)
    haven_hub.spawn("ada", FILTERED)
    assert mounted_source(haven_hub, FILTERED) != first
    after = probe(haven_hub, FILTERED)
    assert after["haven"] == {OPTED_OUT: 0, NO_CONSENT: 0, LATER_OPTED_OUT: 0}
    assert after["bytes"][LATER_OPTED_OUT] == []
    assert row_filter_events(haven_hub, FILTERED)[-1]["details"]["reused"] is False


def test_a_bad_declaration_is_refused_with_one_clear_message_and_changes_nothing(haven_hub, servers):
    tmp, _ = servers
    before = ok(haven_hub, "dataset", "row-filters", DATASET)
    (tmp / "bad.yaml").write_text("filters: [{id: consent, kind: require-value, column: consnet, value: true}]\n")
    refused = haven_cli(haven_hub, "dataset", "row-filters", DATASET, "--set", str(tmp / "bad.yaml"))
    assert refused.returncode == 2
    assert "has no column 'consnet'" in refused.stderr
    assert ok(haven_hub, "dataset", "row-filters", DATASET) == before
    unknown = haven_cli(haven_hub, "project", "exempt", FILTERED, DATASET, "no-such-filter", "--reason", "x")
    assert unknown.returncode == 1 and "has no row filter 'no-such-filter'" in unknown.stderr


def test_the_admin_project_page_shows_the_recorded_exemption(haven_hub, servers):
    page = haven_hub.login("root-admin").get(f"{haven_hub.url}/services/admin/projects/{EXEMPT}", timeout=60)
    assert page.status_code == 200
    section = page.text[page.text.index('id="row-filter-exemptions"'):]
    assert "<code>optout_cohort</code> / <code>national-opt-out</code>: approved by the data access committee" in section


def test_a_checker_sees_the_filters_on_the_request_page(haven_hub, servers):
    from tests.integration.egress.client import PREFIX, Egress, browser_sessions

    egress = Egress(hub=haven_hub, base=haven_hub.url + PREFIX)
    egress.wait_ready()
    container = docker.from_env(version="auto").containers.get(haven_hub.container_name("ada", FILTERED))
    written = container.exec_run(["python3", "-c", "import pathlib; pathlib.Path('/home/analyst/workspace/"
                                  "rowf.csv').write_text('region,count\\nnorth,15\\n')"],
                                 user=str(haven_hub.settings.spawner.container_uid))
    assert written.exit_code == 0, written.output.decode()
    response = requests.post(
        f"{haven_hub.url}/user/ada/{FILTERED}/haven/requests",
        headers={"Authorization": f"token {haven_hub.user_token('ada')}"}, timeout=60,
        data=json.dumps({"title": "Filtered counts", "purpose": "row filters shown", "files": [
            {"path": "workspace/rowf.csv", "description": "counts", "kind": "frequency_table"}]}))
    assert response.status_code == 201, response.text
    page = browser_sessions(egress)("carol").get(f"{egress.base}requests/{response.json()['id']}", timeout=30)
    section = page.text[page.text.index('id="provenance"'):]
    assert "Row filters applied on the host" in section
    assert "<code>national-opt-out</code>, <code>research-consent</code>" in section


def test_withdrawing_an_exemption_stops_the_servers_that_mount_the_unfiltered_rows(haven_hub, servers):
    withdrawn = ok(haven_hub, "project", "unexempt", EXEMPT, DATASET, "national-opt-out")
    assert "stopped the servers of: ada" in withdrawn
    assert EXEMPT not in haven_hub.api("GET", "/users/ada").json()["servers"]
    log = HubAuditLog.from_settings(haven_hub.settings)
    try:
        assert log.events(EventFilter(project=EXEMPT, type="project.row_filter.unexempt"))
    finally:
        log.close()
