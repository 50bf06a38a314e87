"""How a submission's uploads become the rows of a request version, and how a revision
changes the request: the parts of ``service``'s submit and resubmit that need no session."""

from __future__ import annotations

from .errors import Invalid
from .models import File, Request
from .texts import limited
from .uploads import FileUpload

TITLE_MAX = 200  # the column's width (models.Request.title)


def checked_title(title: str) -> str:
    """The title as stored: stripped, refused past the column's width (PostgreSQL would
    refuse it at commit, as a server error)."""
    title = title.strip()
    if len(title) > TITLE_MAX:
        raise Invalid(f"a title has at most {TITLE_MAX} characters")
    return limited(title, "the title")


def checked_purpose(purpose: str) -> str:
    return limited(purpose, "the purpose")


def revise(request: Request, title: str, purpose: str) -> dict[str, dict[str, str]]:
    """Replace the title and purpose the author revised; what changed, from and to, for the audit."""
    changed = {}
    for name, value in (("title", checked_title(title)), ("purpose", checked_purpose(purpose.strip()))):
        if value and value != getattr(request, name):
            changed[name] = {"from": getattr(request, name), "to": value}
            setattr(request, name, value)
    return changed


def file_row(upload: FileUpload) -> File:
    return File(path=upload.path, sha256=upload.sha256.lower(), size=len(upload.content),
                media_type=upload.media_type, description=upload.description,
                controls=list(upload.controls), kind=upload.kind, supporting=upload.supporting)


def copy_row(file: File) -> File:
    return File(path=file.path, sha256=file.sha256, size=file.size, media_type=file.media_type,
                description=file.description, controls=list(file.controls), kind=file.kind,
                supporting=file.supporting)
