"""Which projects hold a grant of a dataset, asked of the hub (grants live with projects).

The catalogue never stores grants: they are part of each project group's properties in
the hub's database, the one source of truth, read here through the REST API with the
operator token.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from ..projects import PROPERTIES_KIND, project_id_of
from ..settings import Settings
from .catalogue import Grant, GrantLookup


class GrantsUnavailable(Exception):
    """The hub could not be asked (not running, or the token is missing)."""


def hub_grants(settings: Settings, timeout: float = 10) -> GrantLookup:
    url = f"http://{settings.hub.public_ip}:{settings.hub.public_port}/hub/api/groups"

    def lookup(dataset: str) -> list[Grant]:
        try:
            token = settings.data_path(settings.hub.operator_token_file).read_text().strip()
            request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                groups = json.load(response)
        except (OSError, urllib.error.URLError, ValueError) as error:
            raise GrantsUnavailable(f"the hub at {url} could not be asked: {error}") from None
        found = []
        for group in groups:
            properties = group.get("properties") or {}
            project = project_id_of(group["name"])
            if project is None or properties.get("kind") != PROPERTIES_KIND:
                continue
            # Read leniently: a grant in a record that no longer validates is still a grant (the
            # admin's projects page names the record), and one odd entry must not fail `show`.
            entries = properties.get("datasets")
            if not isinstance(entries, list):
                continue
            found += [Grant(project, g.get("version")) for g in entries
                      if isinstance(g, dict) and g.get("name") == dataset]
        return sorted(found, key=lambda grant: grant.project)

    return lookup
