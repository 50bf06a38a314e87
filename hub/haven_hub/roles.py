"""Haven's roles and custom scopes, as data: the one place who-may-do-what is granted.

JupyterHub carries identity and scopes to services (STYLE habit 3). Each Haven role is a
JupyterHub role; what it allows in the egress service is a custom scope, which the
service reads from the caller's token. Project membership is not a role: it is the
hub's groups (``project-<id>``), read from the same user model.

Nothing here imports the settings, so ``haven_hub.settings`` can name the roles an account may
hold without a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

EGRESS_SERVICE = "egress"

SUBMIT = "custom:egress:submit"
REVIEW = "custom:egress:review"
ADMIN = "custom:egress:admin"
ADMIN_SERVICE = "admin"
# The admin pages (projects, usage, audit log); held by the haven-admin role only.
HAVEN_ADMIN_PAGES = "custom:haven:admin"
# Reading anyone's accreditations (haven_hub.governance.accreditation_api): the egress
# service asks whether a checker may review; recording them needs admin:users (which
# administrators and the operator token hold, and which also reads them).
READ_ACCREDITATIONS = "custom:haven:accreditations"
# Custom scopes held by services' own tokens only, never offered to people's OAuth tokens.
SERVICE_TOKEN_SCOPES = (READ_ACCREDITATIONS,)
IDLE_CULLER_SERVICE = "idle-culler"

# Shown on the hub's OAuth and token pages, so written for the person granting them.
CUSTOM_SCOPES: dict[str, dict[str, str]] = {
    SUBMIT: {"description": "Ask for outputs of your own projects to be released, and download what was approved."},
    REVIEW: {"description": "Review other projects' release requests: vote, comment, return, reject, release, revoke."},
    ADMIN: {"description": "See every release request and its history (no voting: that needs the review scope)."},
    HAVEN_ADMIN_PAGES: {"description": "Provision projects and read the audit log on Haven's admin pages."},
    READ_ACCREDITATIONS: {"description": "Read people's accreditations (training records) and what they allow."},
}

# Without it the hub refuses the user's token at the egress service's door (HubOAuth).
ACCESS_EGRESS = f"access:services!service={EGRESS_SERVICE}"
ACCESS_ADMIN = f"access:services!service={ADMIN_SERVICE}"

ANALYST = "analyst"
OUTPUT_CHECKER = "output-checker"
# Not "admin": that name is JupyterHub's own role, and overriding it would replace
# the hub administrators' scopes. Haven admins hold both.
HAVEN_ADMIN = "haven-admin"
EGRESS_SERVICE_ROLE = "egress-service"
IDLE_CULLER_ROLE = "idle-culler"

# The roles an account may list in the settings (``auth.accounts[].roles``).
ASSIGNABLE = (ANALYST, OUTPUT_CHECKER)


@dataclass(frozen=True)
class RoleSpec:
    name: str
    description: str
    scopes: tuple[str, ...]


ROLES: dict[str, RoleSpec] = {
    spec.name: spec
    for spec in (
        RoleSpec(ANALYST, "Works in their projects and asks for outputs to be released",
                 (SUBMIT, ACCESS_EGRESS)),
        RoleSpec(OUTPUT_CHECKER, "Reviews release requests (never their own, nor by default their projects')",
                 (REVIEW, ACCESS_EGRESS)),
        RoleSpec(HAVEN_ADMIN, "Oversees the egress queue and its history; provisions projects on the admin pages",
                 (ADMIN, ACCESS_EGRESS, HAVEN_ADMIN_PAGES, ACCESS_ADMIN)),
        # The service identifies callers with their own tokens and needs no power over
        # the hub; this lets it read project membership (groups) of users by name, and
        # each project's properties for its disclosure-check preset (read only), and the
        # provenance the spawner keeps in each server's state (haven_hub.provenance; the API
        # has no way to write a state), and people's accreditations (whether a checker may review).
        RoleSpec(EGRESS_SERVICE_ROLE, "The egress service itself",
                 ("read:users:groups", "read:groups", "read:servers", "admin:server_state", READ_ACCREDITATIONS)),
        # jupyterhub-idle-culler's documented least scopes for culling servers (not users).
        RoleSpec(IDLE_CULLER_ROLE, "Stops idle project servers",
                 ("list:users", "read:users:activity", "read:servers", "delete:servers")),
    )
}

# The services that hold a role above, by role name.
SERVICE_ROLES = {EGRESS_SERVICE_ROLE: EGRESS_SERVICE, IDLE_CULLER_ROLE: IDLE_CULLER_SERVICE}

# Custom scopes the egress service's OAuth tokens may carry (intersected by the hub
# with what the user holds), so browser sessions authorise exactly like API tokens.
EGRESS_OAUTH_SCOPES = (SUBMIT, REVIEW, ADMIN)


# JupyterHub's own administrator role (user.admin); an admin account holds it and haven-admin.
HUB_ADMIN = "admin"
# The roles an account's record decides (its ``roles`` and ``admin``); a user's other roles are left alone.
ACCOUNT_ROLES = (*ASSIGNABLE, HAVEN_ADMIN, HUB_ADMIN)


def account_roles(assigned: Iterable[str], admin: bool) -> frozenset[str]:
    """The hub roles of an account with roles ``assigned`` (and ``admin``): the one rule the roles
    loaded at start-up, the hub's administrators and ``haven account`` changes all derive from."""
    held = set(assigned)
    unknown = held - set(ASSIGNABLE)
    if unknown:
        raise ValueError(f"unknown role {sorted(unknown)[0]!r}: an account holds {', '.join(ASSIGNABLE)}")
    if admin:
        held |= {HAVEN_ADMIN, HUB_ADMIN}
    return frozenset(held)


def members(accounts: Iterable[Any]) -> dict[str, list[str]]:
    """Usernames holding each role (Haven's and JupyterHub's admin), by ``account_roles``."""
    holders: dict[str, list[str]] = {name: [] for name in (*ROLES, HUB_ADMIN)}
    for account in accounts:
        for role in account_roles(account.roles, account.admin):
            holders[role].append(account.name)
    return holders


def admin_users(accounts: Iterable[Any]) -> set[str]:
    """``Authenticator.admin_users``: the holders of JupyterHub's admin role."""
    return set(members(accounts)[HUB_ADMIN])


# JupyterHub's built-in "user" role is "self", which includes ``tokens!user``: a person could
# then mint a token carrying ``access:servers!server=<self>/<project>`` plus the submit scope,
# indistinguishable from that project's server token, and file requests under any of their
# projects from anywhere. Haven's "user" role is "self" without token management; a person
# still lists their tokens, and an administrator can issue one (without a server's scope,
# it reads, comments and downloads, but never submits: docs/egress-api.md).
USER_ROLE_SCOPES = ("read:users!user", "users:activity!user", "servers!user", "read:tokens!user",
                    "access:servers!user")


def user_role() -> dict[str, Any]:
    """The entry for ``JupyterHub.load_roles`` that redefines the built-in "user" role."""
    return {"name": "user", "description": "Every person: their own servers, without minting tokens",
            "scopes": list(USER_ROLE_SCOPES)}


def load_roles(accounts: Iterable[Any], running_services: Iterable[str]) -> list[dict[str, Any]]:
    """Entries for ``JupyterHub.load_roles``: "user", and every Haven role with its holders (a
    service's role only when that service runs: a role naming a missing service stops the hub)."""
    holders = members(accounts)
    running = set(running_services)
    entries = [user_role()]
    for spec in ROLES.values():
        entry: dict[str, Any] = {"name": spec.name, "description": spec.description, "scopes": list(spec.scopes)}
        if spec.name in SERVICE_ROLES:
            if SERVICE_ROLES[spec.name] not in running:
                continue
            entry["services"] = [SERVICE_ROLES[spec.name]]
        else:
            entry["users"] = sorted(holders[spec.name])
        entries.append(entry)
    return entries


# The admin service's OAuth tokens carry only this (intersected with what the person holds).
ADMIN_OAUTH_SCOPES = (HAVEN_ADMIN_PAGES,)


# The single-user server's own token.
# JupyterHub gives each server a token with the "server" role; Haven's JupyterLab extension
# sends release requests with it, so the analyst never handles a token. Least scopes: the
# hub's defaults plus reaching the egress service and submitting. The hub intersects them
# with the owner's own scopes, and never adds review or admin: a server cannot vote even
# when its owner is a checker.
SERVER_ROLE_SCOPES = ("users:activity!user", "access:servers!server", ACCESS_EGRESS, SUBMIT)


# The filter JupyterHub resolves ``access:servers!server`` to in a server's own token.
SERVER_ACCESS = "access:servers"


def bound_server(scopes: Iterable[str], username: str) -> str | None:
    """The name of the one server of ``username`` a token is bound to, from its scopes, or None.

    A project server's token carries ``access:servers!server=<user>/<name>`` and no wider
    server access; a person's own token (browser login, OAuth, or one an admin issued)
    reaches all of their servers (``!user=``) or none, so it is bound to none. A server's
    name is its project's id.
    """
    access = [scope for scope in scopes if scope == SERVER_ACCESS or scope.startswith(SERVER_ACCESS + "!")]
    if len(access) != 1:
        return None
    prefix = f"{SERVER_ACCESS}!server={username}/"
    name = access[0][len(prefix):] if access[0].startswith(prefix) else ""
    return name or None


def server_role() -> dict[str, Any]:
    """The entry for ``JupyterHub.load_roles`` that redefines the built-in "server" role."""
    return {"name": "server", "description": "A project server: activity, and release requests for its owner",
            "scopes": list(SERVER_ROLE_SCOPES)}
