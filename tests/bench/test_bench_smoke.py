"""Each benchmark runs at a small size, so a broken benchmark fails CI; figures are not judged."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.docker


def test_spawn_latency_smoke():
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "spawn_latency.py"), "--runs", "1", "--json"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["runs"] == 1
    assert figures["haven_median_s"] > 0 and figures["bare_median_s"] > 0
    assert figures["ratio"] == pytest.approx(figures["haven_median_s"] / figures["bare_median_s"], rel=0.01)


def test_dataset_queries_smoke():
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "dataset_queries.py"), "--rows", "20000", "--repeat", "1", "--json"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(figures["queries"]) == {"group_by_strings", "join_with_filter"}
    for query in figures["queries"].values():
        assert query["haven_container_s"] > 0 and query["raw_duckdb_host_s"] > 0 and query["pandas_container_s"] > 0
