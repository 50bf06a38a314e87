"""Haven's hub configuration as it runs in the chart's hub pod (values: hub.extraConfig).

The chart's own jupyterhub_config.py decides where the hub, the proxy and the database are;
Haven's configuration (haven_hub.config) decides everything else. The keys below are the
chart's, so Haven's one-host values for them are left out; the spawner becomes
HavenKubeSpawner; the web services are reached through the hub's Service (values:
hub.service.extraPorts); the idle culler is the chart's (values: cull).
"""

from __future__ import annotations

import os
from typing import Any

from traitlets.config import Config

from .. import config as haven_config
from ..settings import Settings, load_settings

CHART_OWNED = {
    "JupyterHub": {"bind_url", "hub_bind_url", "hub_connect_url", "db_url", "pid_file", "cookie_secret_file",
                   "upgrade_db"},
    "ConfigurableHTTPProxy": {"api_url", "pid_file", "command"},
}
SPAWNER_CLASS = "haven_hub.kubernetes.spawner.HavenKubeSpawner"
# The chart's hub Service name; the proxy pod resolves it (servers do not: they have no DNS).
HUB_SERVICE = "hub"
# Docker-only settings of haven_hub.config.spawner_config (KubeSpawner has its own).
DOCKER_ONLY = {"pull_policy", "remove", "prefix"}


def kube_configuration(settings: Settings, settings_path: str) -> Config:
    # The chart's culler (values: cull) replaces Haven's service, and with it the role.
    no_culler = settings.model_copy(update={"idle_culler": settings.idle_culler.model_copy(
        update={"timeout_minutes": 0})})
    whole = haven_config.configuration(no_culler, settings_path)
    c = Config()
    for section, values in whole.items():
        if section == "HavenSpawner":
            # One section both engines' spawners read (HavenProjectSpawner is in both MROs).
            c.HavenProjectSpawner.update({key: value for key, value in values.items() if key not in DOCKER_ONLY})
            continue
        owned = CHART_OWNED.get(section, set())
        c[section] = Config({key: value for key, value in values.items() if key not in owned})
    c.JupyterHub.spawner_class = SPAWNER_CLASS
    c.JupyterHub.services = [_in_cluster(service) for service in c.JupyterHub.services]
    return c


def _in_cluster(service: dict[str, Any]) -> dict[str, Any]:
    url = service.get("url")
    if not url:
        return service
    # Started by the hub in its own container, as on one host; reached by the proxy's pod.
    environment = dict(service.get("environment") or {})
    if "PGPASSWORD" in os.environ:  # the egress database's password (values: hub.extraEnv)
        environment["PGPASSWORD"] = os.environ["PGPASSWORD"]
    return {**service, "url": url.replace("127.0.0.1", HUB_SERVICE), "environment": environment}


def configure(c: Config) -> None:
    """What the values file's hub.extraConfig calls."""
    path = os.environ["HAVEN_SETTINGS"]
    c.merge(kube_configuration(load_settings(path), path))
