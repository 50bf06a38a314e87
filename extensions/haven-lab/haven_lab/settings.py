"""The server extension's settings, declared once as traitlets (STYLE habit 1).

Defaults come from the environment the hub's spawner gives the container (``HAVEN_*``,
``JUPYTERHUB_*``), read when the settings object is made, never at import (STYLE trap 2).
The image's ``/etc/jupyter/jupyter_server_config.py`` may override any of them as
``c.HavenLab.<name>``.
"""

from __future__ import annotations

import os
from pathlib import Path

from traitlets import Bool, Integer, Unicode, default, validate
from traitlets.config import Configurable

MB = 1024 * 1024


class HavenLab(Configurable):
    egress_url = Unicode(
        help="The egress service's base URL as the container reaches it (through the project "
        "network's gateway), ending in /services/egress/. Empty: release requests cannot be made.",
    ).tag(config=True)

    @default("egress_url")
    def _default_egress_url(self) -> str:
        return os.environ.get("HAVEN_EGRESS_URL", "")

    @validate("egress_url")
    def _slash_at_the_end(self, proposal) -> str:
        value = proposal["value"]
        return value if not value or value.endswith("/") else value + "/"

    hub_token = Unicode(
        help="The token the server sends to the egress service on the analyst's behalf: the "
        "server's own hub token (JupyterHub's 'server' role), never shown to the analyst.",
    ).tag(config=False)

    @default("hub_token")
    def _default_hub_token(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    hub_base_url = Unicode(
        help="The hub's base URL as the browser sees it; download links for released files "
        "point there (outside the container), not at this server.",
    ).tag(config=True)

    @default("hub_base_url")
    def _default_hub_base_url(self) -> str:
        return os.environ.get("JUPYTERHUB_BASE_URL", "/")

    user = Unicode(help="The analyst this server belongs to.").tag(config=True)

    @default("user")
    def _default_user(self) -> str:
        return os.environ.get("JUPYTERHUB_USER", "")

    project = Unicode(help="The project this server belongs to (its requests are filed under it).").tag(config=True)

    @default("project")
    def _default_project(self) -> str:
        return os.environ.get("HAVEN_PROJECT", "")

    workspace_dir = Unicode(
        help="The project's workspace: the only place files may be released from. Default: "
        "HAVEN_WORKSPACE_DIR, else <root_dir>/workspace.",
    ).tag(config=True)

    data_dir = Unicode(
        help="Where the project's datasets are mounted (read-only). Nothing under it is "
        "ever served or released. Default: HAVEN_DATA_DIR, else /data.",
    ).tag(config=True)

    @default("data_dir")
    def _default_data_dir(self) -> str:
        return os.environ.get("HAVEN_DATA_DIR", "/data")

    max_release_file_size = Integer(
        50 * MB,
        help="Largest file (bytes) the extension reads from the workspace for a release "
        "request; the egress service applies its own, usually smaller, limit.",
    ).tag(config=True)

    egress_timeout = Integer(60, help="Seconds to wait for the egress service.").tag(config=True)

    outputs_dir = Unicode(
        "outputs",
        help="Folder inside the workspace where a notebook output saved for release is written.",
    ).tag(config=True)

    refuse_home_config = Bool(
        True,
        help="Refuse to start if any Jupyter config directory lies in the analyst's home "
        "folder, where they could plant config that reopens what Haven closes.",
    ).tag(config=True)

    refuse_writable_paths = Bool(
        True,
        help="Refuse to start if the server's user can write any folder Jupyter reads config, "
        "kernelspecs, lab extensions or schemas from, or serves static files from "
        "(haven_lab.paths). Off only for a host test server, whose virtualenv is writable.",
    ).tag(config=True)

    route_allowlist = Bool(
        True,
        help="Answer 403 on every route not on haven_lab.routes.ALLOWED_ROUTES. Off only in the "
        "attack tests' control server, to show what the allowlist stops; the spawner never "
        "passes it and the analyst cannot change the server's command line or /etc/jupyter.",
    ).tag(config=True)

    def workspace(self, root_dir: str) -> Path:
        chosen = self.workspace_dir or os.environ.get("HAVEN_WORKSPACE_DIR") or str(Path(root_dir) / "workspace")
        return Path(chosen)
