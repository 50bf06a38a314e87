"""Granted datasets inside real project servers: exactly the grants, read-only, queried
through ``import haven`` with the same answers as DuckDB and pandas on the host."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from haven_hub.datasets.catalogue import Catalogue
from tests.fixtures.docker_engine import run_python
from tests.fixtures.hub import UNGRANTED_DATASET

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]

QUERY = """
select a.diagnosis_chapter, p.sex, count(*) as admissions, round(sum(a.cost_gbp), 2) as cost
from admissions a join patients p using (patient_id)
where a.length_of_stay_days >= 2
group by all order by all
"""


@pytest.fixture(scope="module")
def ada_alpha(haven_hub):
    haven_hub.spawn("ada", "alpha")
    yield haven_hub.container_name("ada", "alpha")
    haven_hub.stop("ada", "alpha")


@pytest.fixture(scope="module")
def catalogue(haven_hub):
    settings = haven_hub.settings
    return Catalogue(settings.data_path(settings.datasets.catalogue_dir))


def in_container(container: str, code: str) -> dict:
    return json.loads(run_python(container, code).strip().splitlines()[-1])


def test_a_server_sees_exactly_its_grants(haven_hub, ada_alpha, catalogue):
    assert UNGRANTED_DATASET in catalogue.names()  # it exists: its absence below means something
    seen = in_container(ada_alpha, "import os, json; print(json.dumps(sorted(os.listdir('/data'))))")
    assert seen == ["admissions", "patients"]
    haven_hub.spawn("bob", "beta")
    try:
        bob = haven_hub.container_name("bob", "beta")
        code = "import haven, json; print(json.dumps([d.name for d in haven.datasets()]))"
        assert in_container(bob, code) == ["patients"]
    finally:
        haven_hub.stop("bob", "beta")


def test_datasets_cannot_be_written(ada_alpha):
    code = """
import json, os
results = {}
for path in ("/data/new.csv", "/data/admissions/extra.parquet"):
    try:
        open(path, "w").write("x")
        results[path] = "written"
    except OSError as error:
        results[path] = error.strerror
parquet = [f for f in os.listdir("/data/admissions") if f.endswith(".parquet")][0]
try:
    open(f"/data/admissions/{parquet}", "ab").write(b"x")
    results["append"] = "written"
except OSError as error:
    results["append"] = error.strerror
print(json.dumps(results))
"""
    results = in_container(ada_alpha, code)
    assert "written" not in results.values(), results
    assert results["/data/admissions/extra.parquet"] == "Read-only file system"


def test_haven_sql_equals_duckdb_and_pandas_on_the_host(ada_alpha, catalogue):
    code = f"""
import haven, json
relation = haven.sql({QUERY!r})
frame = relation.df()
polars_rows = haven.sql({QUERY!r}).pl().rows()
print(json.dumps({{"pandas": frame.values.tolist(), "polars": [list(r) for r in polars_rows]}}))
"""
    inside = in_container(ada_alpha, code)

    admissions = sorted(str(p) for p in catalogue.resolve("admissions").glob("*.parquet"))
    patients = sorted(str(p) for p in catalogue.resolve("patients").glob("*.parquet"))
    with duckdb.connect() as con:
        con.execute(f"create view admissions as select * from read_parquet({admissions})")
        con.execute(f"create view patients as select * from read_parquet({patients})")
        raw = [list(row) for row in con.sql(QUERY).fetchall()]

    a = pd.concat(pd.read_parquet(p) for p in admissions)
    p = pd.concat(pd.read_parquet(f) for f in patients)
    merged = a[a["length_of_stay_days"] >= 2].merge(p, on="patient_id")
    grouped = (
        merged.groupby(["diagnosis_chapter", "sex"], as_index=False)
        .agg(admissions=("cost_gbp", "size"), cost=("cost_gbp", "sum"))
        .sort_values(["diagnosis_chapter", "sex"])
    )
    by_pandas = [[r.diagnosis_chapter, r.sex, int(r.admissions), round(float(r.cost), 2)] for r in grouped.itertuples()]

    assert len(raw) > 10
    assert inside["pandas"] == raw
    assert inside["polars"] == raw
    assert [row[:3] for row in by_pandas] == [row[:3] for row in raw]
    assert [row[3] for row in by_pandas] == pytest.approx([row[3] for row in raw], rel=1e-9)


LOCKED = """
import haven, json
con = haven.connect()
attempts = {
    "read outside": "select * from read_csv('/etc/passwd')",
    "read home": "select * from read_csv('/home/analyst/.bashrc')",
    "set": "set enable_external_access = true",
    "reset": "reset lock_configuration",
    "set memory": "set memory_limit = '100GB'",
    "install": "install httpfs",
    "load": "load httpfs",
    "copy outside": "copy (select 1 as x) to '/tmp/out.csv'",
    "url": "select * from read_parquet('http://198.51.100.10/x.parquet')",
    "attach": "attach '/tmp/other.duckdb'",
}
results = {}
for name, statement in attempts.items():
    try:
        con.execute(statement)
        results[name] = "allowed"
    except Exception as error:
        results[name] = type(error).__name__
con.execute("copy (select 42 as answer) to '/home/analyst/workspace/answer.csv'")
results["copy to workspace"] = open("/home/analyst/workspace/answer.csv").read().split()[-1]
print(json.dumps(results))
"""


def test_duckdb_is_locked_down_inside_the_container(ada_alpha):
    results = in_container(ada_alpha, LOCKED)
    allowed = sorted(name for name, outcome in results.items() if outcome == "allowed")
    assert allowed == [], results
    assert results["copy to workspace"] == "42"


def test_a_query_bigger_than_memory_spills_to_scratch(ada_alpha):
    # A hash aggregate over 3 million 64-character keys: far more than 64 MB.
    query = (
        "select count(*) from (select s, count(*) from "
        "(select md5(i::varchar) || md5((i + 1)::varchar) as s from range(3000000) t(i)) group by s)"
    )
    code = f"""
import haven, json, os
results = {{}}
for label, scratch in (("scratch", None), ("no scratch", "/nonexistent")):
    con = haven.open_connection(memory_limit="64MB", threads=1, scratch_dir=scratch)
    try:
        results[label] = con.sql({query!r}).fetchall()[0][0]
    except Exception as error:
        results[label] = type(error).__name__
    finally:
        con.close()
print(json.dumps(results))
"""
    results = in_container(ada_alpha, code)
    assert results["scratch"] == 3_000_000, results
    # Positive control: the same query with nowhere to spill does not fit.
    assert results["no scratch"] == "OutOfMemoryException", results


def test_a_grant_the_catalogue_cannot_honour_refuses_the_spawn(haven_hub, docker_client):
    token = haven_hub.user_token("bob")
    response = haven_hub.api("POST", "/users/bob/servers/gamma", token=token)
    assert response.status_code == 409
    message = response.json()["message"]
    assert "granted dataset 'withdrawn_extract'" in message and "Ask an administrator" in message
    assert not docker_client.containers.list(all=True, filters={"name": haven_hub.container_name("bob", "gamma")})
    settings = haven_hub.settings
    assert not (settings.hub.data_dir / "projects" / "gamma").exists()


def test_dataset_show_lists_the_projects_holding_a_grant(haven_hub):
    import os
    import subprocess
    import sys

    env = {**os.environ, "HAVEN_SETTINGS": str(haven_hub.settings_path)}
    show = lambda name: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "haven_cli", "dataset", "show", name], capture_output=True, text=True, env=env
    )
    patients = show("patients")
    assert patients.returncode == 0, patients.stderr
    assert "grants: alpha (latest), beta (1)" in patients.stdout
    assert "grants: none" in show(UNGRANTED_DATASET).stdout
