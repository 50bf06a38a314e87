"""The admin pages' handlers: who is asking (the hub's OAuth), then one action each.

Only people whose token carries ``custom:haven:admin`` (the haven-admin role) get past
``prepare``; everyone else gets a page saying so, with status 403. Every POST is
authenticated by the login cookie *and* its XSRF token (HubOAuth refuses the cookie
without it), or by a hub token in the Authorization header.
"""

from __future__ import annotations

import html
import logging
from functools import partial
from typing import Any, Callable
from urllib.parse import urlencode

from jupyterhub.services.auth import HubOAuthenticated
from tornado import web
from tornado.ioloop import IOLoop

from .. import roles, theme, usage
from ..meter import budget as browser_budget
from ..provisioning.hub_api import HubError
from ..provisioning.rules import ProvisioningError
from . import actions, forms
from .context import AdminContext

log = logging.getLogger("haven.admin")

class AdminHandler(HubOAuthenticated, web.RequestHandler):
    def initialize(self, context: AdminContext, form_on: str | None = None) -> None:
        self.context = context
        self.form_on = form_on  # for a form's address: the page holding the form (app.Route)

    @classmethod
    def allowed_methods(cls) -> list[str]:
        """The methods this handler defines; every other one is answered 405."""
        return [m for m in cls.SUPPORTED_METHODS
                if getattr(cls, m.lower(), None) not in (None, web.RequestHandler._unimplemented_method)]

    def check_method(self) -> None:
        # First, the same for every caller: a GET on a form's address (a reload, a bookmark)
        # is a 405 with Allow and a link back, not a login round trip or a 500.
        if self.request.method not in self.allowed_methods():
            self.current_user = None  # the error page must not ask the hub who is calling
            raise web.HTTPError(405, f"This address takes {' or '.join(self.allowed_methods())}, "
                                     f"not {self.request.method}.")

    async def prepare(self) -> None:
        self.check_method()
        model = await self.hub_auth.get_user(self, sync=False)
        if not model:
            if self.request.method in ("GET", "HEAD"):
                self.redirect(self.get_login_url())
                return
            raise web.HTTPError(403, "This form was not accepted: it lacks a valid XSRF token or you are "
                                     "not logged in. Reload the page and try again.")
        self.current_user = model
        if model.get("kind", "user") != "user" or roles.HAVEN_ADMIN_PAGES not in set(model.get("scopes") or ()):
            self.audit_refusal(model)
            raise web.HTTPError(403, f"{model['name']} is not a Haven administrator: these pages are for "
                                     "administrators only. Ask one if you need a project changed.")

    def audit_refusal(self, model: dict[str, Any]) -> None:
        """Someone the hub knows, at an admin page or form they may not use: who, where, how."""
        try:
            self.context.audit.record(str(model["name"])[:64], "admin.refused", f"page{self.request.path}"[:128],
                                      None, method=self.request.method, kind=model.get("kind", "user"),
                                      remote_ip=self.request.remote_ip or "")
        except Exception:  # the refusal stands either way; say loudly that its event is missing
            log.exception("could not write the audit event for a refused admin page")

    @property
    def admin_name(self) -> str:
        return self.current_user["name"]

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """A lifecycle call off the event loop (the hub client is synchronous)."""
        return await IOLoop.current().run_in_executor(self.context.executor, partial(function, *args))

    def provisioner(self) -> Any:
        return self.context.provisioner(self.admin_name)

    def form_values(self) -> dict[str, str]:
        # A picker sends one value per ticked box; a typed list arrives as one value.
        return {name: ", ".join(v for v in self.get_body_arguments(name) if v.strip()) if name in forms.PICKED
                else self.get_body_argument(name, "") for name in forms.FIELD_NAMES}

    async def pickers(self) -> dict[str, Any]:
        """What the members and datasets pickers offer: existing accounts, the catalogue."""
        return {"account_names": await self.run(self.context.account_names),
                "dataset_names": await self.run(self.context.dataset_names),
                # The accreditations the settings declare (docs/accreditation.md).
                "accreditation_kinds": [kind.name for kind in self.context.settings.accreditation.kinds]}

    def render_page(self, template: str, page_title: str, status: int = 200, **values: Any) -> None:
        prefix = self.context.prefix
        page = self.context.templates.get_template(template).render(
            page_title=page_title, hub_prefix=self.context.hub_prefix, static_prefix=f"{prefix}static/",
            user_name=(self.current_user or {}).get("name"), logout_url=f"{self.context.hub_prefix}logout",
            # Every Haven admin holds the egress admin scope (roles.HAVEN_ADMIN), so sees the queue
        # too: the same bar as on the hub's pages (theme.hub_nav).
        nav=theme.nav_links(current="Administration", hub_prefix=self.context.hub_prefix,
                            services_prefix=self.context.prefix.rsplit("admin/", 1)[0], can_review=True,
                            is_admin=True),
            prefix=prefix, xsrf_form_html=self.xsrf_form_html, section=values.pop("section", ""), **values,
        )
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exception = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(exception, "log_message", None) or self._reason
        if status_code >= 500:
            message = "The admin service failed; the error is in its log."
        titles = {403: "Not allowed", 404: "Not found", 405: "Not a page"}
        template, extra = "error.html", {}
        if status_code == 405:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
            if self.form_on is not None:
                template, extra = "form-address.html", {"page": f"{self.context.prefix}{self.form_on}",
                                                        "page_name": self.form_on or "projects"}
        try:
            self.render_page(template, titles.get(status_code, "Something went wrong"), status_code,
                             message=message, status_code=status_code, **extra)
        except Exception:  # never fail while reporting a failure
            self.finish(f"<!doctype html><title>Haven admin</title><p>{html.escape(message)}</p>")

    async def project_or_404(self, project_id: str) -> Any:
        try:
            return await self.run(self.provisioner().get, project_id)
        except ProvisioningError as missing:
            raise web.HTTPError(404, str(missing)) from None

    def confirm_status(self, project: Any, action: str, reason: str = "", error: str = "", status: int = 200) -> None:
        """Suspend and archive ask first: what will happen, and a reason (required)."""
        self.render_page("confirm_status.html", f"{action.capitalize()} project {project.id}?", status,
                         section="projects", project=project, action=action, reason=reason, error=error,
                         hint=actions.REASON_NEEDED[action])

    def back_to(self, path: str, **query: str) -> None:
        self.redirect(f"{self.context.prefix}{path}" + (f"?{urlencode(query)}" if query else ""))


class ProjectsHandler(AdminHandler):
    async def get(self) -> None:
        projects, damaged = await self.run(self.provisioner().survey)
        disk = await self.run(self.context.disk_usage, projects)
        browser = await self.run(self.context.browser_today)
        over_budget = [(p, t) for p in projects for t in browser.get(p.id, ()) if _over(p, t)]
        self.render_page("projects.html", "Projects", section="projects", projects=projects, damaged=damaged, disk=disk,
                         browser=browser, over_budget=over_budget, budget_bytes=browser_budget.budget_bytes, over=_over,
                         human_bytes=usage.human_bytes,
                         warning_percent=self.context.settings.admin.disk_warning_percent,
                         notice=self.get_argument("done", ""), today=self.context.clock())


def _over(project: Any, total: Any) -> bool:
    budget = browser_budget.budget_bytes(project)
    return total.exceeded or (budget is not None and total.bytes > budget)


class NewProjectHandler(AdminHandler):
    async def get(self) -> None:
        await self._form(forms.blank())

    async def post(self) -> None:
        form, project = await self.run(actions.create, self.provisioner(), self.form_values())
        if project is None:
            await self._form(form, status=422)
            return
        self.back_to("", done=f"Project {project.id} created.")

    async def _form(self, form: forms.ProjectForm, status: int = 200) -> None:
        self.render_page("project_form.html", "New project", status, section="new", form=form, creating=True,
                         text_fields=forms.TEXT_FIELDS, presets=self.context.presets(), **await self.pickers())


class EditProjectHandler(AdminHandler):
    async def get(self, project_id: str) -> None:
        project = await self._project(project_id)
        await self._form(project, forms.from_project(project))

    async def post(self, project_id: str) -> None:
        form, outcome = await self.run(actions.update, self.provisioner(), project_id, self.form_values())
        if outcome is None:
            await self._form(await self._project(project_id), form, status=422)
            return
        stopped = f" Stopped the servers of: {', '.join(outcome.stopped)}." if outcome.stopped else ""
        self.back_to("", done=f"Project {project_id} saved.{stopped}")

    async def _project(self, project_id: str) -> Any:
        return await self.project_or_404(project_id)

    async def _form(self, project: Any, form: forms.ProjectForm, status: int = 200) -> None:
        self.render_page("project_form.html", f"Edit project {project.id}", status, section="projects",
                         form=form, creating=False, project=project, text_fields=forms.TEXT_FIELDS,
                         presets=self.context.presets(), **await self.pickers())


class ConfirmStatusHandler(AdminHandler):
    async def get(self, project_id: str, action: str) -> None:
        self.confirm_status(await self.project_or_404(project_id), action)


class StatusHandler(AdminHandler):
    async def post(self, project_id: str, action: str) -> None:
        reason = self.get_body_argument("reason", "")
        try:
            outcome = await self.run(actions.change_status, self.provisioner(), project_id, action, reason)
        except (ProvisioningError, HubError) as refused:
            message = actions.one_line(refused)
            if message.startswith("reason: ") and action in actions.REASON_NEEDED:
                # Back to the question, with the error beside the reason and nothing changed.
                self.confirm_status(await self.project_or_404(project_id), action, reason,
                                    message.removeprefix("reason: "), 422)
                return
            self.back_to("", done=f"Refused: {message}")
            return
        stopped = f" Stopped the servers of: {', '.join(outcome.stopped)}." if outcome.stopped else ""
        said = f" Reason: {reason.strip()}" if reason.strip() else ""
        state = "frozen" if outcome.project.frozen else outcome.project.status
        self.back_to("", done=f"Project {project_id} is {state}.{stopped}{said}")
