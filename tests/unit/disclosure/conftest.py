"""Shared helpers: tables are written to real files and checked through the real entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from haven_disclosure import FileResult, check_file


@pytest.fixture
def write(tmp_path: Path):
    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path
    return _write


@pytest.fixture
def check(write):
    """Write ``text`` as a file and check it; keyword arguments go to check_file."""
    def _check(text: str, name: str = "table.csv", **kwargs) -> FileResult:
        return check_file(write(name, text), **kwargs)
    return _check
