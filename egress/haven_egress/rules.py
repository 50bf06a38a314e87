"""The egress rules an operator may tune, with their defaults (the safe choice).

Debt: these belong in Haven's settings schema (hub/haven_hub/settings.py) so they are
validated and documented with every other option; the service will take them from there.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rules:
    """The review rules an operator may tune; defaults are the safe choice."""

    required_approvals: int = 2
    # A checker who belongs to the project may be too close to the work to judge it.
    members_may_review: bool = False
    # Whether project members other than the author may download released files.
    members_may_download: bool = False
    max_file_bytes: int = 16 * 1024 * 1024
    max_request_bytes: int = 64 * 1024 * 1024
    max_files: int = 50

    def __post_init__(self) -> None:
        # Zero approvals would let a request through unseen: refuse it at start-up.
        if self.required_approvals < 1:
            raise ValueError("required_approvals must be at least 1")
        if min(self.max_file_bytes, self.max_request_bytes, self.max_files) < 1:
            raise ValueError("size and file-count limits must be positive")
