"""Haven's JupyterLab extension, server side: exports become release requests, and the
direct ways out of the single-user server are closed.

Laid out as jupyterlab/extension-template (frontend-and-server) makes it; the front end
lives in ../src and is built into ``labextension/`` by the package build.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_config_path

from . import gate, meter
from .handlers import route_table
from .paths import check_read_only, jupyter_read_paths
from .process import forbid_tracing
from .settings import HavenLab
from .workspace import Workspace, is_within

try:
    from ._version import __version__
except ImportError:  # a source checkout without a build
    __version__ = "0.1.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "haven-lab"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "haven_lab"}]


class UserConfigFound(RuntimeError):
    pass


def check_no_home_config(home: str | None = None, config_paths: list[str] | None = None) -> None:
    """Refuses to run if Jupyter would read config from the analyst's home folder.

    Config there could reopen what the image closes (a header, a route, the contents
    manager). The image points JUPYTER_CONFIG_DIR at read-only /etc/jupyter and its Python
    has no user site, so this only fires if that setup is broken; failing closed then is
    better than running open.
    """
    home_dir = Path(os.path.realpath(home or os.path.expanduser("~")))
    for path in config_paths if config_paths is not None else jupyter_config_path():
        if is_within(Path(os.path.realpath(path)), home_dir):
            raise UserConfigFound(
                f"Jupyter config would be read from {path}, inside the home folder {home_dir}; "
                "Haven refuses to start (set JUPYTER_CONFIG_DIR to the image's /etc/jupyter)"
            )


def _load_jupyter_server_extension(server_app: Any) -> None:
    haven = HavenLab(config=server_app.config, parent=server_app)
    forbid_tracing()
    if haven.refuse_home_config:
        check_no_home_config()
    if haven.refuse_writable_paths:
        check_read_only(jupyter_read_paths(server_app))
    workspace = Workspace.make(
        root_dir=server_app.root_dir,
        workspace=haven.workspace(server_app.root_dir),
        data_dir=haven.data_dir,
        max_file_size=haven.max_release_file_size,
    )
    web_app = server_app.web_app
    # Lab's page (jupyterlab_server) merges this into page_config, which the front end reads
    # with PageConfig.getOption: the project's name reaches Lab without a route of its own.
    web_app.settings.setdefault("page_config_data", {})["havenProject"] = haven.project
    web_app.add_handlers(".*$", route_table(web_app.settings["base_url"], haven, workspace))
    if haven.route_allowlist:
        gate.install(web_app, web_app.settings["base_url"], server_app.terminals_enabled, server_app.log)
    else:
        server_app.log.warning("haven_lab: the route allowlist is OFF (a test's control server, never Haven's)")
    meter.install(server_app)
    server_app.log.info("haven_lab: release requests go to %s; workspace %s",
                        haven.egress_url or "(no egress service configured)", workspace.workspace)
