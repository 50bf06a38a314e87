"""Every route the single-user server registers, classified: allowed (with its limits) or closed.

This is the project server's boundary as data (issue 11). ``haven_lab.gate`` enforces it on
every request, so a route that Jupyter, JupyterLab, jupyterhub-singleuser or any extension
registers — now or after an upgrade, loaded before or after haven_lab — answers 403 unless
it is listed in ``ALLOWED_ROUTES`` here. ``CLOSED_ROUTES`` names the known routes that stay
closed and why. ``tests/integration/lab/test_route_allowlist_in_the_image.py`` lists the
routes a real server in the image registers and fails on any route in neither list.

A route is keyed by its handler class (``module.QualName``) and its URL pattern exactly as
registered, relative to the server's base URL (``/user/<u>/<p>``, no trailing slash), so a
new Jupyter version that changes a pattern has to be looked at again. A pattern starting with
``^`` is absolute (registered outside the base URL; the hub's proxy never routes there).

``metered``: bytes this route sends to the browser count towards the user's daily budget
(``haven_lab.meter``). Static files served from the image's read-only directories are not
metered (they are the same for everyone and hold nothing the analyst wrote); everything else
is, including routes added later and not listed here (``is_metered`` says so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from tornado.routing import PathMatches

KB = 1024
MB = 1024 * KB
# Lab's user settings and workspaces are JSON the analyst's browser writes and reads back;
# a kernel can write the same directories, so reads are capped as well as writes.
LAB_STATE_MAX_BYTES = 1 * MB


@dataclass(frozen=True)
class Route:
    handler: str
    pattern: str
    purpose: str
    limits: str
    metered: bool = True
    # Serves files from directories that must not be writable by the server's user
    # (checked at start and again on each request: haven_lab.paths).
    static: bool = False
    # Open only in projects that allow terminals (HAVEN_TERMINALS=1).
    terminals: bool = False
    # Lab's writable state (user settings or workspaces): request bodies and the whole
    # directory are held to LAB_STATE_MAX_BYTES.
    lab_state: bool = False


@dataclass(frozen=True)
class Closed:
    handler: str
    pattern: str
    reason: str


CONTENTS_PATH = r"(?P<path>(?:(?:/[^/]+)+|/?))"
KERNEL_ID = r"(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)"
SESSION_ID = r"(?P<session_id>\w+-\w+-\w+-\w+-\w+)"
HAVEN_REQUEST_ID = r"([A-Za-z0-9_-]{1,64})"
_JS = "jupyter_server."
_LAB = "jupyterlab_server."
_HAVEN = "haven_lab.handlers."
_STATIC = "read-only image directory; GET/HEAD only"
_CONTENTS = ("HavenContentsManager: no /data, no paths out of the root, no base64 or binary, "
             "text <= 5 MB, notebooks <= 25 MB")

ALLOWED_ROUTES: tuple[Route, ...] = (
    # -- Haven's own endpoints (haven_lab.handlers) ------------------------------------------
    Route(_HAVEN + "DatasetsHandler", "/haven/datasets", "datasets panel: the catalogue's metadata", "metadata only"),
    Route(_HAVEN + "PreflightHandler", "/haven/preflight", "release pre-flight checks", "findings only"),
    Route(_HAVEN + "RequestsHandler", "/haven/requests", "file and list release requests", "metadata only"),
    Route(_HAVEN + "WithdrawHandler", f"/haven/requests/{HAVEN_REQUEST_ID}/withdraw", "withdraw a request", "-"),
    Route(_HAVEN + "ResubmitHandler", f"/haven/requests/{HAVEN_REQUEST_ID}/resubmit", "resubmit a request", "-"),
    Route(_HAVEN + "OutputsHandler", "/haven/outputs", "save a notebook output for release", "writes only"),
    Route(_HAVEN + "PreviewHandler", "/haven/preview", "preview a workspace image or table",
          "re-rendered on the server: images <= 800 px and 200 KB, tables <= 50 rows x 20 columns; "
          "never the file's bytes"),
    # -- JupyterLab's page and its APIs -------------------------------------------------------
    Route(_LAB + "handlers.LabHandler",
          r"/(?P<mode>lab|doc)(?P<workspace>/workspaces/[a-zA-Z0-9\-\_]+)?(?P<tree>/tree/.*)?",
          "the JupyterLab page", "HTML page and page config"),
    Route(_LAB + "handlers.NotFoundHandler", "/lab/.*", "Lab's 404 page", "404 page"),
    Route(_JS + "base.handlers.FileFindHandler", "/lab/extensions/(.*)", "prebuilt Lab extensions' JavaScript",
          _STATIC, metered=False, static=True),
    Route(_JS + "base.handlers.FileFindHandler", "/static/lab/(.*)", "JupyterLab's own JavaScript and CSS",
          _STATIC, metered=False, static=True),
    Route(_LAB + "themes_handler.ThemesHandler", "/lab/api/themes/(.*)", "theme CSS", _STATIC,
          metered=False, static=True),
    Route(_LAB + "settings_handler.SettingsHandler", "/lab/api/settings/?", "Lab's settings (schemas and user values)",
          f"bodies and the user-settings folder <= {LAB_STATE_MAX_BYTES // MB} MB", lab_state=True),
    Route(_LAB + "settings_handler.SettingsHandler", "/lab/api/settings/(?P<schema_name>.+)", "one plugin's settings",
          f"bodies and the user-settings folder <= {LAB_STATE_MAX_BYTES // MB} MB", lab_state=True),
    Route(_LAB + "workspaces_handler.WorkspacesHandler", "/lab/api/workspaces/?", "Lab's saved layouts",
          f"bodies and the workspaces folder <= {LAB_STATE_MAX_BYTES // MB} MB", lab_state=True),
    Route(_LAB + "workspaces_handler.WorkspacesHandler", "/lab/api/workspaces/(?P<space_name>.+)", "one saved layout",
          f"bodies and the workspaces folder <= {LAB_STATE_MAX_BYTES // MB} MB", lab_state=True),
    Route(_LAB + "translations_handler.TranslationsHandler", "/lab/api/translations/?", "Lab's language packs",
          "image's packs only"),
    Route(_LAB + "translations_handler.TranslationsHandler", "/lab/api/translations/(?P<locale>.*)",
          "one language pack", "image's packs only"),
    # -- Jupyter Server: static files, the page's plumbing ------------------------------------
    Route(_JS + "base.handlers.FileFindHandler", "/static/(.*)", "Jupyter Server's static files", _STATIC,
          metered=False, static=True),
    Route(_JS + "base.handlers.PublicStaticFileHandler", r"/(robots\.txt|favicon\.ico)", "robots.txt, favicon",
          _STATIC, metered=False, static=True),
    Route(_JS + "base.handlers.RedirectWithParams", "/?", "redirect to /lab", "redirect only"),
    Route(_JS + "base.handlers.TrailingSlashHandler", "/.*/", "drops a trailing slash", "redirect only"),
    Route(_JS + "base.handlers.APIVersionHandler", "/api", "server version", "version string"),
    Route(_JS + "base.handlers.Template404", "^(.*)", "the server's 404 page", "404 page"),
    Route(_JS + "services.api.handlers.IdentityHandler", "/api/me", "who is logged in (Lab's user menu)",
          "identity only"),
    Route(_JS + "services.api.handlers.PathResolverHandler", "/api/resolvePath", "resolve a path for Lab",
          "a path, not content"),
    Route(_JS + "services.config.handlers.ConfigHandler", r"/api/config/(?P<section_name>\w+)",
          "frontend config sections", "read-only: the config dir is /etc/jupyter"),
    Route(_JS + "services.events.handlers.EventHandler", "/api/events", "Lab emits server events", "-"),
    Route(_JS + "services.events.handlers.SubscribeWebsocket", "/api/events/subscribe", "Lab's event stream",
          "server events only"),
    Route("jupyterhub.singleuser.extension.JupyterHubLogoutHandler", "/logout", "log out through the hub", "-"),
    Route("jupyterhub.singleuser.extension.JupyterHubOAuthCallbackHandler", "/oauth_callback",
          "the hub's OAuth login", "-"),
    # -- Contents, kernels, sessions ----------------------------------------------------------
    Route(_JS + "services.contents.handlers.ContentsHandler", f"/api/contents{CONTENTS_PATH}",
          "list, open and save files in the editor", _CONTENTS),
    Route(_JS + "services.contents.handlers.CheckpointsHandler", f"/api/contents{CONTENTS_PATH}/checkpoints",
          "save points of a file", "checkpoint ids and times only"),
    Route(_JS + "services.contents.handlers.ModifyCheckpointsHandler",
          rf"/api/contents{CONTENTS_PATH}/checkpoints/(?P<checkpoint_id>[\w-]+)", "revert to or delete a save point",
          "no content returned"),
    Route(_JS + "services.contents.handlers.TrustNotebooksHandler", f"/api/contents{CONTENTS_PATH}/trust",
          "trust a notebook", "no content returned"),
    Route(_JS + "services.kernels.handlers.MainKernelHandler", "/api/kernels", "list and start kernels", "-"),
    Route(_JS + "services.kernels.handlers.KernelHandler", f"/api/kernels/{KERNEL_ID}", "one kernel", "-"),
    Route(_JS + "services.kernels.handlers.KernelActionHandler", f"/api/kernels/{KERNEL_ID}/(?P<action>restart|interrupt)",
          "restart or interrupt", "-"),
    Route(_JS + "services.kernels.websocket.KernelWebsocketHandler", f"/api/kernels/{KERNEL_ID}/channels",
          "the kernel websocket: code in, outputs out",
          "outputs filtered (haven_lab.outputs_filter); the screen is the limit, see docs"),
    Route(_JS + "services.kernelspecs.handlers.MainKernelSpecHandler", "/api/kernelspecs",
          "the image's kernels (python3, python3-acro)", "kernel.json from read-only dirs"),
    Route(_JS + "services.kernelspecs.handlers.KernelSpecHandler", r"/api/kernelspecs/(?P<kernel_name>[\w\.\-%]+)",
          "one kernel's spec", "kernel.json from read-only dirs"),
    Route(_JS + "kernelspecs.handlers.KernelSpecResourceHandler",
          r"/kernelspecs/(?P<kernel_name>[\w\.\-%]+)/(?P<path>.*)", "kernel logos",
          _STATIC + " (kernel dirs checked at start)", metered=False, static=True),
    Route(_JS + "services.sessions.handlers.SessionRootHandler", "/api/sessions", "notebook-kernel sessions", "-"),
    Route(_JS + "services.sessions.handlers.SessionHandler", f"/api/sessions/{SESSION_ID}", "one session", "-"),
    # -- Terminals: only where the project allows them ----------------------------------------
    Route("jupyter_server_terminals.api_handlers.TerminalRootHandler", "/api/terminals", "list and open terminals",
          "project setting terminals", terminals=True),
    Route("jupyter_server_terminals.api_handlers.TerminalHandler", r"/api/terminals/(\w+)", "one terminal",
          "project setting terminals", terminals=True),
    Route("jupyter_server_terminals.handlers.TermSocket", r"/terminals/websocket/(\w+)", "a terminal's websocket",
          "project setting terminals; its output is metered", terminals=True),
)

_DOWNLOAD = "serves workspace files as raw bytes: the release request is the way out"
CLOSED_ROUTES: tuple[Closed, ...] = (
    Closed(_JS + "base.handlers.AuthenticatedFileHandler", "/files/(.*)", _DOWNLOAD),
    Closed(_JS + "view.handlers.ViewHandler", f"/view{CONTENTS_PATH}", _DOWNLOAD),
    Closed(_JS + "nbconvert.handlers.NbconvertFileHandler", rf"/nbconvert/(?P<format>\w+){CONTENTS_PATH}",
           "notebook export: a notebook leaves as a release request"),
    Closed(_JS + "nbconvert.handlers.NbconvertPostHandler", r"/nbconvert/(?P<format>\w+)", "notebook export"),
    Closed(_JS + "services.nbconvert.handlers.NbconvertRootHandler", "/api/nbconvert", "notebook export"),
    Closed(_JS + "services.contents.handlers.NotebooksRedirectHandler", "/api/notebooks/?(.*)",
           "a legacy alias of the contents API"),
    Closed(_JS + "services.api.handlers.APISpecHandler", "/api/spec.yaml", "not needed by Lab"),
    Closed(_JS + "services.api.handlers.APIStatusHandler", "/api/status", "not needed by Lab"),
    Closed(_JS + "services.security.handlers.CSPReportHandler", "/api/security/csp-report",
           "Haven's CSP names no report URI"),
    Closed(_JS + "services.shutdown.ShutdownHandler", "/api/shutdown", "the hub stops servers"),
    Closed(_JS + "base.handlers.PrometheusMetricsHandler", "/metrics", "server internals"),
    # Registered by a plain Jupyter server (the host test server), not by jupyterhub-singleuser.
    Closed(_JS + "auth.login.LoginFormHandler", "/login", "Haven logs in through the hub"),
    Closed(_JS + "auth.logout.LogoutHandler", "/logout", "Haven logs out through the hub"),
    Closed(_JS + "base.handlers.MainHandler", "/", "a plain server's landing page, not Lab"),
    Closed(_JS + "base.handlers.FileFindHandler", r"^/(robots\.txt)", "outside the base URL"),
    Closed(_JS + "base.handlers.FileFindHandler", r"^/(favicon\.ico)", "outside the base URL"),
    Closed("jupyterlab.handlers.build_handler.BuildHandler", "/lab/api/build", "Haven images are fixed"),
    Closed("jupyterlab.handlers.extension_manager_handler.ExtensionHandler", "/lab/api/extensions",
           "the extension manager could install code"),
    Closed("jupyterlab.handlers.plugin_manager_handler.PluginHandler", "/lab/api/plugins",
           "could re-enable plugins the image disables"),
    Closed("jupyterlab.handlers.announcements.CheckForUpdateHandler", "/lab/api/update", "fetches from outside"),
    Closed("jupyterlab.handlers.announcements.NewsHandler", "/lab/api/news", "fetches from outside"),
    Closed(_LAB + "listings_handler.ListingsHandler", "/lab/api/listings/(.*)", "extension manager listings"),
    Closed(_LAB + "licenses_handler.LicensesHandler", "/lab/api/licenses/(.*)", "not needed"),
)


def qualified_name(handler_class: type) -> str:
    return f"{handler_class.__module__}.{handler_class.__qualname__}"


def relative_pattern(registered: str, base_url: str) -> str:
    """A registered route regex as this module spells it: relative to the base URL (no
    trailing slash), ``^`` in front when it lies outside it, without tornado's ``$``."""
    pattern = registered.removesuffix("$")
    base = base_url.rstrip("/")
    return pattern[len(base):] if pattern.startswith(base + "/") else "^" + pattern


def classify(handler: str, pattern: str) -> Route | Closed | None:
    """The entry for a registered (handler, relative pattern), or None: unclassified."""
    for entry in (*ALLOWED_ROUTES, *CLOSED_ROUTES):
        if entry.handler == handler and entry.pattern == pattern:
            return entry
    return None


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.removeprefix("^"))


def _matches(entry: Route | Closed, path: str, base_url: str) -> bool:
    if entry.pattern.startswith("^"):
        return _compiled(entry.pattern).fullmatch(path) is not None
    base = base_url.rstrip("/")
    if not path.startswith(base):
        return False
    return _compiled(entry.pattern).fullmatch(path[len(base):]) is not None


def allowed_route(handler_class: type, path: str, base_url: str) -> Route | None:
    """The allowlist entry a request reached, or None (it answers 403)."""
    name = qualified_name(handler_class)
    for entry in ALLOWED_ROUTES:
        if entry.handler == name and _matches(entry, path, base_url):
            return entry
    return None


def closed_reason(handler_class: type, path: str, base_url: str) -> str:
    name = qualified_name(handler_class)
    for entry in CLOSED_ROUTES:
        if entry.handler == name and _matches(entry, path, base_url):
            return entry.reason
    return "not on Haven's list of the project server's routes"


def is_metered(handler_class: type, path: str, base_url: str = "/") -> bool:
    """For the meter (haven_lab.meter): do the bytes this handler sends for ``path`` (the
    request's URL path) count towards the user's budget? False only for allowlisted static
    files from read-only image directories; True for everything else, unknown routes included."""
    entry = allowed_route(handler_class, path, base_url)
    return entry is None or entry.metered


def registered_routes(web_app: Any) -> list[tuple[str, str]]:
    """(relative pattern, handler) of every route registered on a tornado Application,
    nested routers included, in the order tornado tries them."""
    base_url = web_app.settings.get("base_url", "/")
    found: list[tuple[str, str]] = []

    def walk(router: Any) -> None:
        for rule in getattr(router, "rules", []):
            if hasattr(rule.target, "rules"):
                walk(rule.target)
            elif isinstance(rule.matcher, PathMatches) and isinstance(rule.target, type):
                found.append((relative_pattern(rule.matcher.regex.pattern, base_url), qualified_name(rule.target)))
            else:
                found.append((repr(rule.matcher), repr(rule.target)))

    walk(web_app.default_router)
    return found


def unclassified(web_app: Any) -> list[tuple[str, str]]:
    """Registered routes that are neither allowed nor closed here: each needs a decision."""
    return [(pattern, handler) for pattern, handler in registered_routes(web_app) if classify(handler, pattern) is None]
