"""The egress service's ``/health`` (haven_hub.health): its database is the requests' store."""

from __future__ import annotations

from haven_hub.health import HealthHandler, Opener


class EgressHealthHandler(HealthHandler):
    # An unauthenticated route: make_app passes it no arguments; the service is the application's.
    def database(self) -> Opener:
        return self.application.settings["haven_service"].sessions
