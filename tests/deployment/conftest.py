"""The deployment tier: ansible/site.yml applied to a fresh host made here.

The host is a container of images/fresh-host (Haven's own Debian base with systemd as PID 1 and
an SSH server), once per supported Debian release (RELEASES: the session fixture is parametrised,
so every test runs on each; `-k trixie` picks one); Ansible reaches it over SSH as it would a
server, and it runs its own Docker engine inside. Slow (a first apply takes minutes), so not part of scripts/test: these tests
run only through scripts/test-deployment, which sets HAVEN_DEPLOYMENT_TEST=1.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
BIN = Path(sys.executable).parent
PREFIX = os.environ.get("HAVEN_TEST_PREFIX", "haventest")
# Debian 12 and 13, each a base made here by debootstrap (images/base/mkbase.sh).
RELEASES = ("bookworm", "trixie")
# The notebook image deployed, tagged once per session: a rebuild of haven/notebook:latest by
# someone else between two applies must not count as a change of the deployment.
NOTEBOOK = f"{PREFIX}-deployed-notebook:latest"
ENABLED = os.environ.get("HAVEN_DEPLOYMENT_TEST") == "1"
# The host's CA certificates are the extra authorities of networks that intercept TLS (as here).
EXTRA_CAS = sorted(str(path) for path in Path("/usr/local/share/ca-certificates").glob("*.crt"))


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="the deployment tier runs only through scripts/test-deployment")
    for item in items:
        if Path(str(item.fspath)).is_relative_to(HERE):
            item.add_marker(pytest.mark.deployment)
            if not ENABLED:
                item.add_marker(skip)


def sh(*argv: str, check: bool = True, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def source_snapshot(dest: Path) -> Path:
    """The checkout's files as git sees them (tracked and new, not ignored): the tree the
    controller deploys from stays the same between two applies while others edit the checkout."""
    listed = sh("git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


@dataclass
class FreshHost:
    release: str
    workdir: Path
    source: Path

    @property
    def container(self) -> str:
        return f"{PREFIX}-fresh-host-{self.release}"

    @property
    def docker_volume(self) -> str:
        return f"{self.container}-docker"

    @property
    def image(self) -> str:
        return f"{PREFIX}-fresh-host:{self.release}"

    def run(self, command: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        """A shell command on the fresh host, as root (what an operator types there)."""
        return sh("docker", "exec", self.container, "bash", "-c", command, check=check, timeout=timeout)

    @property
    def address(self) -> str:
        return sh("docker", "inspect", "-f", "{{.NetworkSettings.IPAddress}}", self.container).stdout.strip()

    @property
    def url(self) -> str:
        return f"https://{self.address}"

    def wait_for_systemd(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.run("systemctl is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):
                return
            time.sleep(1)
        raise AssertionError(f"systemd on the fresh host did not finish booting: {state}")

    def write_inventory(self) -> Path:
        """The inventory for the host's current address (it may change when it restarts)."""
        address = self.address
        keys = sh("ssh-keyscan", "-t", "ed25519", address).stdout
        (self.workdir / "known_hosts").write_text(keys)
        # The test host's variables and vault (tests/deployment/group_vars), beside the inventory.
        group_vars = self.workdir / "group_vars"
        if not group_vars.exists():
            group_vars.symlink_to(HERE / "group_vars")
        inventory = self.workdir / "hosts.yml"
        inventory.write_text(
            "haven:\n  hosts:\n    haven-test:\n"
            f"      ansible_host: {address}\n      ansible_user: root\n"
            f"      ansible_ssh_private_key_file: {self.workdir / 'id_ed25519'}\n"
            f"      ansible_ssh_common_args: -o UserKnownHostsFile={self.workdir / 'known_hosts'}\n"
            f"      haven_source_dir: {self.source}\n"
            f"      haven_controller_cache: {self.workdir / 'cache'}\n"
            f"      haven_extra_ca_certificates: {EXTRA_CAS}\n"
            f"      haven_notebook_image: {NOTEBOOK}\n")
        return inventory

    def apply(self) -> dict[str, int]:
        """ansible-playbook site.yml on the host; the recap's counts (fails the test on a failure)."""
        inventory = self.write_inventory()
        env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible" / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
               "PATH": f"{BIN}:{os.environ['PATH']}"}
        result = subprocess.run(
            [str(BIN / "ansible-playbook"), "-i", str(inventory), str(ROOT / "ansible" / "site.yml"),
             "--vault-password-file", str(HERE / "vault-password.txt")],
            capture_output=True, text=True, env=env, timeout=3600)
        log = self.workdir / f"apply-{time.time():.0f}.log"
        log.write_text(result.stdout + result.stderr)
        recap = re.search(r"^haven-test\s+:\s+(.*)$", result.stdout, re.M)
        assert result.returncode == 0 and recap, f"the apply failed (log: {log}):\n{result.stdout[-6000:]}"
        return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", recap.group(1))}

    def build_image(self) -> None:
        sh("docker", "build", "-q", "-t", self.image, "--build-arg", f"BASE_IMAGE={base_image(self.release)}",
           str(ROOT / "images" / "fresh-host"), timeout=1800)

    def start_container(self) -> None:
        self.remove_container()
        # What --privileged would give, less CAP_SYS_RESOURCE, which these machines' own bounding set
        # lacks (docker refuses --privileged here). The host's cgroup v1 tree is mounted writable so
        # that systemd and the inner dockerd can make their groups; /var/lib/docker is a volume so the
        # inner engine's overlay2 sits on ext4, not on the container's own overlay.
        sh("docker", "run", "-d", "--name", self.container, "--hostname", "haven-test",
           "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
           "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
           "--security-opt", "systempaths=unconfined",
           "-v", "/sys/fs/cgroup:/sys/fs/cgroup", "--tmpfs", "/run", "--tmpfs", "/run/lock",
           "-v", f"{self.docker_volume}:/var/lib/docker", self.image)

    def remove_container(self) -> None:
        sh("docker", "rm", "-f", self.container, check=False)
        sh("docker", "volume", "rm", self.docker_volume, check=False)


def base_image(release: str) -> str:
    """Haven's base image of that Debian release: bookworm's is the notebook image's own (made by
    images/build.py); another release's is made the same way, tagged by the recipe's digest."""
    if release == "bookworm":
        return "haven/base:bookworm"
    sys.path.insert(0, str(ROOT / "images"))
    from build import BASE_RECIPE, digest_of

    tag = f"haven/base:{release}-{digest_of([BASE_RECIPE])}"
    if sh("docker", "image", "inspect", tag, check=False).returncode != 0:
        sh("bash", str(BASE_RECIPE), tag, env={**os.environ, "HAVEN_BASE_SUITE": release}, timeout=1800)
    return tag


@pytest.fixture(scope="session")
def deployed_notebook() -> str:
    reuse = os.environ.get("HAVEN_REUSE_FRESH_HOST") == "1"
    if not reuse or sh("docker", "image", "inspect", NOTEBOOK, check=False).returncode != 0:
        sh(str(BIN / "python"), str(ROOT / "images" / "build.py"), "--settings",
           str(ROOT / "config" / "haven.demo.yaml"), timeout=3600)
        sh("docker", "tag", "haven/notebook:latest", NOTEBOOK)
    yield NOTEBOOK
    if os.environ.get("HAVEN_KEEP_FRESH_HOST") != "1" and not reuse:
        sh("docker", "rmi", NOTEBOOK, check=False)


@pytest.fixture(scope="session", params=RELEASES)
def fresh_host(request, tmp_path_factory, deployed_notebook) -> FreshHost:
    release = request.param
    workdir = tmp_path_factory.mktemp(f"fresh-host-{release}")
    host = FreshHost(release=release, workdir=workdir, source=workdir / "source")
    # HAVEN_REUSE_FRESH_HOST=1 applies to the host container left by an earlier run
    # (HAVEN_KEEP_FRESH_HOST=1) instead of a new one: quicker when working on one step.
    reuse = os.environ.get("HAVEN_REUSE_FRESH_HOST") == "1" and sh(
        "docker", "inspect", host.container, check=False).returncode == 0
    if not reuse:
        host.build_image()
        host.start_container()
    source_snapshot(host.source)
    host.wait_for_systemd()
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(workdir / "id_ed25519"))
    public_key = (workdir / "id_ed25519.pub").read_text()
    subprocess.run(["docker", "exec", "-i", host.container, "bash", "-c",
                    "umask 077; cat > /root/.ssh/authorized_keys"], input=public_key, text=True, check=True)
    yield host
    if os.environ.get("HAVEN_KEEP_FRESH_HOST") != "1" and not reuse:
        host.remove_container()
