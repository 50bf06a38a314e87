"""Runs ``haven project`` as an administrator would: a real process against the test hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


class HavenCommand:
    def __init__(self, settings_path: Path) -> None:
        self.settings_path = settings_path

    def __call__(self, *args: str, settings: Path | None = None) -> Result:
        env = {**os.environ, "HAVEN_SETTINGS": str(settings or self.settings_path)}
        done = subprocess.run([sys.executable, "-m", "haven_cli", "project", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=240)
        return Result(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.code == 0, f"haven project {' '.join(args)} exited {result.code}:\n{result.err}{result.out}"
        return result


@pytest.fixture(scope="session")
def haven(haven_hub) -> HavenCommand:
    return HavenCommand(haven_hub.settings_path)
