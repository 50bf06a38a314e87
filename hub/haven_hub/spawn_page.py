"""The spawn page of a project server: what starting it means, and the user's other projects.

The server's name is its project, so there is nothing to choose here; other projects are
links to their own spawn pages.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from .projects import Project


def kernel_section(kernel: Mapping[str, str] | None) -> str:
    """The default kernel's top-level packages, as the image's label lists them."""
    if kernel is None:
        return ('<p class="form-text" id="haven-kernel-packages">The notebook image does not list its '
                "packages (it was built before they were recorded); docs/analyst-environment.md has them.</p>")
    rows = "".join(f"<li><code>{html.escape(name)}</code> {html.escape(version)}</li>"
                   for name, version in sorted(kernel.items()))
    return ('<details open id="haven-kernel-packages"><summary>Python 3 kernel: '
            f"{len(kernel)} main packages</summary><ul>{rows}</ul></details>")


def project_form(hub_base_url: str, username: str, server_name: str, projects: Sequence[Project],
                 kernel: Mapping[str, str] | None = None) -> str:
    current = next((p for p in projects if p.id == server_name), None)
    others = [p for p in projects if p.id != server_name]
    base = f"{hub_base_url}spawn/{html.escape(username)}/"
    if not server_name:
        return (
            '<p class="alert alert-info" id="haven-choose-project">Haven servers belong to a project: '
            f'open one of your projects from the <a href="{hub_base_url}home">home page</a>.</p>'
        )
    if current is None:
        parts = [
            '<p class="alert alert-warning" id="haven-not-member">'
            f"You are not a member of project <code>{html.escape(server_name)}</code>.</p>"
        ]
    else:
        parts = [
            f'<h2 id="haven-project" data-project="{html.escape(current.id)}">{html.escape(current.title)}</h2>',
            f"<p>{html.escape(current.purpose)}</p>" if current.purpose else "",
            f"<p>Server resources: {current.limits.cpu:g} CPU, {html.escape(current.limits.memory)} memory.</p>",
            '<p class="form-text">Data stays inside the project. Outputs leave only through a '
            "release request that output checkers approve.</p>",
            kernel_section(kernel),
        ]
    if others:
        links = "".join(
            f'<li><a href="{base}{html.escape(p.id)}">{html.escape(p.title)} ({html.escape(p.id)})</a></li>'
            for p in others
        )
        parts.append(f'<p>Your other projects:</p><ul id="haven-other-projects">{links}</ul>')
    return "\n".join(part for part in parts if part)
