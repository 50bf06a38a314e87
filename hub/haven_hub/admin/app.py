"""The admin service's routes and tornado application."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jupyterhub.services.auth import HubOAuthCallbackHandler
from tornado import web

from .. import theme
from . import handlers
from .context import AdminContext
from .health import AdminHealthHandler

PROJECT = r"([a-z][a-z0-9-]{1,30}[a-z0-9])"


@dataclass(frozen=True)
class Route:
    pattern: str  # a regex relative to the service prefix
    handler: type[handlers.AdminHandler]
    # A form's address: the page (relative to the prefix) that holds the form; a GET here
    # is answered 405 with a link back to it (handlers.AdminHandler.check_method).
    form_on: str | None = None


# The route table, as data so a test can call every route. The methods each address takes
# are the ones its handler defines; any other is answered 405 before anything else runs.
ROUTES: tuple[Route, ...] = (
    Route("", handlers.ProjectsHandler),
    Route("projects/new", handlers.NewProjectHandler),
    Route(f"projects/{PROJECT}", handlers.EditProjectHandler),
    Route(f"projects/{PROJECT}/(suspend|resume|archive)", handlers.StatusHandler, form_on=""),
    Route("audit", handlers.AuditHandler),
    # For monitors, like the hub's /hub/health: no login, a status only (the database answers).
    Route("health", AdminHealthHandler),
)


def make_app(context: AdminContext, cookie_secret: bytes) -> web.Application:
    prefix = re.escape(context.prefix)
    rules = [(prefix + route.pattern, route.handler, {"context": context, "form_on": route.form_on})
             for route in ROUTES]
    rules += [
        # Where the hub sends the browser back with the OAuth code (refused without its state cookie).
        (rf"{prefix}oauth_callback", HubOAuthCallbackHandler),
        theme.static_route(context.prefix),
    ]
    return web.Application(rules, cookie_secret=cookie_secret)
