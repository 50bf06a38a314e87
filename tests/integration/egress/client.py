"""The egress API as the tests call it: real HTTP through the hub's proxy, real user tokens.

``create_request_at`` reaches each state through the API the way people would (STYLE
habit 7), so a test starting from "approved" also proves the path to it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.fixtures.hub import Hub
from tests.fixtures.media import png

TABLE = b"group,count\na,15\nb,20\nc,35\n"
# A real PNG, already as the service re-encodes it, so the stored bytes are these.
FIGURE = png()
PREFIX = "/services/egress/"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_entry(path: str, content: bytes, **fields) -> tuple[dict, bytes]:
    entry = {"path": path, "sha256": sha256(content), "media_type": "text/csv", "kind": "frequency_table",
             "description": "counts by group", "controls": ["rounded to 5", "no cell below 10"]}
    entry.update(fields)
    return entry, content


def default_files() -> list[tuple[dict, bytes]]:
    return [file_entry("out/table.csv", TABLE),
            file_entry("out/figure.png", FIGURE, media_type="image/png", kind="figure")]


@dataclass
class Egress:
    hub: Hub
    base: str  # ends with /services/egress/
    _scoped: dict = field(default_factory=dict)

    def token(self, user: str) -> str:
        return self.hub.user_token(user)

    def scoped_token(self, user: str, scopes: list[str]) -> str:
        """A token an administrator issues for the user with only these scopes (people cannot mint their own)."""
        key = (user, tuple(scopes))
        if key not in self._scoped:
            self._scoped[key] = self.hub.issue_token(user, scopes)
        return self._scoped[key]

    def call(self, method: str, path: str, user: str | None = None, token: str | None = None,
             **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token is None and user is not None:
            token = self.token(user)
        if token is not None:
            headers["Authorization"] = f"token {token}"
        return requests.request(method, self.base + path, headers=headers, timeout=60,
                                allow_redirects=False, **kwargs)

    def submit(self, user: str, project: str = "alpha", files: list[tuple[dict, bytes]] | None = None,
               title: str = "Counts by group", token: str | None = None, **extra) -> requests.Response:
        """A submission from the user's server in ``project`` (its token's stand-in: Hub.server_token).

        The body names no project: the service takes it from the token. ``extra`` adds
        metadata fields (``project=...`` to name one), ``token`` sends with another token.
        """
        files = default_files() if files is None else files
        metadata = {"title": title, "purpose": "paper table 1", "files": [entry for entry, _ in files], **extra}
        return self.post_files("api/requests", token or self.hub.server_token(user, project), metadata, files)

    def post_files(self, path: str, token: str, metadata: dict,
                   files: list[tuple[dict, bytes]]) -> requests.Response:
        parts = {f"file-{i}": (Path(entry["path"]).name or "f", content, "application/octet-stream")
                 for i, (entry, content) in enumerate(files)}
        return self.call("POST", path, token=token, data={"metadata": json.dumps(metadata)}, files=parts or None)

    def detail(self, user: str, request_id: str) -> dict:
        response = self.call("GET", f"api/requests/{request_id}", user)
        assert response.status_code == 200, response.text
        return response.json()

    def act(self, user: str, request_id: str, decision: str, reason: str = "") -> requests.Response:
        return self.call("POST", f"api/requests/{request_id}/{decision}", user,
                         json={"reason": reason} if reason else None)

    def review(self, user: str, file_id: int, decision: str = "approve", comment: str = "") -> requests.Response:
        return self.call("POST", f"api/files/{file_id}/reviews", user,
                         json={"decision": decision, "comment": comment})

    def vote_all(self, user: str, request_id: str, decision: str = "approve") -> None:
        for file in self.detail(user, request_id)["versions"][-1]["files"]:
            response = self.review(user, file["id"], decision, "" if decision == "approve" else "see notes")
            assert response.status_code == 201, response.text

    def create_request_at(self, state: str, author: str = "ada", project: str = "alpha",
                          files: list[tuple[dict, bytes]] | None = None) -> str:
        response = self.submit(author, project, files)
        assert response.status_code == 201, response.text
        request_id = response.json()["id"]
        if state == "submitted":
            return request_id
        assert self.act("carol", request_id, "start-review").status_code == 200
        if state == "under_review":
            return request_id
        self.vote_all("carol", request_id)
        self.vote_all("dave", request_id)
        if state == "approved":
            return request_id
        assert self.act("carol", request_id, "release").status_code == 200
        assert state == "released"
        return request_id

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                response = requests.get(self.base + "api/whoami", timeout=5)
                if response.status_code == 401 and response.json().get("status") == 401:
                    return
            except (requests.ConnectionError, ValueError):
                pass
            time.sleep(0.25)
        raise AssertionError(f"the egress service did not answer at {self.base} within {timeout}s")


# Each person's hub login, kept for the whole test session: the hub accepts each TOTP step once
# per account, so every fresh login waits for an unused step (up to 30 s), and a dozen tests
# logging the same people in again spent minutes waiting. Only the hub's cookies are kept; each
# test's session still goes through the service's OAuth itself and keeps its own service cookies
# (remembered queue filters and the like never leak from one test to the next).
_hub_logins: dict[tuple[str, str], list] = {}


def browser_sessions(egress: Egress):
    """``open_as(user)``: a requests session per person, logged in at the hub and then at the
    service (OAuth), made once per person and kept."""
    sessions: dict[str, requests.Session] = {}

    def logged_in_at_the_service(session: requests.Session) -> bool:
        page = session.get(egress.base + "mine", timeout=30)
        return page.status_code == 200 and page.url.startswith(egress.base)

    def open_as(user: str) -> requests.Session:
        if user in sessions:
            return sessions[user]
        key = (egress.hub.url, user)
        session = requests.Session()
        for cookie in _hub_logins.get(key, ()):
            session.cookies.set_cookie(copy.copy(cookie))
        if key not in _hub_logins or not logged_in_at_the_service(session):
            # First time, or the kept login no longer holds (a restarted hub, an idle timeout).
            session = egress.hub.login(user)
            _hub_logins[key] = [copy.copy(cookie) for cookie in session.cookies]
            assert logged_in_at_the_service(session), f"{user} could not reach {egress.base}mine"
        sessions[user] = session
        return session

    return open_as


# The background checks of files submitted earlier (by this test or one before it) add their
# check_results rows at their own pace: a snapshot is taken once they are all in, so a check
# finishing between "before" and "after" is not taken for a change the refusal made.
CHECKS_SETTLE_SECONDS = 30


def snapshot(data_dir: Path) -> dict:
    """Rows in every egress table and the blobs on disk: to prove a refusal changed nothing."""
    database = data_dir / "egress.sqlite"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        deadline = time.monotonic() + CHECKS_SETTLE_SECONDS
        while connection.execute("select count(*) from files where id not in "
                                 "(select file_id from check_results)").fetchone()[0]:
            if time.monotonic() > deadline:
                break  # compared as it stands: a check stuck this long is worth seeing fail
            time.sleep(0.1)
        tables = [row[0] for row in connection.execute(
            "select name from sqlite_master where type='table' and name != 'alembic_version'")]
        counts = {t: connection.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
        # Refused attempts are audited by design (egress.refused); "changed nothing" means nothing else.
        counts["audit_events"] -= connection.execute(
            "select count(*) from audit_events where action = 'egress.refused'").fetchone()[0]
    counts["blobs"] = sorted(p.name for p in (data_dir / "blobs").rglob("*") if p.is_file())
    return counts


def audit_trail(data_dir: Path, request_id: str) -> list[tuple[str, str]]:
    """(actor, action) of every audit event about one request, oldest first."""
    database = data_dir / "egress.sqlite"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return list(connection.execute("select actor, action from audit_events where target = ? order by id",
                                       (f"request/{request_id}",)))
