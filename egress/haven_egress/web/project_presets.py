"""Each project's disclosure-check preset, read from the hub (the one source of truth).

A project is the hub group ``project-<id>``; its ``disclosure_preset`` property names the
preset ('' for the service default). The service asks with its own token (role
``egress-service``: ``read:groups``), from the background checker only, never on a
caller's request path.
"""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import quote

from haven_hub.projects import group_name

TIMEOUT_SECONDS = 10


class HubProjectPresets:
    def __init__(self, api_url: str, token: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token

    def __call__(self, project: str) -> str | None:
        request = urllib.request.Request(
            f"{self.api_url}/groups/{quote(group_name(project), safe='')}",
            headers={"Authorization": f"token {self.token}", "Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 - the hub's own URL
            group = json.load(answer)
        return (group.get("properties") or {}).get("disclosure_preset") or None
