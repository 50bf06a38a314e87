"""One Haven built per session (building takes seconds), copied whole for each test that changes it."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import haven


@dataclass(frozen=True)
class BuiltHaven:
    settings: Path
    data: Path
    requests: dict[str, str]

    def cli(self, *argv: str) -> list[str]:
        return ["--settings", str(self.settings), *argv]


@pytest.fixture(scope="session")
def built_haven_template(tmp_path_factory) -> BuiltHaven:
    folder = tmp_path_factory.mktemp("haven-template")
    settings = haven.settings_file(folder)
    requests = haven.build(settings)
    return BuiltHaven(settings, folder / "data", requests)


@pytest.fixture
def built_haven(built_haven_template, tmp_path) -> BuiltHaven:
    """A copy of the built Haven of this test's own, owners and modes kept (``cp -a``)."""
    subprocess.run(["cp", "-a", str(built_haven_template.data), str(tmp_path / "data")], check=True)
    return BuiltHaven(haven.settings_file(tmp_path), tmp_path / "data", built_haven_template.requests)
