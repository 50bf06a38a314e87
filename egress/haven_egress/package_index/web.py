"""The index as project servers see it: a read-only PEP 503 "simple" index in the egress service.

Served under the egress service's own prefix and port (``packages/simple/``), the one
address project containers already reach besides the hub, so no port or firewall rule is
added. Each request is authenticated as the egress API's are, by the
hub (HubOAuth), with the server's own token: pip sends it as the password of HTTP Basic
auth (``PIP_INDEX_URL``, set by the spawner), which is turned into the ``token`` header the
hub's check reads. Only a token bound to a project server is served, and only that
project's subset; anything else is a local 404 and is logged. The handlers read the local
catalogue and wheel store and nothing else: there is no code path from here to the outside.
"""

from __future__ import annotations

import base64
import binascii
import logging
from html import escape
from urllib.parse import quote

from tornado import web
from tornado.ioloop import IOLoop

from .. import errors
from ..web.handlers import BaseHandler
from . import index_of
from .names import normal_name

log = logging.getLogger("haven.egress.packages")

PAGE = """<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.0"><title>{title}</title></head>
<body>
<h1>{title}</h1>
{links}
</body></html>
"""


def token_from_basic_auth(headers) -> None:  # noqa: ANN001 - tornado's HTTPHeaders
    """pip sends the index URL's credentials as Basic auth; the hub's check reads ``token <t>``."""
    scheme, _, value = headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return
    try:
        _user, _, token = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return  # not credentials at all: the hub's check refuses the request as anonymous
    if token:
        headers["Authorization"] = f"token {token}"


class IndexHandler(BaseHandler):
    async def prepare(self) -> None:
        token_from_basic_auth(self.request.headers)
        await super().prepare()
        project = self.caller.server_project
        if project is None or project not in self.caller.projects:
            raise web.HTTPError(403, "the package index serves project servers: pip there uses the server's own token")
        self.project = project
        self.index = index_of(self.service)

    async def read(self, method, *args):  # noqa: ANN001, ANN201 - a PackageIndex method and its arguments
        try:
            return await IOLoop.current().run_in_executor(self.executor, method, *args)
        except (errors.NotFound, errors.Invalid) as absent:
            # Local and final: nothing is asked of any other index, so a name is never a message out.
            log.info("package index: %s (server %s/%s) asked for %s: %s; answered 404 here, nothing fetched",
                     self.caller.name, self.caller.name, self.project, self.request.path, absent)
            raise web.HTTPError(404, str(absent)) from None

    def page(self, title: str, links: list[str]) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(PAGE.format(title=escape(title), links="\n".join(links)))


class SimpleRootHandler(IndexHandler):
    async def get(self) -> None:
        records = await self.read(self.index.for_project, self.project)
        names = sorted({record.name for record in records})
        self.page(f"Approved packages for {self.project}",
                  [f'<a href="{quote(name)}/">{escape(name)}</a><br>' for name in names])


class SimpleProjectHandler(IndexHandler):
    async def get(self, name: str) -> None:
        try:
            wanted = normal_name(name)
        except errors.Invalid as bad:
            raise web.HTTPError(404, str(bad)) from None
        if wanted != name:
            self.redirect(f"../{quote(wanted)}/", permanent=True)  # PEP 503: one URL per project
            return
        records = await self.read(self.index.releases, self.project, name)
        self.page(f"Links for {name}", [
            f'<a href="../../files/{record.sha256}/{quote(record.filename)}#sha256={record.sha256}">'
            f"{escape(record.filename)}</a><br>" for record in records])


class WheelHandler(IndexHandler):
    async def get(self, sha256: str, filename: str) -> None:
        content = await self.read(self.index.wheel, self.project, sha256, filename)
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.finish(content)
