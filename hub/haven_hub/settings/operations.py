"""Running Haven in production: log files, the operator's own hub config, the metrics scrape."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from .common import _Section


class Operations(_Section):
    log_dir: Path = Field(
        Path("logs"),
        description=(
            "Where the hub, the proxy, the egress service and the admin service each write their own "
            "log file (`hub.log`, `proxy.log`, `egress.log`, `admin.log`: one JSON object a line, with "
            "`time`, `level`, `logger` and `message`); relative paths are under `hub.data_dir`. "
            "Files are reopened when moved, so logrotate needs no `copytruncate`. The hub process's "
            "console (start-up failures, crashes) stays in `logs/jupyterhub.log` under `hub.data_dir` "
            "when `scripts/up` starts it. The audit chains are not logs (docs/audit.md). See docs/operations.md."
        ),
    )
    extra_config_dir: Path = Field(
        Path("/etc/haven/jupyterhub_config.d"),
        description=(
            "The operator's own JupyterHub config: every `*.py` file here is run, in sorted order, after "
            "Haven's configuration, with `c` as in `jupyterhub_config.py` (e.g. TLS or proxy settings), "
            "so no tracked file is edited. A missing folder is no error; a file that fails stops the hub."
        ),
    )
    metrics_token_file: Path = Field(
        Path("secrets/metrics-token"),
        description=(
            "File holding the API token of the `metrics` service, which may read the hub's Prometheus "
            "metrics (`/hub/metrics`, scope `read:metrics`) and nothing else; the hub writes it on its "
            "first start. Point Prometheus's `authorization.credentials_file` at it."
        ),
    )
