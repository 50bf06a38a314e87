"""Accredited people: which accreditations exist, and what a missing or expired one stops."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from .common import _Section

ACCREDITATION_KIND = r"^[a-z][a-z0-9_]{0,39}$"
# What a missing or expired accreditation can stop.
ACTIONS = ("login", "spawn", "review")
Action = Literal["login", "spawn", "review"]


class AccreditationKind(_Section):
    name: Annotated[str, Field(pattern=ACCREDITATION_KIND)] = Field(
        description="Short name, as `haven account accredit NAME KIND` and a project's "
        "`required_accreditations` write it, e.g. `safe_researcher`.")
    title: str = Field(min_length=1, description="What people see, e.g. `Safe researcher training`.")
    required_for: list[Action] = Field(
        default_factory=list,
        description="What a person without a current accreditation of this kind may not do: `login` (every "
        "account, checked after the password and code were right), `spawn` (start any project server; a project "
        "can also require a kind of its members) and `review` (vote, decide or open files in the egress review "
        "queue). Empty: recorded and shown, enforced only where a project requires it.")

    @field_validator("required_for")
    @classmethod
    def _once_each(cls, actions: list[str]) -> list[str]:
        if len(set(actions)) != len(actions):
            raise ValueError("each action may appear once")
        return actions


def _default_kinds() -> list[AccreditationKind]:
    return [AccreditationKind(name="safe_researcher", title="Safe researcher training"),
            AccreditationKind(name="output_checker", title="Output checker training")]


class Accreditation(_Section):
    kinds: list[AccreditationKind] = Field(
        default_factory=_default_kinds,
        description="The accreditations an administrator may record (`haven account accredit`). By default "
        "`safe_researcher` and `output_checker`, neither required for anything until `required_for` says so.")
    warn_days: int = Field(
        30, ge=0, le=366,
        description="Days ahead of an accreditation's expiry from which its holder is warned, on the hub's "
        "home page and the review pages (0: no warnings).")

    @field_validator("kinds")
    @classmethod
    def _unique_names(cls, kinds: list[AccreditationKind]) -> list[AccreditationKind]:
        names = [kind.name for kind in kinds]
        if len(set(names)) != len(names):
            raise ValueError("each accreditation kind may be declared once")
        return kinds

    def kind(self, name: str) -> AccreditationKind | None:
        return next((kind for kind in self.kinds if kind.name == name), None)

    def required_for(self, action: str) -> list[AccreditationKind]:
        return [kind for kind in self.kinds if action in kind.required_for]
