"""The one ingress API route: a project server records a small text file it let through
JupyterLab's upload (haven_lab.uploads), when the settings allow any."""

from __future__ import annotations

from tornado import web

from .handlers import BaseHandler

LAB_UPLOAD_FIELDS = frozenset({"path", "size", "sha256"})


class LabUploadHandler(BaseHandler):
    async def post(self) -> None:
        service = self.settings.get("haven_ingress")
        if service is None:
            raise web.HTTPError(503, "this egress service has no ingress queue configured")
        body = self.body()
        unknown = sorted(set(body) - LAB_UPLOAD_FIELDS)
        if unknown:
            raise web.HTTPError(422, f"unknown field {unknown[0]!r}; an upload record has path, size and sha256")
        await self.call(service.record_lab_upload, body.get("path", ""), body.get("size"), body.get("sha256"))
        self.send({"recorded": True}, status=201)
