"""HavenKubeSpawner: a project server as a locked-down pod, built by KubeSpawner itself.

Everything Haven decides comes from the server's description (haven_hub.server_description)
through ``pod`` and ``policies``, and is set on KubeSpawner's own traits at each start, over
whatever the chart's values set on ``c.KubeSpawner``. The membership check, refusals,
grants, progress and audit hooks are HavenProjectSpawner's, as for Docker.
"""

from __future__ import annotations

import os

from kubespawner import KubeSpawner
from kubespawner.clients import shared_client
from kubernetes_asyncio.client.rest import ApiException

from ..server_description import ServerDescription
from ..project_spawner import HavenProjectSpawner, ProjectAccessError
from . import pod, policies

# The hub's Service, as Kubernetes tells every pod started after it (service environment
# variables): servers reach the hub by address, having no DNS.
HUB_SERVICE_HOST = "HUB_SERVICE_HOST"


class HavenKubeSpawner(HavenProjectSpawner, KubeSpawner):
    """A project server as a pod in the hub's namespace (the chart's default)."""

    def apply_description(self, description: ServerDescription) -> None:
        """KubeSpawner's traits for this server, all from its description."""
        self.description = description
        self.image = description.image
        container, pod_context = pod.security_contexts(description)
        self.uid, self.gid, self.fs_gid = description.hardening.uid, description.hardening.gid, description.hardening.gid
        self.privileged = False
        self.allow_privilege_escalation = container["allowPrivilegeEscalation"]
        self.container_security_context = container
        self.pod_security_context = pod_context
        for name, value in pod.resources(description).items():
            setattr(self, name, value)
        # The project's claim, whatever the chart's values name a user's: servername is the project.
        self.remember_pvc_name = False
        self.pvc_name = self._expand_user_properties(pod.PROJECT_CLAIM_TEMPLATE)
        settings = pod.KubeSettings(catalogue_dir=str(self.settings.data_path(self.settings.datasets.catalogue_dir)),
                                    scratch_size=self.settings.datasets.scratch_size)
        self.volumes, self.volume_mounts = pod.volumes(description, settings, self.pvc_name)
        self.extra_labels = pod.labels(description)
        self.extra_pod_config = pod.pod_config(description)
        self.automount_service_account_token = False
        # The project's claim holds its workspace and homes; it outlives every server.
        self.storage_pvc_ensure = True
        self.storage_access_modes = ["ReadWriteMany"]
        self.delete_pvc = False
        # No privileged init container (the chart's metadata blocker): the policy blocks it.
        self.init_containers = {}

    def _reach_addresses(self) -> None:
        hub = os.environ.get(HUB_SERVICE_HOST)
        if hub:
            self.hub_connect_url = f"http://{hub}:{self.settings.hub.api_port}"
            self.egress_url = f"http://{hub}:{self.settings.egress.port}/services/egress/"

    async def ensure_network_policy(self, description: ServerDescription) -> None:
        """The project's policy, written before its first pod exists (as Docker's network is)."""
        api = shared_client("NetworkingV1Api")
        manifest = policies.description_policy(description, self.namespace)
        name = manifest["metadata"]["name"]
        try:
            await api.replace_namespaced_network_policy(name, self.namespace, manifest)
        except ApiException as error:
            if error.status != 404:
                raise ProjectAccessError(f"The project's network policy could not be written: {error.reason}.",
                                         status=500) from None
            await api.create_namespaced_network_policy(self.namespace, manifest)

    async def start(self):
        try:
            self._haven_events.clear()
            project = self.requested_project()
            datasets = self.dataset_mounts(project)
            description = self.describe(project, datasets)
            try:
                self.apply_description(description)
            except ValueError as error:  # e.g. a row-filtered copy, kept on the hub's disk only
                raise ProjectAccessError(f"{error}. Ask an administrator (docs/kubernetes.md).", status=409) from None
            self._report(10, f"Project {project.title} ({project.id}): membership checked")
            await self.ensure_network_policy(description)
            self._reach_addresses()
            self._report(25, f"Project network policy {policies.policy_name(project.id)} in place")
            return await super().start()
        finally:
            self._spawn_project = None
