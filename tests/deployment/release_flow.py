"""The analyst -> checker -> release flow on a deployed host, over HTTPS, as people do it.

The request is filed with the project server's own hub token (what haven-lab sends; a browser
login cannot submit), the votes and the release come from the checkers' browser logins (the
egress service's OAuth, its XSRF token from the page), and the author downloads the released
file with her own login.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import requests

from tests.deployment.conftest import FreshHost

EGRESS = "/services/egress/"
TABLE = b"region,admissions\nnorth,115\nsouth,240\neast,180\n"
ENTRY = {"path": "out/admissions_by_region.csv", "sha256": hashlib.sha256(TABLE).hexdigest(),
         "media_type": "text/csv", "kind": "frequency_table", "description": "admissions by region",
         "controls": ["rounded to 5", "no cell below 10"]}


@dataclass
class Released:
    base: str  # https://<host>/services/egress/
    request_id: str
    file_id: int
    content: bytes
    author: requests.Session
    checker: requests.Session

    def download(self, session: requests.Session, expect: int = 200) -> bytes | None:
        response = session.get(f"{self.base}api/files/{self.file_id}/download", timeout=60)
        assert response.status_code == expect, f"{response.status_code}: {response.text[:500]}"
        return response.content if expect == 200 else None


def at_the_service(session: requests.Session, base: str) -> str:
    """Logs the hub login in at the egress service (OAuth redirects); the page's XSRF token."""
    page = session.get(base + "mine", timeout=60)
    assert page.status_code == 200 and page.url.startswith(base), (page.status_code, page.url)
    return re.search(r'name="haven-xsrf" content="([^"]+)"', page.text).group(1)


def post(session: requests.Session, xsrf: str, url: str, expect: int, **kwargs) -> dict:
    response = session.post(url, headers={"X-XSRFToken": xsrf}, timeout=60, **kwargs)
    assert response.status_code == expect, f"POST {url}: {response.status_code} {response.text[:500]}"
    return response.json()


def release_a_table(url: str, new_session: Callable[[], requests.Session], server_token: str,
                    author: requests.Session, first: requests.Session, second: requests.Session) -> Released:
    base = url + EGRESS
    filed = new_session().post(
        base + "api/requests", headers={"Authorization": f"token {server_token}"}, timeout=60,
        data={"metadata": json.dumps({"title": "Admissions by region", "purpose": "deployment check",
                                      "files": [ENTRY]})},
        files={"file-0": ("admissions_by_region.csv", TABLE, "application/octet-stream")})
    assert filed.status_code == 201, filed.text[:1000]
    request = filed.json()
    assert (request["project"], request["author"]) == ("demo", "ada")
    request_id = request["id"]
    first_xsrf, second_xsrf = at_the_service(first, base), at_the_service(second, base)
    post(first, first_xsrf, f"{base}api/requests/{request_id}/start-review", 200)
    detail = first.get(f"{base}api/requests/{request_id}", timeout=60).json()
    (file,) = detail["versions"][-1]["files"]
    for checker, xsrf in ((first, first_xsrf), (second, second_xsrf)):
        post(checker, xsrf, f"{base}api/files/{file['id']}/reviews", 201, json={"decision": "approve", "comment": ""})
    released = post(first, first_xsrf, f"{base}api/requests/{request_id}/release", 200)
    assert released["state"] == "released", released
    at_the_service(author, base)
    return Released(base=base, request_id=request_id, file_id=file["id"], content=TABLE, author=author,
                    checker=first)


def audit_verifies(host: FreshHost) -> bool:
    """`haven audit verify` on the host (both chains against their anchored heads), as an operator runs it."""
    result = host.run("/opt/haven/venv/bin/haven audit verify", check=False, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return True
