"""Release requests as the extension builds them: checked bodies in, egress payloads out.

Only shape and the workspace are checked here; what a request may contain (kinds, sizes,
file types, states) is the egress service's business, and its refusals reach the analyst
with its own message.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import environment
from .egress import Part, media_type
from .notebooks import render_html
from .workspace import Refused, Workspace

REQUEST_FIELDS = {"title", "purpose", "files", "include_code"}
RESUBMIT_FIELDS = {"title", "purpose", "files", "include_code", "note", "keep"}
PREFLIGHT_FIELDS = {"files", "include_code"}
FILE_FIELDS = {"path": str, "description": str, "kind": str, "controls": list}


def check_fields(body: dict[str, Any], allowed: set[str], what: str) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Refused(400, f"unknown field(s) in the {what}: {', '.join(unknown)}")


def text_field(body: dict[str, Any], name: str, required: bool = False) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise Refused(400, f"'{name}' must be text")
    if required and not value.strip():
        raise Refused(400, f"'{name}' is required")
    return value.strip()


def bool_field(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise Refused(400, f"'{name}' must be true or false")
    return value


def file_entries(body: dict[str, Any], required: bool = True) -> list[dict[str, Any]]:
    files = body.get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
        raise Refused(400, "'files' must be a list of objects, one per file")
    if required and not files:
        raise Refused(400, "pick at least one file to release")
    for index, entry in enumerate(files):
        unknown = sorted(set(entry) - set(FILE_FIELDS))
        if unknown:
            raise Refused(400, f"files[{index}]: unknown field(s) {', '.join(unknown)}")
        for name, kind in FILE_FIELDS.items():
            if name in entry and not isinstance(entry[name], kind):
                raise Refused(400, f"files[{index}].{name} must be {'a list' if kind is list else 'text'}")
        if not all(isinstance(c, str) for c in entry.get("controls", [])):
            raise Refused(400, f"files[{index}].controls must be a list of text")
    paths = [entry.get("path") for entry in files]
    if len(set(map(str, paths))) != len(paths):
        raise Refused(400, "the same file is listed twice")
    return files


@dataclass(frozen=True)
class Prepared:
    """A workspace file as it will be sent: notebooks rendered to HTML."""

    source_path: str  # as the analyst named it
    part: Part


def prepare(workspace: Workspace, entry: dict[str, Any], include_code: bool) -> Prepared:
    path = entry.get("path")
    content = workspace.read(path)  # refuses anything but a path inside the workspace
    send_path = str(path).strip("/")
    kind = entry.get("kind")
    if send_path.lower().endswith(".ipynb"):
        # Checkers read the notebook as the analyst saw it; the .ipynb itself never leaves.
        content = render_html(content, send_path, include_code)
        send_path = send_path[: -len(".ipynb")] + ".html"
        kind = kind or "notebook"
    metadata: dict[str, Any] = {
        "path": send_path,
        "sha256": hashlib.sha256(content).hexdigest(),
        "media_type": media_type(send_path),
        "description": entry.get("description", ""),
        "controls": list(entry.get("controls", [])),
    }
    if kind:
        metadata["kind"] = kind
    return Prepared(str(path), Part(metadata, content))


def submission(title: str, purpose: str, prepared: list[Prepared],
               keep: list[str] | None = None, user_site: Path | None = None) -> dict[str, Any]:
    # No project: the egress service files the request under this server's project, which
    # it reads from this server's token (a body naming another would be refused).
    metadata: dict[str, Any] = {"title": title, "purpose": purpose,
                                "files": [p.part.entry for p in prepared],
                                "declared": environment.declared(
                                    ((p.part.entry["path"], p.source_path) for p in prepared), user_site)}
    if keep:
        metadata["keep"] = keep
    return metadata


def _shared_file_comments(file: dict[str, Any]) -> list[dict[str, Any]]:
    """A file's shared comments: each vote's (with its decision), then its discussion thread."""
    return [
        {"author": review.get("reviewer"), "body": review.get("comment"), "time": review.get("time"),
         "decision": review.get("decision")}
        for review in file.get("reviews", [])
        if review.get("visibility") == "shared" and review.get("comment")
    ] + [
        {"author": comment.get("author"), "body": comment.get("body"), "time": comment.get("time")}
        for comment in file.get("comments", [])
        if comment.get("visibility") == "shared" and comment.get("body")
    ]


def _earlier_versions_comments(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What checkers said of the files of earlier versions, so a resubmission does not hide it."""
    return [
        {**comment, "body": f"version {number}, {file.get('path')}: {comment['body']}"}
        for number, version in enumerate(versions, start=1)
        for file in version.get("files", [])
        for comment in _shared_file_comments(file)
    ]


def for_the_panel(request: dict[str, Any], hub_base_url: str) -> dict[str, Any]:
    """A request as the Release requests panel shows it: latest files, shared comments only."""
    versions = request.get("versions") or [{"files": []}]
    released = request.get("state") == "released"
    # The workspace file each sent file was made from (a notebook sent as its .html), so a
    # revision in the release dialog reads and checks the notebook again, not its rendering.
    sources = environment.declared_sources(request)
    files = []
    for file in versions[-1].get("files", []):
        shown = {key: file.get(key) for key in ("id", "path", "sha256", "size", "media_type",
                                                 "description", "kind", "controls")}
        shown["source"] = sources.get(str(file.get("path")), file.get("path"))
        # Shared ones only, as the service shows them to the author once the request is decided;
        # a vote's decision lets the panel name the files a checker asked to change.
        shown["comments"] = _shared_file_comments(file)
        if released and file.get("id") is not None:
            # The hub's origin, outside the container: the browser downloads from the egress
            # service itself, which re-checks the SHA-256 and audits the download.
            shown["download_url"] = f"{hub_base_url.rstrip('/')}/services/egress/api/files/{file['id']}/download"
        files.append(shown)
    return {
        **{key: request.get(key) for key in ("id", "project", "author", "title", "purpose", "state", "version")},
        "files": files,
        "comments": [c for c in request.get("comments", []) if c.get("visibility") == "shared"]
        + _earlier_versions_comments(versions[:-1]),
        "history": [{key: h.get(key) for key in ("version", "state", "action", "actor", "reason", "time")}
                    for h in request.get("history", [])],
    }
