"""Who the hub says the caller is, as the egress service's ``Caller``.

Roles come from the custom scopes on the caller's token (granted by the roles in
``haven_hub.roles``); projects from the hub groups named ``project-<id>``; the project a
request is filed under from the one server the token is bound to (a project server's own
token carries ``access:servers!server=<user>/<project>``). Nothing is stored here: the hub
is the only user database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from haven_hub import roles
from haven_hub.projects import project_id_of

from ..permissions import Caller, Role

SCOPE_ROLES: Mapping[str, Role] = {
    roles.SUBMIT: Role.ANALYST,
    roles.REVIEW: Role.CHECKER,
    roles.ADMIN: Role.ADMIN,
}


def caller_from_model(model: Mapping[str, Any]) -> Caller:
    """The caller from the hub's user model for the token (``name``, ``groups``, ``scopes``)."""
    scopes = set(model.get("scopes") or ())
    # Exact matches only: a filtered form (``custom:egress:submit!…``) is not the whole
    # permission, and treating it as such would widen what the hub granted.
    held = frozenset(role for scope, role in SCOPE_ROLES.items() if scope in scopes)
    projects = frozenset(
        project for project in (project_id_of(group) for group in model.get("groups") or ()) if project
    )
    return Caller(name=model["name"], roles=held, projects=projects,
                  server_project=roles.bound_server(scopes, model["name"]))
