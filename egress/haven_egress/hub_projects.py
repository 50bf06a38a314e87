"""A project's properties as the hub holds them (the one source of truth), read with the
service's own token (role ``egress-service``: ``read:groups``).

A project is the hub group ``project-<id>``; the disclosure-check preset
(``web.project_presets``) and a freeze (``holds``) are both read from its properties.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import quote

from haven_hub.projects import group_name

TIMEOUT_SECONDS = 10


class HubProjects:
    def __init__(self, api_url: str, token: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token

    def properties(self, project: str) -> dict[str, Any]:
        """The project group's properties; raises ``urllib.error.HTTPError`` (404: no such project)
        or ``OSError``/``ValueError`` when the hub cannot be asked or answers nonsense."""
        request = urllib.request.Request(
            f"{self.api_url}/groups/{quote(group_name(project), safe='')}",
            headers={"Authorization": f"token {self.token}", "Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 - the hub's own URL
            return json.load(answer).get("properties") or {}
