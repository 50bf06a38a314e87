"""The evidence join benchmark at a tiny size: a broken benchmark fails CI."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_evidence_join_smoke():
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "evidence_join.py"), "--cells-scale", "0.2",
         "--rows", "1000", "--repeat", "1", "--scan-cells", "5", "--json"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["cells"] == 2 * 4 * 2 * 9 and figures["contribution_rows"] == 1000
    assert figures["check_s"] > 0 and figures["scan_estimate_s"] > 0
    assert figures["ratio_vs_scan"] == figures["scan_estimate_s"] / figures["check_s"]
