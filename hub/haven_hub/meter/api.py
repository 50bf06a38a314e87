"""The hub API the project servers report to: ``/hub/api/haven/meter/users/<user>/servers/<project>``.

``GET`` gives today's total (a server asks when it starts, so a restart does not reset the
count); ``POST {"bytes": n}`` adds an increment. Both need ``users:activity`` on that user,
which a server's own token holds for its owner only (JupyterHub's server role), so nobody
reports for anyone else. Past the project's ``browser_bytes_per_day`` the hub audits
``browser.budget_exceeded`` and stops the server with JupyterHub's own stop.

It is a hub API handler (``JupyterHub.extra_handlers``) rather than a service because the
project networks reach only the hub API and the egress port, and because stopping a server
is the hub's own business.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from jupyterhub.apihandlers.base import APIHandler
from jupyterhub.scopes import needs_scope
from tornado import web

from ..audit.hooks import server_target
from ..audit.log import hub_log
from ..projects import Project, projects_of_user
from .budget import budget_bytes
from .store import DayTotal, MeterError, MeterStore, meter_store

ROUTE = r"/api/haven/meter/users/([^/]+)/servers/([^/]+)"


class BrowserMeterHandler(APIHandler):
    def initialize(self, data_dir: Path, store: MeterStore | None = None) -> None:
        self.data_dir = data_dir
        self.store = store or meter_store(data_dir)

    @needs_scope("users:activity")
    async def get(self, user_name: str, server_name: str) -> None:
        project = self._project(user_name, server_name)
        self._answer(self.store.total(user_name, project.id), project)

    @needs_scope("users:activity")
    async def post(self, user_name: str, server_name: str) -> None:
        project = self._project(user_name, server_name)
        body = self.get_json_body()
        if not isinstance(body, dict) or set(body) != {"bytes"}:
            raise web.HTTPError(400, 'send {"bytes": <bytes sent since the last report>}')
        budget = budget_bytes(project)
        try:
            total = self.store.add(user_name, project.id, body["bytes"], budget)
        except MeterError as refused:
            raise web.HTTPError(400, str(refused)) from None
        self._audit(total, budget)
        self._answer(total, project)
        if budget is not None and total.bytes > budget:
            self._stop_soon(user_name, server_name)

    def _project(self, user_name: str, server_name: str) -> Project:
        user = self.find_user(user_name)
        if user is not None:
            for project in projects_of_user(user.orm_user):
                if project.id == server_name:
                    return project
        raise web.HTTPError(404, f"{user_name} has no project server {server_name!r}")

    def _audit(self, total: DayTotal, budget: int | None) -> None:
        log = hub_log(self.data_dir)
        target = server_target(total.user, total.project)
        if total.audit_due:
            log.record(total.user, "browser.metered", target, total.project, bytes_today=total.bytes,
                       budget=budget, day=total.day.isoformat())
        if total.crossed_now:
            log.record(total.user, "browser.budget_exceeded", target, total.project, bytes_today=total.bytes,
                       budget=budget, day=total.day.isoformat(),
                       outcome="server stopped; it cannot be started again today")

    def _stop_soon(self, user_name: str, server_name: str) -> None:
        """Stops the server after this answer has gone back to it (the report came from it)."""
        user = self.find_user(user_name)
        spawner = user.spawners.get(server_name) if user is not None else None
        if spawner is None or not spawner.active or spawner._stop_pending:
            return
        self.log.warning("%s/%s is past its browser budget: stopping it", user_name, server_name)

        async def stop() -> None:
            try:
                await self.stop_single_user(user, server_name)
            except Exception:
                self.log.exception("could not stop %s/%s past its browser budget", user_name, server_name)

        asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(stop()))

    def _answer(self, total: DayTotal, project: Project) -> None:
        budget = budget_bytes(project)
        self.write({"user": total.user, "project": total.project, "day": total.day.isoformat(),
                    "bytes": total.bytes, "budget": budget,
                    "over": budget is not None and total.bytes > budget})


def handlers(data_dir: Path) -> list[tuple[str, Any, dict[str, Any]]]:
    """For ``JupyterHub.extra_handlers`` (the hub adds its ``/hub`` prefix)."""
    return [(ROUTE, BrowserMeterHandler, {"data_dir": data_dir})]
