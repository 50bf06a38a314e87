"""``haven upgrade`` on databases made by the previous release (tests/fixtures/previous_release,
made by its ``make.py``): each is brought to the head revision Alembic names today (never a
hard-coded one), every row it held is still there, the audit chains still hold, the service
reads the upgraded requests, a backup was taken first, and a second run changes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, create_engine, select
from sqlalchemy.orm import Session

from haven_cli import upgrade as upgrade_cli
from haven_cli.backup import whole_state
from haven_egress.permissions import Caller, Role
from haven_egress.web.startup import open_service
from haven_hub.audit import chain
from haven_hub.backup import manifest
from haven_hub.host_state import make_private_dir
from haven_hub.settings import load_settings

from .haven import settings_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "previous_release"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
PLACES = {"hub": "jupyterhub.sqlite", "accounts": "accounts.sqlite", "hub-audit": "audit/hub.sqlite",
          "egress": "egress/egress.sqlite"}
ADMIN = Caller("ada", frozenset({Role.ADMIN}))


@pytest.fixture
def previous_release(tmp_path):
    settings = settings_file(tmp_path)
    data = make_private_dir(tmp_path / "data")
    for name, place in PLACES.items():
        make_private_dir((data / place).parent)
        shutil.copyfile(FIXTURES / EXPECTED["databases"][name]["file"], data / place)
    return settings, data


def rows_now(path: Path, table: str, columns: list[str]) -> list[list[str]]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        reflected = Table(table, MetaData(), autoload_with=engine)
        with engine.connect() as connection:
            found = connection.execute(select(*(reflected.c[column] for column in columns)))
            return sorted([repr(value) for value in row] for row in found)
    finally:
        engine.dispose()


def test_the_previous_release_is_upgraded_to_every_head_and_keeps_its_data(previous_release, tmp_path, capsys):
    settings_path, data = previous_release
    state = whole_state(load_settings(settings_path))
    stores = upgrade_cli.stores(state)
    assert all(store.revision() != store.head() for store in stores)  # each fixture is really behind
    cli = ["--settings", str(settings_path), "--without-volumes"]

    assert upgrade_cli.main([*cli, "--backup-to", str(tmp_path / "before")]) == 0
    out = capsys.readouterr().out
    assert all(store.revision() == store.head() for store in stores), out
    assert all(f"{name}: upgraded from" in out for name in PLACES)

    for name, place in PLACES.items():
        for table, saved in EXPECTED["databases"][name]["tables"].items():
            if table.endswith("version"):
                continue  # the version tables move, by design
            now = rows_now(data / place, table, saved["columns"])
            if table in ("hub_audit_events",):  # `haven upgrade` records itself at the end
                assert now[:len(saved["rows"])] == saved["rows"] and len(now) == len(saved["rows"]) + 1
            else:
                assert now == saved["rows"], (name, table)

    for place, table in (("audit/hub.sqlite", "hub_audit_events"), ("egress/egress.sqlite", "audit_events")):
        engine = create_engine(f"sqlite:///{data / place}")
        with Session(engine) as session:
            assert chain.verify(session, Table(table, MetaData(), autoload_with=engine)).intact, place
        engine.dispose()

    service = open_service(load_settings(settings_path))
    try:
        service.checks.stop()
        for state_name, request_id in EXPECTED["requests"].items():
            assert service.get_request(ADMIN, request_id).state.value == state_name
    finally:
        service.sessions.kw["bind"].dispose()

    # The backup was taken before anything moved: it holds the previous release's databases.
    record = manifest.read(tmp_path / "before")
    manifest.verify(tmp_path / "before", record)
    assert set(record.databases) == set(PLACES)

    # Idempotent: all current, so nothing is done and no backup is taken.
    assert upgrade_cli.main([*cli, "--backup-to", str(tmp_path / "again")]) == 0
    out = capsys.readouterr().out
    assert out.count("up to date") == len(PLACES) and not (tmp_path / "again").exists()


def test_a_running_hub_is_not_upgraded(previous_release, capsys):
    import os

    settings_path, data = previous_release
    (data / "jupyterhub.pid").write_text(f"{os.getpid()}\n")
    before = {place: (data / place).read_bytes() for place in PLACES.values()}
    assert upgrade_cli.main(["--settings", str(settings_path), "--without-volumes"]) == 1
    assert "the hub is running" in capsys.readouterr().err
    assert {place: (data / place).read_bytes() for place in PLACES.values()} == before


def test_the_hub_never_upgrades_its_database_on_a_start_of_its_own(tmp_path):
    from haven_hub.config import hub_config

    hub = hub_config(load_settings(settings_file(tmp_path))).JupyterHub
    # Set, not left to JupyterHub's default: `haven upgrade` is the one path, after a backup.
    assert "upgrade_db" in hub and hub.upgrade_db is False
