"""One line for a person about a record that does not validate.

Listings (datasets, projects) name each damaged item with why and go on with the others;
pydantic's own message runs to several lines per field, too long for a table cell or a
``problem:`` line.
"""

from __future__ import annotations

from pydantic import ValidationError


def validation_summary(error: ValidationError) -> str:
    first = error.errors()[0]
    place = ".".join(str(part) for part in first["loc"])
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return (f"{place}: " if place else "") + first["msg"] + more


def one_line(error: ValueError) -> str:
    """A ValidationError summarised; any other ValueError's first line."""
    if isinstance(error, ValidationError):
        return validation_summary(error)
    return (str(error).splitlines() or [type(error).__name__])[0]
