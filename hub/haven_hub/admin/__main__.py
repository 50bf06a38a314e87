"""``python -m haven_hub.admin``: run the admin pages as the hub starts them.

The hub passes ``HAVEN_SETTINGS`` and the usual ``JUPYTERHUB_*`` variables HubOAuth reads.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from tornado.ioloop import IOLoop, PeriodicCallback

from .. import host_state
from ..config import read_secret
from ..settings import Settings, load_settings, locate_settings
from .app import make_app
from .context import AdminContext

DEFAULT_PREFIX = "/services/admin/"
log = logging.getLogger("haven.admin")


def cookie_secret(settings: Settings) -> bytes:
    """Kept across restarts, so a restart does not log every administrator out."""
    path = settings.hub.data_dir / "secrets" / "admin-cookie-secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def _docker_client():
    try:
        import docker

        return docker.from_env(version="auto")
    except Exception as error:  # measuring the workspace alone is still worth showing
        log.warning("no Docker engine (%s): disk usage counts workspaces only", error)
        return None


async def serve() -> None:
    host_state.use_private_umask()
    settings = load_settings(locate_settings())
    host_state.require_private(settings, "the admin service")
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", DEFAULT_PREFIX)
    port = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "")).port or settings.admin.port
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="admin")
    context = AdminContext(
        settings=settings,
        hub_api_url=os.environ.get("JUPYTERHUB_API_URL", f"http://127.0.0.1:{settings.hub.api_port}/hub/api"),
        operator_token=read_secret(settings, settings.hub.operator_token_file, "operator token"),
        executor=executor,
        prefix=prefix,
        hub_prefix=os.environ.get("JUPYTERHUB_BASE_URL", "/") + "hub/",
        docker_client=_docker_client(),
    )
    app = make_app(context, cookie_secret(settings))
    # Loopback only: the proxy serves it to browsers; project containers have no business here.
    server = app.listen(port, address="127.0.0.1")
    log.info("admin pages on 127.0.0.1:%s%s", port, prefix)

    async def sweep() -> None:
        try:
            await IOLoop.current().run_in_executor(executor, context.sweep)
        except Exception:
            log.exception("the end-date sweep failed; it runs again in %s minutes", settings.admin.sweep_minutes)

    periodic = PeriodicCallback(sweep, settings.admin.sweep_minutes * 60_000)
    periodic.start()
    IOLoop.current().add_callback(sweep)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    periodic.stop()
    server.stop()
    executor.shutdown(wait=True)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[admin %(levelname)s %(asctime)s] %(message)s")
    asyncio.run(serve())


if __name__ == "__main__":
    main()
