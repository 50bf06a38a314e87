"""A whole Haven at rest, built in-process by the real code of each part, and everything in it.

``build`` fills every store a backup must hold: the hub's database (JupyterHub's own ORM:
users, a project group with its properties), the accounts store, the hub audit chain, the
egress database with a request in every state (the egress factories drive the real
service: votes, comments, released and revoked files, both audit chains), its blobs and
signing key, a project workspace owned by the containers' uid (with a symbolic link), and
the secrets. ``everything`` reads it all back: every row of every table of every
database, every released file's bytes and every file's digest, mode and owner, so a test
compares the whole of it before and after, not counts.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import MetaData, create_engine, select

from haven_egress.web.startup import open_service
from haven_egress.workflow import State
from haven_hub.audit.log import HubAuditLog
from haven_hub.auth.configure import open_store
from haven_hub.host_state import make_private_dir
from haven_hub.settings import Settings, load_settings
from tests.fixtures.docker_engine import TEST_PREFIX
from tests.unit.egress import factories

PREFIX = TEST_PREFIX  # container and volume names: the session's own (HAVEN_TEST_PREFIX)
CONTAINER_UID = 70000
PEOPLE = ["alice", "bob", "cara", "dan", "eve", "ada"]


def settings_file(folder: Path, **extra: Any) -> Path:
    path = folder / "haven.yaml"
    body = {"hub": {"data_dir": str(folder / "data")}, "spawner": {"container_prefix": PREFIX}}
    for section, values in extra.items():
        body.setdefault(section, {}).update(values)
    path.write_text(yaml.safe_dump(body))
    return path


def _hub_database(settings: Settings) -> None:
    from jupyterhub import orm

    from haven_hub.backup.state import hub_database_url

    session = orm.new_session_factory(hub_database_url(settings))()
    users = [orm.User(name=name) for name in PEOPLE]
    session.add_all(users)
    group = orm.Group(name="alpha", properties={"title": "Alpha", "purpose": "drill", "end_date": "2027-06-30"})
    group.users = users[:2]
    session.add(group)
    session.commit()
    session.close()


def build(settings_path: Path, states: tuple[State, ...] = tuple(State)) -> dict[str, str]:
    """Fills every store; returns the id of the request left in each of ``states``."""
    settings = load_settings(settings_path)
    data = make_private_dir(settings.hub.data_dir)
    _hub_database(settings)
    accounts = open_store(settings)
    for name in PEOPLE:
        accounts.create(name, roles=["output-checker"] if name in ("cara", "dan") else ["analyst"],
                        admin=name == "ada")
    accounts.engine.dispose()
    hub_audit = HubAuditLog.for_data_dir(data)
    hub_audit.record("ada", "project.create", "project/alpha", project="alpha", title="Alpha")
    hub_audit.record("alice", "login", "user/alice")
    hub_audit.close()
    service = open_service(settings)
    try:
        requests = {state.value: factories.create_request_at_status(service, state) for state in states}
        discussed = requests.get("under_review") or requests.get("returned")
        if discussed:
            service.comment(factories.CHECKER, discussed, "row 3 looks small")
        assert service.checks.wait_idle(60)
    finally:
        service.checks.stop()
        service.sessions.kw["bind"].dispose()
    workspace = data / "projects" / "alpha" / "workspace"
    make_private_dir(data / "projects" / "alpha")
    make_private_dir(workspace / "analysis")
    (workspace / "analysis" / "model.py").write_text("print('fit')\n")
    os.symlink("/etc/passwd", workspace / "elsewhere")  # an analyst's link: kept as a link, never followed
    for path in [workspace, workspace / "analysis", workspace / "analysis" / "model.py", workspace / "elsewhere"]:
        os.chown(path, CONTAINER_UID, CONTAINER_UID, follow_symlinks=False)
    secret = data / "secrets" / "cookie_secret"
    secret.write_text("f" * 64)
    return requests


def _tables(url: str) -> dict[str, list[tuple]]:
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {name: sorted((tuple(map(repr, row)) for row in connection.execute(select(table))))
                    for name, table in metadata.tables.items()}
    finally:
        engine.dispose()


def files(folder: Path) -> dict[str, tuple]:
    """Every path below ``folder``: its kind, mode, owner, and digest or link target."""
    found = {}
    for top, dirs, names in os.walk(folder):
        for name in dirs + names:
            path = Path(top) / name
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                what = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                what = ("dir",)
            else:
                what = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
            found[str(path.relative_to(folder))] = (*what, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
    return found


def everything(settings_path: Path, requests: dict[str, str], database_urls: dict[str, str]) -> dict[str, Any]:
    settings = load_settings(settings_path)
    service = open_service(settings)
    try:
        service.checks.stop()
        released = {}
        view = service.get_request(factories.AUTHOR, requests["released"])
        for file in view.versions[-1].files:
            if not file.supporting:
                released[file.path] = service.download(factories.AUTHOR, file.id)
    finally:
        service.sessions.kw["bind"].dispose()
    return {
        "databases": {name: _tables(url) for name, url in database_urls.items()},
        "released": released,
        # The SQLite files themselves are compared by their rows above (a copy made by the
        # backup API is the same database, not the same bytes); their sidecars come and go; a
        # chain's head file moves with each event (`haven audit verify` holds it to its chain).
        "files": {path: entry for path, entry in files(settings.hub.data_dir).items()
                  if ".sqlite" not in path and not path.endswith((".lock", ".head"))},
    }
