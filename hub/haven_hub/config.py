"""Maps Haven's settings onto JupyterHub's traitlets config.

Each function only sets values on ``c`` (a ``traitlets.config.Config``), so tests call
them with a plain ``Config()``. ``configure`` is what ``jupyterhub_config.py`` calls.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from traitlets.config import Config

from . import host_state, roles, usage
from .auth import configure as auth_config
from .projects import projects_of_user
from .settings import Settings, SettingsError, load_settings

OPERATOR_SERVICE = "haven-operator"
OPERATOR_SCOPES = ["admin:users", "admin:groups", "admin:servers", "read:hub"]
TEMPLATES = Path(__file__).parent / "templates"


def read_secret(settings: Settings, path: Path, what: str) -> str:
    resolved = settings.data_path(path)
    try:
        value = resolved.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError(f"cannot read {what} from {resolved}: {exc.strerror}") from None
    if not value:
        raise SettingsError(f"{what} file {resolved} is empty")
    return value


def configure_hub(c: Config, settings: Settings) -> None:
    hub = settings.hub
    data_dir = hub.data_dir
    c.JupyterHub.bind_url = f"http://{hub.public_ip}:{hub.public_port}/"
    # The hub API listens on every address so that each project network's gateway
    # reaches it; networks.Firewall admits it only from loopback and project bridges.
    c.JupyterHub.hub_bind_url = f"http://0.0.0.0:{hub.api_port}"
    c.JupyterHub.hub_connect_url = f"http://127.0.0.1:{hub.api_port}"
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{hub.proxy_api_port}"
    c.ConfigurableHTTPProxy.command = list(hub.proxy_command)
    c.ConfigurableHTTPProxy.pid_file = str(data_dir / "proxy.pid")
    c.JupyterHub.db_url = f"sqlite:///{data_dir / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(data_dir / "secrets" / "cookie_secret")
    c.JupyterHub.pid_file = str(data_dir / "jupyterhub.pid")
    # Send the browser to the spawn-pending page (where the spawner's progress
    # messages are shown) after a second, instead of holding the request for ten.
    # Not zero: a refused spawn fails within milliseconds, and this lets the
    # refusal reach the person (or API client) as an error instead of a 202.
    c.JupyterHub.slow_spawn_timeout = 1
    c.JupyterHub.allow_named_servers = True
    # After login, people land on their projects, not on a spawn form for an unnamed
    # server (which Haven does not have).
    c.JupyterHub.default_url = "/hub/home"
    c.JupyterHub.named_server_limit_per_user = 0
    c.JupyterHub.template_paths = [str(TEMPLATES)]
    c.JupyterHub.template_vars = {"haven_projects": _projects_for_template}
    c.JupyterHub.services = [
        {"name": OPERATOR_SERVICE, "api_token": read_secret(settings, hub.operator_token_file, "operator token")}
    ]
    c.JupyterHub.load_roles = [
        {
            "name": OPERATOR_SERVICE,
            "description": "The haven admin command: users, projects and servers, not their contents",
            "scopes": OPERATOR_SCOPES,
            "services": [OPERATOR_SERVICE],
        }
    ]


def _projects_for_template(user: Any) -> list[Any]:
    if user is None:
        return []
    return projects_of_user(user.orm_user)


def configure_auth(c: Config, settings: Settings) -> None:
    auth = settings.auth
    if auth.kind == "oidc":
        secret = read_secret(settings, auth.oidc.client_secret_file, "OIDC client secret")
        auth_config.configure_oidc(c, settings, secret)
    else:
        auth_config.configure_builtin(c, settings)
    auth_config.configure_sessions(c, settings)
    c.Authenticator.admin_users = {a.name for a in _accounts(settings) if a.admin}


def _accounts(settings: Settings) -> list[Any]:
    """The settings' accounts, overridden by the accounts store (``haven account`` changes roles)."""
    accounts = {account.name: account for account in settings.auth.accounts}
    accounts.update({account.name: account for account in auth_config.stored_accounts(settings)})
    return list(accounts.values())


def configure_spawner(c: Config, settings: Settings) -> None:
    spawner = settings.spawner
    c.JupyterHub.spawner_class = "haven_hub.spawner.HavenSpawner"
    c.HavenSpawner.haven_settings = settings
    c.HavenSpawner.image = spawner.image
    c.HavenSpawner.pull_policy = "never"
    c.HavenSpawner.remove = True
    c.HavenSpawner.prefix = spawner.container_prefix
    c.HavenSpawner.start_timeout = spawner.start_timeout
    c.HavenSpawner.http_timeout = spawner.start_timeout
    c.HavenSpawner.cmd = ["jupyterhub-singleuser"]
    c.HavenSpawner.default_url = "/lab"


def configure_roles(c: Config, settings: Settings) -> None:
    c.JupyterHub.custom_scopes = dict(roles.CUSTOM_SCOPES)
    # Appended: configure_hub already put the operator's role there.
    c.JupyterHub.load_roles.extend(roles.load_roles(_accounts(settings)))
    c.JupyterHub.load_roles.append(roles.server_role())


def _web_service(name: str, port: int, module: str, oauth_scopes: Iterable[str],
                 settings_path: str | os.PathLike[str]) -> dict[str, Any]:
    """One of Haven's own web services, started and proxied by the hub, logged in through it."""
    return {
        "name": name,
        # Where the proxy sends /services/<name>/.
        "url": f"http://127.0.0.1:{port}",
        "command": [sys.executable, "-m", module],
        # The service reads the same settings file (validated on its own load), no copy.
        "environment": {"HAVEN_SETTINGS": str(Path(settings_path).resolve())},
        "oauth_client_allowed_scopes": list(oauth_scopes),
        # Part of Haven itself: no "authorize this application?" page in between.
        "oauth_no_confirm": True,
        # In the hub's Services menu for those who may open it (the hub filters by access scope).
        "display": True,
    }


def egress_service(settings: Settings, settings_path: str | os.PathLike[str]) -> dict[str, Any]:
    """The egress review queue at ``/services/egress/``; it binds every address itself (see
    haven_egress.web) so project containers reach it through their gateway."""
    return _web_service(roles.EGRESS_SERVICE, settings.egress.port, "haven_egress.web",
                        roles.EGRESS_OAUTH_SCOPES, settings_path)


def configure_egress(c: Config, settings: Settings, settings_path: str | os.PathLike[str]) -> None:
    c.JupyterHub.services.append(egress_service(settings, settings_path))


def configure_audit(c: Config, settings: Settings) -> None:
    """Spawns, refusals and stops go to the hub side's audit log; logins find it too."""
    from .audit import hooks

    hooks.use_data_dir(settings.hub.data_dir)
    c.HavenSpawner.pre_spawn_hook, c.HavenSpawner.post_stop_hook = hooks.spawn_hooks(settings.hub.data_dir)


def configure_browser_meter(c: Config, settings: Settings) -> None:
    """The hub API the project servers report bytes sent to the browser to (haven_hub.meter.api)."""
    from .meter import api

    c.JupyterHub.extra_handlers = api.handlers(settings.hub.data_dir)


def idle_culler_service(settings: Settings) -> dict[str, Any] | None:
    """jupyterhub-idle-culler as a hub-managed service (its role: roles.IDLE_CULLER_ROLE)."""
    culler = settings.idle_culler
    if culler.timeout_minutes == 0:
        return None
    return {
        "name": roles.IDLE_CULLER_SERVICE,
        "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                    f"--timeout={max(1, round(culler.timeout_minutes * 60))}",
                    f"--cull-every={culler.every_seconds}",
                    # Haven's servers are named (one per project); there are no default ones.
                    "--cull-named-servers=true", "--remove-named-servers=false", "--cull-users=false"],
    }


def admin_service(settings: Settings, settings_path: str | os.PathLike[str]) -> dict[str, Any]:
    """The admin pages at ``/services/admin/``."""
    return _web_service(roles.ADMIN_SERVICE, settings.admin.port, "haven_hub.admin",
                        roles.ADMIN_OAUTH_SCOPES, settings_path)


def configure_services(c: Config, settings: Settings, settings_path: str | os.PathLike[str]) -> None:
    culler = idle_culler_service(settings)
    if culler is not None:
        c.JupyterHub.services.append(culler)
    else:  # a role naming a service the hub does not run would stop the hub starting
        c.JupyterHub.load_roles = [r for r in c.JupyterHub.load_roles if r["name"] != roles.IDLE_CULLER_ROLE]
    c.JupyterHub.services.append(admin_service(settings, settings_path))
    # The project page shows the admin service's last disk measurements (never measures).
    data_dir = settings.hub.data_dir
    c.JupyterHub.template_vars["haven_disk_usage"] = lambda user: usage.load(data_dir)
    c.JupyterHub.template_vars["haven_disk_warning_percent"] = settings.admin.disk_warning_percent


def configure(c: Config, settings_path: str | os.PathLike[str]) -> Settings:
    settings = load_settings(settings_path)
    # Raised here, the hub exits before it opens a database or listens (a config error).
    host_state.require_private(settings, "the hub")
    host_state.require_container_uid(settings)
    configure_hub(c, settings)
    configure_auth(c, settings)
    configure_spawner(c, settings)
    configure_roles(c, settings)
    configure_egress(c, settings, settings_path)
    configure_audit(c, settings)
    configure_browser_meter(c, settings)
    configure_services(c, settings, settings_path)
    return settings
