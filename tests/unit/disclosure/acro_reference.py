"""ACRO's own answers on boundary cases, computed once by ACRO in its venv and cached on disk.

The cache is keyed by the SHA-256 of the cases, the reference script and ACRO's lock, so a
changed case, script or ACRO version recomputes; an unchanged one costs nothing (ACRO takes
about 7 s to start here). The folder is the ACRO venv cache (``HAVEN_ACRO_CACHE``).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

from haven_egress import acro_venv

SCRIPT = acro_venv.ACRO_DIR / "boundaries.py"


def acro_answers(cases: dict) -> dict:
    text = json.dumps(cases, sort_keys=True)
    key = hashlib.sha256(text.encode() + SCRIPT.read_bytes() + acro_venv.LOCK.read_bytes())
    cached = acro_venv.cache_root() / "answers" / f"boundaries-{key.hexdigest()[:16]}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    python = acro_venv.ensure()
    with tempfile.TemporaryDirectory(prefix="haven-acro-boundaries-") as folder:
        (Path(folder) / "cases.json").write_text(text)
        run = subprocess.run([str(python), str(SCRIPT), f"{folder}/cases.json", f"{folder}/out"],
                             capture_output=True, text=True, timeout=600,
                             cwd=folder)  # ACRO writes a figure's file under acro_artifacts/
    assert run.returncode == 0, run.stderr[-3000:]
    answers = json.loads(run.stdout)
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".partial")
    partial.write_text(json.dumps(answers))
    partial.replace(cached)  # never a half-written answer
    return answers
