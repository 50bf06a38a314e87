"""Finding a request or a file for a caller: one answer for "does not exist" and "exists,
but not for you".

File ids are sequential and request ids travel in links, so any difference between the
two answers (message, status, timing of a second query) would reveal other projects'
requests and files. Every use case of ``service`` loads through here.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import permissions, views
from .errors import NotFound
from .models import File, Request
from .permissions import Caller
from .workflow import State

_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
NO_REQUEST = "there is no request with this id that you may see"
NO_FILE = "there is no file with this id that you may see"


def load_request(session: Session, caller: Caller, request_id: str) -> tuple[Request, State, int]:
    """The request, its current state and version; NotFound if the caller may not see it."""
    if not isinstance(request_id, str) or not _REQUEST_ID.match(request_id):
        raise NotFound(NO_REQUEST)
    # FOR UPDATE (ignored by SQLite) serialises concurrent votes on one request, so
    # the last vote always sees the others and the request cannot stall.
    request = session.scalars(select(Request).where(Request.id == request_id)
                              .with_for_update()).one_or_none()
    if request is None or not permissions.may_view(caller, views.facts(request)):
        raise NotFound(NO_REQUEST)
    last = request.events[-1]
    return request, State(last.state), last.version_number


def load_file(session: Session, caller: Caller, file_id: int) -> tuple[File, tuple[Request, State, int]]:
    """A file and its request; NO_FILE alike for a missing file and one of a request the
    caller may not see."""
    file = _file(session, file_id)
    try:
        return file, load_request(session, caller, file.version.request_id)
    except NotFound:
        raise NotFound(NO_FILE) from None


def _file(session: Session, file_id: int) -> File:
    """A submitted file by id; a forged or unknown id is not found, whatever its type."""
    # Beyond SQL INTEGER (PostgreSQL's int4) no file exists, and asking would be a DataError (500).
    file = session.get(File, file_id) if isinstance(file_id, int) and 0 < file_id < 2**31 else None
    if file is None:
        raise NotFound(NO_FILE)
    return file
