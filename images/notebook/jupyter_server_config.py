# Server settings baked into the notebook image; the hub passes the rest
# (URLs, tokens) through JUPYTERHUB_* variables.
c = get_config()  # noqa: F821
c.ServerApp.ip = "0.0.0.0"
c.ServerApp.port = 8888
c.ServerApp.root_dir = "/home/analyst"
c.ServerApp.open_browser = False
# Lab's extension manager could install code from outside; Haven images are fixed.
c.LabApp.extension_manager = "readonly"
