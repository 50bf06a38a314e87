"""The register's addresses on the admin service: no login, GET only, 404 while the setting is off.

Served by the admin service because it already holds what the register reads (the projects
through the hub's API, the catalogue, the egress database on the host) and listens on
loopback behind the proxy; the handler here is a plain ``RequestHandler``, not the admin
pages' ``HubOAuthenticated`` one, so it never looks at a cookie or token and cannot answer
differently to an administrator. What it can show is fixed by ``register.build``'s allowlist.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tornado import web
from tornado.ioloop import IOLoop

from .. import theme
from ..datasets.catalogue import Catalogue
from .egress_records import EgressRecords
from .register import Register, build

if TYPE_CHECKING:
    from ..admin.context import AdminContext

# A public page is hit by anyone: one build at a time, reused this long, so a flood of
# requests costs the hub's API one call every few seconds at most.
CACHE_SECONDS = 5
REGISTER_ACTOR = "admin-service:register"
TEMPLATES = Path(__file__).parent / "templates"
_templates = theme.environment(TEMPLATES)


class RegisterCache:
    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.built_at = 0.0
        self.register: Register | None = None


# One per admin context (the service has one; in-process tests make several).
_caches: dict[int, RegisterCache] = {}


def read_register(context: AdminContext) -> Register:
    settings = context.settings
    projects = context.provisioner(REGISTER_ACTOR).list()
    catalogue_dir = settings.data_path(settings.datasets.catalogue_dir)
    records = EgressRecords.from_settings(settings)
    try:
        releases = records.releases()
    finally:
        records.close()
    return build(projects, Catalogue(catalogue_dir) if catalogue_dir.is_dir() else None, releases,
                 context.clock(), datetime.now(UTC).replace(microsecond=0))


class RegisterHandler(web.RequestHandler):
    """``register`` (HTML), ``register/register.json``, ``register/projects.csv``, ``register/datasets.csv``."""

    def initialize(self, context: AdminContext, form_on: str | None = None) -> None:
        self.context = context

    @classmethod
    def allowed_methods(cls) -> list[str]:
        return ["GET"]

    def prepare(self) -> None:
        if not self.context.settings.admin.public_register:
            # Off means absent: the same answer as an address that never existed.
            raise web.HTTPError(404)

    async def get(self, table: str | None = None) -> None:
        register = await self._register()
        self.set_header("Cache-Control", f"public, max-age={CACHE_SECONDS}")
        self.set_header("X-Content-Type-Options", "nosniff")
        path = self.request.path
        if path.endswith(".json"):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(register.as_json(), indent=1))
        elif table is not None:
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition", f'attachment; filename="haven-register-{table}.csv"')
            self.finish(register.projects_csv() if table == "projects" else register.datasets_csv())
        else:
            self._html(register)

    async def _register(self) -> Register:
        cache = _caches.setdefault(id(self.context), RegisterCache())
        async with cache.lock:
            if cache.register is None or time.monotonic() - cache.built_at > CACHE_SECONDS:
                cache.register = await IOLoop.current().run_in_executor(self.context.executor, read_register,
                                                                        self.context)
                cache.built_at = time.monotonic()
            return cache.register

    def _html(self, register: Register) -> None:
        prefix = self.context.prefix
        page = _templates.get_template("register.html").render(
            page_title="Transparency register", hub_prefix=self.context.hub_prefix, static_prefix=f"{prefix}static/",
            user_name=None, logout_url="", nav=[], prefix=prefix, register=register,
        )
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # Plain and the same for every error: a public address says nothing about the service behind it.
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code}: {'Not found' if status_code == 404 else 'Not available'}\n")
