"""Dataset queries: ``haven`` in a hardened container vs raw DuckDB on the host vs pandas.

On the synthetic admissions data, two queries: a group-by on string keys and a join
with a filter. Each is timed

- (a) through ``import haven`` inside a hardened project container (the spawner's own
  lockdown spec, datasets mounted read-only from the catalogue), against the same SQL in
  raw DuckDB on the host over the same Parquet files, both with the same threads and
  memory limit;
- (b) against the pandas way (read the Parquet, merge, group) in the same container.

Each figure is the median of several runs measured inside one process, so container
start and ``docker exec`` are not counted; the ratios come from this one run.

usage: python bench/dataset_queries.py [--rows N] [--repeat K] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from haven_hub.datasets.catalogue import Catalogue  # noqa: E402
from haven_hub.datasets.demo import load_demo_datasets  # noqa: E402
from haven_hub.settings import Limits  # noqa: E402
from tests.fixtures.docker_engine import DOCKER_CLI, NOTEBOOK_IMAGE, remove_test_objects, run_hardened  # noqa: E402

PREFIX = "hvbench"
THREADS = 2
DUCKDB_MEMORY = "3GB"
CONTAINER_LIMITS = Limits(cpu=2.0, memory="12G", pids=1024)  # room for pandas at 1e7 rows

QUERIES = {
    "group_by_strings": """
        select region, diagnosis_chapter, admission_method, count(*) as n, sum(cost_gbp) as cost
        from admissions join patients using (patient_id)
        group by all""",
    "join_with_filter": """
        select p.region, count(*) as n, avg(a.length_of_stay_days) as mean_stay
        from admissions a join patients p using (patient_id)
        where a.admission_date >= date '2022-01-01' and p.imd_quintile = 1
        group by p.region""",
}

# Runs inside the container (haven, pandas) or on the host (raw DuckDB).
TIMER = r'''
import json, statistics, sys, time
mode, repeat, queries, threads, memory, paths = json.loads(sys.argv[1])

def timed(run):
    times = []
    for _ in range(repeat):
        started = time.perf_counter(); rows = run(); times.append(time.perf_counter() - started)
    return statistics.median(times), rows

results = {}
if mode == "haven":
    import haven
    con = haven.open_connection(threads=threads, memory_limit=memory)
    for name, sql in queries.items():
        results[name] = timed(lambda: len(con.sql(sql).fetchall()))
elif mode == "raw":
    import duckdb
    con = duckdb.connect()
    con.execute(f"set threads = {threads}; set memory_limit = '{memory}'")
    for table, files in paths.items():
        con.execute(f"create view {table} as select * from read_parquet({files!r})")
    for name, sql in queries.items():
        results[name] = timed(lambda: len(con.sql(sql).fetchall()))
else:
    import glob
    import pandas as pd
    def read(table):
        return pd.read_parquet(sorted(glob.glob(f"/data/{table}/*.parquet")))
    def group_by_strings():
        merged = read("admissions").merge(read("patients"), on="patient_id")
        out = merged.groupby(["region", "diagnosis_chapter", "admission_method"], observed=True).agg(
            n=("cost_gbp", "size"), cost=("cost_gbp", "sum"))
        return len(out)
    def join_with_filter():
        a = read("admissions"); p = read("patients")
        a = a[a["admission_date"] >= pd.Timestamp("2022-01-01").date()]
        p = p[p["imd_quintile"] == 1]
        out = a.merge(p, on="patient_id").groupby("region").agg(
            n=("length_of_stay_days", "size"), mean_stay=("length_of_stay_days", "mean"))
        return len(out)
    results = {"group_by_strings": timed(group_by_strings), "join_with_filter": timed(join_with_filter)}
print(json.dumps(results))
'''


def run_timer(command: list[str], mode: str, repeat: int, paths: dict[str, list[str]]) -> dict:
    argument = json.dumps([mode, repeat, QUERIES, THREADS, DUCKDB_MEMORY, paths])
    result = subprocess.run([*command, "-", argument], input=TIMER.encode(), capture_output=True, timeout=3600)
    if result.returncode != 0:
        raise SystemExit(f"{mode} timing failed:\n{result.stderr.decode(errors='replace')[-3000:]}")
    return json.loads(result.stdout)


def start_container(client: docker.DockerClient, catalogue: Catalogue) -> str:
    binds = {
        str(catalogue.resolve(name)): {"bind": f"/data/{name}", "mode": "ro"} for name in ("admissions", "patients")
    }
    network = client.networks.create(f"{PREFIX}-net", internal=True)
    return run_hardened(
        client, NOTEBOOK_IMAGE, name=f"{PREFIX}-queries", network=network.name, limits=CONTAINER_LIMITS,
        command=["python3", "-c", "import time; time.sleep(86400)"], tmp_size="256M", binds=binds,
    ).name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="haven in a hardened container vs raw DuckDB vs pandas")
    parser.add_argument("--rows", type=float, default=1e7, help="admissions rows (default 1e7)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each query (median taken)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    client = docker.from_env(version="auto")
    remove_test_objects(client, PREFIX)
    with tempfile.TemporaryDirectory(prefix="haven-bench-data-", dir="/var/tmp") as tmp:
        catalogue = Catalogue(Path(tmp) / "datasets")
        started = time.perf_counter()
        load_demo_datasets(catalogue, int(args.rows))
        prepared = time.perf_counter() - started
        paths = {name: sorted(str(p) for p in catalogue.resolve(name).glob("*.parquet"))
                 for name in ("admissions", "patients")}
        container = start_container(client, catalogue)
        try:
            exec_python = [DOCKER_CLI, "exec", "-i", container, "python3"]
            # Interleaved: raw, haven, pandas, so machine noise falls on all three.
            raw = run_timer([sys.executable], "raw", args.repeat, paths)
            haven = run_timer(exec_python, "haven", args.repeat, paths)
            pandas = run_timer(exec_python, "pandas", args.repeat, paths)
        finally:
            remove_test_objects(client, PREFIX)

    result = {"benchmark": "dataset_queries", "rows": int(args.rows), "repeat": args.repeat,
              "threads": THREADS, "duckdb_memory": DUCKDB_MEMORY, "prepare_s": round(prepared, 1), "queries": {}}
    for name in QUERIES:
        (raw_s, raw_rows), (haven_s, haven_rows), (pandas_s, pandas_rows) = raw[name], haven[name], pandas[name]
        if not raw_rows == haven_rows == pandas_rows:
            raise SystemExit(f"{name}: the three ways disagree on the number of groups "
                             f"({raw_rows}, {haven_rows}, {pandas_rows})")
        result["queries"][name] = {
            "raw_duckdb_host_s": round(raw_s, 4), "haven_container_s": round(haven_s, 4),
            "pandas_container_s": round(pandas_s, 4),
            "a_haven_over_raw": round(haven_s / raw_s, 3), "b_pandas_over_haven": round(pandas_s / haven_s, 2),
        }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['rows']:,} admissions, {THREADS} threads, DuckDB memory {DUCKDB_MEMORY}, "
          f"median of {args.repeat} (data prepared in {result['prepare_s']} s)")
    for name, q in result["queries"].items():
        print(f"  {name}: raw {q['raw_duckdb_host_s']:.3f} s, haven {q['haven_container_s']:.3f} s, "
              f"pandas {q['pandas_container_s']:.3f} s")
        print(f"    (a) haven/raw = {q['a_haven_over_raw']:.2f}x (goal <= 1.10)   "
              f"(b) pandas/haven = {q['b_pandas_over_haven']:.1f}x (goal >= 2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
