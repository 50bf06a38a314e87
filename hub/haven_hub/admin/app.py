"""The admin service's routes and tornado application."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jupyterhub.services.auth import HubOAuthCallbackHandler
from tornado import web

from .. import theme
from ..governance import report_pages
from ..governance.register_web import RegisterHandler
from . import account_pages, accreditation_pages, audit_pages, handlers
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
    # Suspend and archive ask first, for a reason (required), on a page of their own.
    Route(f"projects/{PROJECT}/(suspend|archive|freeze|thaw)/confirm", handlers.ConfirmStatusHandler),
    Route(f"projects/{PROJECT}/(suspend|resume|archive|freeze|thaw)", handlers.StatusHandler, form_on=""),
    Route("accounts", account_pages.AccountsHandler),
    Route(f"accounts/{account_pages.ACCOUNT}/(disable|enable|reset)", account_pages.AccountActionHandler,
          form_on="accounts"),
    Route("accreditations", accreditation_pages.AccreditationsHandler),
    Route(f"accreditations/{account_pages.ACCOUNT}/{accreditation_pages.KIND}/revoke", accreditation_pages.RevokeHandler,
          form_on="accreditations"),
    Route("audit", audit_pages.AuditHandler),
    Route("audit.csv", audit_pages.AuditCsvHandler),
    # Reports from the audit log and each project's Five Safes RO-Crate (docs/transparency.md).
    Route("reports", report_pages.ReportsHandler),
    Route(f"reports/crate/{PROJECT}", report_pages.CrateHandler),
    # For monitors, like the hub's /hub/health: no login, a status only (the database answers).
    Route("health", AdminHealthHandler),
    # The public transparency register: no login, GET only, 404 unless admin.public_register is on.
    Route("register", RegisterHandler),
    Route(r"register/register\.json", RegisterHandler),
    Route(r"register/(projects|datasets)\.csv", RegisterHandler),
)
# The only routes answered without a login (the enumeration tests hold every other one to it).
PUBLIC_HANDLERS = (AdminHealthHandler, RegisterHandler)


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
