"""The restore drill (issue #19): a Haven with requests in every state, votes, comments,
released and revoked files, accounts, a workspace and both audit chains is backed up,
wiped and restored; then ``haven audit verify`` and ``haven egress fsck`` pass and the whole
of it is there, compared row by row and file by file with what it was.

In-process (the words' own ``main``), on SQLite and once with the accounts store and the
egress database on a real PostgreSQL (``pg_dump`` / ``pg_restore``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from haven_cli import audit as audit_cli
from haven_cli import backup as backup_cli
from haven_cli import restore as restore_cli
from haven_egress import cli as egress_cli
from haven_egress.workflow import State
from haven_hub.settings import load_settings
from tests.postgres import postgresql_server  # noqa: F401 (fixture)
from tests.postgres import create_database, drop_database
from . import haven

# What reading the Haven back appends (a download of each released file is audited) and what
# the restore itself records: the only rows the restored Haven may hold beyond the original.
APPENDED_SINCE = {"egress.download", "haven.restore"}


def assert_same_haven(before: dict, after: dict) -> None:
    assert after["released"] == before["released"] and before["released"]
    assert after["files"] == before["files"]
    assert after["databases"].keys() == before["databases"].keys()
    for database, tables in before["databases"].items():
        assert after["databases"][database].keys() == tables.keys(), database
        for table, rows in tables.items():
            restored = after["databases"][database][table]
            if table in ("audit_events", "hub_audit_events"):
                # Every event is there, unchanged; anything more is only what came after.
                assert restored[:len(rows)] == rows or set(rows) <= set(restored), (database, table)
                extra = set(restored) - set(rows)
                assert all(any(repr(action) in row for action in APPENDED_SINCE) for row in extra), extra
            else:
                assert restored == rows, (database, table)


def drill(tmp_path: Path, capsys, settings_path: Path, requests: dict[str, str]) -> None:
    settings = load_settings(settings_path)
    urls = {database.name: database.url for database in backup_cli.whole_state(settings).databases}
    before = haven.everything(settings_path, requests, urls)
    cli = ["--settings", str(settings_path), "--without-volumes"]

    assert backup_cli.main([*cli, str(tmp_path / "backup")]) == 0
    out = capsys.readouterr().out
    assert "backup written to" in out and "4 database(s)" in out

    shutil.rmtree(settings.hub.data_dir)  # the wipe: every file, secret and SQLite database
    for name, url in urls.items():
        if url.startswith("postgresql"):
            _empty(url)
    assert restore_cli.main([*cli, str(tmp_path / "backup")]) == 0
    capsys.readouterr()

    assert audit_cli.main(["verify", "--settings", str(settings_path)]) == 0
    verified = capsys.readouterr().out
    assert "hub: " in verified and "egress: " in verified and "intact" in verified
    assert egress_cli.main(["fsck", "--settings", str(settings_path)]) == 0
    assert capsys.readouterr().out == "fsck: clean\n"
    assert_same_haven(before, haven.everything(settings_path, requests, urls))


def _empty(url: str) -> None:
    """Drops every table, as a lost database server would leave it (empty, recreated)."""
    from sqlalchemy import MetaData, create_engine

    engine = create_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
    engine.dispose()


def test_the_drill_on_sqlite(tmp_path, capsys, built_haven):
    drill(tmp_path, capsys, built_haven.settings, built_haven.requests)


@pytest.mark.postgres
def test_the_drill_with_postgresql_databases(tmp_path, capsys, postgresql_server):  # noqa: F811
    names = [create_database(postgresql_server) for _ in range(2)]
    try:
        settings_path = haven.settings_file(tmp_path, auth={"database_url": postgresql_server.url(names[0])},
                                            egress={"database_url": postgresql_server.url(names[1])})
        # Every state is the SQLite drill's; here, what pg_dump must carry: votes, a release, a revocation.
        states = (State.RETURNED, State.RELEASED, State.REVOKED)
        drill(tmp_path, capsys, settings_path, haven.build(settings_path, states))
    finally:
        for name in names:
            drop_database(postgresql_server, name)
