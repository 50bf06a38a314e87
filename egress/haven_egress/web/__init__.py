"""The egress review queue over HTTP: a JupyterHub service at ``/services/egress/``.

The hub starts it (``python -m haven_egress.web``) and vouches for every caller through
HubOAuth: a browser session (cookie) or a hub token in the Authorization header. The
handlers translate HTTP to ``EgressService`` calls and domain errors back to HTTP; every
rule lives in the service.
"""
