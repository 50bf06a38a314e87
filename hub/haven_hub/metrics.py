"""The Prometheus scrape: a hub service whose token may read ``/hub/metrics`` and nothing else.

JupyterHub serves its metrics only to a token with ``read:metrics`` (``authenticate_prometheus``).
Among the roles Haven loads, only ``metrics-reader`` holds it (JupyterHub's own ``admin`` role
holds every scope); its one member is the ``metrics`` service, which runs no process: it is a
name for the scraper's token, kept in ``operations.metrics_token_file``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

METRICS_SERVICE = "metrics"
METRICS_ROLE = "metrics-reader"
METRICS_SCOPES = ("read:metrics",)


def token_path(settings: Any) -> Path:
    return settings.data_path(settings.operations.metrics_token_file)


def scrape_token(settings: Any) -> str:
    """The scraper's token, made on first use like the hub's cookie secret (readable by its owner
    only); an existing file is never rewritten, so Prometheus keeps the token it was given."""
    path = token_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise ValueError(f"the metrics token file {path} is empty: remove it and start the hub to make a new one")
    return token


def metrics_service(settings: Any) -> dict[str, Any]:
    return {"name": METRICS_SERVICE, "api_token": scrape_token(settings)}


def metrics_role() -> dict[str, Any]:
    return {"name": METRICS_ROLE, "description": "Reads the hub's Prometheus metrics, nothing else",
            "scopes": list(METRICS_SCOPES), "services": [METRICS_SERVICE]}
