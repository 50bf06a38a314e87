"""The admin service's routes and tornado application."""

from __future__ import annotations

import re

from jupyterhub.services.auth import HubOAuthCallbackHandler
from tornado import web

from .. import theme
from . import handlers
from .context import AdminContext

PROJECT = r"([a-z][a-z0-9-]{1,30}[a-z0-9])"


def make_app(context: AdminContext, cookie_secret: bytes) -> web.Application:
    prefix = re.escape(context.prefix)
    shared = {"context": context}
    rules = [
        (rf"{prefix}", handlers.ProjectsHandler, shared),
        (rf"{prefix}projects/new", handlers.NewProjectHandler, shared),
        (rf"{prefix}projects/{PROJECT}", handlers.EditProjectHandler, shared),
        (rf"{prefix}projects/{PROJECT}/(suspend|resume|archive)", handlers.StatusHandler, shared),
        (rf"{prefix}audit", handlers.AuditHandler, shared),
        # Where the hub sends the browser back with the OAuth code (refused without its state cookie).
        (rf"{prefix}oauth_callback", HubOAuthCallbackHandler),
        theme.static_route(context.prefix),
    ]
    return web.Application(rules, cookie_secret=cookie_secret)
