"""Building the service from Haven's settings: database, blobs, rules, cookie secret.

The service reads its section of the settings (``settings.egress``, declared once in
``haven_hub.settings.egress``) as it is: no second declaration, no mapping of names.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from haven_hub import host_state
from haven_hub.settings import Settings, load_settings

from .. import audit, provenance
from ..blobs import BlobStore
from ..checking import BackgroundChecks, PresetLookup, no_project_presets
from ..file_checks import CheckPolicy
from ..holds import HoldLookup, HubProjectHolds, no_holds
from ..ingress.service import Destinations, IngressService
from ..service import EgressService
from ..signing import Signer
from ..uploads import limits_of
from ..models import audit_events
from ..storage import open_engine, session_factory, upgrade
from .project_presets import HubProjectPresets


def load_private_settings(settings_path: str) -> Settings:
    """The settings, once this process creates only private files and Haven's state on the host
    is private (else HostStateError names each loose path and the service does not start)."""
    host_state.use_private_umask()
    settings = load_settings(settings_path)
    host_state.require_private(settings, "the egress service")
    return settings


def data_dir(settings: Settings) -> Path:
    path = settings.data_path(settings.egress.data_dir)
    path.mkdir(parents=True, exist_ok=True)
    # Submitted outputs are not yet approved to leave: readable by the service only.
    path.chmod(0o700)
    return path


def database_url(settings: Settings) -> str:
    return settings.egress.database_url or f"sqlite:///{data_dir(settings) / 'egress.sqlite'}"


# Seconds to pause between a submission's first blob write and its commit. Only the crash
# tests set it, to widen the window a kill must land in; unset, the hook is not installed.
FAULT_SLEEP = "HAVEN_EGRESS_FAULT_SLEEP"
# Seconds to pause between a submission's commit and its answer: the live crash test kills
# the service there, when the request is filed but the client has not heard so.
FAULT_SLEEP_AFTER_COMMIT = "HAVEN_EGRESS_FAULT_SLEEP_AFTER_COMMIT"


def fault_hook() -> Callable[[str], None] | None:
    pause = float(os.environ.get(FAULT_SLEEP) or 0)
    after_commit = float(os.environ.get(FAULT_SLEEP_AFTER_COMMIT) or 0)
    if pause <= 0 and after_commit <= 0:
        return None

    def hook(point: str) -> None:
        if point in ("submit.blob", "submit"):
            time.sleep(pause)
        elif point == "submit.committed":
            time.sleep(after_commit)

    return hook


def check_policy(settings: Settings) -> CheckPolicy:
    return CheckPolicy(default_preset=settings.egress.disclosure_preset,
                       overrides=settings.egress.disclosure_overrides,
                       limits=limits_of(settings.egress))


def project_presets() -> PresetLookup:
    """The hub's answer when run as its service; outside the hub, every project gets the default."""
    api_url, token = os.environ.get("JUPYTERHUB_API_URL"), os.environ.get("JUPYTERHUB_API_TOKEN")
    if api_url and token:
        return HubProjectPresets(api_url, token)
    return no_project_presets


def hub_records() -> provenance.HubLookup:
    """Servers' provenance as the hub keeps it, when run as the hub's service; else none vouched for."""
    api_url, token = os.environ.get("JUPYTERHUB_API_URL"), os.environ.get("JUPYTERHUB_API_TOKEN")
    if api_url and token:
        return provenance.HubServerRecords(api_url, token)
    return provenance.no_hub


def project_holds() -> HoldLookup:
    """Freezes as the hub records them, when run as its service; else no project is frozen."""
    api_url, token = os.environ.get("JUPYTERHUB_API_URL"), os.environ.get("JUPYTERHUB_API_TOKEN")
    if api_url and token:
        return HubProjectHolds(api_url, token)
    return no_holds


def open_service(settings: Settings) -> EgressService:
    """Migrate the database to the latest schema, then open the service on it, with the
    background checks started (they pick up every file whose checks had not run)."""
    url = database_url(settings)
    upgrade(url)
    engine = open_engine(url)
    # Every commit that writes an audit event moves the chain's head, kept outside the database.
    audit.anchor_table(engine, audit_events, audit.anchor_for(settings, data_dir(settings)))
    sessions = session_factory(engine)
    blobs = BlobStore(data_dir(settings) / "blobs")
    checks = BackgroundChecks(sessions, blobs, check_policy(settings), project_presets(),
                              workers=settings.egress.check_workers)
    service = EgressService(sessions, blobs, settings.egress, before_commit=fault_hook(),
                            signer=Signer.load_or_create(data_dir(settings) / "signing"),
                            checks=checks, hub_records=hub_records(), project_holds=project_holds())
    checks.start()
    return service


def cookie_secret(settings: Settings) -> bytes:
    """A secret kept across restarts, so a restart does not log every browser out."""
    path = data_dir(settings) / "cookie_secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())



def open_ingress(settings: Settings, service: EgressService) -> IngressService:
    """The ingress queue over the service's database and blob store; approved files go into the
    projects' workspaces as the containers' uid, approved packages to the package index."""

    def approve_package(requirement: str, actor: str, reason: str, projects: list[str]) -> None:
        from .. import package_index  # imports the service module: not at this module's import

        package_index.approve(service, requirement, actor, reason, projects)

    destinations = Destinations(settings.hub.data_dir, settings.spawner.container_uid, approve_package)
    return IngressService(service.sessions, service.blobs, settings.egress, destinations, service.project_holds)
