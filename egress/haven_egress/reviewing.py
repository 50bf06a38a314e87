"""The checkers' use cases on files: a vote (or a changed one), a comment on a file or on the
request, and what follows from the votes (``settle``). Part of ``EgressService``, split out by
responsibility; each method is one transaction with its audit event, like the rest of it.

What the votes decide is ``review_rules``: a file settles with its required number of votes
and a strict majority; votes that disagree without one leave the file conflicted, and the
request waits (it cannot be approved, so not released) for a further vote or a changed one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from . import permissions, policies, review_rules, views
from .errors import Conflict, Invalid
from .holds import require_not_held
from .lookup import load_file, load_request
from .models import Comment, File, Request, Review
from .permissions import Caller
from .refusals import audited_refusals
from .texts import limited
from .workflow import Action, Actor, State

if TYPE_CHECKING:
    from .service import EgressService

DECISIONS = frozenset({"approve", "request_changes", "reject"})
# shared: for the author too (once the request is decided); private: for checkers only.
VISIBILITIES = frozenset({"shared", "private"})


class FileReviews:
    """Mixed into ``EgressService``."""

    @audited_refusals
    def review_file(self: EgressService, caller: Caller, file_id: int, decision: str, comment: str = "",
                    visibility: str = "shared") -> State:
        """Vote on one file, or change one's vote while the review is open (after discussing a
        conflicted file, say); when every file has settled the request moves on by itself."""
        if decision not in DECISIONS:
            raise Invalid(f"decision must be one of {', '.join(sorted(DECISIONS))}")
        if visibility not in VISIBILITIES:
            raise Invalid("visibility must be shared or private")
        if decision != "approve" and not comment.strip():
            raise Invalid("say why: a comment is required to request changes or reject")
        limited(comment, "the vote's comment")
        with self._transaction("review") as session:
            file, (request, state, current) = load_file(session, caller, file_id)
            permissions.require(permissions.may_check(caller, views.facts(request), self.rules),
                                "review this request", caller)
            require_not_held(self.project_holds, request.project, "vote")
            policies.require(policies.may_vote(state), "vote", state)
            if file.version.number != current:
                raise Conflict("that file belongs to an earlier version of the request")
            if file.supporting:
                raise Invalid(f"{file.path} is a supporting file: it is shown, never released, so not voted on")
            mine = next((r for r in file.reviews if r.reviewer == caller.name), None)
            if mine is None:
                file.reviews.append(Review(reviewer=caller.name, decision=decision,
                                           comment=comment, visibility=visibility))
                session.flush()
                self._audit(session, caller, "review", request, file=file.path, decision=decision)
            else:
                self._change_vote(session, caller, request, file, mine, decision, comment, visibility)
            return self.settle(session, caller, request, state, current)

    def _change_vote(self: EgressService, session: Session, caller: Caller, request: Request, file: File,
                     mine: Review, decision: str, comment: str, visibility: str) -> None:
        if (mine.decision, mine.comment, mine.visibility, mine.carried_from) == (decision, comment, visibility, None):
            raise Conflict(f"you have already reviewed {file.path} with this vote")
        was = {"decision": mine.decision, "carried_from": mine.carried_from}
        # The vote is the reviewer's current judgement; the audit event keeps what it was.
        mine.decision, mine.comment, mine.visibility, mine.carried_from = decision, comment, visibility, None
        session.flush()
        self._audit(session, caller, "review_changed", request, file=file.path, decision=decision,
                    was=was)

    @audited_refusals
    def comment(self: EgressService, caller: Caller, request_id: str, body: str, visibility: str = "shared",
                file_id: int | None = None) -> None:
        """A comment on the request, or on one file of its current version (``file_id``): that
        file's discussion thread, seen like its votes (``review_rules.may_see``)."""
        if visibility not in VISIBILITIES:
            raise Invalid("visibility must be shared or private")
        with self._transaction("comment") as session:
            request, state, current = load_request(session, caller, request_id)
            facts = views.facts(request)
            permissions.require(permissions.may_comment(caller, facts, self.rules), "comment here")
            require_not_held(self.project_holds, request.project, "comment")
            if visibility == "private":
                permissions.require(permissions.may_see_private(caller, facts, self.rules),
                                    "write comments private to checkers")
            policies.require(policies.may_comment(state), "comment", state)
            on_file = None
            if file_id is not None:
                on_file = next((f for f in request.versions[-1].files if f.id == file_id), None)
                if on_file is None:
                    raise Invalid("a comment on a file names a file of the request's current version")
            text = limited(required_text(body, "a comment"), "the comment")
            session.add(Comment(request_id=request.id, version_number=current, author=caller.name,
                                body=text, visibility=visibility,
                                file_id=on_file.id if on_file else None))
            self._audit(session, caller, "comment", request, visibility=visibility,
                        **({"file": on_file.path} if on_file else {}))

    def settle(self: EgressService, session: Session, caller: Caller, request: Request, state: State,
               version: int) -> State:
        """After a vote (or a review starting on carried votes): close review when every file
        has settled (enough votes, no conflict), then decide."""
        if state is not State.UNDER_REVIEW:
            return state
        released = [f for f in request.versions[-1].files if not f.supporting]
        outcomes = [review_rules.settled(f.reviews, self.rules.required_approvals) for f in released]
        if not released or any(o is None for o in outcomes):
            return state
        state = self._move(session, caller, request, state, version, Action.COMPLETE_REVIEW, Actor.SYSTEM)
        if set(outcomes) == {"approve"}:
            return self._move(session, caller, request, state, version, Action.APPROVE, Actor.SYSTEM)
        if "reject" not in outcomes:
            return self._move(session, caller, request, state, version, Action.RETURN, Actor.SYSTEM,
                              "a checker asked for changes")
        return state  # a rejection decided: a checker decides to reject or return


def required_text(text: str, what: str) -> str:
    """``text`` stripped, or Invalid when it is empty: a reason or a comment that must be given."""
    if not text or not text.strip():
        raise Invalid(f"{what} needs a reason")
    return text.strip()
