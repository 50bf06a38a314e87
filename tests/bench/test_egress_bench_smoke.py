"""The egress benchmark at its CI size, so a broken benchmark fails CI; figures are not judged."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.docker


def test_egress_latency_smoke():
    result = subprocess.run([sys.executable, str(REPO / "bench" / "egress_latency.py"), "--small", "--json"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert (figures["files_per_request"], figures["queue"]) == (20, 500)
    assert figures["submit_http_median_s"] > 0 and figures["submit_direct_median_s"] > 0
    assert figures["submit_ratio"] == pytest.approx(
        figures["submit_http_median_s"] / figures["submit_direct_median_s"], rel=0.01)
    assert figures["list_http_per_s"] > 0 and figures["list_ratio"] > 0
