"""Each project's disclosure-check preset, read from the hub (the one source of truth).

The project's ``disclosure_preset`` property names the preset ('' for the service default).
The service asks (``haven_egress.hub_projects``) from the background checker only, never on a
caller's request path.
"""

from __future__ import annotations

from ..hub_projects import HubProjects


class HubProjectPresets(HubProjects):
    def __call__(self, project: str) -> str | None:
        return self.properties(project).get("disclosure_preset") or None
