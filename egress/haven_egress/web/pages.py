"""The checkers' and authors' pages, rendered on the server with the Haven theme.

Handlers stay thin: each asks ``EgressService`` (or the read-only ``overview`` queries)
for what to show, then renders a template; forms post to the same service methods as the
API. A refusal re-renders the page with the service's own sentence and status; a success
redirects (303) back to the place on the page the form was (the file in view, the comments,
the decision). Scripts are not needed: every control is a plain form or link, usable by
keyboard; the request page adds one file of its own (``static/review.js``: j/k between files).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import cache, partial
from typing import Any
from urllib.parse import urlencode

from tornado import web

from haven_hub import theme

from .. import overview
from ..permissions import Role
from ..views import RequestView
from ..workflow import State
from ..texts import TEXT_MAX
from . import controls, payloads, request_page
from .pagination import SIZES, PageError, paginate
from .handlers import DECISIONS, BaseHandler

TEMPLATES = __file__.rsplit("/", 1)[0] + "/templates"
SEEN_COOKIE = "haven-egress-seen"
# The queue's filters as last chosen in this browser (no server state): opening the queue
# without any shows it filtered the same way again.
FILTERS_COOKIE = "haven-queue-filters"
QUEUE_FILTERS = ("state", "project", "needs", "size")
# Shown only when asked for: a withdrawn request is its author's, nothing for a checker to do.
HIDDEN_BY_DEFAULT = frozenset({State.WITHDRAWN})
ANY_STATE = "any"
# The page's own policy: no scripts at all, frames and images only from this service.
PAGE_CSP = ("default-src 'self'; script-src 'none'; object-src 'none'; img-src 'self' data:; "
            "frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'")
# A notebook's HTML is the author's, not Haven's: nothing may run, load or leave.
PREVIEW_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
# The request page also runs its own script file (keyboard moves between files), nothing inline.
REVIEW_CSP = PAGE_CSP.replace("script-src 'none'", "script-src 'self'")
# What a redirect after a successful form says; fixed sentences, never reflected input.
DONE = {"vote": "Your vote is recorded.", "comment": "Your comment is posted.",
        "file-comment": "Your comment on this file is posted.",
        "start-review": "Review started: votes are open.", "release": "The request is released.",
        "return": "The request is returned to its author.", "reject": "The request is rejected.",
        "revoke": "The release is revoked.", "withdraw": "The request is withdrawn."}
# Where on the request page each form's outcome is shown, so the person stays where they were.
DONE_PLACE = {"vote": "file", "start-review": "file", "comment": "comments", "file-comment": "file"}
# The element a place scrolls to (the file's own is "file-<id>").
PLACES = {"comments": "comments-heading", "decision": "decision", "top": "haven-main"}


@cache
def _environment():
    environment = theme.environment(TEMPLATES)
    # The service's limit on a comment or reason: the browser stops there, so nothing typed is lost to a refusal.
    environment.globals["text_max"] = TEXT_MAX
    return environment


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
            xsrf=self.xsrf_token.decode(), age=overview.age,
            # A checker barred from reviewing, and expiries coming up (web/accreditation.py).
            review_refusal=user.review_refusal if user else "", accreditation_notices=user.notices if user else (),
            **context)
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
    """The review queue: counts, filters (remembered in this browser), verdicts, votes and age."""

    async def get(self) -> None:
        if not self.caller.roles & {Role.CHECKER, Role.ADMIN}:
            self.redirect(f"{self.prefix}mine")  # analysts have no queue, only their requests
            return
        if self.get_query_argument("clear", "") == "1":
            self.clear_cookie(FILTERS_COOKIE, path=self.prefix)
            self.redirect(self.prefix, status=303)
            return
        if not any(name in self.request.arguments for name in (*QUEUE_FILTERS, "page")):
            saved = self.saved_filters()
            if saved:  # the queue as this person last filtered it
                self.redirect(f"{self.prefix}?{urlencode(saved)}", status=303)
                return
        queue = await self.queue()
        state = self.get_query_argument("state", "")
        project = self.get_query_argument("project", "")
        needs = self.get_query_argument("needs", "") == "1"
        error = ""
        if state and state != ANY_STATE and state not in State.__members__.values():
            error, state = f"there is no state {state!r}; choose one from the list", ""
        chosen = [i for i in queue.items if (not project or i.project == project) and (not needs or i.needs_my_review)]
        hidden = sum(i.state in HIDDEN_BY_DEFAULT for i in chosen) if not state else 0
        items = [i for i in chosen if state == ANY_STATE or i.state.value == state
                 or (not state and i.state not in HIDDEN_BY_DEFAULT)]
        query = (("state", state), ("project", project), ("needs", "1" if needs else ""))
        page, size = self.get_query_argument("page", ""), self.get_query_argument("size", "")
        try:
            shown, pagination = paginate(items, page, size, query)
        except PageError as refused:
            # Refused, and still a usable page: the first one, at the size asked for if that was one.
            error = error or str(refused)
            size = size if size.isdigit() and int(size) in SIZES else ""
            shown, pagination = paginate(items, "", size, query)
        self.save_filters([*query, ("size", size)])
        await self.render_page("queue.html", "Review queue", "Review queue", status=400 if error else 200,
                               queue=queue, items=shown, pagination=pagination, states=[s.value for s in State],
                               error=error, filters={"state": state, "project": project, "needs": needs},
                               hidden=hidden, any_state=ANY_STATE, now=datetime.now(timezone.utc))

    def saved_filters(self) -> list[tuple[str, str]]:
        raw = self.get_secure_cookie(FILTERS_COOKIE, max_age_days=365)
        try:
            saved = json.loads(raw) if raw else {}
        except ValueError:
            return []
        if not isinstance(saved, dict) or saved.get("user") != self.caller.name:
            return []
        return [(name, saved[name]) for name in QUEUE_FILTERS if isinstance(saved.get(name), str) and saved[name]]

    def save_filters(self, filters: list[tuple[str, str]]) -> None:
        # What was valid, for the next visit; a filter refused above is "" and not kept.
        kept = {name: value for name, value in filters if value and name in QUEUE_FILTERS}
        self.set_secure_cookie(FILTERS_COOKIE, json.dumps({"user": self.caller.name, **kept}),
                               path=self.prefix, httponly=True, samesite="Lax", expires_days=365)


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

    async def show(self, request_id: str, *, done: str = "", error: str = "", status: int = 200,
                   wanted: str = "", place: str = "") -> None:
        view: RequestView = await self.call(self.service.get_request, request_id)
        status, context = await self.call(
            partial(request_page.page, self.service, done=done, error=error, status=status, place=place),
            view, wanted)
        # The request page alone loads a script (its own file: keyboard moves between files).
        self.set_header("Content-Security-Policy", REVIEW_CSP)
        await self.render_page("request.html", view.title, "Review queue" if context["checker"] else "My requests",
                               status=status, **context)

    def returning_file(self) -> str:
        """The file the checker had in view when they used a form (digits only, or none)."""
        wanted = self.get_body_argument("file", "")
        return wanted if wanted.isdigit() else ""

    async def refused_or_redirect(self, request_id: str, use_case, done: str, place: str) -> None:
        """Runs the form's use case; then back to the same place on the page (POST-redirect-GET),
        or, refused, the page again with the refusal beside the form that was used."""
        wanted = self.returning_file()
        try:
            await use_case()
        except web.HTTPError as refused:
            if refused.status_code == 404:
                raise
            await self.show(request_id, error=refused.log_message or "not allowed", status=refused.status_code,
                            wanted=wanted, place=place)
            return
        query = urlencode([("file", wanted)] * bool(wanted) + [("done", done)])
        anchor = f"file-{wanted}" if place == "file" and wanted else PLACES.get(place, "haven-main")
        self.redirect(f"{self.prefix}requests/{request_id}?{query}#{anchor}", status=303)


class RequestPage(RequestShown):
    """One request: files, checks, votes, decisions and history (checkers); status and what
    to fix (authors and project members)."""

    async def get(self, request_id: str) -> None:
        word = self.get_query_argument("done", "")
        done = DONE.get(word, "")
        await self.show(request_id, done=done, wanted=self.get_query_argument("file", ""),
                        place=DONE_PLACE.get(word, "decision") if done else "")


class Confirming(RequestShown):
    """Release and reject are final: each is asked for on a page of its own that says what it
    does and requires a reason (as the admin pages do for suspend and archive)."""

    async def confirm(self, request_id: str, final: str, reason: str = "", error: str = "",
                      status: int = 200) -> None:
        if final not in controls.CONFIRMED:
            raise web.HTTPError(404, "only a release or a rejection is confirmed")
        view: RequestView = await self.call(self.service.get_request, request_id)
        control = next((c for c in controls.request_controls(self.caller, view, self.service.rules)
                        if c.name == final), None)
        if control is None or not control.allowed:
            refusal = control.reason if control else "only the checkers of this request decide it"
            await self.show(request_id, error=refusal, status=409 if control else 403, place="decision")
            return
        await self.render_page("confirm-decision.html", f"{control.label} “{view.title}”?", "Review queue",
                               status=status, **request_page.confirmation(view, final, reason, error))


class ConfirmDecisionPage(Confirming):
    async def get(self, request_id: str, final: str) -> None:
        await self.confirm(request_id, final)


class DecisionForm(Confirming):
    async def post(self, request_id: str, decision: str) -> None:
        method_name, takes_reason = DECISIONS[decision]
        reason = self.get_body_argument("reason", "")
        if decision in controls.CONFIRMED and not reason.strip():
            # Back to the question, the error beside the reason, nothing changed.
            await self.confirm(request_id, decision, reason, "say why: a reason is required", 422)
            return
        args = [reason] if takes_reason else []
        await self.refused_or_redirect(
            request_id, partial(self.call, getattr(self.service, method_name), request_id, *args), decision,
            DONE_PLACE.get(decision, "decision"))


class VoteForm(RequestShown):
    def returning_file(self) -> str:
        return self.path_args[1]  # a vote always returns to the file it was cast on

    async def post(self, request_id: str, file_id: str) -> None:
        view: RequestView = await self.call(self.service.get_request, request_id)
        if not any(str(f.id) == file_id for f in view.versions[-1].files):
            raise web.HTTPError(404, "this request has no file with this id in its current version")
        await self.refused_or_redirect(request_id, partial(
            self.call, self.service.review_file, payloads.file_id(file_id),
            self.get_body_argument("decision", ""), self.get_body_argument("comment", ""),
            self.get_body_argument("visibility", "shared")), "vote", "file")


class CommentForm(RequestShown):
    async def post(self, request_id: str) -> None:
        # A comment on the file in view (its thread), or on the whole request.
        on_file = self.get_body_argument("on_file", "")
        await self.refused_or_redirect(request_id, partial(
            self.call, self.service.comment, request_id, self.get_body_argument("body", ""),
            self.get_body_argument("visibility", "shared"), payloads.file_id(on_file) if on_file else None),
            "file-comment" if on_file else "comment", "file" if on_file else "comments")


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
