"""What the locked connection refuses. Each query here works on a plain DuckDB connection
(test_the_same_queries_work_unconfined shows it), so a pass means the lockdown did it."""

from __future__ import annotations

import duckdb
import pytest

import haven

LOCKED_CHANGES = [
    "set enable_external_access = true",
    "reset enable_external_access",
    "set lock_configuration = false",
    "set allowed_directories = ['/']",
    "set allowed_paths = ['/etc/passwd']",
    "set autoload_known_extensions = true",
    "set autoinstall_known_extensions = true",
    "set allow_community_extensions = true",
    "set allow_unsigned_extensions = true",
    "set memory_limit = '100GB'",
    "reset memory_limit",
    "set temp_directory = '/tmp'",
    "set max_temp_directory_size = '1TB'",
    "set threads = 64",
    "pragma threads = 64",
]


def outside_reads(places) -> list[str]:
    outside, data = places["outside"], places["data"]
    return [
        f"select * from read_csv('{outside}/secret.csv')",
        f"select * from '{outside}/unapproved.parquet'",
        f"select * from read_parquet('{data}/patients/../../outside/unapproved.parquet')",
        "select * from read_csv('/etc/passwd')",
        "select * from read_text('/proc/self/environ')",
        f"select * from glob('{outside}/*')",
        f"select * from glob('{data}/*/*')",
        f"attach '{outside}/other.duckdb'",
    ]


def outside_writes(places) -> list[str]:
    outside, data = places["outside"], places["data"]
    return [
        f"copy (select * from patients) to '{outside}/leak.csv'",
        f"copy (select * from patients) to '{outside}/leak.parquet' (format parquet)",
        f"copy (select 1 as x) to '{data}/patients/new.parquet' (format parquet)",
        f"export database '{outside}/dump'",
    ]


NETWORK = [
    "select * from 'https://example.org/data.parquet'",
    "select * from read_csv('http://169.254.169.254/latest/meta-data/')",
    "select * from 's3://bucket/data.parquet'",
    "attach 'https://example.org/x.duckdb'",
]
EXTENSIONS = ["install httpfs", "force install httpfs", "load httpfs", "install spatial from community",
              "load '/tmp/evil.duckdb_extension'"]


def refused(con, statement: str) -> str:
    with pytest.raises(duckdb.Error) as raised:
        result = con.sql(statement)
        if result is not None:
            result.fetchall()
    return str(raised.value)


@pytest.mark.parametrize("statement", LOCKED_CHANGES)
def test_settings_cannot_be_changed(con, statement):
    before = con.sql("select name, value from duckdb_settings() order by name").fetchall()
    assert "the configuration has been locked" in refused(con, statement)
    assert con.sql("select name, value from duckdb_settings() order by name").fetchall() == before


def test_the_lockdown_settings_are_in_force(con, mounted):
    settings = dict(con.sql("select name, value from duckdb_settings()").fetchall())
    assert settings["enable_external_access"] == "false"
    assert settings["lock_configuration"] == "true"
    assert settings["autoload_known_extensions"] == settings["autoinstall_known_extensions"] == "false"
    assert settings["allow_community_extensions"] == "false"
    assert settings["temp_directory"] == str(mounted["scratch"])
    assert settings["threads"] == "2"
    assert settings["memory_limit"] in {"488.2 MiB", "488.3 MiB"}


def test_reading_outside_the_allowed_places_fails(con, mounted):
    for statement in outside_reads(mounted):
        message = refused(con, statement)
        assert "Permission Error" in message or "disabled" in message, (statement, message)


def test_writing_outside_the_workspace_fails(con, mounted):
    for statement in outside_writes(mounted):
        assert "Permission Error" in refused(con, statement), statement
    relation = con.sql("select * from patients")
    for write in (relation.to_parquet, relation.write_csv):
        with pytest.raises(duckdb.PermissionException):
            write(str(mounted["outside"] / "relation.out"))
    assert sorted(p.name for p in mounted["outside"].iterdir()) == ["secret.csv", "unapproved.parquet"]
    assert sorted(p.name for p in (mounted["data"] / "patients").iterdir()) == [
        "SHA256SUMS", "data.parquet", "metadata.json"]


def test_the_workspace_is_writable_and_readable(con, mounted):
    target = mounted["workspace"] / "summary.parquet"
    con.execute(f"copy (select region, count(*) n from patients group by all) to '{target}' (format parquet)")
    assert con.sql(f"select sum(n) from '{target}'").fetchall() == [(1_000,)]
    target.unlink()


@pytest.mark.parametrize("statement", NETWORK)
def test_urls_fail(con, statement):
    message = refused(con, statement)
    assert "Permission Error" in message or "httpfs" in message, message


@pytest.mark.parametrize("statement", EXTENSIONS)
def test_extensions_cannot_be_installed_or_loaded(con, statement):
    message = refused(con, statement)
    assert "Permission Error" in message or "disabled" in message, message


def test_the_same_queries_work_unconfined(mounted, tmp_path):
    """The control: without haven's lockdown these are all allowed, so the refusals
    above come from the settings (network and extension statements aside, which need
    the internet: their refusal messages name the configuration)."""
    plain = duckdb.connect(":memory:")
    try:
        for statement in outside_reads(mounted)[:3] + [f"copy (select 1) to '{tmp_path}/x.csv'",
                                                          "set memory_limit = '1GB'", "set threads = 1"]:
            result = plain.sql(statement)
            if result is not None:
                result.fetchall()
    finally:
        plain.close()


def test_a_query_larger_than_memory_spills_to_scratch(mounted):
    # 3 million distinct groups of long strings need far more than 64 MB.
    query = ("select count(*) from (select r % 3000000 as k, max(repeat('x', 40) || r) as s "
             "from range(6000000) t(r) group by k)")
    con = haven.open_connection(data_dir=mounted["data"], workspace_dir=mounted["workspace"],
                                scratch_dir=mounted["scratch"], memory_limit="64MB", threads=2)
    try:
        assert con.sql(query).fetchall() == [(3_000_000,)]
    finally:
        con.close()
    with pytest.warns(UserWarning, match="no writable scratch directory"):
        con = haven.open_connection(data_dir=mounted["data"], workspace_dir=mounted["workspace"],
                                    scratch_dir=mounted["outside"] / "absent", memory_limit="64MB", threads=2)
    try:
        with pytest.raises(duckdb.OutOfMemoryException):
            con.sql(query).fetchall()
    finally:
        con.close()
