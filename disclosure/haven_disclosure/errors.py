"""Errors the disclosure checks raise; each names what was wrong and, where known, where."""

from __future__ import annotations


class DisclosureCheckError(Exception):
    """Base class, so a caller (the CLI, the egress worker) can catch the family at once."""


class UnreadableTable(DisclosureCheckError):
    """The input cannot be read as a table: empty, binary, undecodable, ragged or malformed.

    ``line`` is 1-based (as an editor shows it) and ``column`` is a header name; both are None
    when the fault has no single place (an empty file, for instance).
    """

    def __init__(self, source: str, reason: str, *, line: int | None = None,
                 column: str | None = None) -> None:
        self.source = source
        self.reason = reason
        self.line = line
        self.column = column
        where = []
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        location = f" ({', '.join(where)})" if where else ""
        super().__init__(f"{source}{location}: {reason}")


class InvalidSetting(DisclosureCheckError, ValueError):
    """A preset name, an override key or an override value is not acceptable."""
