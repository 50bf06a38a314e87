"""What every admin handler shares: settings, the lifecycle, the audit log, disk usage, the sweep."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

import jinja2

from .. import theme, usage
from ..audit.log import HubAuditLog
from ..datasets.catalogue import Catalogue
from ..meter import DayTotal, meter_store
from ..projects import Project, today_utc
from ..provisioning.hub_api import HubClient
from ..provisioning.lifecycle import Outcome, Provisioner
from ..settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
# A page load re-measures disk usage at most this often (walking a large workspace is slow).
USAGE_MAX_AGE_SECONDS = 60
SWEEP_ACTOR = "admin-service:sweep"

log = logging.getLogger("haven.admin")


@dataclass
class AdminContext:
    settings: Settings
    hub_api_url: str
    operator_token: str
    executor: Executor
    prefix: str = "/services/admin/"
    hub_prefix: str = "/hub/"
    clock: Callable[[], date] = today_utc
    docker_client: Any = None  # measures members' volumes too when given
    templates: jinja2.Environment = field(default_factory=lambda: theme.environment(TEMPLATES))
    audit: HubAuditLog = field(init=False)
    _measured_at: float = field(default=0.0, init=False)
    _usage_lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self.audit = HubAuditLog.from_settings(self.settings)

    def provisioner(self, actor: str) -> Provisioner:
        catalogue_dir = self.settings.data_path(self.settings.datasets.catalogue_dir)
        return Provisioner(HubClient(self.hub_api_url, self.operator_token),
                           Catalogue(catalogue_dir) if catalogue_dir.is_dir() else None,
                           clock=self.clock, audit=self.audit, actor=actor)

    def presets(self) -> list[str]:
        try:
            from haven_disclosure.settings import PRESETS
        except ImportError:  # the hub installed without the egress package: free text
            return []
        return sorted(PRESETS)

    def account_names(self) -> list[str]:
        """Every person the hub knows (the members picker offers only these)."""
        hub = HubClient(self.hub_api_url, self.operator_token)
        return sorted(user["name"] for user in hub._pages("/users") if user.get("kind", "user") == "user")

    def dataset_names(self) -> list[str]:
        """The catalogue's datasets (the datasets picker offers only these); none without a catalogue."""
        catalogue_dir = self.settings.data_path(self.settings.datasets.catalogue_dir)
        return Catalogue(catalogue_dir).names() if catalogue_dir.is_dir() else []

    def accounts(self) -> Any:
        """The built-in accounts' API (``haven account`` uses the same), with the operator's token."""
        from ..accounts.cli import Accounts

        return Accounts(self.hub_api_url.removesuffix("/hub/api"), self.operator_token)

    def disk_usage(self, projects: list[Project], force: bool = False) -> dict[str, usage.DiskUsage]:
        """The last measurements, re-measured if older than USAGE_MAX_AGE_SECONDS (or forced)."""
        with self._usage_lock:
            stale = time.monotonic() - self._measured_at > USAGE_MAX_AGE_SECONDS
            if force or stale or set(p.id for p in projects) - set(usage.load(self.settings.hub.data_dir)):
                measured = [usage.measure(self.settings, p, self.docker_client) for p in projects]
                usage.save(self.settings, measured)
                self._measured_at = time.monotonic()
            return usage.load(self.settings.hub.data_dir)

    def browser_today(self) -> dict[str, list[DayTotal]]:
        """Bytes each member's server sent to their browser today (UTC), by project."""
        by_project: dict[str, list[DayTotal]] = {}
        for total in meter_store(self.settings.hub.data_dir).day_totals():
            by_project.setdefault(total.project, []).append(total)
        return by_project

    def sweep(self) -> list[Outcome]:
        """Suspends projects whose end date passed and stops their servers (audited), then re-measures disk."""
        provisioner = self.provisioner(SWEEP_ACTOR)
        outcomes = provisioner.sweep()
        for outcome in outcomes:
            log.info("sweep: project %s is %s; stopped: %s", outcome.project.id,
                     outcome.project.effective_status(self.clock()), ", ".join(outcome.stopped) or "none")
        self.disk_usage(provisioner.list(), force=True)
        return outcomes
