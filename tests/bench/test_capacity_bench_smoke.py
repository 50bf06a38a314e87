"""bench/capacity.py at its CI size (two servers), so a broken benchmark fails CI; figures are not judged."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import sizing  # noqa: E402

pytestmark = pytest.mark.docker


def test_capacity_smoke(tmp_path):
    page = tmp_path / "scaling.md"
    page.write_text(f"# Scaling\n\nprose before\n\n{sizing.BEGIN}\nold figures\n{sizing.END}\n\nprose after\n")
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "capacity.py"), "--burst", "2", "--running", "2", "--stopped", "1",
         "--events", "2000", "--calls", "5", "--settle", "0", "--no-warm-up", "--table", str(page), "--json"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    burst, held, api, audit = figures["burst"], figures["held"], figures["api"], figures["audit"]
    assert burst["size"] == 2 and burst["p50_ratio"] == pytest.approx(burst["p50_s"] / figures["single_s"], rel=0.05)
    # Every server held answered, each with a kernel that queried through haven; its memory is real.
    assert held["answering"] == held["running"] == 2
    assert 20 < held["memory_mib_median"] <= 2048 and held["services_mib"] > 50
    assert api["stopped"] == 1 and api["user_model_ratio"] > 0 and api["user_list_ratio"] > 0
    assert audit["events"] == 2000 and audit["verify_s"] > 0
    # Only the measured section of the page is rewritten, and says it is a small run.
    text = page.read_text()
    assert text.startswith("# Scaling\n\nprose before\n") and text.endswith("\n\nprose after\n")
    assert "old figures" not in text and "**at a small size**" in text
    for memory, cores in sizing.HOSTS:
        assert f"| {memory} GiB | {cores} |" in text
