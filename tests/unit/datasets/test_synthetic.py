"""The synthetic demo dataset: deterministic, and shaped enough for disclosure checks to bite."""

from __future__ import annotations

import duckdb
import pytest

from haven_hub.datasets.metadata import sha256_of
from haven_hub.datasets.synthetic import CHUNK_ROWS, write_synthetic

ROWS = 40_000


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    write_synthetic(out, rows=ROWS, seed=7)
    return out


def q(sql: str):
    return duckdb.sql(sql).fetchall()


def test_same_seed_same_bytes_other_seed_other_bytes(synthetic, tmp_path):
    again, other = tmp_path / "again", tmp_path / "other"
    write_synthetic(again, rows=ROWS, seed=7)
    write_synthetic(other, rows=ROWS, seed=8)
    for name in ("patients.parquet", "admissions.parquet"):
        assert sha256_of(again / name) == sha256_of(synthetic / name)
        assert sha256_of(other / name) != sha256_of(synthetic / name)
    assert sorted(p.name for p in again.iterdir()) == [
        "admissions.columns.json", "admissions.parquet", "patients.columns.json", "patients.parquet"]


def test_chunked_writing_gives_the_rows_asked_for(tmp_path):
    rows = CHUNK_ROWS + 1_000  # two chunks: the second a partial one
    write_synthetic(tmp_path, rows=rows, seed=1)
    admissions = tmp_path / "admissions.parquet"
    assert q(f"select count(*), count(distinct admission_id), max(admission_id) from '{admissions}'") == [(rows, rows, rows)]
    assert q(f"select count(*) from parquet_metadata('{admissions}') group by file_name") != []


def test_shape_of_the_data(synthetic):
    a, p = synthetic / "admissions.parquet", synthetic / "patients.parquet"
    joined = f"'{a}' join '{p}' using (patient_id)"
    # Every admission has a patient; dates are consistent with the length of stay.
    assert q(f"select count(*) from {joined}") == [(ROWS,)]
    assert q(f"select count(*) from '{a}' where discharge_date - admission_date != length_of_stay_days "
             "or length_of_stay_days < 0") == [(0,)]
    # Who can have what: pregnancy only women 15-44, perinatal only under-5s.
    assert q(f"select count(*) from {joined} where diagnosis_chapter = 'XV' "
             "and not (sex = 'F' and age_band in ('15-24', '25-34', '35-44'))") == [(0,)]
    assert q(f"select count(*) from {joined} where diagnosis_chapter = 'XVI' and age_band != '0-4'") == [(0,)]
    assert q(f"select count(distinct diagnosis_chapter) from '{a}'") == [(22,)]
    # Admissions skew to the most deprived and the old.
    by_imd = dict(q(f"select imd_quintile, count(*) from {joined} group by all"))
    assert by_imd[1] > by_imd[3] > by_imd[5]
    (per_person_old,), (per_person_young,) = (
        q(f"select count(*) / count(distinct patient_id) from {joined} where age_band in {bands}")[0]
        for bands in (("75-84", "85-89", "90+"), ("15-24", "25-34"))
    )
    assert per_person_old > 2 * per_person_young
    # Winter pressure: January busier than July.
    months = dict(q(f"select month(admission_date), count(*) from '{a}' group by all"))
    assert months[1] > 1.2 * months[7]
    # Long-tailed costs: mean well above the median, and a few dominant stays.
    mean, median, top = q(f"select avg(cost_gbp), median(cost_gbp), max(cost_gbp) from '{a}'")[0]
    assert mean > 1.3 * median and top > 20 * median


def test_rare_categories_exist_in_small_numbers(synthetic):
    p, a = synthetic / "patients.parquet", synthetic / "admissions.parquet"
    patients = ROWS // 4
    rare = {
        "indeterminate sex": f"select count(*) from '{p}' where sex = 'I'",
        "unknown region": f"select count(*) from '{p}' where region = 'Unknown'",
        "chapter XXII": f"select count(*) from '{a}' where diagnosis_chapter = 'XXII'",
        "chapter XX": f"select count(*) from '{a}' where diagnosis_chapter = 'XX'",
    }
    counts = {what: q(sql)[0][0] for what, sql in rare.items()}
    assert all(0 < count < 0.005 * patients * 4 for count in counts.values()), counts
    assert 0 < counts["indeterminate sex"] < 20, counts


def test_cli_writes_the_files(tmp_path, capsys):
    from haven_hub.datasets.cli import main

    assert main(["synthetic", "--rows", "2e3", "--out", str(tmp_path)]) == 0
    assert q(f"select count(*) from '{tmp_path}/admissions.parquet'") == [(2000,)]
    assert q(f"select count(*) from '{tmp_path}/patients.parquet'") == [(500,)]
