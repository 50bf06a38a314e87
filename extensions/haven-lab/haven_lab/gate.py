"""Enforces haven_lab.routes on every request, whoever registered the route and when.

Tornado asks the Application's ``find_handler`` which handler serves a request; haven_lab
wraps it on the server's Application, so handlers that extensions add after haven_lab
loads are gated too. A request that reaches a handler not on the allowlist, a terminal
where the project does not allow them, a static folder the server's user can write, or
Lab state over its size limit, gets ``ClosedRouteHandler`` (403 and the release hint)
instead, before any authentication or handler code runs.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from tornado.httputil import HTTPServerRequest

from . import routes
from .paths import static_dirs, writable

SAFE_METHODS = ("GET", "HEAD")


def folder_size(folder: str) -> int:
    total = 0
    for parent, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(parent, name)).st_size
            except OSError:
                pass
    return total


def _lab_state_folder(handler_kwargs: dict[str, Any]) -> str | None:
    if "settings_dir" in handler_kwargs:
        return handler_kwargs["settings_dir"]
    manager = handler_kwargs.get("manager")
    return str(manager.workspaces_dir) if manager is not None else None


def _kernelspec_dir(web_app: Any, path_kwargs: dict[str, Any]) -> str | None:
    name = path_kwargs.get("kernel_name")
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    try:
        return web_app.settings["kernel_spec_manager"].get_kernel_spec(name).resource_dir
    except Exception:  # no such kernel: the handler answers 404 itself
        return None


def refusal(web_app: Any, delegate: Any, request: HTTPServerRequest, base_url: str, terminals: bool) -> str | None:
    """Why this request must not reach its handler, or None."""
    route = routes.allowed_route(delegate.handler_class, request.path, base_url)
    if route is None:
        return routes.closed_reason(delegate.handler_class, request.path, base_url)
    if route.terminals and not terminals:
        return "terminals are not allowed in this project"
    if route.static:
        if request.method not in SAFE_METHODS:
            return "static files are read-only"
        folders = static_dirs(delegate.handler_kwargs)
        if route.handler.endswith("KernelSpecResourceHandler"):
            folders.append(_kernelspec_dir(web_app, delegate.path_kwargs) or "/")
        open_folders = [f for f in folders if f != "/" and writable(f)]
        if open_folders:
            return f"it would serve files from {', '.join(open_folders)}, which this server can write"
    if route.lab_state:
        limit = routes.LAB_STATE_MAX_BYTES
        if request.headers.get("Transfer-Encoding") or int(request.headers.get("Content-Length") or 0) > limit:
            return f"Lab settings and workspaces are limited to {limit} bytes a request"
        folder = _lab_state_folder(delegate.handler_kwargs)
        if folder and folder_size(folder) > limit:
            return f"Lab's saved state in {folder} is over {limit} bytes; remove what is not Lab's"
    return None


def install(web_app: Any, base_url: str, terminals: bool, log: logging.Logger) -> None:
    from .handlers import ClosedRouteHandler

    find_handler = web_app.find_handler

    def gated_find_handler(request: HTTPServerRequest, **kwargs: Any) -> Any:
        delegate = find_handler(request, **kwargs)
        reason = refusal(web_app, delegate, request, base_url, terminals)
        if reason is None:
            return delegate
        log.warning("haven_lab: 403 %s %s (%s): %s", request.method, request.path,
                    routes.qualified_name(delegate.handler_class), reason)
        return web_app.get_handler_delegate(request, ClosedRouteHandler, {"what": reason})

    web_app.find_handler = gated_find_handler
