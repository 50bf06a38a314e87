"""The checkers' and authors' pages, rendered on the server with the Haven theme.

Handlers stay thin: each asks ``EgressService`` (or the read-only ``overview`` queries)
for what to show, then renders a template; forms post to the same service methods as the
API. A refusal re-renders the page with the service's own sentence and status. Scripts
are not needed anywhere: every control is a plain form, usable by keyboard.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import cache, partial
from typing import Any

from tornado import web

from haven_hub import theme

from .. import overview, permissions
from ..permissions import RequestFacts, Role
from ..views import RequestView
from ..workflow import State
from . import controls, payloads, request_page
from .pagination import PageError, paginate
from .handlers import DECISIONS, BaseHandler

TEMPLATES = __file__.rsplit("/", 1)[0] + "/templates"
SEEN_COOKIE = "haven-egress-seen"
# The page's own policy: no scripts at all, frames and images only from this service.
PAGE_CSP = ("default-src 'self'; script-src 'none'; object-src 'none'; img-src 'self' data:; "
            "frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'")
# A notebook's HTML is the author's, not Haven's: nothing may run, load or leave.
PREVIEW_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
# What a redirect after a successful form says; fixed sentences, never reflected input.
DONE = {"vote": "Your vote is recorded.", "comment": "Your comment is posted.",
        "start-review": "Review started: votes are open.", "release": "The request is released.",
        "return": "The request is returned to its author.", "reject": "The request is rejected.",
        "revoke": "The release is revoked.", "withdraw": "The request is withdrawn."}


@cache
def _environment():
    return theme.environment(TEMPLATES)


class PageHandler(BaseHandler):
    """Renders HTML (errors too); a GET without a login goes to the hub's login page."""

    def set_default_headers(self) -> None:
        # Defaults, so error pages (tornado clears headers before writing one) keep them too.
        self.set_header("Content-Security-Policy", PAGE_CSP)
        self.set_header("X-Content-Type-Options", "nosniff")

    async def prepare(self) -> None:
        # A form posted without a valid login or XSRF token is refused, not redirected:
        # following a redirect would drop what the person typed without a word.
        self.redirects_to_login = self.request.method == "GET"
        await super().prepare()

    @property
    def prefix(self) -> str:
        return self.settings["haven_prefix"]

    async def queue(self) -> overview.Queue:
        """The queue as this caller sees it, asked once per page (the page and the nav share it)."""
        if getattr(self, "_queue", None) is None:
            self._queue = await self.call(partial(overview.queue, self.service))
        return self._queue

    async def nav(self, current: str) -> list[theme.NavLink]:
        can_review = bool(self.caller.roles & {Role.CHECKER, Role.ADMIN})
        queue = await self.queue() if can_review else None
        seen = await self.call(partial(overview.decisions_since, self.service), self.last_seen())
        services = self.prefix.rsplit("egress/", 1)[0]
        return theme.nav_links(current=current, hub_prefix=self.hub_prefix, services_prefix=services,
                               can_review=can_review, is_admin=Role.ADMIN in self.caller.roles,
                               review_count=queue.needs_my_review if queue else None,
                               my_requests_count=len(seen))

    @property
    def hub_prefix(self) -> str:
        return self.hub_auth.hub_prefix

    def last_seen(self) -> datetime | None:
        """When this person last opened "My requests" in this browser (decisions after it are new)."""
        raw = self.get_secure_cookie(SEEN_COOKIE, max_age_days=365)
        try:
            seen = json.loads(raw) if raw else {}
            return datetime.fromisoformat(seen["time"]) if seen.get("user") == self.caller.name else None
        except (ValueError, KeyError, TypeError):
            return None

    async def render_page(self, template: str, title: str, current: str = "", status: int = 200,
                          **context: Any) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        user = getattr(self, "caller", None)
        html = _environment().get_template(template).render(
            page_title=title, hub_prefix=self.hub_prefix, static_prefix=f"{self.prefix}static/",
            prefix=self.prefix, user_name=user.name if user else None,
            nav=await self.nav(current) if user else [], logout_url=f"{self.hub_prefix}logout",
            xsrf=self.xsrf_token.decode(), age=overview.age, **context)
        self.finish(html)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exception = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(exception, "log_message", None) or self._reason
        if status_code >= 500:
            message = "the egress service failed; the error is in its log"
        title, template, context = f"{status_code}: {self._reason}", "error.html", {"message": message}
        if status_code == 405:
            self.set_header("Allow", ", ".join(self.methods))
            if self.form_on:
                # A reload, a bookmark, the address bar after a refused vote: say what this
                # address is and lead back to the page whose form it belongs to.
                title, template = "405: this address takes a form", "form-address.html"
                context = {"page": f"{self.prefix}{self.form_page()}"}
        self.set_header("Content-Type", "text/html; charset=utf-8")
        html = _environment().get_template(template).render(
            page_title=title, hub_prefix=self.hub_prefix,
            static_prefix=f"{self.prefix}static/", user_name=None, nav=[], logout_url="",
            prefix=self.prefix, **context)
        self.finish(html)


class QueuePage(PageHandler):
    """The review queue: counts, filters, age, and what needs my review."""

    async def get(self) -> None:
        if not self.caller.roles & {Role.CHECKER, Role.ADMIN}:
            self.redirect(f"{self.prefix}mine")  # analysts have no queue, only their requests
            return
        queue = await self.queue()
        state = self.get_query_argument("state", "")
        project = self.get_query_argument("project", "")
        needs = self.get_query_argument("needs", "") == "1"
        error = ""
        if state and state not in State.__members__.values():
            error, state = f"there is no state {state!r}; choose one from the list", ""
        items = [i for i in queue.items if (not state or i.state.value == state)
                 and (not project or i.project == project) and (not needs or i.needs_my_review)]
        query = (("state", state), ("project", project), ("needs", "1" if needs else ""))
        page, size = self.get_query_argument("page", ""), self.get_query_argument("size", "")
        try:
            shown, pagination = paginate(items, page, size, query)
        except PageError as refused:
            # Refused, and still a usable page: the first one, at the size asked for if that was one.
            error = error or str(refused)
            try:
                shown, pagination = paginate(items, "", size, query)
            except PageError:
                shown, pagination = paginate(items, query=query)
        await self.render_page("queue.html", "Review queue", "Review queue", status=400 if error else 200,
                               queue=queue, items=shown, pagination=pagination, states=[s.value for s in State],
                               error=error, filters={"state": state, "project": project, "needs": needs},
                               now=datetime.now(timezone.utc))


class MinePage(PageHandler):
    """An author's own requests, with the decisions they have not seen marked."""

    async def get(self) -> None:
        queue = await self.queue()
        new = set(await self.call(partial(overview.decisions_since, self.service), self.last_seen()))
        mine = [i for i in queue.items if i.author == self.caller.name]
        # Seen now: the count in the navigation starts again from here.
        self.set_secure_cookie(SEEN_COOKIE, json.dumps({"user": self.caller.name,
                                                         "time": datetime.now(timezone.utc).isoformat()}),
                               path=self.prefix, httponly=True, samesite="Lax")
        await self.render_page("mine.html", "My requests", "My requests", items=mine, new=new,
                               may_submit=Role.ANALYST in self.caller.roles)


class RequestShown(PageHandler):
    """Shows one request: the page itself, and its forms when they refuse (no ``get``: a
    form's address is not a page, see app.Route.form_on)."""

    async def show(self, request_id: str, *, done: str = "", error: str = "", status: int = 200) -> None:
        view: RequestView = await self.call(self.service.get_request, request_id)
        facts = RequestFacts(view.author, view.project)
        checker = permissions.may_check(self.caller, facts, self.service.rules)
        context = await self.call(partial(request_page.context, self.service), view, checker)
        await self.render_page(
            "request.html", view.title, "Review queue" if checker else "My requests", status=status,
            request=view, done=done, error=error, checker=checker,
            is_author=permissions.is_author(self.caller, facts),
            may_see_private=permissions.may_see_private(self.caller, facts, self.service.rules),
            controls=controls.request_controls(self.caller, view, self.service.rules),
            comment_control=controls.comment_control(self.caller, view, self.service.rules),
            vote_control=partial(controls.vote_control, self.caller, view, rules=self.service.rules),
            checker_refusal=controls.why_not_checker(self.caller, facts, self.service.rules),
            **context)

    async def refused_or_redirect(self, request_id: str, use_case, done: str) -> None:
        try:
            await use_case()
        except web.HTTPError as refused:
            if refused.status_code == 404:
                raise
            await self.show(request_id, error=refused.log_message or "not allowed", status=refused.status_code)
            return
        self.redirect(f"{self.prefix}requests/{request_id}?done={done}#haven-main", status=303)


class RequestPage(RequestShown):
    """One request: files, checks, votes, decisions and history (checkers); status and what
    to fix (authors and project members)."""

    async def get(self, request_id: str) -> None:
        done = DONE.get(self.get_query_argument("done", ""), "")
        await self.show(request_id, done=done)


class DecisionForm(RequestShown):
    async def post(self, request_id: str, decision: str) -> None:
        method_name, takes_reason = DECISIONS[decision]
        args = [self.get_body_argument("reason", "")] if takes_reason else []
        await self.refused_or_redirect(
            request_id, partial(self.call, getattr(self.service, method_name), request_id, *args), decision)


class VoteForm(RequestShown):
    async def post(self, request_id: str, file_id: str) -> None:
        view: RequestView = await self.call(self.service.get_request, request_id)
        if not any(str(f.id) == file_id for f in view.versions[-1].files):
            raise web.HTTPError(404, "this request has no file with this id in its current version")
        await self.refused_or_redirect(request_id, partial(
            self.call, self.service.review_file, payloads.file_id(file_id),
            self.get_body_argument("decision", ""), self.get_body_argument("comment", ""),
            self.get_body_argument("visibility", "shared")), "vote")


class CommentForm(RequestShown):
    async def post(self, request_id: str) -> None:
        await self.refused_or_redirect(request_id, partial(
            self.call, self.service.comment, request_id, self.get_body_argument("body", ""),
            self.get_body_argument("visibility", "shared")), "comment")


class FilePreview(PageHandler):
    """A figure or a notebook's HTML, for the request page's <img> and sandboxed <iframe>."""

    async def get(self, request_id: str, file_id: str) -> None:
        view: RequestView = await self.call(self.service.get_request, request_id)
        if not any(str(f.id) == file_id for v in view.versions for f in v.files):
            raise web.HTTPError(404, "this request has no file with this id")
        media_type, data = await self.call(self.service.view_file, payloads.file_id(file_id))
        kind = request_page.preview_kind(media_type, data)
        if kind is None:
            raise web.HTTPError(415, "only figures (PNG, JPEG) and HTML are shown in the page; "
                                     "download the file to look at it")
        self.set_header("Content-Type", kind)
        self.set_header("Content-Security-Policy", PREVIEW_CSP)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Disposition", "inline")
        self.finish(data)
