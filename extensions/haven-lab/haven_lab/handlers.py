"""The extension's HTTP endpoints under ``<base_url>haven/``: they only translate.

Each handler checks the body's shape, calls the workspace, notebook and egress helpers,
and turns a ``Refused`` into ``{"message"}`` with its status (STYLE habit 4). Every
endpoint needs the analyst's login (a test checks each one refuses an anonymous call).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import tornado
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.utils import url_path_join

from . import environment
from . import requests as req
from .egress import IDEMPOTENCY_HEADER, EgressClient, action_key, multipart
from .notebooks import extract_output
from .policy import RELEASE_HINT
from .preview import preview
from .settings import HavenLab
from .workspace import Refused, Workspace, is_within

REQUEST_ID = r"([A-Za-z0-9_-]{1,64})"


class HavenHandler(APIHandler):
    def initialize(self, haven: HavenLab, workspace: Workspace) -> None:
        self.haven = haven
        self.workspace = workspace

    @property
    def egress(self) -> EgressClient:
        return EgressClient(self.haven.egress_url, self.haven.hub_token, self.haven.egress_timeout)

    def body(self) -> dict[str, Any]:
        try:
            value = json.loads(self.request.body or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise Refused(400, "the body is not valid JSON") from None
        if not isinstance(value, dict):
            raise Refused(400, "the body must be a JSON object")
        return value

    def answer(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(value))

    def refuse(self, refusal: Refused) -> None:
        self.log.info("haven: refused %s %s: %s", self.request.method, self.request.path, refusal.message)
        self.answer({"message": refusal.message}, refusal.status)

    async def in_thread(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args))

    async def prepared(self, files: list[dict[str, Any]], include_code: bool) -> list[req.Prepared]:
        return [await self.in_thread(req.prepare, self.workspace, entry, include_code) for entry in files]


class DatasetsHandler(HavenHandler):
    @tornado.web.authenticated
    def get(self) -> None:
        # The analyst library's own reader, so the panel lists what haven.sql can query; a
        # dataset that cannot be used is named with why under "unusable", never failing the list.
        from haven import survey

        datasets, unusable = survey(Path(self.haven.data_dir))
        self.answer({"unusable": [{"name": name, "problem": problem} for name, problem in sorted(unusable.items())],
                     "datasets": [
            {
                "name": d.name,
                "title": d.title,
                "version": d.version,
                "rows": d.rows,
                "description": d.description,
                "columns": [{"name": c.name, "type": c.type, "description": c.description} for c in d.columns],
                "snippet": f'import haven\nhaven.sql("select * from {d.name} limit 10").df()',
            }
            for d in datasets.values()
        ]})


class PreflightHandler(HavenHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            body = self.body()
            req.check_fields(body, req.PREFLIGHT_FIELDS, "pre-flight check")
            prepared = await self.prepared(req.file_entries(body), req.bool_field(body, "include_code", True))
            # The same body as a submission (egress runs the same validation and checks).
            metadata = req.submission("", "", prepared)
            content_type, payload = multipart(metadata, [p.part for p in prepared])
            answer = await self.egress.call("POST", "api/preflight", body=payload, content_type=content_type)
        except Refused as refusal:
            return self.refuse(refusal)
        results = answer.get("files", []) if isinstance(answer, dict) else []
        for item, source in zip(results, prepared, strict=False):
            if isinstance(item, dict):
                item["path"] = source.source_path
                item["sent_as"] = source.part.entry["path"]
        self.answer({**answer, "files": results})


class RequestsHandler(HavenHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        try:
            # One call: this server's project and user, each request whole.
            listing = await self.egress.call("GET", "api/requests?" + urlencode(
                {"project": self.haven.project, "author": self.haven.user, "whole": "true"}))
        except Refused as refusal:
            return self.refuse(refusal)
        left_out = listing.get("left_out")
        self.answer({"requests": [req.for_the_panel(r, self.haven.hub_base_url)
                                  for r in listing.get("requests", [])],
                     # The service lists the newest 200 whole; the panel says how many it left out.
                     "left_out": left_out if isinstance(left_out, int) and left_out > 0 else 0})

    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            body = self.body()
            req.check_fields(body, req.REQUEST_FIELDS, "release request")
            key = action_key(self.request.headers.get(IDEMPOTENCY_HEADER))
            title = req.text_field(body, "title", required=True)
            purpose = req.text_field(body, "purpose", required=True)
            files = req.file_entries(body)
            prepared = await self.prepared(files, req.bool_field(body, "include_code", True))
            # In a thread: it reads the analyst's user site, which is theirs to fill.
            metadata = await self.in_thread(req.submission, title, purpose, prepared, None, environment.user_site())
            content_type, payload = multipart(metadata, [p.part for p in prepared])
            created = await self.egress.call("POST", "api/requests", body=payload, content_type=content_type,
                                             idempotency_key=key)
        except Refused as refusal:
            return self.refuse(refusal)
        self.log.info("haven: release request %s submitted with %d file(s)", created.get("id"), len(prepared))
        self.answer(req.for_the_panel(created, self.haven.hub_base_url), 201)


class WithdrawHandler(HavenHandler):
    @tornado.web.authenticated
    async def post(self, request_id: str) -> None:
        try:
            body = self.body()
            req.check_fields(body, {"reason"}, "withdrawal")
            reason = req.text_field(body, "reason")
            answer = await self.egress.call("POST", f"api/requests/{request_id}/withdraw",
                                            json_body={"reason": reason} if reason else {})
        except Refused as refusal:
            return self.refuse(refusal)
        self.answer(req.for_the_panel(answer, self.haven.hub_base_url))


class ResubmitHandler(HavenHandler):
    @tornado.web.authenticated
    async def post(self, request_id: str) -> None:
        try:
            body = self.body()
            req.check_fields(body, req.RESUBMIT_FIELDS, "resubmission")
            key = action_key(self.request.headers.get(IDEMPOTENCY_HEADER))
            note = req.text_field(body, "note")
            keep = body.get("keep", [])
            if not isinstance(keep, list) or not all(isinstance(k, str) for k in keep):
                raise Refused(400, "'keep' must be a list of paths of the previous version")
            files = await self.from_sources(request_id, req.file_entries(body, required=not keep))
            # Empty keeps the request's own (the service replaces only what is given).
            title, purpose = req.text_field(body, "title"), req.text_field(body, "purpose")
            prepared = await self.prepared(files, req.bool_field(body, "include_code", True))
            metadata = await self.in_thread(req.submission, title, purpose, prepared, keep, environment.user_site())
            content_type, payload = multipart(metadata, [p.part for p in prepared])
            answer = await self.egress.call("POST", f"api/requests/{request_id}/resubmit",
                                            body=payload, content_type=content_type, idempotency_key=key)
            if note:
                answer = await self.egress.call("POST", f"api/requests/{request_id}/comments",
                                                json_body={"body": note, "visibility": "shared"})
        except Refused as refusal:
            return self.refuse(refusal)
        self.answer(req.for_the_panel(answer, self.haven.hub_base_url))

    async def from_sources(self, request_id: str, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each file named as the service knows it (a notebook as its .html), named again as the
        workspace file it was made from, which is what is read and rendered anew."""
        if not files:
            return files
        sources = environment.declared_sources(await self.egress.call("GET", f"api/requests/{request_id}"))

        def exists(path: str) -> bool:
            try:
                self.workspace.resolve(path)
            except Refused:
                return False
            return True

        return [{**entry, "path": environment.source_of(str(entry.get("path", "")), sources, exists)}
                if isinstance(entry.get("path"), str) else entry for entry in files]


class PreviewHandler(HavenHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        try:
            path = self.get_query_argument("path", None)
            shown = await self.in_thread(preview, self.workspace, path, self.get_query_argument("size", "full"))
        except Refused as refusal:
            return self.refuse(refusal)
        self.set_header("Cache-Control", "no-store")  # the file may change; ask again
        self.answer(shown.as_json(str(path)))


SAFE_STEM = re.compile(r"[^A-Za-z0-9._-]+")
MAX_STEM = 200


class OutputsHandler(HavenHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            body = self.body()
            req.check_fields(body, {"notebook", "cell", "output"}, "output to save")
            notebook_path = body.get("notebook")
            if not isinstance(notebook_path, str) or not notebook_path.lower().endswith(".ipynb"):
                raise Refused(400, "'notebook' must be the path of a saved notebook (.ipynb)")
            content = await self.in_thread(self.workspace.read, notebook_path)
            name = notebook_path.rsplit("/", 1)[-1]
            saved = await self.in_thread(extract_output, content, notebook_path, body.get("cell"),
                                         body.get("output"))
            # ASCII, and short enough that the output's name fits the 255-byte limit on a file name.
            stem = SAFE_STEM.sub("_", name[: -len(".ipynb")])[:MAX_STEM] or "notebook"
            target, created = await self.in_thread(
                self._write, f"{stem}-cell{body['cell']}-output{body['output']}{saved.suffix}", saved.content)
        except Refused as refusal:
            return self.refuse(refusal)
        # created: the front end removes the file if the request is cancelled, and only then.
        self.answer({"path": self.workspace.api_path(target), "created": created}, 201)

    def _write(self, filename: str, content: bytes) -> tuple[Path, bool]:
        folder = self.workspace.workspace / self.haven.outputs_dir
        shown = f"{self.workspace.api_path(folder)}/{filename}"
        if not is_within(Path(os.path.realpath(folder)), self.workspace.workspace):
            raise Refused(403, f"{self.haven.outputs_dir}/ must be a folder inside the workspace, not a link out of it")
        temporary = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # Written beside the target and renamed over it: a link planted at the target is
            # replaced, never followed.
            descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".haven-")
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
            os.chmod(temporary, 0o660)
            target = folder / filename
            created = not os.path.lexists(target)
            os.replace(temporary, target)
        except OSError as error:
            # The analyst's own folder: a file, a dangling link or a locked folder where
            # outputs/ should be, or a folder where the output's file should be.
            if temporary is not None and os.path.lexists(temporary):
                os.unlink(temporary)
            raise Refused(409, f"{shown}: the output could not be saved there ({error.strerror}); "
                          f"make {self.haven.outputs_dir}/ a folder you can write to and try again") from None
        return target, created


class ClosedRouteHandler(JupyterHandler):
    """403 for every method on a route Haven closes, whether or not the caller is logged in.

    haven_lab.gate hands requests here instead of to their own handler when the route is
    not on haven_lab.routes' allowlist (or is, with a limit the request exceeds)."""

    def initialize(self, what: str) -> None:
        self.what = what

    def prepare(self) -> None:
        message = f"Closed in Haven: {self.what}. {RELEASE_HINT}"
        self.set_status(403)
        if "/api/" in self.request.path or "json" in self.request.headers.get("Accept", ""):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"message": message}))
        else:
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.finish(
                "<!doctype html><html><head><title>Closed in Haven</title></head><body>"
                f"<h1>403: closed</h1><p>{tornado.escape.xhtml_escape(message)}</p></body></html>"
            )


def route_table(base_url: str, haven: HavenLab, workspace: Workspace) -> list[tuple[str, type, dict]]:
    context = {"haven": haven, "workspace": workspace}
    api = [
        ("haven/datasets", DatasetsHandler),
        ("haven/preflight", PreflightHandler),
        ("haven/requests", RequestsHandler),
        (f"haven/requests/{REQUEST_ID}/withdraw", WithdrawHandler),
        (f"haven/requests/{REQUEST_ID}/resubmit", ResubmitHandler),
        ("haven/outputs", OutputsHandler),
        ("haven/preview", PreviewHandler),
    ]
    return [(url_path_join(base_url, path), handler, context) for path, handler in api]
