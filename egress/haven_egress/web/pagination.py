"""Pages of a long list for the server-rendered pages: which slice, and the links around it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

T = TypeVar("T")

DEFAULT_SIZE = 50
SIZES = (10, 25, 50, 100, 200)


class PageError(ValueError):
    """A page number or size in the address that is not one; the message says which."""


@dataclass(frozen=True)
class Pagination:
    page: int
    size: int
    total: int
    # The query arguments that select the list (filters), kept on every page's link.
    query: tuple[tuple[str, str], ...] = ()

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """1-based position of the first item shown (0 when the list is empty)."""
        return 0 if self.total == 0 else (self.page - 1) * self.size + 1

    @property
    def last(self) -> int:
        return min(self.page * self.size, self.total)

    def link(self, page: int) -> str:
        size = () if self.size == DEFAULT_SIZE else (("size", str(self.size)),)
        return "?" + urlencode((*self.query, *size, ("page", str(page))))


def paginate(items: Sequence[T], page: str = "", size: str = "",
             query: Sequence[tuple[str, str]] = ()) -> tuple[list[T], Pagination]:
    """The slice of ``items`` for a page number and size as written in the address."""
    try:
        size_n = int(size) if size else DEFAULT_SIZE
    except ValueError:
        raise PageError(f"the page size {size!r} is not a number") from None
    if size_n not in SIZES:
        raise PageError(f"the page size must be one of {', '.join(map(str, SIZES))}")
    try:
        page_n = int(page) if page else 1
    except ValueError:
        raise PageError(f"the page {page!r} is not a number") from None
    pagination = Pagination(page_n, size_n, len(items), tuple((k, v) for k, v in query if v))
    if not 1 <= page_n <= pagination.pages:
        raise PageError(f"there is no page {page_n}: the list has {pagination.pages}")
    start = (page_n - 1) * size_n
    return list(items[start:start + size_n]), pagination
