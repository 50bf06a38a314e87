"""The 20-file request checks benchmark at a small size: a broken benchmark fails CI."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_request_checks_smoke():
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "request_checks.py"), "--rows", "20000", "--repeat", "1", "--json"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["files"] == 20
    assert 0 < figures["submit_s"] < figures["end_to_end_s"] and figures["direct_checks_s"] > 0
    assert figures["ratio"] == figures["end_to_end_s"] / figures["direct_checks_s"]
