"""Projects frozen by an incident: their requests are held (haven_hub.governance.incidents).

The hub's project record is the one place a freeze is written; the service asks the hub
(role ``egress-service``: ``read:groups``) before each action a freeze holds, rather than
keeping a copy that a failed call could leave out of date. A hub that cannot be asked
holds the action too: a request is never released because the freeze could not be read.
"""

from __future__ import annotations

import urllib.error
from collections.abc import Callable

from .errors import Conflict, Forbidden
from .hub_projects import HubProjects

# project -> why its requests are held, or None when they are not.
HoldLookup = Callable[[str], "str | None"]


def no_holds(_project: str) -> None:
    """Outside the hub (unit tests of the workflow, the CLI) no project is frozen."""
    return None


class HubProjectHolds(HubProjects):
    def __call__(self, project: str) -> str | None:
        try:
            properties = self.properties(project)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None  # no such project on the hub: nothing to hold
            raise Conflict(f"the hub answered {error.code} when asked whether project {project} is frozen; "
                           "try again later") from None
        except (OSError, ValueError):
            raise Conflict(f"the hub could not be asked whether project {project} is frozen; try again later") from None
        if not properties.get("frozen"):
            return None
        return properties.get("frozen_reason") or "no reason recorded"


def require_not_held(holds: HoldLookup, project: str, operation: str) -> None:
    """Forbidden (so audited as ``egress.refused``) while the project is frozen."""
    reason = holds(project)
    if reason is not None:
        raise Forbidden(f"project {project} is frozen by an administrator ({reason}): its requests are held, "
                        f"so you cannot {operation} until it is thawed")
