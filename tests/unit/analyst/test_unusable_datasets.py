"""A project's mounts with one broken dataset: the others are listed and queried as usual, and
the broken one is named with why (docs/datasets.md, "A messy catalogue")."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import haven
from haven import UnknownDataset

BREAKAGE = {
    "corrupt Parquet": ("data.parquet", b"PAR1 not really parquet PAR1", "its data cannot be read"),
    "empty Parquet": ("data.parquet", b"", "its data cannot be read"),
    "metadata a JSON list": ("metadata.json", b"[]", "metadata.json is not a JSON object"),
    "metadata truncated": ("metadata.json", b'{"format": 1, "ver', "metadata.json is not valid JSON (Unterminated string"),
    "metadata not UTF-8": ("metadata.json", b"\xff\xfe{}", "metadata.json is not UTF-8 text"),
}


@pytest.fixture(params=list(BREAKAGE))
def broken_mounts(request, mounted, tmp_path, monkeypatch) -> tuple[Path, str]:
    """patients sound; admissions broken in one way."""
    file_name, content, reason = BREAKAGE[request.param]
    data = tmp_path / "data"
    shutil.copytree(mounted["data"], data)
    for path in data.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    (data / "admissions" / file_name).write_bytes(content)
    monkeypatch.setenv("HAVEN_DATA_DIR", str(data))
    monkeypatch.setenv("HAVEN_WORKSPACE_DIR", str(mounted["workspace"]))
    monkeypatch.setenv("HAVEN_SCRATCH_DIR", str(mounted["scratch"]))
    monkeypatch.setenv("HAVEN_MEMORY_LIMIT", "512MB")
    haven._shared = None
    yield data, reason
    if haven._shared is not None:
        haven._shared[0].close()
    haven._shared = None


def test_one_broken_dataset_leaves_the_others_usable_and_is_named(broken_mounts):
    data, reason = broken_mounts

    usable, unusable = haven.survey(data)
    assert sorted(usable) == ["patients"]
    assert list(unusable) == ["admissions"] and reason in unusable["admissions"]

    with pytest.warns(UserWarning, match="dataset 'admissions' skipped: .*ask an administrator"):
        listed = haven.datasets()
    assert [d.name for d in listed] == ["patients"]

    with pytest.warns(UserWarning, match="dataset 'admissions' skipped"):
        assert haven.sql("select count(*) from patients").fetchall()[0][0] > 0
    with pytest.raises(UnknownDataset, match="'admissions' is in this project but cannot be used: "):
        haven.table("admissions")
    assert haven.table("patients").limit(1).fetchall()

    with pytest.warns(UserWarning, match="dataset 'admissions' skipped"):
        con = haven.open_connection(data_dir=data, memory_limit="256MB", threads=1)
    try:
        assert con.sql("select count(*) from patients").fetchall()[0][0] > 0
    finally:
        con.close()
