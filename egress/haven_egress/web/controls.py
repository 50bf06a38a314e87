"""Which buttons a person sees on a request page, and, for each one they cannot use, why.

Built only from ``permissions`` (who), ``policies`` and ``workflow`` (when): the same
functions the service enforces with, so the page and the service never disagree. A
disabled control is shown with its reason rather than hidden, so nobody wonders where
the button went.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import permissions, policies
from ..permissions import Caller, RequestFacts, Role
from haven_hub.settings import Egress
from ..views import FileView, RequestView
from ..workflow import TERMINAL, TRANSITIONS, WHY_NOT, Action, Actor, State


@dataclass(frozen=True)
class Control:
    name: str  # the URL word the form posts (handlers.DECISIONS)
    label: str
    allowed: bool
    reason: str = ""  # why not, when not allowed
    needs_reason: bool = False


# The final decisions: asked for on a confirmation page, with a reason (web.confirm_page).
CONFIRMED = frozenset({"release", "reject"})
# URL word, label, action, whether a reason is required (as the service requires one).
_REQUEST_ACTIONS = (
    ("start-review", "Start review", Action.START_REVIEW, False),
    ("release", "Release", Action.RELEASE, True),
    ("return", "Return to the author", Action.RETURN, True),
    ("reject", "Reject", Action.REJECT, True),
    ("revoke", "Revoke the release", Action.REVOKE, True),
    ("withdraw", "Withdraw", Action.WITHDRAW, False),
)


def why_not_checker(caller: Caller, facts: RequestFacts, rules: Egress) -> str:
    """Why the caller may not check this request, or "" if they may."""
    if permissions.may_check(caller, facts, rules):
        return ""
    if permissions.is_author(caller, facts):
        return "you wrote this request; an author never checks their own outputs"
    if Role.CHECKER not in caller.roles:
        return "only output checkers may do this; you do not hold the output-checker role"
    return (f"you are a member of project {facts.project}, and this Haven does not let members "
            "check their own project's outputs (egress.checkers_may_review_own_projects)")


def request_controls(caller: Caller, request: RequestView, rules: Egress) -> list[Control]:
    """Every request-level action the caller could ever take here, each allowed or with a reason."""
    facts = RequestFacts(request.author, request.project)
    author = permissions.is_author(caller, facts)
    checker_refusal = why_not_checker(caller, facts, rules)
    controls = []
    for word, label, action, needs_reason in _REQUEST_ACTIONS:
        actor = Actor.AUTHOR if action is Action.WITHDRAW else Actor.CHECKER
        if actor is Actor.AUTHOR and not author:
            continue  # withdrawing is the author's alone; nobody else needs to see it
        if actor is Actor.CHECKER and author:
            continue  # the author's page shows their own controls, not the checkers'
        who = "" if actor is Actor.AUTHOR else checker_refusal
        when = _why_not_now(request.state, action, actor)
        controls.append(Control(word, label, not (who or when), who or when, needs_reason))
    return controls


def vote_control(caller: Caller, request: RequestView, file: FileView, rules: Egress) -> Control:
    facts = RequestFacts(request.author, request.project)
    reason = why_not_checker(caller, facts, rules)
    if not reason and not policies.may_vote(request.state):
        reason = ("votes open once a checker starts the review" if request.state is State.SUBMITTED
                  else f"votes are closed: the request is {_words(request.state)}")
    if not reason and file.supporting:
        reason = "a supporting file is shown to checkers, never released, so it is not voted on"
    mine = next((r for r in file.reviews if r.reviewer == caller.name), None)
    # A vote stands, except on a conflicted file (after discussing it) or when it was carried
    # from an earlier version; the service allows any change while review is open.
    if not reason and mine is not None and not (file.conflicted or mine.carried_from):
        reason = "you have voted on this file"
    return Control("vote", "Change your vote" if mine and not reason else "Vote", not reason, reason)


def comment_control(caller: Caller, request: RequestView, rules: Egress) -> Control:
    facts = RequestFacts(request.author, request.project)
    if not permissions.may_comment(caller, facts, rules):
        return Control("comment", "Comment", False,
                       "only the author and the checkers who may judge this request comment on it")
    if not policies.may_comment(request.state):
        return Control("comment", "Comment", False, f"the request is {_words(request.state)}, which is final")
    return Control("comment", "Comment", True)


def _why_not_now(state: State, action: Action, actor: Actor) -> str:
    transition = TRANSITIONS.get((state, action))
    if transition is None:
        if state in TERMINAL:
            return f"the request is {_words(state)}, which is final"
        return f"{WHY_NOT[action]} (it is {_words(state)})"
    if actor not in transition.actors:
        return "the service does this by itself once every file has its votes"
    return ""


def _words(state: State) -> str:
    return state.value.replace("_", " ")
