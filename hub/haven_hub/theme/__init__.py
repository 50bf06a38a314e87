"""One look for every Haven page: the hub's own pages, the admin pages and the checkers' pages.

Haven's services (the egress review queue, the admin pages) render server-side with Jinja2
from ``templates/haven-page.html``. That layout links JupyterHub's own stylesheet (the
hub serves it under ``<hub prefix>static/``, on the same origin as every service) and
Haven's few additions in ``static/haven.css``, so a checker moving between the hub's
project list, the review queue and the admin pages sees one product.

A service mounts ``static_route(prefix)`` to serve ``haven.css`` itself and renders with
``environment(own_templates_dir)``; a page passes ``nav_links(...)`` to say where the
person is and where else they may go.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jinja2
from tornado import web

from .. import roles

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    current: bool = False
    # A number shown beside the label (e.g. requests awaiting my review); None shows nothing.
    count: int | None = None


def environment(*template_dirs: str | Path) -> jinja2.Environment:
    """A Jinja2 environment that finds the service's own templates first, then the layout."""
    loader = jinja2.FileSystemLoader([str(d) for d in template_dirs] + [str(TEMPLATES)])
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


def static_route(prefix: str) -> tuple[str, type[web.StaticFileHandler], dict[str, str]]:
    """The tornado route that serves ``haven.css`` under ``<prefix>static/``."""
    return (rf"{prefix}static/(.*)", web.StaticFileHandler, {"path": str(STATIC)})


def nav_links(
    *,
    current: str,
    hub_prefix: str = "/hub/",
    services_prefix: str = "/services/",
    can_review: bool = False,
    is_admin: bool = False,
    review_count: int | None = None,
    my_requests_count: int | None = None,
) -> list[NavLink]:
    """Where a person may go from any Haven page; ``current`` is the label of this page."""
    links = [
        NavLink("Projects", f"{hub_prefix}home"),
        NavLink("My requests", f"{services_prefix}egress/mine", count=my_requests_count),
        # The ingress queue: files and packages into a project, reviewed (docs/ingress.md).
        NavLink("Bring in", f"{services_prefix}egress/ingress"),
    ]
    if can_review:
        links.append(NavLink("Review queue", f"{services_prefix}egress/", count=review_count))
    if is_admin:
        links.append(NavLink("Administration", f"{services_prefix}admin/"))
    return [NavLink(l.label, l.href, l.label == current, l.count) for l in links]


def hub_nav(scopes: Iterable[str], current: str = "", hub_prefix: str = "/hub/", prefix: str = "/") -> list[NavLink]:
    """The same links for the hub's own pages, decided by the person's scopes (the hub's
    ``parsed_scopes``): reviewers and egress admins see the queue, Haven admins the admin pages."""
    held = set(scopes)
    return nav_links(current=current, hub_prefix=hub_prefix, services_prefix=f"{prefix}services/",
                     can_review=bool({roles.REVIEW, roles.ADMIN} & held), is_admin=roles.HAVEN_ADMIN_PAGES in held)
