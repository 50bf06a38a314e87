# Server settings baked into the notebook image; the hub passes the rest
# (URLs, tokens) through JUPYTERHUB_* and HAVEN_* variables.
#
# This file lives in read-only /etc/jupyter (JUPYTER_CONFIG_DIR), the only writable-free
# place Jupyter reads config from in the image: config planted in the home folder is
# never loaded (haven_lab refuses to start if it would be).
# Imported, not copied: the same values the extension's tests check. If haven_lab is
# missing the server does not start, which is the safe way to fail.
import os

from haven_lab.policy import CONTENT_SECURITY_POLICY

c = get_config()  # noqa: F821
# haven_lab is the boundary (route allowlist, read-only Jupyter paths): if it fails to load,
# the server must not start without it (Jupyter's default is to log and carry on).
c.ServerApp.reraise_server_extension_failures = True
# Terminals only where the project allows them: the hub's spawner sets HAVEN_TERMINALS=1
# (project setting `terminals`); the analyst cannot change the container's environment.
c.ServerApp.terminals_enabled = os.environ.get("HAVEN_TERMINALS") == "1"
# Kernelspecs only from the read-only data path (the image's python3 and python3-acro):
# jupyter_client would also look in IPYTHONDIR/kernels, which is in the home folder.
c.ServerApp.kernel_spec_manager_class = "haven_lab.paths.ImageKernelSpecManager"
# The notebook-trust secret and signatures lived in the (now read-only) data dir: they go to
# the runtime tmpfs, so each server start trusts afresh (untrusted outputs are only sanitised).
c.NotebookNotary.data_dir = "/tmp/jupyter-runtime"
c.NotebookNotary.db_file = ":memory:"
c.ServerApp.ip = "0.0.0.0"
c.ServerApp.port = 8888
c.ServerApp.root_dir = "/home/analyst"
c.ServerApp.open_browser = False
# The image has no language servers: the LSP extension would only search for them at start.
# No server proxy either; should one ever be installed, it stays off.
c.ServerApp.jpserver_extensions = {"jupyter_lsp": False, "jupyter_server_proxy": False, "haven_lab": True}
# Lab's extension manager could install code from outside; Haven images are fixed.
# (haven_lab also answers 403 on its API.)
c.LabApp.extension_manager = "readonly"
# Nothing in the server or the browser fetches from outside: no news feed, no update check.
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"

# -- Haven's egress boundary (issue 7) ---------------------------------------------------
# Every response carries a strict Content-Security-Policy, so an HTML or JavaScript output
# cannot send data from the analyst's browser to another origin.
c.ServerApp.tornado_settings = {"headers": {"Content-Security-Policy": CONTENT_SECURITY_POLICY}}
# The contents API keeps editing working and refuses /data, base64, binary and big reads.
c.ServerApp.contents_manager_class = "haven_lab.contents.HavenContentsManager"
c.HavenContentsManager.max_text_read_size = 5 * 1024 * 1024
c.HavenContentsManager.max_notebook_read_size = 25 * 1024 * 1024
c.HavenContentsManager.allow_hidden = False
# Outputs cannot navigate the page away (<meta http-equiv=refresh>), which CSP does not cover.
c.ServerApp.kernel_websocket_connection_class = "haven_lab.outputs_filter.HavenKernelConnection"
# Every route not on haven_lab.routes.ALLOWED_ROUTES answers 403 (/files/, /view/, /nbconvert/,
# /api/nbconvert, the extension manager, and whatever a new Jupyter version adds).
