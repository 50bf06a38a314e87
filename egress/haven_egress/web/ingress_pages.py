"""The ingress pages: file a request to bring a file or a package into a project, see the
queue, and decide. Thin: each handler asks ``IngressService`` and renders a template."""

from __future__ import annotations

from functools import partial
from typing import Any

from tornado import web

from ..ingress import permissions as ingress_permissions
from ..ingress.views import IngressView
from ..ingress.workflow import State
from ..permissions import Role
from .pages import PageHandler

# Room for the form's other fields and multipart framing around the file.
FORM_SLACK = 64 * 1024
# URL word -> (service method name, whether it takes a reason).
INGRESS_DECISIONS = {"approve": ("approve", True), "reject": ("reject", True),
                     "withdraw": ("withdraw", True), "deliver": ("retry_delivery", False)}
DONE = {"filed": "Your request is filed: a checker will look at it.", "approve": "Approved.",
        "reject": "Rejected.", "withdraw": "Withdrawn.", "deliver": "Delivered."}


class IngressPage(PageHandler):
    @property
    def ingress(self):
        service = self.settings.get("haven_ingress")
        if service is None:
            raise web.HTTPError(503, "this egress service has no ingress queue configured")
        return service

    async def show_queue(self, *, error: str = "", status: int = 200, form: dict[str, str] | None = None) -> None:
        items = await self.call(self.ingress.list)
        projects = sorted(self.caller.projects) if Role.ANALYST in self.caller.roles else []
        limits = self.ingress.rules.ingress
        await self.render_page("ingress_queue.html", "Bring files and packages in", "Bring in", status=status, items=items,
                               projects=projects, error=error, form=form or {}, limits=limits,
                               done=DONE.get(self.get_query_argument("done", ""), ""))

    async def show_request(self, request_id: str, *, error: str = "", status: int = 200) -> None:
        view: IngressView = await self.call(self.ingress.get, request_id)
        decider = ingress_permissions.may_decide(self.caller, facts_of(view), self.ingress.rules)
        content = ""
        if view.kind == "file" and (decider or view.author == self.caller.name):
            _, data = await self.call(self.ingress.file_content, request_id)
            content = data.decode("utf-8", errors="replace")
        await self.render_page("ingress_request.html", f"Ingress: {view.what}", "Bring in", status=status, request=view,
                               decider=decider, is_author=view.author == self.caller.name, content=content,
                               error=error, done=DONE.get(self.get_query_argument("done", ""), ""),
                               State=State)

    async def refused_or_redirect(self, use_case, on_refusal, done: str, target: str) -> None:
        try:
            result = await use_case()
        except web.HTTPError as refused:
            if refused.status_code == 404:
                raise
            await on_refusal(error=refused.log_message or "not allowed", status=refused.status_code)
            return
        self.redirect(f"{self.prefix}ingress/{target or result}?done={done}#haven-main", status=303)


def facts_of(view: IngressView):
    return ingress_permissions.IngressFacts(view.author, view.project)


class IngressQueuePage(IngressPage):
    """Everything the caller may see, newest first, and the forms to file a request."""

    async def get(self) -> None:
        await self.show_queue()


class IngressFileForm(IngressPage):
    async def prepare(self) -> None:
        await super().prepare()
        declared = self.request.headers.get("Content-Length", "")
        limit = self.ingress.rules.ingress.max_file_size
        if declared.isdecimal() and int(declared) > limit + FORM_SLACK:
            raise web.HTTPError(413, f"the upload is {int(declared):,} bytes; an ingress request may carry "
                                     f"at most {limit:,} bytes (egress.ingress.max_file_size)")

    async def post(self) -> None:
        uploads = self.request.files.get("file") or []
        form = {key: self.get_body_argument(key, "") for key in ("project", "description", "justification")}
        if len(uploads) != 1:
            await self.show_queue(error="choose one file to bring in", status=422, form=form)
            return
        upload: Any = uploads[0]
        await self.refused_or_redirect(
            partial(self.call, self.ingress.request_file, form["project"], upload.filename, upload.body,
                    form["description"], form["justification"]),
            partial(self.show_queue, form=form), "filed", "")


class IngressPackageForm(IngressPage):
    async def post(self) -> None:
        form = {key: self.get_body_argument(key, "") for key in ("project", "name", "version", "justification")}
        await self.refused_or_redirect(
            partial(self.call, self.ingress.request_package, form["project"], form["name"], form["version"],
                    form["justification"]),
            partial(self.show_queue, form=form), "filed", "")


class IngressRequestPage(IngressPage):
    async def get(self, request_id: str) -> None:
        await self.show_request(request_id)


class IngressDecisionForm(IngressPage):
    async def post(self, request_id: str, decision: str) -> None:
        if decision not in INGRESS_DECISIONS:
            raise web.HTTPError(404, f"there is no ingress decision {decision!r}")
        method_name, takes_reason = INGRESS_DECISIONS[decision]
        args = [self.get_body_argument("reason", "")] if takes_reason else []
        await self.refused_or_redirect(
            partial(self.call, getattr(self.ingress, method_name), request_id, *args),
            partial(self.show_request, request_id), decision, request_id)

