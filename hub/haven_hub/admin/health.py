"""The admin service's ``/health`` (haven_hub.health): its database is the hub-side audit store."""

from __future__ import annotations

from ..health import HealthHandler, Opener
from .context import AdminContext


class AdminHealthHandler(HealthHandler):
    def initialize(self, context: AdminContext, form_on: str | None = None) -> None:
        self.context = context

    def database(self) -> Opener:
        return self.context.audit.engine.connect
