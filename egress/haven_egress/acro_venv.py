"""ACRO's own virtual environment, made on demand and kept by the content of its lock file.

ACRO pins pandas<=2.3.3; Haven runs pandas 3. The two cannot share an environment, so ACRO
lives in a venv of its own built from ``egress/acro/requirements.lock`` (every package
pinned, installed with ``--no-deps`` so nothing floats). The venv's folder is named after the
lock's SHA-256: a changed lock builds a new one, an unchanged lock reuses the old one.
Haven never imports ACRO; it runs ``egress/acro/*.py`` scripts with this venv's python.

    python -m haven_egress.acro_venv        # build (or find) it; prints its python
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ACRO_DIR = Path(__file__).resolve().parents[1] / "acro"
LOCK = ACRO_DIR / "requirements.lock"
# The SACRO viewer (it pins Django<4.2): opens release bundles in tests, as an analyst would.
VIEWER_DIR = ACRO_DIR.parent / "sacro_viewer"
VIEWER_LOCK = VIEWER_DIR / "requirements.lock"
VIEWER_PROBE = "import sacro.models, django"
CACHE_ENV = "HAVEN_ACRO_CACHE"
BUILD_TIMEOUT = 900


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "haven" / "acro")


def venv_path(lock: Path = LOCK) -> Path:
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()[:16]
    return cache_root() / f"venv-{digest}"


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure(lock: Path = LOCK, probe: str = "import acro, pandas") -> Path:
    """The ACRO venv's python, building the venv first when this lock has none yet. Other
    tools kept apart the same way (the SACRO viewer: ``VIEWER_LOCK``) pass their own lock and
    the import that proves the venv works."""
    venv = venv_path(lock)
    if (venv / ".complete").exists():
        return python_of(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    # Built beside its final place and renamed when complete: an interrupted build is never
    # mistaken for a good one, and two builds at once do not mix.
    partial = venv.with_name(f"{venv.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(partial)], check=True, timeout=BUILD_TIMEOUT)
    subprocess.run([str(python_of(partial)), "-m", "pip", "install", "--quiet", "--no-deps",
                    "--disable-pip-version-check", "-r", str(lock)],
                   check=True, timeout=BUILD_TIMEOUT)
    subprocess.run([str(python_of(partial)), "-c", probe], check=True,
                   capture_output=True, timeout=120)
    (partial / ".complete").write_text(lock.read_text())
    try:
        partial.rename(venv)
    except OSError:  # another process finished first: use its venv
        shutil.rmtree(partial, ignore_errors=True)
    return python_of(venv)


def main() -> None:
    started = time.monotonic()
    python = ensure()
    print(f"{python} ({time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
