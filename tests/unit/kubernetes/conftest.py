"""Kubernetes objects built offline. No cluster runs here: KubeSpawner's client is pointed at a
kubeconfig naming a loopback port nothing listens on, and is never called; the user is a
stand-in object (what JupyterHub's User would give KubeSpawner: name, id, url)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest

from haven_hub import server_description
from haven_hub.projects import Project
from haven_hub.settings import parse_settings

# The Kubernetes API version the generated objects are validated against (kubernetes-validate's schemas).
KUBERNETES_VERSION = "1.33"
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
users: [{name: none, user: {token: never-sent}}]
"""


@pytest.fixture
def settings(tmp_path):
    return parse_settings({
        "hub": {"data_dir": str(tmp_path / "hub")},
        "auth": {"accounts": [{"name": "ada"}, {"name": "bob"}]},
        "projects": [{"id": "demo", "title": "Demo", "members": ["ada"], "limits": {"cpu": 1.5, "memory": "3G"}},
                     {"id": "other", "title": "Other", "members": ["bob"]}],
    })


@pytest.fixture
def project() -> Project:
    return Project(id="demo", title="Demo", members=frozenset({"ada"}),
                   limits={"cpu": 1.5, "memory": "3G", "pids": 300})


@pytest.fixture
def description(settings, project):
    catalogue = settings.data_path(settings.datasets.catalogue_dir)
    return server_description.describe("ada", project, settings, (("admissions", catalogue / "admissions" / "v1"),),
                                       browser_bytes_per_day=1000)


@pytest.fixture
def kubeconfig(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    return path


@dataclass
class PodMaker:
    settings: Any

    def __call__(self, description, configure: Callable[[Any], None] = lambda spawner: None) -> dict[str, Any]:
        """The pod manifest KubeSpawner's own get_pod_manifest makes for ``description``, as
        the API server would receive it (serialised by the Kubernetes client); ``configure``
        changes the spawner's settings after the description was applied."""
        return asyncio.run(self._pod(description, configure))

    async def _pod(self, description, configure: Callable[[Any], None]) -> dict[str, Any]:
        from kubernetes_asyncio.client import ApiClient

        from haven_hub.kubernetes.spawner import HavenKubeSpawner

        user = SimpleNamespace(name=description.user, id=1, url=f"/user/{description.user}/")
        server = SimpleNamespace(name=description.project, server=None, state=None, user=user)
        spawner = HavenKubeSpawner(_mock=True, user=user, orm_spawner=server, haven_settings=self.settings)
        spawner.api_token = "token-for-the-test"
        spawner.apply_description(description)
        configure(spawner)
        manifest = await spawner.get_pod_manifest()
        async with ApiClient() as client:
            return client.sanitize_for_serialization(manifest)


@pytest.fixture
def make_pod(settings, kubeconfig) -> PodMaker:
    return PodMaker(settings)
