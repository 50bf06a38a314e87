"""``python -m haven_egress.web``: run the egress service as the hub starts it.

The hub passes ``HAVEN_SETTINGS`` (the settings file, read and validated here, at start,
not at import) and the usual ``JUPYTERHUB_*`` variables HubOAuth reads.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuth

from haven_hub.settings import locate_settings

from .. import notify
from . import accreditation, startup
from .app import make_app
from .handlers import MULTIPART_SLACK

# Every address: project containers reach the service through their network's gateway.
# The host firewall (haven_hub.networks) admits the port only from loopback and projects.
BIND_ADDRESS = "0.0.0.0"
DEFAULT_PREFIX = "/services/egress/"


async def serve() -> None:
    settings = startup.load_private_settings(locate_settings())
    service = startup.open_service(settings)
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", DEFAULT_PREFIX)
    port = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "")).port or settings.egress.port
    # The handlers share this one HubOAuth instance; a short cache makes a revoked token
    # stop working within seconds rather than JupyterHub's default five minutes.
    HubOAuth.instance().cache_max_age = settings.egress.auth_cache_seconds
    executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="egress")
    app = make_app(service, executor, prefix, startup.cookie_secret(settings),
                   ingress=startup.open_ingress(settings, service),
                   accreditations=accreditation.from_environment(settings))
    # A little above the request limit: uploads stream (handlers.UploadHandler), which
    # refuses a declared oversize with a sentence; this cuts off any body that lies about
    # its size or sends none, and one just over the limit still reaches the service's refusal.
    server = app.listen(port, address=BIND_ADDRESS,
                        max_body_size=service.rules.max_request_size + MULTIPART_SLACK)
    logging.getLogger("haven.egress").info("egress service on %s:%s%s", BIND_ADDRESS, port, prefix)
    mail = notify.MailSettings.from_settings(settings.egress.notify_smtp)
    # Email notices follow the state changes from a watermark; without SMTP settings, none.
    notices = (asyncio.create_task(notify.Notifier(service, mail, startup.data_dir(settings) / "notify-watermark")
                                   .run_forever()) if mail else None)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.stop()
    if notices is not None:
        notices.cancel()
    executor.shutdown(wait=True)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[egress %(levelname)s %(asctime)s] %(message)s")
    asyncio.run(serve())


if __name__ == "__main__":
    main()
