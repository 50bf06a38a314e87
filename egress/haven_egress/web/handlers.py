"""Tornado handlers: HTTP in, one ``EgressService`` call, HTTP out. No rules live here.

Every handler authenticates through the hub (HubOAuth: a hub token in the Authorization
header, or the service's login cookie) before anything else, answering 401 to a caller
the hub does not know and 403 to one it knows but who holds none of the egress scopes.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from concurrent.futures import Executor
from functools import partial
from typing import Any

from jupyterhub.services.auth import HubOAuthenticated, UserNotAllowed
from tornado import web
from tornado.ioloop import IOLoop

from .. import errors
from ..blobs import sha256_hex
from ..service import EgressService
from . import payloads
from .identity import caller_from_model

# The one place domain refusals become HTTP statuses.
STATUS = {errors.NotFound: 404, errors.Forbidden: 403, errors.Conflict: 409, errors.Invalid: 422}


class BaseHandler(HubOAuthenticated, web.RequestHandler):
    # Only the browser's entry page sends an anonymous caller to the hub's login.
    redirects_to_login = False

    def initialize(self, service: EgressService, executor: Executor) -> None:
        self.service = service
        self.executor = executor
        self._known_but_not_allowed = False

    async def _identify(self) -> dict[str, Any] | None:
        # Asks the hub without blocking the event loop (HubAuth caches the answer).
        # HubAuthenticated's own get_current_user folds "unknown" and "not allowed"
        # together; the API tells them apart (401 versus 403).
        model = await self.hub_auth.get_user(self, sync=False)
        if not model:
            return None
        try:
            return self.check_hub_user(model)
        except UserNotAllowed:
            self._known_but_not_allowed = True
            return None

    async def prepare(self) -> None:
        model = await self._identify()
        if model is None and not self._known_but_not_allowed and self.redirects_to_login:
            self.redirect(self.get_login_url())
            return
        self.current_user = model
        if model is None:
            if self._known_but_not_allowed:
                raise web.HTTPError(403, "your hub token does not give access to the egress service")
            raise web.HTTPError(401, "log in to the hub, or send a hub token in the Authorization header")
        if model.get("kind", "user") != "user":
            raise web.HTTPError(403, "the egress queue serves people, not services")
        self.caller = caller_from_model(model)
        if not self.caller.roles:
            raise web.HTTPError(403, "your token carries none of the egress scopes (custom:egress:…)")

    async def call(self, method: Callable[..., Any], *args: Any) -> Any:
        """Run one service use case off the event loop; translate its refusals."""
        try:
            return await IOLoop.current().run_in_executor(self.executor, partial(method, self.caller, *args))
        except errors.EgressError as refused:
            status = next(code for kind, code in STATUS.items() if isinstance(refused, kind))
            raise web.HTTPError(status, str(refused)) from None

    def send(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(payloads.to_json(value)))

    def body(self) -> dict[str, Any]:
        try:
            return payloads.json_body(self.request.body)
        except errors.Invalid as bad:
            raise web.HTTPError(422, str(bad)) from None

    def parsed(self, parse: Callable[..., Any], *args: Any) -> Any:
        try:
            return parse(*args)
        except errors.Invalid as bad:
            raise web.HTTPError(422, str(bad)) from None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exception = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(exception, "log_message", None) or self._reason
        if status_code >= 500:
            message = "the egress service failed; the error is in its log"
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"status": status_code, "message": message}))


class IndexHandler(BaseHandler):
    """The browser's entry: logs the person in through the hub (OAuth), then says who they are."""

    redirects_to_login = True

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exception = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(exception, "log_message", None) or self._reason
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(f"<!doctype html><title>Haven egress</title><p>{html.escape(message)}</p>")

    def get(self) -> None:
        # The checkers' pages come with the next issue; this page proves the login and
        # carries the XSRF token that cookie-authenticated POSTs need.
        caller = self.caller
        self.finish(
            "<!doctype html><title>Haven egress</title>"
            f'<meta name="haven-xsrf" content="{html.escape(self.xsrf_token.decode())}">'
            f'<p id="haven-egress-user">Signed in as {html.escape(caller.name)} '
            f"({html.escape(', '.join(sorted(caller.roles)))}).</p>"
            '<p>The API is at <a href="api/requests">api/requests</a>.</p>'
        )


class WhoAmIHandler(BaseHandler):
    def get(self) -> None:
        self.send(self.caller)


class RequestsHandler(BaseHandler):
    async def get(self) -> None:
        self.send({"requests": await self.call(self.service.list_requests)})

    async def post(self) -> None:
        submission = self.parsed(payloads.submission, self.get_body_argument("metadata", None),
                                 self.request.files)
        request_id = await self.call(self.service.submit, submission.project, submission.title,
                                     submission.purpose, submission.files)
        self.send(await self.call(self.service.get_request, request_id), status=201)


class RequestDetailHandler(BaseHandler):
    async def get(self, request_id: str) -> None:
        self.send(await self.call(self.service.get_request, request_id))


class ResubmitHandler(BaseHandler):
    async def post(self, request_id: str) -> None:
        submission = self.parsed(payloads.submission, self.get_body_argument("metadata", None),
                                 self.request.files)
        await self.call(self.service.resubmit, request_id, submission.files, submission.keep)
        self.send(await self.call(self.service.get_request, request_id))


class CommentsHandler(BaseHandler):
    async def post(self, request_id: str) -> None:
        body = self.body()
        await self.call(self.service.comment, request_id, self.parsed(payloads.text, body, "body", ""),
                        self.parsed(payloads.text, body, "visibility", "shared"))
        self.send(await self.call(self.service.get_request, request_id), status=201)


# URL word -> (service method name, whether it takes a reason).
DECISIONS = {
    "start-review": ("start_review", False),
    "return": ("return_request", True),
    "reject": ("reject", True),
    "withdraw": ("withdraw", False),
    "release": ("release", False),
    "revoke": ("revoke", True),
}


class DecisionHandler(BaseHandler):
    async def post(self, request_id: str, decision: str) -> None:
        method_name, takes_reason = DECISIONS[decision]
        args = [self.parsed(payloads.text, self.body(), "reason", "")] if takes_reason else []
        await self.call(getattr(self.service, method_name), request_id, *args)
        self.send(await self.call(self.service.get_request, request_id))


class ReviewHandler(BaseHandler):
    async def post(self, file_id: str) -> None:
        body = self.body()
        state = await self.call(
            self.service.review_file, payloads.file_id(file_id),
            self.parsed(payloads.text, body, "decision", ""),
            self.parsed(payloads.text, body, "comment", ""),
            self.parsed(payloads.text, body, "visibility", "shared"),
        )
        self.send({"state": state}, status=201)


class DownloadHandler(BaseHandler):
    async def get(self, file_id: str) -> None:
        data = await self.call(self.service.download, payloads.file_id(file_id))
        # Always an attachment, never rendered here: an HTML output shown in the hub's
        # origin could act with the viewer's session.
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Disposition", f'attachment; filename="haven-file-{int(file_id)}"')
        self.set_header("X-Content-Type-Options", "nosniff")
        # The service re-checked these bytes against the approved SHA-256.
        self.set_header("X-Haven-SHA256", sha256_hex(data))
        self.finish(data)
