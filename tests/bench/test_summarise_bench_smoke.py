"""The summarise-evidence benchmark at a small size, ACRO included: a broken benchmark fails CI.
Figures are not judged here, but the flags must agree with ACRO's (that is not noise)."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_summarise_evidence_smoke():
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "summarise_evidence.py"), "--rows", "20000", "--repeat", "1",
         "--acro", "--json"],
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["cells"] > 100 and figures["summarise_s"] > 0 and figures["plain_group_by_s"] > 0
    assert figures["ratio"] == figures["summarise_s"] / figures["plain_group_by_s"]
    assert figures["flagged"]["dominance_nk"] > 0
    assert figures["same_dominance_flags_as_acro"], figures["flag_differences"]
