# Server settings baked into the notebook image; the hub passes the rest
# (URLs, tokens) through JUPYTERHUB_* variables.
c = get_config()  # noqa: F821
c.ServerApp.ip = "0.0.0.0"
c.ServerApp.port = 8888
c.ServerApp.root_dir = "/home/analyst"
c.ServerApp.open_browser = False
# The image has no language servers: the LSP extension would only search for them at start.
c.ServerApp.jpserver_extensions = {"jupyter_lsp": False}
# Lab's extension manager could install code from outside; Haven images are fixed.
c.LabApp.extension_manager = "readonly"
# Nothing in the server or the browser fetches from outside: no news feed, no update check.
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
