from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from haven_hub.datasets import Catalogue


def files_under(root: Path) -> list[str]:
    """Every file and directory under root (hidden ones included): 'nothing left behind'
    means this is the same before and after a refused add."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture
def catalogue(tmp_path: Path) -> Catalogue:
    root = tmp_path / "catalogue"
    root.mkdir()
    return Catalogue(root)


@pytest.fixture
def good_csv(tmp_path: Path) -> Path:
    path = tmp_path / "visits.csv"
    path.write_text(
        "id,ward,age,cost\n1,A,34,10.5\n2,B,71,22.0\n3,\"C, east\",55,7.25\n4,A,18,3.0\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def good_parquet(tmp_path: Path) -> Path:
    path = tmp_path / "wards.parquet"
    duckdb.sql(f"copy (select range as ward_id, 'ward ' || range as label from range(50)) to '{path}' (format parquet)")
    return path
