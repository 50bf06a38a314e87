"""Maps Haven's settings onto JupyterHub's traitlets config.

Each function returns the part of the configuration it decides (a ``traitlets.config.Config``
or the value of one setting) and changes nothing else, so the parts can be built in any
order; ``configuration`` merges them and refuses two parts setting the same thing.
``configure`` is what ``jupyterhub_config.py`` calls.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from traitlets.config import Config

from . import host_state, landing, limits, logs, metrics, proxy_errors, roles, spawn_page, swarm, theme, usage
from .auth import configure as auth_configure
from .governance import accreditation
from .operator_config import load_operator_config
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


def hub_config(settings: Settings) -> Config:
    hub = settings.hub
    data_dir = hub.data_dir
    c = Config()
    c.JupyterHub.bind_url = f"http://{hub.public_ip}:{hub.public_port}/"
    # The hub API listens on every address so that each project network's gateway
    # reaches it; networks.Firewall admits it only from loopback and project bridges.
    c.JupyterHub.hub_bind_url = f"http://0.0.0.0:{hub.api_port}"
    c.JupyterHub.hub_connect_url = f"http://127.0.0.1:{hub.api_port}"
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{hub.proxy_api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(data_dir / "proxy.pid")
    c.JupyterHub.db_url = f"sqlite:///{data_dir / 'jupyterhub.sqlite'}"
    # Never upgraded on a start: `haven upgrade` backs up every store first (upgrade_db would
    # copy only this SQLite file, into the data folder) and runs JupyterHub's upgrade-db.
    c.JupyterHub.upgrade_db = False
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
    # (a checker alone lands on the review queue, an admin alone on the admin pages: haven_hub.landing).
    c.JupyterHub.default_url = landing.default_url
    c.JupyterHub.named_server_limit_per_user = 0
    # Haven's hub templates, then the theme's (the one navigation bar every Haven page includes).
    c.JupyterHub.template_paths = [str(TEMPLATES), str(theme.TEMPLATES)]
    return c


def template_vars(settings: Settings) -> dict[str, Any]:
    """What the hub's page templates (hub/haven_hub/templates) read beyond JupyterHub's own."""
    data_dir = settings.hub.data_dir
    return {
        "haven_projects": _projects_for_template,
        # The project page shows the admin service's last disk measurements (never measures).
        "haven_disk_usage": lambda user: usage.load(data_dir),
        "haven_disk_warning_percent": settings.admin.disk_warning_percent,
        # Accreditations about to expire, or missing for starting servers (haven_hub.governance.accreditation).
        "haven_accreditation_notices": lambda user: accreditation.notices(settings, user.name) if user else [],
        # JupyterHub calls each callable here with the user; these hand the page a function to call.
        "haven_nav": lambda user: theme.hub_nav,
        # The image's main packages, on the home page only (the spawn page is skipped: nothing to choose).
        "haven_kernel_section": lambda user: lambda: spawn_page.kernel_section(
            spawn_page.image_kernel_packages(settings.spawner.image)),
    }


def _projects_for_template(user: Any) -> list[Any]:
    if user is None:
        return []
    return projects_of_user(user.orm_user)


def auth_config(settings: Settings) -> Config:
    auth = settings.auth
    c = Config()
    if auth.kind == "oidc":
        secret = read_secret(settings, auth.oidc.client_secret_file, "OIDC client secret")
        auth_configure.configure_oidc(c, settings, secret)
    else:
        auth_configure.configure_builtin(c, settings)
    auth_configure.configure_sessions(c, settings)
    accreditation_check = accreditation.login_check(settings)
    if accreditation_check is not None and auth.kind == "oidc":
        c.GenericOAuthenticator.post_auth_hook = accreditation.refusing_post_auth_hook(accreditation_check)
    elif accreditation_check is not None:
        c.HavenAuthenticator.accreditation_check = accreditation_check
    c.Authenticator.admin_users = roles.admin_users(_accounts(settings))
    return c


def _accounts(settings: Settings) -> list[Any]:
    """The settings' accounts, overridden by the accounts store (``haven account`` changes roles)."""
    accounts = {account.name: account for account in settings.auth.accounts}
    accounts.update({account.name: account for account in auth_configure.stored_accounts(settings)})
    return list(accounts.values())


def spawner_config(settings: Settings) -> Config:
    """The spawner's class and the DockerSpawner settings Haven decides. Volumes, host
    config and limits are the spawner's own at each start (docs/spawner-config.md says
    what an administrator's config may add to them)."""
    spawner = settings.spawner
    c = Config()
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
    if spawner.engine == "swarm":
        # HavenSwarmSpawner reads the "HavenSpawner" section too; what differs is set for it alone.
        c.JupyterHub.spawner_class = "haven_hub.swarm_spawner.HavenSwarmSpawner"
        c.HavenSwarmSpawner.image = swarm.registry_reference(spawner.swarm.registry, spawner.image)
        c.HavenSwarmSpawner.pull_policy = "skip"  # each node pulls from the registry
    return c


def load_roles(settings: Settings, services: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every role the hub loads: the operator's, Haven's (a service's only when it runs), "server"."""
    operator = {
        "name": OPERATOR_SERVICE,
        "description": "The haven admin command: users, projects and servers, not their contents",
        "scopes": OPERATOR_SCOPES,
        "services": [OPERATOR_SERVICE],
    }
    running = {service["name"] for service in services}
    scrape = [metrics.metrics_role()] if metrics.METRICS_SERVICE in running else []
    return [operator, *roles.load_roles(_accounts(settings), running), roles.server_role(), *scrape]


# The crash tests' fault hooks (haven_egress.web.startup.FAULT_SLEEP…), set in the hub's
# environment: the hub passes its services only the variables it is told to.
PASSED_TO_SERVICES = ("HAVEN_EGRESS_FAULT_SLEEP", "HAVEN_EGRESS_FAULT_SLEEP_AFTER_COMMIT")


def _web_service(name: str, port: int, module: str, oauth_scopes: Iterable[str],
                 settings_path: str | os.PathLike[str], log_file: Path) -> dict[str, Any]:
    """One of Haven's own web services, started and proxied by the hub, logged in through it."""
    return {
        "name": name,
        # Where the proxy sends /services/<name>/.
        "url": f"http://127.0.0.1:{port}",
        # Through haven_hub.supervise: restarted within a second of a crash, not at the hub's
        # next poll of the process (30 s).
        "command": [sys.executable, "-m", "haven_hub.supervise", module],
        # The service reads the same settings file (validated on its own load), no copy.
        # Its output goes to its own log file (haven_hub.logs), not the hub's console.
        "environment": {"HAVEN_SETTINGS": str(Path(settings_path).resolve()), "HAVEN_LOG_FILE": str(log_file),
                        **{name: os.environ[name] for name in PASSED_TO_SERVICES if name in os.environ}},
        "oauth_client_allowed_scopes": list(oauth_scopes),
        # Part of Haven itself: no "authorize this application?" page in between.
        "oauth_no_confirm": True,
        # In the hub's Services menu for those who may open it (the hub filters by access scope).
        "display": True,
    }


def operator_service(settings: Settings) -> dict[str, Any]:
    """The token the ``haven`` command calls the hub's API with (no process of its own)."""
    return {"name": OPERATOR_SERVICE,
            "api_token": read_secret(settings, settings.hub.operator_token_file, "operator token")}


def egress_service(settings: Settings, settings_path: str | os.PathLike[str]) -> dict[str, Any]:
    """The egress review queue at ``/services/egress/``; it binds every address itself (see
    haven_egress.web) so project containers reach it through their gateway."""
    return _web_service(roles.EGRESS_SERVICE, settings.egress.port, "haven_egress.web",
                        roles.EGRESS_OAUTH_SCOPES, settings_path, logs.log_file(settings, "egress"))


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
                        roles.ADMIN_OAUTH_SCOPES, settings_path, logs.log_file(settings, "admin"))


def services(settings: Settings, settings_path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every service the hub knows: the operator's token, egress, the idle culler when on, admin,
    the metrics scraper's token."""
    culler = idle_culler_service(settings)
    return [operator_service(settings), egress_service(settings, settings_path),
            *([culler] if culler is not None else []), admin_service(settings, settings_path),
            metrics.metrics_service(settings)]


def audit_config(settings: Settings) -> Config:
    """Spawns, refusals and stops go to the hub side's audit log; so do API tokens made,
    deleted or refused through the hub's token API (written from the hub's request logger)."""
    from .audit import hooks, tokens

    c = Config()
    c.HavenSpawner.pre_spawn_hook, c.HavenSpawner.post_stop_hook = hooks.spawn_hooks(settings.hub.data_dir)
    c.JupyterHub.tornado_settings = {"log_function": tokens.log_function(settings.hub.data_dir)}
    return c


def browser_meter_config(settings: Settings) -> Config:
    """The hub API the project servers report bytes sent to the browser to (haven_hub.meter.api)."""
    from .meter import api
    from .governance import accreditation_api  # and people's accreditations

    c = Config()
    # Also haven.css for the hub's own pages (the services serve their own copy).
    c.JupyterHub.extra_handlers = [*api.handlers(settings.hub.data_dir), theme.static_route("/haven/"),
                                   *accreditation_api.handlers(settings),
                                   # and the page for a service that is restarting (haven_hub.proxy_errors).
                                   *proxy_errors.handlers()]
    return c


def services_config(settings: Settings, settings_path: str | os.PathLike[str]) -> Config:
    """The services, the roles (which name services, so both come from one list) and scopes."""
    hub_services = services(settings, settings_path)
    c = Config()
    c.JupyterHub.services = hub_services
    c.JupyterHub.load_roles = load_roles(settings, hub_services)
    c.JupyterHub.custom_scopes = dict(roles.CUSTOM_SCOPES)
    c.JupyterHub.template_vars = template_vars(settings)
    return c


def configuration(settings: Settings, settings_path: str | os.PathLike[str]) -> Config:
    """The whole of Haven's JupyterHub configuration."""
    return merged([
        hub_config(settings),
        auth_config(settings),
        spawner_config(settings),
        services_config(settings, settings_path),
        audit_config(settings),
        browser_meter_config(settings),
        operations_config(settings),
    ])


def operations_config(settings: Settings) -> Config:
    """How many servers one host runs, the hub's and the proxy's own log files
    (haven_hub.logs), and who may read the metrics."""
    c = Config()
    spawns = limits.limits_of(settings)
    c.JupyterHub.active_server_limit = spawns["active_server_limit"]
    c.JupyterHub.concurrent_spawn_limit = spawns["concurrent_spawn_limit"]
    log_dir = host_state.make_private_dir(logs.log_dir(settings))
    c.JupyterHub.logging_config = logs.hub_logging_config(log_dir / logs.LOG_FILES["hub"])
    c.ConfigurableHTTPProxy.command = [sys.executable, "-m", "haven_hub.logs", "proxy",
                                       str(log_dir / logs.LOG_FILES["proxy"]), "--",
                                       # Haven's page when a service is restarting (haven_hub.proxy_errors).
                                       sys.executable, "-m", "haven_hub.proxy_errors.launch", "--",
                                       *settings.hub.proxy_command]
    c.JupyterHub.authenticate_prometheus = True
    return c


def merged(parts: Iterable[Config]) -> Config:
    """The parts together, each left as it was; two parts setting the same trait is a
    programming error, so that no value depends on which part came last."""
    sections: dict[str, dict[str, Any]] = {}
    for part in parts:
        for section, values in part.items():
            whole = sections.setdefault(section, {})
            both = sorted(set(whole) & set(values))
            if both:
                raise ValueError(f"{section}.{both[0]} is set by two parts of Haven's configuration")
            whole.update(values)
    return Config({section: Config(values) for section, values in sections.items()})


def configure(c: Config, settings_path: str | os.PathLike[str]) -> Settings:
    settings = load_settings(settings_path)
    # Raised here, the hub exits before it opens a database or listens (a config error).
    host_state.require_private(settings, "the hub")
    host_state.require_container_uid(settings)
    from .backup.restore import require_no_interrupted_restore

    require_no_interrupted_restore(settings)
    c.merge(configuration(settings, settings_path))
    # The authenticator reports logins to the audit log without knowing the settings.
    from .audit import hooks
    from .auth import events

    events.REPORTS.attach(hooks.HubAuditTrail(settings.hub.data_dir))
    # Last: the operator's own files see, and may change, everything Haven set.
    load_operator_config(c, settings.operations.extra_config_dir)
    return settings
