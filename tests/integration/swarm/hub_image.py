"""The hub's image for the swarm tier: the notebook image plus one layer of what the hub runs.

The hub must sit on each project's internal overlay (servers reach nothing else), so it runs
in a container on the manager, not on this host. The notebook image already has the same
Python (Debian's 3.11) and JupyterHub as the host's venv, and the nodes pull it anyway; the
layer adds, file for file, the host venv's distributions the notebook lacks or pins otherwise
(minus the test and lint tools), Haven's hub-side packages, configurable-http-proxy and the
Node.js it runs on. Tagged by the hash of that content, so an unchanged hub is not rebuilt and
the registry cache sends nothing again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import shutil
import tempfile
from pathlib import Path

import docker

from tests.fixtures.docker_engine import TEST_PREFIX

REPO = Path(__file__).resolve().parents[3]
DOCKERFILE = Path(__file__).parent / "hub" / "Dockerfile"
SOURCES = {"hub": ["haven_hub", "proxy"], "cli": ["haven_cli"], "disclosure": ["haven_disclosure"],
           "egress": ["haven_egress"]}
SOURCE_FILES = ["jupyterhub_config.py"]
# Tools of the test and lint tiers: the hub imports none of them.
NOT_FOR_THE_HUB = {"playwright", "kubernetes-validate", "ruff", "ansible-core", "ansible-lint", "schemathesis",
                   "black", "hypothesis", "pytest", "cyclonedx-python-lib", "yamllint", "haven", "haven-py"}
NODE = Path("/usr/bin/node")
REPOSITORY = f"{TEST_PREFIX}-swarm-hub"


def _normal(name: str) -> str:
    return name.lower().replace("_", "-")


def notebook_distributions(client: docker.DockerClient, notebook: str) -> dict[str, str]:
    script = ("import importlib.metadata as m, json; "
              "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))")
    output = client.containers.run(notebook, ["/opt/haven/bin/python", "-c", script], entrypoint=[], remove=True)
    return {_normal(name): version for name, version in json.loads(output).items()}


def missing_files(present: dict[str, str]) -> list[Path]:
    """Files of the host venv's distributions that the notebook image lacks or pins otherwise."""
    files = []
    for dist in importlib.metadata.distributions():
        name = _normal(dist.metadata["Name"])
        if name in NOT_FOR_THE_HUB or present.get(name) == dist.version:
            continue
        for file in dist.files or []:
            path = Path(file.locate())
            if path.is_file() and "site-packages" in path.parts and "__pycache__" not in path.parts:
                files.append(path)
    return sorted(set(files))


def _assemble(context: Path, files: list[Path]) -> str:
    digest = hashlib.sha256(DOCKERFILE.read_bytes())
    shutil.copy2(DOCKERFILE, context / "Dockerfile")
    shutil.copy2(NODE, context / "node")
    digest.update(NODE.read_bytes())
    for path in files:
        relative = path.relative_to(next(p for p in path.parents if p.name == "site-packages"))
        target = context / "site-packages" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        digest.update(str(relative).encode() + path.read_bytes())
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for root, names in SOURCES.items():
        for name in names:
            shutil.copytree(REPO / root / name, context / "src" / root / name, symlinks=True, ignore=ignore)
    for name in SOURCE_FILES:
        shutil.copy2(REPO / name, context / "src" / name)
    for path in sorted((context / "src").rglob("*")):
        if path.is_file() and not path.is_symlink():
            digest.update(str(path.relative_to(context)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def build(client: docker.DockerClient, notebook: str) -> str:
    """The hub image (``repository:content-hash``) on ``client``'s engine, built only if missing."""
    files = missing_files(notebook_distributions(client, notebook))
    with tempfile.TemporaryDirectory(prefix=f"{TEST_PREFIX}-hub-image-") as directory:
        context = Path(directory)
        tag = f"{REPOSITORY}:{_assemble(context, files)}-{notebook.rsplit(':', 1)[-1]}"
        try:
            client.images.get(tag)
        except docker.errors.ImageNotFound:
            client.images.build(path=str(context), tag=tag, buildargs={"NOTEBOOK_IMAGE": notebook}, rm=True)
    return tag
