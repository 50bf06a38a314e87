"""Haven on Kubernetes under the Zero to JupyterHub chart (docs/kubernetes.md).

``pod`` and ``policies`` translate a server description (haven_hub.server_description) into
KubeSpawner settings and NetworkPolicies; ``spawner`` is HavenKubeSpawner; ``values`` writes
the chart's values file; ``controls`` checks generated objects hold every control.
"""
