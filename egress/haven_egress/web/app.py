"""The route table (as data, so a test can call every route) and the tornado application."""

from __future__ import annotations

import re
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from jupyterhub.services.auth import HubOAuthCallbackHandler
from tornado import web

from haven_hub import theme

from ..package_index import web as package_web
from ..ingress.service import IngressService
from ..service import EgressService
from . import handlers, health, ingress_api, ingress_pages, metrics_page, pages, preflight
from .accreditation import HubAccreditations

REVIEW_STATIC = str(Path(__file__).with_name("static"))


@dataclass(frozen=True)
class Route:
    path: str  # relative to the service prefix; {name} is one URL segment
    handler: type[web.RequestHandler]
    methods: tuple[str, ...]
    authenticated: bool = True
    # A form's address: the page (a GET route's path) that holds the form. A GET here is
    # answered 405 with a link to that page (a reload, a bookmark, the address bar after
    # a refused vote).
    form_on: str = ""

    def pattern(self, prefix: str) -> str:
        decisions = "(" + "|".join(re.escape(word) for word in handlers.DECISIONS) + ")"
        parts = re.split(r"(\{\w+\})", self.path)
        regex = "".join(
            decisions if part == "{decision}" else "([^/]+)" if part.startswith("{") else re.escape(part)
            for part in parts
        )
        return re.escape(prefix) + regex + "$"

    def names(self) -> list[str]:
        """The placeholders of the path, in the order the pattern captures them."""
        return re.findall(r"\{(\w+)\}", self.path)


ROUTES: tuple[Route, ...] = (
    # The browser's entry: the review queue (an analyst is sent on to "My requests").
    Route("", pages.QueuePage, ("GET",)),
    # Unauthenticated by nature: it is where the hub sends the browser back with the
    # OAuth code (refused without a matching state cookie).
    Route("oauth_callback", HubOAuthCallbackHandler, ("GET",), authenticated=False),
    # For monitors, like the hub's /hub/health: a status only, whether the database answers.
    Route("health", health.EgressHealthHandler, ("GET",), authenticated=False),
    Route("api/whoami", handlers.WhoAmIHandler, ("GET",)),
    Route("api/requests", handlers.RequestsHandler, ("GET", "POST")),
    Route("api/preflight", preflight.PreflightHandler, ("POST",)),
    Route("api/requests/{request_id}", handlers.RequestDetailHandler, ("GET",)),
    Route("api/openapi.yaml", handlers.OpenAPIHandler, ("GET",)),
    Route("api/signing-key", handlers.SigningKeyHandler, ("GET",)),
    Route("api/requests/{request_id}/bundle", handlers.BundleHandler, ("GET",)),
    Route("api/requests/{request_id}/resubmit", handlers.ResubmitHandler, ("POST",)),
    Route("api/requests/{request_id}/comments", handlers.CommentsHandler, ("POST",)),
    Route("api/requests/{request_id}/{decision}", handlers.DecisionHandler, ("POST",)),
    Route("api/files/{file_id}/reviews", handlers.ReviewHandler, ("POST",)),
    Route("api/files/{file_id}/download", handlers.DownloadHandler, ("GET",)),
    Route("api/files/{file_id}/content", handlers.FileContentHandler, ("GET",)),
    # A project server records a small text file let through JupyterLab's upload (docs/ingress.md).
    Route("api/ingress/lab-uploads", ingress_api.LabUploadHandler, ("POST",)),
)

# The pages people use in a browser (HTML, forms with XSRF); not part of the API description.
PAGE_ROUTES: tuple[Route, ...] = (
    Route("mine", pages.MinePage, ("GET",)),
    # Checker metrics: turnaround, waiting, outcomes, returns (docs/egress-pages.md).
    Route("metrics", metrics_page.MetricsPage, ("GET",)),
    Route("requests/{request_id}", pages.RequestPage, ("GET",)),
    Route("requests/{request_id}/comment", pages.CommentForm, ("POST",), form_on="requests/{request_id}"),
    # Release and reject ask first, with a required reason (the form posts to the decision's address).
    Route("requests/{request_id}/{final}/confirm", pages.ConfirmDecisionPage, ("GET",)),
    Route("requests/{request_id}/{decision}", pages.DecisionForm, ("POST",), form_on="requests/{request_id}"),
    Route("requests/{request_id}/files/{file_id}/vote", pages.VoteForm, ("POST",),
          form_on="requests/{request_id}"),
    Route("requests/{request_id}/files/{file_id}/preview", pages.FilePreview, ("GET",)),
    # The ingress queue: bringing files and packages into a project (docs/ingress.md).
    Route("ingress", ingress_pages.IngressQueuePage, ("GET",)),
    Route("ingress/files", ingress_pages.IngressFileForm, ("POST",), form_on="ingress"),
    Route("ingress/packages", ingress_pages.IngressPackageForm, ("POST",), form_on="ingress"),
    Route("ingress/{ingress_id}", ingress_pages.IngressRequestPage, ("GET",)),
    Route("ingress/{ingress_id}/{ingress_decision}", ingress_pages.IngressDecisionForm, ("POST",),
          form_on="ingress/{ingress_id}"),
    # The approved package index (PEP 503) for project servers' pip (pages,
    # not JSON: not part of the API description): read-only, local only.
    Route("packages/simple/", package_web.SimpleRootHandler, ("GET",)),
    Route("packages/simple/{name}/", package_web.SimpleProjectHandler, ("GET",)),
    Route("packages/files/{sha256}/{filename}", package_web.WheelHandler, ("GET",)),
)


def make_app(service: EgressService, executor: Executor, prefix: str, cookie_secret: bytes,
             ingress: IngressService | None = None,
             accreditations: HubAccreditations | None = None) -> web.Application:
    # Each handler is told its route's methods: any other method answers 405 with an
    # Allow header before anything else runs (handlers.BaseHandler.prepare).
    rules = [
        (route.pattern(prefix), route.handler,
         {"service": service, "executor": executor, "methods": route.methods, "names": tuple(route.names()),
          "form_on": route.form_on} if route.authenticated else {})
        for route in ROUTES + PAGE_ROUTES
    ]
    rules.append(theme.static_route(prefix))
    # The review page's own script and styles (pages.REVIEW_CSP allows scripts from here only).
    rules.append((rf"{re.escape(prefix)}review-static/(.*)", web.StaticFileHandler, {"path": REVIEW_STATIC}))
    # No tornado xsrf_cookies: it would check before the caller is known, refusing token
    # requests. HubOAuth checks XSRF itself whenever the login cookie is used, and a
    # cookie without a valid XSRF token on a POST authenticates no one.
    return web.Application(rules, cookie_secret=cookie_secret, haven_prefix=prefix, haven_ingress=ingress,
                           haven_service=service, haven_accreditations=accreditations)
