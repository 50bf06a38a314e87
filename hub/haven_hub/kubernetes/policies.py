"""What a project server may reach, as Kubernetes NetworkPolicies.

Each project's pods get a policy of their own that denies everything (both directions) but
the hub (API port, from the description's reach) and the egress service (in the hub pod,
its own port), and connections in from the hub and the proxy to the server's port. The
chart's own single-user policy is turned off (values), since its defaults let servers reach
DNS and, unless each rule is turned off, the internet. A namespace-wide default-deny for
every single-user pod catches a pod whose project policy is missing.
"""

from __future__ import annotations

from typing import Any

from ..server_description import PROJECT_LABEL, Reach, ServerDescription

API_VERSION = "networking.k8s.io/v1"
SINGLEUSER = {"component": "singleuser-server"}
HUB = {"component": "hub"}
PROXY = {"component": "proxy"}
SERVER_PORT = 8888  # KubeSpawner's default port for the single-user server


def policy_name(project: str) -> str:
    return f"haven-project-{project}"


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def project_policy(project: str, reach: Reach, namespace: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": policy_name(project), "labels": {PROJECT_LABEL: project}}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": API_VERSION,
        "kind": "NetworkPolicy",
        "metadata": metadata,
        "spec": {
            "podSelector": {"matchLabels": {**SINGLEUSER, PROJECT_LABEL: project}},
            "policyTypes": ["Ingress", "Egress"],
            # The proxy forwards the browser; the hub checks the server is up.
            "ingress": [{"from": [{"podSelector": {"matchLabels": HUB}}, {"podSelector": {"matchLabels": PROXY}}],
                         "ports": _tcp(SERVER_PORT)}],
            # The hub API and the egress service only: no DNS, no internet, no other pod.
            "egress": [{"to": [{"podSelector": {"matchLabels": HUB}}], "ports": _tcp(*reach.tcp_ports)}],
        },
    }


def description_policy(description: ServerDescription, namespace: str | None = None) -> dict[str, Any]:
    return project_policy(description.project, description.reach, namespace)


def default_deny(namespace: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "haven-singleuser-default-deny"}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": API_VERSION, "kind": "NetworkPolicy", "metadata": metadata,
            "spec": {"podSelector": {"matchLabels": SINGLEUSER}, "policyTypes": ["Ingress", "Egress"]}}


def hub_policy_rules(reach: Reach, admin_port: int) -> list[dict[str, Any]]:
    """Extra ingress of the hub pod (chart value hub.networkPolicy.ingress): servers reach the
    egress service; the proxy reaches egress and admin pages."""
    return [
        {"from": [{"podSelector": {"matchLabels": SINGLEUSER}}], "ports": _tcp(reach.egress_port)},
        {"from": [{"podSelector": {"matchLabels": PROXY}}], "ports": _tcp(reach.egress_port, admin_port)},
    ]


def rbac(namespace: str, service_account: str = "hub") -> list[dict[str, Any]]:
    """The hub may write NetworkPolicies in its namespace (the chart's role does not grant it)."""
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "haven-hub-networkpolicies", "namespace": namespace},
            "rules": [{"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"],
                       "verbs": ["get", "create", "replace", "patch", "update"]}]}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "haven-hub-networkpolicies", "namespace": namespace},
               "subjects": [{"kind": "ServiceAccount", "name": service_account, "namespace": namespace}],
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "haven-hub-networkpolicies"}}
    return [role, binding]
