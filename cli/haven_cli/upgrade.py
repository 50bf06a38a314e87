"""``haven upgrade``: every Haven database brought to the schema of the installed release.

The hub's own database by JupyterHub's ``upgrade-db`` (``jupyterhub.dbutil.upgrade_if_needed``,
what ``jupyterhub upgrade-db`` runs); the accounts store, the hub audit log and the egress
database by their Alembic migrations, each with its own version table. When any of them is
behind, a backup of the whole Haven is taken first (``haven backup``), into ``--backup-to``
or a new folder beside the data folder; when all are current nothing is done, so running it
on every deployment is safe (idempotent). The hub must be stopped. The hub config leaves
``JupyterHub.upgrade_db`` off: JupyterHub would then back up only its own SQLite file, and
upgrade on a start nobody chose.

Exit status: 0 every database current, 1 refused or failed (the backup taken before is
named), 2 unreadable settings, 64 usage.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from haven_egress import storage as egress_storage
from haven_hub.audit import schema as audit_schema
from haven_hub.audit.log import HubAuditLog
from haven_hub.auth import schema as accounts_schema
from haven_hub.backup.restore import hub_pid
from haven_hub.backup.state import Database, HavenState, StateError
from haven_hub.command_line import UsageParser, add_settings_option, settings_path
from haven_hub.provisioning.cli import cli_actor
from haven_hub.settings import Settings, SettingsError, load_settings

from .backup import backup, say, whole_state


@dataclass(frozen=True)
class Store:
    """One database and how its schema is versioned and upgraded."""

    database: Database
    scripts: ScriptDirectory
    version_table: str
    apply: Callable[[str], None]  # the upgrade, given the database's URL

    def exists(self) -> bool:
        return self.database.engine == "postgresql" or self.database.path.is_file()

    def revision(self) -> str | None:
        engine = create_engine(self.database.url)
        try:
            with engine.connect() as connection:
                if not inspect(connection).get_table_names():
                    return "empty"
                context = MigrationContext.configure(connection, opts={"version_table": self.version_table})
                return context.get_current_revision()
        finally:
            engine.dispose()

    def head(self) -> str:
        return self.scripts.get_current_head()


def _jupyterhub_upgrade(url: str) -> None:
    from jupyterhub import dbutil

    # upgrade-db runs the `alembic` command: the one of this environment, even from a systemd unit.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    # No backup of its own: `haven upgrade` backed up every store before this.
    dbutil.upgrade_if_needed(url, backup=False, log=logging.getLogger("haven.upgrade"))


def _alembic_upgrade(upgrade: Callable) -> Callable[[str], None]:
    def apply(url: str) -> None:
        engine = create_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()

    return apply


def stores(state: HavenState) -> list[Store]:
    from jupyterhub import dbutil

    def scripts(location: Path | str) -> ScriptDirectory:
        return ScriptDirectory(str(location))

    return [
        Store(state.database("hub"), scripts(dbutil.ALEMBIC_DIR), "alembic_version", _jupyterhub_upgrade),
        Store(state.database("accounts"), scripts(accounts_schema.MIGRATIONS), accounts_schema.VERSION_TABLE,
              _alembic_upgrade(accounts_schema.upgrade)),
        Store(state.database("hub-audit"), scripts(audit_schema.MIGRATIONS), audit_schema.VERSION_TABLE,
              _alembic_upgrade(audit_schema.upgrade)),
        Store(state.database("egress"), scripts(egress_storage.MIGRATIONS), "alembic_version",
              egress_storage.upgrade),
    ]


def default_backup(settings: Settings) -> Path:
    data = settings.hub.data_dir
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return data.with_name(f"{data.name}-backups") / f"before-upgrade-{stamp}"


def upgrade(settings: Settings, backup_to: Path | None, take_backup: bool, with_volumes: bool) -> int:
    state = whole_state(settings)
    pid = hub_pid(state)
    if pid is not None:
        raise StateError(f"the hub is running (pid {pid}): stop it, then upgrade; nothing was changed")
    behind = []
    for store in stores(state):
        if not store.exists():
            print(f"{store.database.name}: no database yet (made at the current revision on first start)")
            continue
        revision, head = store.revision(), store.head()
        if revision == head:
            print(f"{store.database.name}: at {head}, up to date")
        else:
            behind.append((store, revision, head))
    if not behind:
        return 0
    if take_backup:
        destination = backup_to or default_backup(settings)
        destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        backup(settings, destination, with_volumes)
    for store, revision, head in behind:
        say(f"upgrading {store.database.name} from {revision or 'an unversioned schema'} to {head}")
        store.apply(store.database.url)
        print(f"{store.database.name}: upgraded from {revision or 'an unversioned schema'} to {store.revision()}")
    audit = HubAuditLog.for_data_dir(settings.hub.data_dir)
    try:
        audit.record(cli_actor(), "haven.upgrade", "haven/databases",
                     upgraded={store.database.name: [revision, head] for store, revision, head in behind})
    finally:
        audit.close()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog="haven upgrade", description="Back up, then bring every Haven database to the "
                         "installed release's schema. Does nothing when all are current.")
    add_settings_option(parser)
    parser.add_argument("--backup-to", type=Path, metavar="DEST",
                        help="where the backup taken first goes (default: a new folder in DATA_DIR-backups/)")
    parser.add_argument("--no-backup", action="store_true",
                        help="upgrade without a backup first (only right after one of your own)")
    parser.add_argument("--without-volumes", action="store_true",
                        help="leave the home volumes out of the backup (no Docker engine needed)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        settings = load_settings(settings_path(args))
    except SettingsError as error:
        print(f"haven upgrade: {error}", file=sys.stderr)
        return 2
    try:
        return upgrade(settings, args.backup_to, not args.no_backup, not args.without_volumes)
    except (StateError, OSError) as error:
        print(f"haven upgrade: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # a migration that failed: say which backup holds the state from before
        print(f"haven upgrade: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 1

