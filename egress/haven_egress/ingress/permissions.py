"""WHO may act on an ingress request (``workflow`` says WHEN). Each ``may_*`` is a bool the
pages use to show a control; the service calls ``require`` with the same functions."""

from __future__ import annotations

from dataclasses import dataclass

from haven_hub.settings import Egress

from ..permissions import Caller, Role
from .workflow import Actor


@dataclass(frozen=True)
class IngressFacts:
    author: str
    project: str


def is_author(caller: Caller, request: IngressFacts) -> bool:
    return caller.name == request.author


def may_file(caller: Caller, project: str) -> bool:
    """Analysts file for projects they are members of, from the browser or any token: the
    file goes through a person's review before it reaches the project, whatever sent it."""
    return Role.ANALYST in caller.roles and project in caller.projects


def may_decide(caller: Caller, request: IngressFacts, rules: Egress) -> bool:
    """A checker or an admin, never the author; a checker who is a member of the project only
    when ``egress.checkers_may_review_own_projects`` says so (as for release requests)."""
    if is_author(caller, request):
        return False
    if Role.ADMIN in caller.roles:
        return True
    if Role.CHECKER not in caller.roles:
        return False
    return rules.checkers_may_review_own_projects or request.project not in caller.projects


def may_view(caller: Caller, request: IngressFacts) -> bool:
    """The project's members see its requests; checkers and admins see the queue."""
    return (is_author(caller, request) or request.project in caller.projects
            or bool(caller.roles & {Role.CHECKER, Role.ADMIN}))


def may_act_as(caller: Caller, actor: Actor, request: IngressFacts, rules: Egress) -> bool:
    if actor is Actor.AUTHOR:
        return is_author(caller, request)
    if actor is Actor.DECIDER:
        return may_decide(caller, request, rules)
    return False  # delivery follows an approval, never a person's call
