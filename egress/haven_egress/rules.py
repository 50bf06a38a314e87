"""The egress rules an operator may tune, with their defaults (the safe choice).

The operator sets them in Haven's settings file (the ``Egress`` section of
``hub/haven_hub/settings/egress.py``, validated and documented there); ``web.startup.rules_from``
maps them here, so the service and its tests need no settings file.
"""

from __future__ import annotations

from dataclasses import dataclass

from .filetypes import ALL_TYPES, DEFAULT_TYPES


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
    # Rows (after a header) any file to be released may carry, read as a table every way
    # its content allows (``disclosure.content``), whatever its name.
    max_table_rows: int = 5000
    file_types: frozenset[str] = DEFAULT_TYPES
    # Content no check can read (binary in no known format) is held to this and reviewed.
    max_opaque_bytes: int = 64 * 1024
    # An image claiming more pixels is refused before it is decoded (a decompression bomb).
    max_image_pixels: int = 25_000_000

    def __post_init__(self) -> None:
        # Zero approvals would let a request through unseen: refuse it at start-up.
        if self.required_approvals < 1:
            raise ValueError("required_approvals must be at least 1")
        if min(self.max_file_bytes, self.max_request_bytes, self.max_files, self.max_table_rows,
               self.max_opaque_bytes, self.max_image_pixels) < 1:
            raise ValueError("size, file-count and row limits must be positive")
        unknown = set(self.file_types) - ALL_TYPES
        if unknown or not self.file_types:
            raise ValueError(f"file_types must be a non-empty subset of {sorted(ALL_TYPES)}")
