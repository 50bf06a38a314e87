"""Run inside the notebook image (mounted read-only by the test): starts the image's own
single-user server exactly as the spawner's command does (jupyterhub-singleuser, all
extensions, /etc/jupyter config) up to the point it would listen, and prints as JSON every
route it registered, those haven_lab.routes does not classify, and the Jupyter paths it
reads. The hub is not contacted: only its version check is skipped."""

import json
import os
import site
import sys

from jupyter_core.paths import jupyter_config_path, jupyter_data_dir, jupyter_path, jupyter_runtime_dir
from jupyterhub.singleuser.extension import JupyterHubSingleUser

from haven_lab import routes
from haven_lab.paths import jupyter_read_paths, writable, writable_paths


async def _no_hub(self):
    return None


JupyterHubSingleUser.check_hub_version = _no_hub
app = JupyterHubSingleUser.initialize_server(argv=sys.argv[1:])
if os.environ.get("HAVEN_TEST_DUMMY_ROUTE"):
    # The meta-test: a route registered without being classified must be reported.
    from jupyter_server.base.handlers import JupyterHandler

    class DummyHandler(JupyterHandler):
        pass

    app.web_app.add_handlers(".*$", [(app.base_url + "dummy/(.*)", DummyHandler)])
lab = app.extension_manager.extension_apps["jupyterlab"]
(lab_app,) = lab
print(json.dumps({
    "routes": routes.registered_routes(app.web_app),
    "unclassified": routes.unclassified(app.web_app),
    "terminals_enabled": app.terminals_enabled,
    "paths": {
        "config": jupyter_config_path(),
        "data": jupyter_path(),
        "data_dir": jupyter_data_dir(),
        "runtime_dir": jupyter_runtime_dir(),
        "kernels": jupyter_path("kernels"),
        "kernel_dirs": app.kernel_spec_manager.kernel_dirs,
        "kernelspecs": app.kernel_spec_manager.find_kernel_specs(),
        "labextensions": lab_app.labextensions_path,
        "lab_settings": lab_app.user_settings_dir,
        "lab_workspaces": lab_app.workspaces_dir,
        "lab_schemas": lab_app.schemas_dir,
        "static": app.static_file_path,
        "user_site": site.ENABLE_USER_SITE,
        "writable_read_paths": writable_paths(jupyter_read_paths(app)),
        "writable_labextensions": [p for p in lab_app.labextensions_path if writable(p)],
        "env": {k: v for k, v in os.environ.items() if "JUPYTER" in k and "TOKEN" not in k},
    },
}))
