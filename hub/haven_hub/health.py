"""``GET <service>/health``: whether a service can do its work, for load balancers and monitors.

Like JupyterHub's own ``/hub/health``, it needs no login and says nothing but a status: 200
``{"status": "ok"}`` when the service's database answers a ``SELECT 1``, else 503
``{"status": "unavailable"}`` (the reason goes to the service's log, not to the caller).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import text
from tornado import web

log = logging.getLogger("haven.health")


# A database connection or ORM session to open (``engine.connect``, a ``sessionmaker``).
Opener = Callable[[], AbstractContextManager[Any]]


def database_answers(open_database: Opener) -> bool:
    try:
        with open_database() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure to reach the database is "unavailable"
        log.warning("health check: the database did not answer: %s", error)
        return False
    return True


class HealthHandler(web.RequestHandler):
    """Subclasses say how to open their database (``database``)."""

    def database(self) -> Opener:
        raise NotImplementedError

    async def get(self) -> None:
        # Off the event loop: an unreachable database server must not stall the service's requests.
        healthy = await asyncio.to_thread(database_answers, self.database())
        self.set_status(200 if healthy else 503)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"status": "ok" if healthy else "unavailable"}))
