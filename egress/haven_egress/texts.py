"""Free text people write into a request: its purpose, a file's description and controls, a
comment, a vote's comment, a reason for a decision.

Each is held to ``TEXT_MAX`` characters. Every one of them is shown again and again: in each
answer about the request, in the whole-request list the analyst's Releases panel fetches
every 25 seconds, on the checkers' pages. Without a limit one pasted log of a few megabytes
(a request may carry 64M) is sent with each of those, and would spend in an hour the daily
budget of bytes the analyst's server may send to their browser, which then stops the server.
"""

from __future__ import annotations

from .errors import Invalid

# About a page and a half of prose; the ingress forms' limit too.
TEXT_MAX = 4000
# The disclosure controls one file may declare (a short list a person reads, not a document).
MAX_CONTROLS = 50


def limited(text: str, what: str) -> str:
    """``text`` unchanged, or Invalid when it is longer than a person's note or not whole Unicode."""
    if len(text) > TEXT_MAX:
        raise Invalid(f"{what} is {len(text):,} characters; at most {TEXT_MAX:,}")
    if not whole_unicode(text):
        # JSON can spell half a character ("\ud800"); stored, every page showing it failed.
        raise Invalid(f"{what} holds text that is not valid Unicode (a lone surrogate)")
    return text


def whole_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
