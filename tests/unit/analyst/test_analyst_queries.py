"""haven gives the same answers as DuckDB and pandas on the host, through every front end."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa
import duckdb
import pytest

import haven

GROUP_BY = ("select p.region, a.diagnosis_chapter, count(*) as admissions, sum(a.cost_gbp) as cost "
            "from admissions a join patients p using (patient_id) where a.length_of_stay_days > 2 "
            "group by all order by all")


def test_datasets_lists_what_the_project_holds(project_env):
    held = {d.name: d for d in haven.datasets()}
    assert sorted(held) == ["admissions", "patients"]
    patients = held["patients"]
    assert patients.rows == 1_000 and patients.version == "1" and patients.title == "Synthetic patients"
    assert [(c.name, c.type) for c in patients.columns][:2] == [("patient_id", "BIGINT"), ("sex", "VARCHAR")]
    assert "most deprived" in {c.name: c.description for c in patients.columns}["imd_quintile"]
    assert "imd_quintile" in str(patients)


def test_sql_matches_raw_duckdb_and_pandas(project_env):
    raw = project_env["raw"]
    via_haven = haven.sql(GROUP_BY).df()
    unconfined = duckdb.sql(GROUP_BY.replace("admissions a", f"'{raw}/admissions.parquet' a")
                                    .replace("patients p", f"'{raw}/patients.parquet' p")).df()
    pd.testing.assert_frame_equal(via_haven, unconfined)

    admissions = pd.read_parquet(raw / "admissions.parquet")
    patients = pd.read_parquet(raw / "patients.parquet")
    merged = admissions[admissions.length_of_stay_days > 2].merge(patients, on="patient_id")
    by_pandas = (merged.groupby(["region", "diagnosis_chapter"], as_index=False)
                 .agg(admissions=("admission_id", "size"), cost=("cost_gbp", "sum"))
                 .sort_values(["region", "diagnosis_chapter"], ignore_index=True))
    assert via_haven[["region", "diagnosis_chapter", "admissions"]].astype(object).values.tolist() == \
        by_pandas[["region", "diagnosis_chapter", "admissions"]].astype(object).values.tolist()
    assert via_haven.cost.to_numpy() == pytest.approx(by_pandas.cost.to_numpy(), rel=1e-9)


def test_polars_and_arrow_give_the_same_rows(project_env):
    relation = haven.sql(GROUP_BY)
    as_pandas = relation.df()
    as_polars = relation.pl()
    as_arrow = relation.arrow().read_all()
    assert isinstance(as_polars, pl.DataFrame) and isinstance(as_arrow, pa.Table)
    assert as_polars.rows() == list(as_pandas.itertuples(index=False, name=None))
    assert as_arrow.to_pylist() == as_polars.to_dicts()


def test_table_is_the_whole_dataset(project_env):
    assert haven.table("admissions").shape == (4_000, 9)
    assert haven.connect() is haven.connect()


def test_unknown_names_list_the_datasets_held(project_env):
    with pytest.raises(haven.UnknownDataset, match="no dataset 'patient' in this project; it holds: admissions, patients"):
        haven.table("patient")
    with pytest.raises(duckdb.CatalogException) as raised:
        haven.sql("select * from admission")
    assert "datasets in this project: admissions, patients" in "\n".join(raised.value.__notes__)


def test_a_broken_dataset_directory_is_skipped_with_a_warning(mounted, tmp_path):
    import json
    import shutil

    data = tmp_path / "data"
    shutil.copytree(mounted["data"], data)
    metadata_path = data / "patients" / "metadata.json"
    metadata_path.chmod(0o644)
    metadata = json.loads(metadata_path.read_text())
    metadata["files"][0]["path"] = "../../outside/unapproved.parquet"
    metadata_path.write_text(json.dumps(metadata))
    with pytest.warns(UserWarning, match="dataset 'patients' skipped: file entry"):
        con = haven.open_connection(data_dir=data, workspace_dir=mounted["workspace"], scratch_dir=mounted["scratch"])
    try:
        assert [row[0] for row in con.sql("select view_name from duckdb_views() where not internal").fetchall()] == ["admissions"]
    finally:
        con.close()
