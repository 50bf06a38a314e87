"""The Zero to JupyterHub values file, and the objects the chart cannot carry (``haven k8s values``).

Pinned to chart 4.4.0, whose published values schema is vendored in tests/fixtures/z2jh. What
each value is for is said beside it; docs/kubernetes.md says what was and was not exercised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from ..server_description import Reach
from ..settings import Settings
from . import policies

CHART_VERSION = "4.4.0"
SETTINGS_SECRET = "haven-settings"
SETTINGS_DIR = "/etc/haven"
DATABASE_SECRET = "haven-postgres"
CHART_HUB_PORT = 8081


class ValuesError(ValueError):
    """The settings cannot be deployed on the chart as they are."""


@dataclass(frozen=True)
class Deployment:
    hub_image: str
    namespace: str
    postgres_host: str
    postgres_port: int = 5432
    postgres_user: str = "haven"
    hub_database: str = "jupyterhub"
    egress_database: str = "egress"


def _image(reference: str) -> dict[str, str]:
    name, _, tag = reference.rpartition(":") if ":" in reference.rsplit("/", 1)[-1] else (reference, "", "latest")
    return {"name": name, "tag": tag}


def reach_of(settings: Settings) -> Reach:
    if settings.hub.api_port != CHART_HUB_PORT:
        raise ValuesError(f"hub.api_port is {settings.hub.api_port}; on Kubernetes the hub listens on the chart's "
                          f"port {CHART_HUB_PORT}. Set hub.api_port: {CHART_HUB_PORT} in the settings.")
    return Reach(hub_api_port=settings.hub.api_port, egress_port=settings.egress.port)


def database_url(deployment: Deployment, database: str) -> str:
    # No password here: libpq reads PGPASSWORD, set from the secret (hub.extraEnv).
    return (f"postgresql+psycopg://{deployment.postgres_user}@{deployment.postgres_host}:"
            f"{deployment.postgres_port}/{database}")


def values(settings: Settings, deployment: Deployment) -> dict[str, Any]:
    reach = reach_of(settings)
    if settings.egress.database_url and not settings.egress.database_url.startswith("postgresql"):
        raise ValuesError("egress.database_url must be PostgreSQL (or empty, for haven k8s values to set it).")
    catalogue = str(settings.data_path(settings.datasets.catalogue_dir))
    culler = settings.idle_culler
    password = {"valueFrom": {"secretKeyRef": {"name": DATABASE_SECRET, "key": "password"}}}
    return {
        "hub": {
            "image": _image(deployment.hub_image),
            "db": {"type": "postgres", "url": database_url(deployment, deployment.hub_database)},
            "extraEnv": {
                "HAVEN_SETTINGS": f"{SETTINGS_DIR}/haven.yaml",
                # For the hub's database and, passed on by hub_config, the egress service's.
                "PGPASSWORD": password,
            },
            "extraVolumes": [
                {"name": SETTINGS_SECRET, "secret": {"secretName": SETTINGS_SECRET}},
                {"name": "haven-datasets", "persistentVolumeClaim": {"claimName": "haven-datasets", "readOnly": True}},
            ],
            "extraVolumeMounts": [
                {"name": SETTINGS_SECRET, "mountPath": SETTINGS_DIR, "readOnly": True},
                # The catalogue the spawner resolves grants in: the same claim the servers mount.
                {"name": "haven-datasets", "mountPath": catalogue, "readOnly": True},
            ],
            "extraConfig": {"haven": "from haven_hub.kubernetes.hub_config import configure\nconfigure(c)\n"},
            # The egress and admin services run in the hub's pod (hub-managed, as on one host);
            # servers reach egress, the proxy reaches both, through the hub's Service.
            "service": {"extraPorts": [
                {"name": "egress", "port": reach.egress_port, "targetPort": reach.egress_port},
                {"name": "admin", "port": settings.admin.port, "targetPort": settings.admin.port},
            ]},
            "networkPolicy": {"enabled": True, "ingress": policies.hub_policy_rules(reach, settings.admin.port)},
            "allowNamedServers": True,
            "namedServerLimitPerUser": 0,
        },
        "proxy": {"service": {"type": "ClusterIP"}},
        "singleuser": {
            "image": _image(settings.spawner.image),
            "uid": settings.spawner.container_uid,
            "fsGid": settings.spawner.container_uid,
            "allowPrivilegeEscalation": False,
            # HavenKubeSpawner mounts the project's claim itself (workspace and homes by sub-path).
            "storage": {"type": "none", "homeMountPath": "/home/analyst"},
            # Haven's per-project policies (``objects``) replace the chart's, whose defaults allow
            # DNS and, unless each rule is turned off, the internet.
            "networkPolicy": {"enabled": False},
            # No privileged iptables init container: the policies leave the metadata address unreachable.
            "cloudMetadata": {"blockWithIptables": False},
            "networkTools": {"image": {"name": "quay.io/jupyterhub/k8s-network-tools"}},
            "cmd": "jupyterhub-singleuser",
            "defaultUrl": "/lab",
        },
        "cull": {
            "enabled": culler.timeout_minutes > 0,
            "timeout": max(1, round(culler.timeout_minutes * 60)),
            "every": culler.every_seconds,
            # Haven's servers are named (one per project); there are no default ones.
            "removeNamedServers": False,
            "users": False,
        },
        "scheduling": {"userScheduler": {"enabled": False}, "userPlaceholder": {"enabled": False}},
        "prePuller": {"hook": {"enabled": False}, "continuous": {"enabled": False}},
        "debug": {"enabled": False},
    }


def objects(settings: Settings, deployment: Deployment) -> list[dict[str, Any]]:
    """What the chart cannot carry: the namespace-wide default-deny for servers, each project's
    policy (the spawner rewrites it at each start, so new projects need no new file), and the
    hub's right to write policies."""
    reach = reach_of(settings)
    namespace = deployment.namespace
    return [settings_secret(settings, deployment), policies.default_deny(namespace),
            *(policies.project_policy(project.id, reach, namespace) for project in settings.projects),
            *policies.rbac(namespace)]


def deployed_settings(settings: Settings, deployment: Deployment) -> Settings:
    """The settings as the hub pod reads them: the egress database on PostgreSQL."""
    egress = settings.egress.model_copy(update={"database_url": database_url(deployment, deployment.egress_database)})
    return settings.model_copy(update={"egress": egress})


def settings_secret(settings: Settings, deployment: Deployment) -> dict[str, Any]:
    text = yaml.safe_dump(deployed_settings(settings, deployment).model_dump(mode="json"), sort_keys=False)
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": SETTINGS_SECRET, "namespace": deployment.namespace},
            "stringData": {"haven.yaml": text}}
