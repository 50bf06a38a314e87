"""The spawn page of a project server: what starting it means, and the user's other projects.

The server's name is its project, so there is nothing to choose here; other projects are
links to their own spawn pages.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from .projects import Project


def project_form(hub_base_url: str, username: str, server_name: str, projects: Sequence[Project]) -> str:
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
        ]
    if others:
        links = "".join(
            f'<li><a href="{base}{html.escape(p.id)}">{html.escape(p.title)} ({html.escape(p.id)})</a></li>'
            for p in others
        )
        parts.append(f'<p>Your other projects:</p><ul id="haven-other-projects">{links}</ul>')
    return "\n".join(part for part in parts if part)
