"""The spawn page of a project server: shown only when the server cannot start.

The server's name is its project, so there is nothing to choose: for a member of a
project that may start, the form is empty and JupyterHub starts the server directly (no
"Server Options" page). Otherwise the page says why, links the user's other projects, and
carries ``NO_START`` so the hub's spawn.html offers no Start button. What a server runs
(the image's packages) is on the home page.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from .projects import Project

# In a form that must not offer Start (hub/haven_hub/templates/spawn.html looks for it).
NO_START = "data-haven-no-start"


def image_kernel_packages(image: str) -> Mapping[str, str] | None:
    """The main packages of the notebook image, read from its label (None: missing or unlabelled)."""
    import docker

    from . import provenance

    client = None
    try:
        client = docker.from_env(version="auto")
        return provenance.kernel_packages(client.images.get(image).labels)
    except docker.errors.DockerException:
        return None  # the page still serves; starting says what is wrong with the image
    finally:
        if client is not None:
            client.close()


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
    """Empty (start directly) when the user may start this project's server; else why not."""
    current = next((p for p in projects if p.id == server_name), None)
    others = [p for p in projects if p.id != server_name]
    base = f"{hub_base_url}spawn/{html.escape(username)}/"
    if current is not None and current.spawn_refusal() is None:
        return ""
    if not server_name:
        parts = ['<p class="alert alert-info" id="haven-choose-project">Haven servers belong to a project: '
                 f'open one of your projects from the <a href="{hub_base_url}home">home page</a>.</p>']
    elif current is None:
        parts = [
            '<p class="alert alert-warning" id="haven-not-member">'
            f"You are not a member of project <code>{html.escape(server_name)}</code>, so you cannot "
            "start its server. An administrator can add you to it.</p>"
        ]
    else:
        parts = [
            f'<h2 id="haven-project" data-project="{html.escape(current.id)}">{html.escape(current.title)}</h2>',
            f'<p class="alert alert-warning" id="haven-spawn-refused">{html.escape(current.spawn_refusal() or "")}</p>',
        ]
    if others:
        links = "".join(
            f'<li><a href="{base}{html.escape(p.id)}">{html.escape(p.title)} ({html.escape(p.id)})</a></li>'
            for p in others
        )
        parts.append(f'<p>Your other projects:</p><ul id="haven-other-projects">{links}</ul>')
    return f'<div {NO_START}>' + "\n".join(parts) + "</div>"
