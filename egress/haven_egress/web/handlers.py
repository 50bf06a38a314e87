"""Tornado handlers: HTTP in, one ``EgressService`` call, HTTP out. No rules live here.

Every handler authenticates through the hub (HubOAuth: a hub token in the Authorization
header, or the service's login cookie) before anything else, answering 401 to a caller
the hub does not know and 403 to one it knows but who holds none of the egress scopes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import Executor
from functools import partial
from typing import Any
from urllib.parse import quote

from jupyterhub.services.auth import HubOAuthenticated, UserNotAllowed
from tornado import httputil, web
from tornado.ioloop import IOLoop

from .. import errors
from ..blobs import sha256_hex
from ..service import EgressService
from . import accreditation, openapi, payloads
from .identity import caller_from_model

# The one place domain refusals become HTTP statuses.
STATUS = {errors.NotFound: 404, errors.Forbidden: 403, errors.Conflict: 409, errors.Invalid: 422,
          errors.TooMany: 429}


class BaseHandler(HubOAuthenticated, web.RequestHandler):
    # Only the browser's entry page sends an anonymous caller to the hub's login.
    redirects_to_login = False

    def initialize(self, service: EgressService, executor: Executor, methods: tuple[str, ...] = ("GET",),
                   names: tuple[str, ...] = (), form_on: str = "") -> None:
        self.service = service
        self.executor = executor
        self._known_but_not_allowed = False
        # From the route table (app.Route): what this address takes, its placeholders'
        # names in order, and for a form's address the page that holds the form.
        self.methods = methods
        self.names = names
        self.form_on = form_on

    def check_method(self) -> None:
        """A method the route does not take is refused first, the same for every caller and id.

        Tornado would run ``prepare`` and then an inherited or missing method (a 500 or a
        bare 405); here the answer is 405 with ``Allow`` (write_error adds it: tornado
        clears headers before writing an error).
        """
        if self.request.method not in self.methods:
            raise web.HTTPError(405, f"this address takes {' or '.join(self.methods)}, not {self.request.method}")

    def form_page(self) -> str:
        """For a form's address: the path (under the prefix) of the page that holds the form."""
        values = dict(zip(self.names, getattr(self, "path_args", ())))
        return re.sub(r"\{(\w+)\}", lambda m: quote(values.get(m.group(1), ""), safe=""), self.form_on)

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

    def _script_already_signed_in(self) -> bool:
        """A script's request (``fetch``: ``Sec-Fetch-Mode`` other than ``navigate``) that
        carries this service's login cookie. HubOAuth takes that cookie on a GET only from a
        page the browser navigates to (or with the XSRF token), so sending the script to the
        hub's sign-in again would bring it back here refused: a loop of redirects until the
        browser gives up, each round a new OAuth token (Lab's download probe did this). The
        first round, without the cookie, still signs the browser in."""
        mode = self.request.headers.get("Sec-Fetch-Mode", "navigate")
        return mode != "navigate" and bool(self.get_secure_cookie(self.hub_auth.cookie_name))

    async def prepare(self) -> None:
        self.check_method()
        model = await self._identify()
        if model is None and not self._known_but_not_allowed and self.redirects_to_login:
            if self._script_already_signed_in():
                raise web.HTTPError(401, "signed in to the egress service: open this page in the browser, "
                                         "or send a hub token in the Authorization header")
            self.redirect(self.get_login_url())
            return
        self.current_user = model
        if model is None:
            if self._known_but_not_allowed:
                raise web.HTTPError(403, "your hub token does not give access to the egress service")
            raise web.HTTPError(401, "log in to the hub, or send a hub token in the Authorization header")
        if model.get("kind", "user") != "user":
            raise web.HTTPError(403, "the egress queue serves people, not services")
        # With the hub's word on reviewing: a checker's accreditation may be missing or expired.
        self.caller = await accreditation.vouched(caller_from_model(model), self.settings.get("haven_accreditations"))
        if not self.caller.roles:
            raise web.HTTPError(403, "your token carries none of the egress scopes (custom:egress:…)")

    async def call(self, method: Callable[..., Any], *args: Any) -> Any:
        """Run one service use case off the event loop; translate its refusals."""
        try:
            return await IOLoop.current().run_in_executor(self.executor, partial(method, self.caller, *args))
        except errors.EgressError as refused:
            status = next(code for kind, code in STATUS.items() if isinstance(refused, kind))
            http_error = web.HTTPError(status, str(refused))
            http_error.retry_after = getattr(refused, "retry_after", None)  # type: ignore[attr-defined]
            raise http_error from None

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
        if status_code == 405:
            self.set_header("Allow", ", ".join(self.methods))
        if getattr(exception, "retry_after", None) is not None:  # a limit reached (errors.TooMany)
            self.set_header("Retry-After", str(exception.retry_after))
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"status": status_code, "message": message}))


class WhoAmIHandler(BaseHandler):
    def get(self) -> None:
        self.send(self.caller)


# Room for the metadata and multipart framing around a request's files.
MULTIPART_SLACK = 1024 * 1024
# An upload declared larger than the limit is read and discarded (to answer it with a
# sentence) up to this many times the limit; beyond that the connection is cut.
DRAIN_FACTOR = 4


@web.stream_request_body
class UploadHandler(BaseHandler):
    """Takes a multipart body only from a caller the hub vouched for, and only up to the limit.

    Streaming lets ``prepare`` (authentication, then the declared size) run before a single
    byte of the body is kept: an anonymous caller is refused at once, and an oversized upload
    gets a 413 with a sentence instead of tornado's bare 400 and a cut connection.
    """

    def set_default_headers(self) -> None:
        # Tornado closes the connection when a streaming handler answers before the body
        # is read (a 401 or 405, a cut-off upload), even when there is no body. Saying so
        # stops the proxy from sending the next request down a connection about to close
        # (a 503 "socket hang up"). Handler methods run after the body: see body_read.
        if not getattr(self, "_body_read", False):
            self.set_header("Connection", "close")

    def body_read(self) -> None:
        """Called first by each method: the body is in, the connection may be kept."""
        self._body_read = True
        self.clear_header("Connection")

    async def prepare(self) -> None:
        await super().prepare()
        self._chunks: list[bytes] = []
        self._too_large = ""
        limit = self.service.rules.max_request_size
        declared = self.request.headers.get("Content-Length", "")
        if declared.isdecimal() and int(declared) > limit + MULTIPART_SLACK:
            self._too_large = (f"the upload is {int(declared)} bytes; a request may hold at most "
                               f"{limit} bytes of files (egress.max_request_size)")
            if int(declared) > DRAIN_FACTOR * limit:
                raise web.HTTPError(413, self._too_large)  # not worth reading: cut off
            # Answering before the body is read would make tornado close the connection
            # mid-upload, and the proxy would turn that into a 503. Read it, keep nothing,
            # then refuse with the sentence.
            self.request.connection.set_max_body_size(int(declared))

    def data_received(self, chunk: bytes) -> None:
        if not self._too_large:
            self._chunks.append(chunk)

    def submission(self) -> payloads.Submission:
        self.body_read()
        if self._too_large:
            raise web.HTTPError(413, self._too_large)
        self.request.body = b"".join(self._chunks)
        self._chunks = []
        content_type = self.request.headers.get("Content-Type", "")
        # A form with no file parts comes urlencoded; the service then says what is missing.
        if not content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            raise web.HTTPError(415, "send the submission as multipart/form-data (see docs/egress-api.md)")
        try:
            httputil.parse_body_arguments(content_type, self.request.body, self.request.body_arguments,
                                          self.request.files, self.request.headers)
        except (httputil.HTTPInputError, ValueError) as bad:
            raise web.HTTPError(422, f"the body is not a valid form: {bad}") from None
        return self.parsed(payloads.submission, self.get_body_argument("metadata", None), self.request.files)

    def idempotency_key(self) -> str | None:
        """The client's ``Idempotency-Key``: a retry under it returns the first result (idempotency)."""
        return self.request.headers.get("Idempotency-Key")


class RequestsHandler(UploadHandler):
    async def get(self) -> None:
        self.body_read()
        project, author = self.get_query_argument("project", None), self.get_query_argument("author", None)
        whole = self.parsed(payloads.flag, self.get_query_argument("whole", "false"), "whole")
        if whole:
            listed = await self.call(self.service.list_whole_requests, project, author)
            self.send({"requests": listed.requests, "left_out": listed.left_out})
        else:
            self.send({"requests": await self.call(self.service.list_requests, project, author)})

    async def post(self) -> None:
        submission = self.submission()
        request_id = await self.call(partial(self.service.submit, declared=submission.declared), submission.project,
                                     submission.title, submission.purpose, submission.files, self.idempotency_key())
        self.send(await self.call(self.service.get_request, request_id), status=201)


class RequestDetailHandler(BaseHandler):
    async def get(self, request_id: str) -> None:
        self.send(await self.call(self.service.get_request, request_id))


class ResubmitHandler(UploadHandler):
    async def post(self, request_id: str) -> None:
        submission = self.submission()
        await self.call(partial(self.service.resubmit, title=submission.title, purpose=submission.purpose,
                                idempotency_key=self.idempotency_key(), declared=submission.declared),
                        request_id, submission.files, submission.keep, submission.project)
        self.send(await self.call(self.service.get_request, request_id))


class CommentsHandler(BaseHandler):
    async def post(self, request_id: str) -> None:
        body = self.parsed(payloads.only, self.body(), payloads.COMMENT_FIELDS, "comment")
        await self.call(self.service.comment, request_id, self.parsed(payloads.text, body, "body", ""),
                        self.parsed(payloads.text, body, "visibility", "shared"),
                        self.parsed(payloads.optional_file_id, body))
        self.send(await self.call(self.service.get_request, request_id), status=201)


# URL word -> (service method name, whether it takes a reason; the service says if one is required).
DECISIONS = {
    "start-review": ("start_review", False),
    "return": ("return_request", True),
    "reject": ("reject", True),
    "withdraw": ("withdraw", True),  # optional: the service keeps one when given
    "release": ("release", True),  # optional in the API; the pages' confirmation requires one
    "revoke": ("revoke", True),
}


class DecisionHandler(BaseHandler):
    async def post(self, request_id: str, decision: str) -> None:
        method_name, takes_reason = DECISIONS[decision]
        body = self.parsed(payloads.only, self.body(), payloads.DECISION_FIELDS, "decision")
        args = [self.parsed(payloads.text, body, "reason", "")] if takes_reason else []
        await self.call(getattr(self.service, method_name), request_id, *args)
        self.send(await self.call(self.service.get_request, request_id))


class ReviewHandler(BaseHandler):
    async def post(self, file_id: str) -> None:
        body = self.parsed(payloads.only, self.body(), payloads.REVIEW_FIELDS, "review")
        state = await self.call(
            self.service.review_file, payloads.file_id(file_id),
            self.parsed(payloads.text, body, "decision", ""),
            self.parsed(payloads.text, body, "comment", ""),
            self.parsed(payloads.text, body, "visibility", "shared"),
        )
        self.send({"state": state}, status=201)


class DownloadHandler(BaseHandler):
    @property
    def redirects_to_login(self) -> bool:  # type: ignore[override]
        # A person following a download link in the browser goes through the hub's login
        # and back to the file; a script without a token gets 401 as everywhere else.
        headers = self.request.headers
        return "Authorization" not in headers and "text/html" in headers.get("Accept", "")

    async def get(self, file_id: str) -> None:
        path, data = await self.call(self.service.download_named, payloads.file_id(file_id))
        # The service re-checked these bytes against the approved SHA-256.
        self.set_header("X-Haven-SHA256", sha256_hex(data))
        _attachment(self, data, attachment_name(path, int(file_id)), "application/octet-stream")


def attachment_name(path: str, file_id: int) -> str:
    """The file's own name for the browser's save dialog, reduced to safe characters."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", path.rsplit("/", 1)[-1]).strip("._")
    return name[:120] or f"haven-file-{file_id}"


def _attachment(handler: BaseHandler, data: bytes, filename: str, content_type: str) -> None:
    # Always an attachment, never rendered here: an HTML output shown in the hub's origin
    # could act with the viewer's session.
    handler.set_header("Content-Type", content_type)
    handler.set_header("Content-Disposition", f'attachment; filename="{filename}"')
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.finish(data)


class FileContentHandler(BaseHandler):
    """A checker opens a file to review it; audited as a view."""

    async def get(self, file_id: str) -> None:
        _, data = await self.call(self.service.view_file, payloads.file_id(file_id))
        self.set_header("X-Haven-SHA256", sha256_hex(data))
        _attachment(self, data, f"haven-file-{int(file_id)}", "application/octet-stream")


class BundleHandler(BaseHandler):
    """A released request as a zip with its signed manifest; audited."""

    async def get(self, request_id: str) -> None:
        data = await self.call(self.service.bundle, request_id)
        _attachment(self, data, f"haven-release-{request_id}.zip", "application/zip")


class SigningKeyHandler(BaseHandler):
    """The public half of the key that signs release manifests (PEM), to verify offline."""

    def get(self) -> None:
        if self.service.signer is None:
            raise web.HTTPError(404, "this service signs no manifests")
        self.set_header("Content-Type", "application/x-pem-file")
        self.finish(self.service.signer.public_pem())


class OpenAPIHandler(BaseHandler):
    """This API's OpenAPI 3 description."""

    def get(self) -> None:
        self.set_header("Content-Type", "application/yaml")
        self.finish(openapi.text())
