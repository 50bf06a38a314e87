"""Where each person lands after logging in: the page of the one thing their roles let them do.

An analyst lands on their projects (the hub's home), a checker with no other role on the
review queue, an administrator with no other role on the admin pages. Anyone holding
several roles lands on the hub's home, which shows a section for each (home.html), so no
one is sent past a part of their work.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import roles

HOME = "home"


def landing_path(role_names: Iterable[str], has_projects: bool) -> str:
    """The path below the proxy's prefix: ``hub/home``, ``services/egress/`` or ``services/admin/``."""
    held = set(role_names)
    places = set()
    if roles.ANALYST in held or has_projects:
        places.add("hub/home")
    if roles.OUTPUT_CHECKER in held:
        places.add(f"services/{roles.EGRESS_SERVICE}/")
    if roles.HAVEN_ADMIN in held:
        places.add(f"services/{roles.ADMIN_SERVICE}/")
    return places.pop() if len(places) == 1 else "hub/home"


def default_url(handler: Any) -> str:
    """``JupyterHub.default_url`` as a callable: the hub calls it after a login and at ``/hub/``."""
    from .projects import projects_of_user

    user = handler.current_user
    base = handler.hub.base_url  # "/hub/" under the proxy's prefix
    prefix = base[: -len("hub/")] if base.endswith("hub/") else "/"
    if user is None:
        return f"{base}{HOME}"
    names = [role.name for role in user.orm_user.roles]
    return prefix + landing_path(names, bool(projects_of_user(user.orm_user)))
