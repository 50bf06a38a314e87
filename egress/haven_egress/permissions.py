"""WHO may act on a request, whatever state it is in (``policies`` says WHEN).

Each ``may_*`` returns a bool the pages can use to show or hide a button; the service
calls ``require`` with the same functions, so a hidden button is never the only guard.
Identity and roles come from JupyterHub; this module only reasons about them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import Forbidden
from haven_hub.settings import Egress
from .workflow import Actor


class Role(StrEnum):
    ANALYST = "analyst"
    CHECKER = "checker"
    ADMIN = "admin"


@dataclass(frozen=True)
class Caller:
    """A person as the hub vouches for them: name, Haven roles, projects they belong to.

    ``server_project`` is the project of the server whose token made the call (a server's
    name is its project); None for any other token (the browser's login, a token an admin
    issued), which can therefore never submit files.
    """

    name: str
    roles: frozenset[Role] = frozenset()
    projects: frozenset[str] = frozenset()
    server_project: str | None = None
    # Why the hub says this checker may not review now (a missing or expired accreditation,
    # haven_hub.governance.accreditation); "" when they may. Notices: expiries coming up.
    review_refusal: str = ""
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestFacts:
    """The only facts about a request that decide who may act on it."""

    author: str
    project: str


def is_author(caller: Caller, request: RequestFacts) -> bool:
    return caller.name == request.author


def is_member(caller: Caller, request: RequestFacts) -> bool:
    return request.project in caller.projects


def may_view(caller: Caller, request: RequestFacts) -> bool:
    # Analysts see only their own project's requests; checkers and admins see the queue.
    return (
        is_author(caller, request)
        or is_member(caller, request)
        or bool(caller.roles & {Role.CHECKER, Role.ADMIN})
    )


def may_submit(caller: Caller, project: str) -> bool:
    """Files come out only through a server of the project they are filed under."""
    return Role.ANALYST in caller.roles and project in caller.projects and caller.server_project == project


class ProjectMismatch(Forbidden):
    """A body named another project than the server's: refused, and worth an audit event."""

    def __init__(self, server_project: str, named_project: str):
        super().__init__(f"this server belongs to project {server_project}; requests from it "
                         f"are filed under {server_project}, not {named_project}")
        self.server_project = server_project
        self.named_project = named_project

    def details(self) -> dict[str, str]:
        return {"reason": "the body named another project than the server's",
                "server_project": self.server_project, "named_project": self.named_project}


def filing_project(caller: Caller, named_project: str = "") -> str:
    """The project a submission is filed under: the caller's server's, never the body's.

    ``named_project`` (what the client said, "" for nothing) is only compared. A caller
    whose token belongs to no server (the browser's login, a personal token) submits nothing.
    """
    if caller.server_project is None:
        raise Forbidden("files are submitted only from a project server (JupyterLab's Request release): "
                        "this token belongs to no project server; a browser or personal token may read, "
                        "comment on, withdraw and download requests, not submit files")
    if named_project and named_project != caller.server_project:
        raise ProjectMismatch(caller.server_project, named_project)
    return caller.server_project


def may_check(caller: Caller, request: RequestFacts, rules: Egress) -> bool:
    """Whether the caller may review, decide, release or revoke this request."""
    if Role.CHECKER not in caller.roles or is_author(caller, request):
        return False  # the author never checks their own request, whatever roles they hold
    if caller.review_refusal:
        return False
    return rules.checkers_may_review_own_projects or not is_member(caller, request)


def may_act_as(caller: Caller, actor: Actor, request: RequestFacts, rules: Egress) -> bool:
    """Whether the caller may take a workflow transition that belongs to ``actor``."""
    if actor is Actor.AUTHOR:
        return is_author(caller, request)
    if actor is Actor.CHECKER:
        return may_check(caller, request, rules)
    return False  # system transitions follow from rules, never from a person's call


def may_comment(caller: Caller, request: RequestFacts, rules: Egress) -> bool:
    return is_author(caller, request) or may_check(caller, request, rules)


def may_see_private(caller: Caller, request: RequestFacts, rules: Egress) -> bool:
    """Private review comments are for the checkers who may judge this request only."""
    return may_check(caller, request, rules)


def may_download(caller: Caller, request: RequestFacts, rules: Egress) -> bool:
    return is_author(caller, request) or (rules.members_may_download and is_member(caller, request))


def require(allowed: bool, what: str, caller: Caller | None = None) -> None:
    """Refuses with what was asked; for a checker barred from reviewing, also why (the hub's sentence)."""
    if not allowed:
        why = f": {caller.review_refusal}" if caller is not None and caller.review_refusal else ""
        raise Forbidden(f"you may not {what}{why}")
