"""Turning request bodies into the service's arguments, and its answers into JSON.

Only shape is checked here (is it JSON, is each field of the right type); what the
values may be is the service's business. A malformed body is ``Invalid``, like any other
bad input, so the client gets one kind of answer for everything it got wrong.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any

from tornado.httputil import HTTPFile

from ..errors import Invalid
from ..uploads import FileUpload

# File i's bytes travel in the multipart part named ``file-<i>``.
PART = "file-{}"
SUBMISSION_FIELDS = {"project", "title", "purpose", "files", "keep", "declared"}
FILE_FIELDS = {"path": str, "sha256": str, "media_type": str, "description": str, "kind": str,
                "supporting": bool, "controls": list}


# The JSON bodies' fields, as openapi.yaml names them; any other is refused, not ignored.
COMMENT_FIELDS = frozenset({"body", "visibility", "file_id"})
DECISION_FIELDS = frozenset({"reason"})
REVIEW_FIELDS = frozenset({"decision", "comment", "visibility"})


@dataclass(frozen=True)
class Submission:
    # What the client named, "" if nothing: only compared with the server's project, never used.
    project: str
    title: str
    purpose: str
    files: list[FileUpload]
    keep: list[str]
    # What the server says of its own environment (haven_egress.provenance.declared checks it).
    declared: dict[str, Any] | None = None


def json_body(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Invalid("the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise Invalid("the body must be a JSON object")
    try:
        # JSON may spell half a character ("\\ud800"); Python reads it into text no page, database
        # or file can hold. Stored in a JSON column, one such control made its request page fail.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid("the body holds text that is not valid Unicode (a lone surrogate such as "
                      "\\ud800); send each character whole") from None
    return value


def only(fields: dict[str, Any], allowed: frozenset[str], what: str) -> dict[str, Any]:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise Invalid(f"unknown field(s) in the {what}: {', '.join(unknown)}")
    return fields


def text(fields: Mapping[str, Any], name: str, default: str | None = None) -> str:
    value = fields.get(name, default)
    if not isinstance(value, str):
        raise Invalid(f"{name!r} must be text" if name in fields else f"{name!r} is required")
    return value


def flag(value: str, name: str) -> bool:
    """A true/false query argument, spelled as JSON spells it."""
    if value not in ("true", "false"):
        raise Invalid(f"{name!r} must be true or false")
    return value == "true"


def submission(metadata: str | None, parts: Mapping[str, Sequence[HTTPFile]]) -> Submission:
    """A multipart submission: a ``metadata`` JSON field plus one part per file."""
    if metadata is None:
        raise Invalid("a submission needs a 'metadata' field holding JSON")
    fields = json_body(metadata.encode())
    unknown = sorted(set(fields) - SUBMISSION_FIELDS)
    if unknown:
        raise Invalid(f"unknown field(s) in metadata: {', '.join(unknown)}")
    entries = fields.get("files", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise Invalid("'files' must be a list of objects, one per uploaded file")
    expected = {PART.format(i) for i in range(len(entries))}
    if set(parts) != expected:
        raise Invalid(f"send one part per entry of 'files', named {PART.format('<index>')}; "
                      f"expected {sorted(expected)}, got {sorted(parts)}")
    keep = fields.get("keep", [])
    if not isinstance(keep, list) or not all(isinstance(path, str) for path in keep):
        raise Invalid("'keep' must be a list of paths")
    return Submission(
        project=text(fields, "project", ""),
        title=text(fields, "title", ""),
        purpose=text(fields, "purpose", ""),
        files=[_upload(entry, parts[PART.format(i)], i) for i, entry in enumerate(entries)],
        keep=keep,
        declared=fields.get("declared"),
    )


def _upload(entry: dict[str, Any], part: Sequence[HTTPFile], index: int) -> FileUpload:
    unknown = sorted(set(entry) - set(FILE_FIELDS))
    if unknown:
        raise Invalid(f"files[{index}]: unknown field(s) {', '.join(unknown)}")
    for name, kind in FILE_FIELDS.items():
        if name in entry and not isinstance(entry[name], kind):
            raise Invalid(f"files[{index}].{name} must be {kind.__name__}")
    for name in ("path", "sha256"):
        if name not in entry:
            raise Invalid(f"files[{index}] needs '{name}'")
    if len(part) != 1:
        raise Invalid(f"send exactly one part named {PART.format(index)}")
    return FileUpload(content=part[0].body, **{**entry, "controls": tuple(entry.get("controls", ()))})


def optional_file_id(fields: Mapping[str, Any]) -> int | None:
    """A JSON body's ``file_id`` (a comment on one file): a whole number or absent."""
    value = fields.get("file_id")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise Invalid("'file_id' must be a whole number")
    return value


def file_id(text_: str) -> int | str:
    """A file id from the URL; anything but a number stays text, which finds nothing."""
    return int(text_) if text_.isdecimal() and len(text_) < 18 else text_


_PLAIN = frozenset({str, int, float, bool, type(None)})


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def to_json(value: Any) -> Any:
    """The service's views (dataclasses, enums, datetimes) as JSON-ready values."""
    # Exact types first: a 10,000-request listing is mostly plain strings and numbers.
    if type(value) in _PLAIN:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: to_json(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = [to_json(item) for item in value]
        return sorted(items) if isinstance(value, frozenset | set) else items
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value
