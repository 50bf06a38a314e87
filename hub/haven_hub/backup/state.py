"""What a Haven's state is, for given settings: its databases, its folders and its home volumes.

A backup holds exactly this, and a restore puts back exactly this. The folders are copied
whole, less the few files :data:`NOT_STATE` names (pid files, locks, SQLite's sidecars, the
blob store's unfinished writes): everything else under them is state, so a file a future
part of Haven adds is backed up without anyone remembering to list it
(``tests/unit/backup/test_state.py`` enumerates a real data directory against this).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from ..audit.log import AUDIT_DIR, HEAD_KEY
from ..audit.schema import TABLE as HUB_AUDIT_TABLE
from ..auth.configure import accounts_url
from ..settings import Settings

# Paths (relative to a folder of state, shell patterns) that are not state: a process's pid,
# a lock that only serialises writers, SQLite's sidecars (each database is copied with the
# online backup API instead), and blob writes a crash left unfinished.
NOT_STATE = (
    "jupyterhub.pid", "proxy.pid",
    "*.lock",
    "*.sqlite-wal", "*.sqlite-shm", "*.sqlite-journal",
    "egress/blobs/tmp/*",
)


class StateError(Exception):
    """The state cannot be backed up or restored as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Chain:
    """An audit chain kept in a database, with the head file that anchors it outside."""

    table: str
    head_file: Path
    key_file: Path
    # The lock its writers hold from commit until the head moved (the hub-audit log's append
    # lock); a copy made under it agrees with its head at once. None: only retries can tell.
    writers_lock: Path | None = None


@dataclass(frozen=True)
class Database:
    name: str  # "hub", "accounts", "hub-audit", "egress"
    url: str
    chain: Chain | None = None

    @property
    def engine(self) -> str:
        backend = make_url(self.url).get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise StateError(f"the {self.name} database is {backend}: Haven backs up SQLite and PostgreSQL only")
        return backend

    @property
    def path(self) -> Path:
        """The SQLite file (SQLite only)."""
        database = make_url(self.url).database
        if not database or database == ":memory:":
            raise StateError(f"the {self.name} database {self.url!r} is not a file")
        return Path(database)


@dataclass(frozen=True)
class Root:
    """A folder of state, copied whole (less NOT_STATE) and swapped back in whole."""

    label: str
    path: Path


@dataclass(frozen=True)
class HavenState:
    roots: tuple[Root, ...]
    databases: tuple[Database, ...]
    home_volume_prefix: str  # Docker volumes whose names start so are the analysts' home folders
    hub_pid_file: Path

    def database(self, name: str) -> Database:
        return next(database for database in self.databases if database.name == name)

    def root_of(self, path: Path) -> tuple[Root, Path] | None:
        """The root ``path`` lies under, and its path inside it."""
        for root in self.roots:
            if path.is_relative_to(root.path):
                return root, path.relative_to(root.path)
        return None


def is_state(relative: Path) -> bool:
    text = relative.as_posix()
    return not any(fnmatch.fnmatchcase(text, pattern) or fnmatch.fnmatchcase(relative.name, pattern)
                   for pattern in NOT_STATE)


def hub_database_url(settings: Settings) -> str:
    from ..config import hub_config  # the one place the hub's db_url is decided

    return hub_config(settings).JupyterHub.db_url


def haven_state(settings: Settings, more_databases: tuple[Database, ...] = ()) -> HavenState:
    """The hub's side of the state, plus the databases of parts above the hub (the egress
    service's, handed in by ``haven_cli``, since the hub never imports the egress service)."""
    data = settings.hub.data_dir
    roots = [Root("data", data)]
    for label, path in (("egress", settings.data_path(settings.egress.data_dir)),
                        ("datasets", settings.data_path(settings.datasets.catalogue_dir))):
        if not path.is_relative_to(data):
            roots.append(Root(label, path))
    hub_audit = Chain(HUB_AUDIT_TABLE, data / AUDIT_DIR / "hub.head", settings.data_path(HEAD_KEY),
                      writers_lock=data / AUDIT_DIR / "hub.lock")
    databases = (
        Database("hub", hub_database_url(settings)),
        Database("accounts", accounts_url(settings)),
        Database("hub-audit", f"sqlite:///{data / AUDIT_DIR / 'hub.sqlite'}", hub_audit),
        *more_databases,
    )
    return HavenState(tuple(roots), databases, f"{settings.spawner.container_prefix}-home-",
                      data / "jupyterhub.pid")
