"""Start-up chores for scripts/up and scripts/down: secrets, starting and stopping the hub.

usage: python -m haven_hub.bootstrap (secrets|demo-data|start|stop|status) --settings FILE [--config FILE]

``secrets`` also makes Haven's state on the host private (haven_hub.host_state), so an install
made before that was checked starts again after scripts/up; ``start`` refuses otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import host_state, networks, projects
from .auth import configure as auth_config
from .datasets.catalogue import Catalogue
from .datasets.demo import load_demo_datasets
from .provisioning.hub_api import HubClient
from .settings import Settings, SettingsError, load_settings


def write_secret_once(path: Path, make: callable) -> bool:
    """Creates a secret file readable by root only, unless it exists; True if created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(make() + "\n")
    return True


def ensure_secrets(settings: Settings) -> list[Path]:
    """Makes the secrets that are missing, then every private path private; returns the paths
    whose mode or owner had to change (made before Haven checked them)."""
    hub = settings.hub
    host_state.make_private_dir(hub.data_dir)
    write_secret_once(settings.data_path(hub.operator_token_file), lambda: secrets.token_hex(32))
    if settings.auth.kind == "builtin":
        ensure_accounts(settings)
    return host_state.tighten(settings)


def credentials_path(settings: Settings, name: str) -> Path:
    return settings.data_path(settings.auth.credentials_dir) / f"{name}.json"


def ensure_accounts(settings: Settings) -> list[str]:
    """Creates the settings' accounts that the accounts store lacks, each with a password and a
    TOTP secret written once to the credentials folder (readable by root only)."""
    store = auth_config.open_store(settings)
    created = []
    for account in settings.auth.accounts:
        if store.exists(account.name):
            continue
        # Kept in a file for the demo and the tests rather than handed to a person, so not one-time.
        fresh = store.create(account.name, roles=list(account.roles), admin=account.admin, approved=True,
                             one_time_password=False)
        path = credentials_path(settings, account.name)
        path.unlink(missing_ok=True)  # left by an earlier store: those credentials no longer work
        credentials = {"name": account.name, "password": fresh.password,
                       "totp_secret": fresh.totp_secret, "otpauth_uri": fresh.otpauth_uri}
        write_secret_once(path, lambda: json.dumps(credentials, indent=2))
        created.append(account.name)
    return created


def ensure_demo_data(settings: Settings) -> None:
    catalogue = Catalogue(settings.data_path(settings.datasets.catalogue_dir))
    added = load_demo_datasets(catalogue, settings.datasets.demo_rows)
    if added:
        print(f"[haven] loaded the synthetic demo datasets {', '.join(added)} into {catalogue.root}")


def seed_projects(settings: Settings) -> None:
    token = settings.data_path(settings.hub.operator_token_file).read_text().strip()
    client = HubClient(f"{public_url(settings)}/hub/api", token)
    created = projects.seed_projects(client, settings.projects)
    if created:
        print(f"[haven] created the projects {', '.join(created)} from the settings")


def hub_pid(settings: Settings) -> int | None:
    try:
        pid = int((settings.hub.data_dir / "jupyterhub.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def public_url(settings: Settings) -> str:
    return f"http://{settings.hub.public_ip}:{settings.hub.public_port}"


def hub_answers(settings: Settings) -> bool:
    try:
        with urllib.request.urlopen(f"{public_url(settings)}/hub/api/", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start(settings: Settings, settings_path: Path, config: Path, timeout: float = 90) -> int:
    if hub_pid(settings) and hub_answers(settings):
        print(f"[haven] the hub is already running at {public_url(settings)}")
        print_login(settings)
        return 0
    # Before the hub listens on every address: its API and the egress service must be
    # closed to the host's other interfaces from the first moment, not from the first spawn.
    try:
        host_state.require_private(settings, "the hub")
        host_state.require_container_uid(settings)
    except host_state.HostStateError as error:
        print(f"[haven] {error}", file=sys.stderr)
        return 1
    networks.project_firewall(settings).install()
    logs = host_state.make_private_dir(settings.hub.data_dir / "logs")
    log_path = logs / "jupyterhub.log"
    os.close(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    env = {**os.environ, "HAVEN_SETTINGS": str(settings_path)}
    jupyterhub = Path(sys.executable).with_name("jupyterhub")
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [str(jupyterhub), "-f", str(config)],
            cwd=config.parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print(f"[haven] the hub exited with code {process.returncode}; see {log_path}", file=sys.stderr)
            return 1
        if hub_answers(settings):
            seed_projects(settings)
            print(f"[haven] Haven is up at {public_url(settings)} (hub log: {log_path})")
            print_login(settings)
            return 0
        time.sleep(0.5)
    print(f"[haven] the hub did not answer within {timeout:.0f}s; see {log_path}", file=sys.stderr)
    return 1


def print_login(settings: Settings) -> None:
    print(f"[haven] open {public_url(settings)}/ in a browser and log in:")
    if settings.auth.kind == "oidc":
        print(f"[haven]   with {settings.auth.oidc.login_service} (OIDC)")
    for account in settings.auth.accounts:
        roles = ["admin"] if account.admin else list(account.roles)
        path = credentials_path(settings, account.name)
        try:
            credentials = json.loads(path.read_text())
        except (OSError, ValueError):
            if settings.auth.kind == "builtin":
                print(f"[haven]   {account.name:<10} ({', '.join(roles)}): no initial credentials in {path}")
            continue
        print(f"[haven]   {account.name:<10} ({', '.join(roles)}) password {credentials['password']}"
              f"  TOTP secret {credentials['totp_secret']}")
        print(f"[haven]   {'':<10} enrol an authenticator app with {credentials['otpauth_uri']}")
    if settings.auth.kind == "builtin":
        print("[haven]   the code for the login form, without an app: "
              f"{Path(sys.executable)} -m haven_hub.auth.totp SECRET  (or: oathtool --totp -b SECRET)")
        print(f"[haven]   credentials are kept in {settings.data_path(settings.auth.credentials_dir)}/NAME.json")
    for project in settings.projects:
        print(f"[haven]   project {project.id!r} ({project.title}): members {', '.join(project.members)}")
    print(f"[haven] administrators provision projects at {public_url(settings)}/services/admin/ "
          "or with: haven project --help")
    print("[haven] stop Haven with: scripts/down")


def stop(settings: Settings, timeout: float = 60) -> int:
    pid = hub_pid(settings)
    if pid is None:
        print("[haven] the hub is not running")
        return 0
    # The hub stops its users' servers and its proxy on SIGTERM.
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and hub_pid(settings) == pid:
        time.sleep(0.5)
    if hub_pid(settings) == pid:
        print(f"[haven] the hub (pid {pid}) did not stop within {timeout:.0f}s", file=sys.stderr)
        return 1
    print("[haven] the hub has stopped; data is kept in", settings.hub.data_dir)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m haven_hub.bootstrap")
    parser.add_argument("action", choices=["secrets", "demo-data", "start", "stop", "status"])
    parser.add_argument("--settings", required=True, type=Path)
    parser.add_argument("--config", type=Path, default=Path("jupyterhub_config.py"))
    args = parser.parse_args(argv)
    host_state.use_private_umask()
    try:
        settings = load_settings(args.settings)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.action == "secrets":
        for path in ensure_secrets(settings):
            print(f"[haven] made private (it was readable by others or owned by another uid): {path}")
        return 0
    if args.action == "demo-data":
        ensure_demo_data(settings)
        return 0
    if args.action == "start":
        return start(settings, args.settings.resolve(), args.config.resolve())
    if args.action == "stop":
        return stop(settings)
    running = hub_pid(settings) is not None and hub_answers(settings)
    print("running" if running else "stopped")
    return 0 if running else 3


if __name__ == "__main__":
    sys.exit(main())
