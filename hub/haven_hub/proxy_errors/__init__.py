"""What a browser sees when the proxy cannot reach one of Haven's own services.

The hub runs the review service (``egress``) and the admin pages (``admin``) as managed
services behind configurable-http-proxy. While one restarts (haven_hub.supervise brings it
back within seconds of a crash), the proxy's connection is refused and it asks the hub for
an error page: ``<error target>/<code>?url=<the path asked for>``. JupyterHub's own page
for that says "Your server appears to be down. Try restarting it from the hub", which sends
a checker or an administrator to look at a project server they do not have.

Haven points the proxy's error target at ``ServiceDownHandler`` (``launch`` rewrites the
proxy's ``--error-target``), which answers for Haven's services with their own page in
Haven's words (503, ``Retry-After``) and leaves every other error page to JupyterHub.
The proxy passes on only the status and the body of that page, so ``retry_after.js`` (loaded
into the proxy by ``launch``) adds ``Retry-After`` to the proxy's own 503 answers.
"""

from __future__ import annotations

from jupyterhub.handlers.pages import ProxyErrorHandler

from .. import roles

# Below the hub's prefix; the proxy's error target is <hub>/<ERROR_PATH>/ (see launch).
ERROR_PATH = "haven-proxy-error"
# Seconds: a crashed service is back in two or three; a restart of the hub takes longer.
RETRY_AFTER_SECONDS = 60
# The services Haven runs itself, and how their page names them (an allowlist: any other
# path keeps JupyterHub's page).
SERVICE_NAMES = {
    roles.EGRESS_SERVICE: "review service",
    roles.ADMIN_SERVICE: "admin pages",
}
# What the proxy reports when a target does not answer (503); 502 and 504 for a proxy in front.
UNREACHABLE = {502, 503, 504}


def service_asked_for(url: str, prefix: str) -> str | None:
    """The name of the Haven service whose address ``url`` (path and query, as the proxy
    passes it) is under ``prefix`` (the proxy's base URL), or None."""
    path = url.split("?", 1)[0]
    for name in SERVICE_NAMES:
        home = f"{prefix}services/{name}/"
        if path == home[:-1] or path.startswith(home):
            return name
    return None


class ServiceDownHandler(ProxyErrorHandler):
    """The proxy's error page: Haven's for its own services, JupyterHub's for the rest."""

    async def get(self, status_code_s: str) -> None:
        status_code = int(status_code_s)
        url = self.get_argument("url", "")
        name = service_asked_for(url, self.base_url)
        if name is None or status_code not in UNREACHABLE:
            await super().get(status_code_s)
            return
        self.set_status(503)
        self.set_header("Retry-After", str(RETRY_AFTER_SECONDS))
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        html = await self.render_template(
            "service-down.html",
            service=name,
            service_name=SERVICE_NAMES[name],
            # Only a path under the service's own prefix (checked above), never another site.
            retry_url=url,
            retry_after_minutes=max(1, RETRY_AFTER_SECONDS // 60),
        )
        self.write(html)


def handlers() -> list[tuple[str, type]]:
    """For ``JupyterHub.extra_handlers`` (the hub adds its ``/hub`` prefix)."""
    return [(rf"/{ERROR_PATH}/(\d+)", ServiceDownHandler)]
