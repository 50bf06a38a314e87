"""Adding datasets: what a good add writes, and every refusal leaves nothing behind."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

from haven_hub.datasets import AddRequest, DatasetError, SourceChanged
from haven_hub.datasets.metadata import sha256_of

from .conftest import files_under


def test_csv_becomes_versioned_read_only_parquet_with_metadata(catalogue, good_csv):
    metadata = catalogue.add(AddRequest(
        name="visits", source=good_csv, title="Ward visits", licence="DSA-2026-017",
        source_note="test fixture", column_descriptions={"ward": "ward code"},
    ))
    version_dir = catalogue.root / "visits" / "1"
    assert metadata.version == "1" and metadata.rows == 4
    assert sorted(os.listdir(version_dir)) == ["SHA256SUMS", "data.parquet", "metadata.json"]
    stored = json.loads((version_dir / "metadata.json").read_text())
    assert stored["title"] == "Ward visits" and stored["licence"] == "DSA-2026-017"
    assert [(c["name"], c["type"]) for c in stored["columns"]] == [
        ("id", "BIGINT"), ("ward", "VARCHAR"), ("age", "BIGINT"), ("cost", "DOUBLE")]
    assert stored["columns"][1]["description"] == "ward code"
    assert stored["files"] == [{"path": "data.parquet", "sha256": sha256_of(version_dir / "data.parquet"),
                                "bytes": (version_dir / "data.parquet").stat().st_size}]
    assert stored["source_file"]["sha256"] == sha256_of(good_csv)
    # Same rows as the CSV, compressed with zstd.
    assert duckdb.sql(f"select * from '{version_dir}/data.parquet' order by id").fetchall() == \
        duckdb.sql(f"select * from read_csv('{good_csv}') order by id").fetchall()
    codecs = duckdb.sql(f"select distinct compression from parquet_metadata('{version_dir}/data.parquet')").fetchall()
    assert codecs == [("ZSTD",)]
    for path in version_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert stat.S_IMODE(version_dir.stat().st_mode) == 0o555
    assert catalogue.leftovers() == []


def test_new_versions_never_replace_old_ones(catalogue, good_csv, good_parquet):
    catalogue.add(AddRequest(name="visits", source=good_csv))
    first = sha256_of(catalogue.root / "visits" / "1" / "data.parquet")
    catalogue.add(AddRequest(name="visits", source=good_parquet))
    assert [m.version for m in catalogue.versions("visits")] == ["1", "2"]
    assert sha256_of(catalogue.root / "visits" / "1" / "data.parquet") == first
    assert catalogue.resolve("visits") == catalogue.root / "visits" / "2"
    assert catalogue.resolve("visits", "1") == catalogue.root / "visits" / "1"


def test_duplicate_version_is_refused_and_changes_nothing(catalogue, good_csv, good_parquet):
    catalogue.add(AddRequest(name="visits", source=good_csv, version="2026.1"))
    before = files_under(catalogue.root)
    checksum = sha256_of(catalogue.root / "visits" / "2026.1" / "data.parquet")
    with pytest.raises(DatasetError, match="already has version '2026.1'"):
        catalogue.add(AddRequest(name="visits", source=good_parquet, version="2026.1"))
    assert files_under(catalogue.root) == before
    assert sha256_of(catalogue.root / "visits" / "2026.1" / "data.parquet") == checksum


def test_duckdb_table_is_taken_and_a_missing_table_names_the_others(catalogue, tmp_path):
    database = tmp_path / "source.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create table beds as select range as bed, range % 3 as ward from range(10)")
        con.execute("create table staff as select 1 as id")
    metadata = catalogue.add(AddRequest(name="beds", source=database, table="beds"))
    assert metadata.rows == 10 and metadata.source_file.table == "beds"
    before = files_under(catalogue.root)
    with pytest.raises(DatasetError, match=r"no table 'nurses'; the database holds \['beds', 'staff'\]"):
        catalogue.add(AddRequest(name="nurses", source=database, table="nurses"))
    assert files_under(catalogue.root) == before


@pytest.mark.parametrize("content, line, what", [
    ("a,b,c\n1,x,2\n2,y\n3,z,4\n", 3, "expected 3 fields as in the header, found 2"),
    ("a,b\n1,x\n2,y,7\n", 3, "expected 2 fields as in the header, found 3"),
    ("a,b\n1,x\n\"2,y\n3,z\n", 4, "malformed CSV"),
    ("a,a\n1,2\n", 1, "duplicate column names"),
    ("a,b\n1,x\n2,\xff\n", 3, "not valid UTF-8"),
])
def test_malformed_csv_names_the_line_and_leaves_nothing(catalogue, tmp_path, content, line, what):
    path = tmp_path / "bad.csv"
    path.write_bytes(content.encode("latin-1"))
    before = files_under(catalogue.root)
    with pytest.raises(DatasetError) as raised:
        catalogue.add(AddRequest(name="bad", source=path))
    assert f"line {line}:" in str(raised.value) and what in str(raised.value)
    assert before == [] and files_under(catalogue.root) == [".tmp"]
    assert catalogue.leftovers() == []
    assert not (catalogue.root / "bad").exists()


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".hidden", "Visits", "with space", "", "select", "x" * 64])
def test_unsafe_or_unusable_names_are_refused(catalogue, good_csv, name):
    with pytest.raises(DatasetError, match="invalid dataset name"):
        catalogue.add(AddRequest(name=name, source=good_csv))
    assert files_under(catalogue.root) == []
    assert not (catalogue.root.parent / "escape").exists()


@pytest.mark.parametrize("version", ["..", "../1", "1/2", ".1", "-1", "a b"])
def test_unsafe_versions_are_refused(catalogue, good_csv, version):
    with pytest.raises(DatasetError, match="invalid version"):
        catalogue.add(AddRequest(name="visits", source=good_csv, version=version))
    assert files_under(catalogue.root) == []


def test_a_file_changing_while_being_read_is_refused(catalogue, good_csv):
    def a_writer_appends():
        with good_csv.open("a") as stream:
            stream.write("5,D,40,1.0\n")

    with pytest.raises(SourceChanged, match="changed while it was being read"):
        catalogue.add(AddRequest(name="visits", source=good_csv), after_copy=a_writer_appends)
    assert files_under(catalogue.root) == [".tmp"]


def test_a_same_size_rewrite_is_caught_by_the_hash(catalogue, good_csv):
    original = good_csv.stat()

    def rewrite_in_place_and_restore_mtime():
        # Same length, same mtime: only the second hash can see it.
        good_csv.write_text(good_csv.read_text().replace("A", "Z"))
        os.utime(good_csv, ns=(original.st_atime_ns, original.st_mtime_ns))

    with pytest.raises(SourceChanged):
        catalogue.add(AddRequest(name="visits", source=good_csv), after_copy=rewrite_in_place_and_restore_mtime)
    assert files_under(catalogue.root) == [".tmp"]


def test_unreadable_file_is_refused(catalogue, good_csv):
    if os.geteuid() != 0:
        good_csv.chmod(0)
        with pytest.raises(DatasetError, match="permission denied"):
            catalogue.add(AddRequest(name="visits", source=good_csv))
        assert files_under(catalogue.root) == [".tmp"]
        return
    # Root reads any file, so the real command runs as an unprivileged user, in a
    # directory that user can reach (pytest's own temporary tree is private to root).
    with tempfile.TemporaryDirectory() as place:
        place = Path(place)
        place.chmod(0o755)
        root = place / "catalogue"
        root.mkdir(mode=0o777)
        root.chmod(0o777)
        secret = place / "secret.csv"
        secret.write_text(good_csv.read_text())
        secret.chmod(0)
        result = subprocess.run(
            [sys.executable, "-m", "haven_hub.datasets", "--catalogue", str(root),
             "add", "visits", "--from", str(secret)],
            user=65534, group=65534, capture_output=True, text=True, cwd="/",
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3] / "hub")},
        )
        assert result.returncode == 2, result.stderr
        assert "cannot read the file (permission denied)" in result.stderr
        assert files_under(root) == [".tmp"]


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "absent.csv", "no such file"),
    (lambda d: (d / "folder.csv").mkdir() or d / "folder.csv", "not a regular file|is a directory"),
    (lambda d: (d / "notes.txt").write_text("x") and d / "notes.txt", "unknown file type"),
    (lambda d: (d / "fake.parquet").write_text("not parquet") and d / "fake.parquet", "cannot read it as parquet"),
])
def test_missing_or_unreadable_sources_are_refused(catalogue, tmp_path, make, message):
    source = make(tmp_path)
    with pytest.raises(DatasetError, match=message):
        catalogue.add(AddRequest(name="visits", source=source))
    assert set(files_under(catalogue.root)) <= {".tmp"}


def test_descriptions_of_unknown_columns_are_refused(catalogue, good_csv):
    with pytest.raises(DatasetError, match=r"columns that do not exist: \['wrad'\]"):
        catalogue.add(AddRequest(name="visits", source=good_csv, column_descriptions={"wrad": "typo"}))
    assert files_under(catalogue.root) == [".tmp"]
