"""Review per file, as the strongest output-checking services keep it: who sees a vote or a
file's comment when, when a file's votes are in conflict, and which votes a resubmission keeps.

Pure rules over rows, no session: ``views`` applies the seeing rules (so a hidden vote never
leaves the service, whatever the page does), ``service`` the conflict and carrying ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import policies
from .models import File, Review
from .workflow import State

# Until the request is decided (approved, returned, rejected …) the author sees no vote and no
# comment on a file; REVIEWED still waits for a checker's decision.
UNDECIDED_FOR_AUTHOR = frozenset({State.SUBMITTED, State.UNDER_REVIEW, State.REVIEWED})


@dataclass(frozen=True)
class Viewer:
    """Who is looking at one file: their name, whether they may judge the request (a checker
    who may review it: ``permissions.may_see_private``), and whether they have voted on it."""

    name: str
    judges: bool
    voted: bool


def may_see(viewer: Viewer, by: str, visibility: str, state: State, current_version: bool) -> bool:
    """Whether ``viewer`` may see a vote or a comment ``by`` someone on a file.

    Checkers (for checkers only, ``private``; for the author too, ``shared``): one's own
    always; others' on the version under review only after voting on the file, so each vote
    is independent; all once review has closed. Everyone else: only ``shared`` ones, and on
    the current version only once the request is decided.
    """
    if by == viewer.name:
        return True
    if viewer.judges:
        if current_version and not policies.votes_visible(state):
            return viewer.voted  # while review is open a checker judges alone
        return True
    if visibility != "shared":
        return False
    return not current_version or state not in UNDECIDED_FOR_AUTHOR


def outcome(decisions: Sequence[str]) -> str | None:
    """What a file's votes decide: the decision of a strict majority; None without votes or
    without a majority (two votes that disagree: a conflict)."""
    if not decisions:
        return None
    ranked = Counter(decisions).most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


def conflicted(decisions: Sequence[str]) -> bool:
    """Votes that disagree with no majority: the file needs a further vote or a changed one."""
    return bool(decisions) and outcome(decisions) is None


def settled(reviews: Sequence[Review], needed: int) -> str | None:
    """A file's decided outcome once it has ``needed`` votes from distinct people and no
    conflict; None while it waits."""
    if len({r.reviewer for r in reviews}) < needed:
        return None
    return outcome([r.decision for r in reviews])


def unchanged(before: File, after: File) -> bool:
    """The same file for a checker: same bytes, same description and controls, same role."""
    return (before.sha256 == after.sha256 and before.description == after.description
            and list(before.controls) == list(after.controls) and before.supporting == after.supporting
            and before.kind == after.kind)


def carry_votes(previous: Iterable[File], previous_number: int, files: Iterable[File]) -> list[str]:
    """Copy the votes of each unchanged file of the previous version onto its successor, marked
    with the version they were cast on; changed and new files start undecided. The paths carried."""
    before = {f.path: f for f in previous}
    carried = []
    for file in files:
        old = before.get(file.path)
        if old is None or file.supporting or not unchanged(old, file) or not old.reviews:
            continue
        file.reviews = [Review(reviewer=r.reviewer, decision=r.decision, comment=r.comment,
                               visibility=r.visibility, carried_from=r.carried_from or previous_number)
                        for r in old.reviews]
        carried.append(file.path)
    return carried
