"""The admin pages' Reports tab: the ``haven report`` tables, and each project's RO-Crate to download.

Administrators only, as every admin page (``AdminHandler.prepare``); a crate downloaded here is
audited with the administrator's name, as one written by ``haven report crate`` is with the operator's.
"""

from __future__ import annotations

import json
from typing import Any

from tornado import web

from ..admin.handlers import AdminHandler
from ..provisioning.rules import ProvisioningError
from . import reports
from .egress_records import EgressRecords


def read_reports(context: Any) -> dict[str, Any]:
    records = EgressRecords.from_settings(context.settings)
    try:
        return {"access": reports.dataset_access(context.audit),
                "requests": reports.requests_by_state(records.requests()),
                "outputs": reports.outputs_by_dataset(records.releases())}
    finally:
        records.close()


def crate_of(context: Any, project_id: str, actor: str) -> dict[str, Any]:
    project = context.provisioner(actor).get(project_id)
    records = EgressRecords.from_settings(context.settings)
    try:
        return reports.project_crate(context.settings, project, records, context.audit, actor)
    finally:
        records.close()


class ReportsHandler(AdminHandler):
    async def get(self) -> None:
        tables = await self.run(read_reports, self.context)
        projects = await self.run(self.provisioner().list)
        self.render_page("reports.html", "Reports", section="reports", projects=projects, **tables)


class CrateHandler(AdminHandler):
    async def get(self, project_id: str) -> None:
        try:
            crate = await self.run(crate_of, self.context, project_id, self.admin_name)
        except ProvisioningError as missing:
            raise web.HTTPError(404, str(missing)) from None
        self.set_header("Content-Type", "application/ld+json")
        self.set_header("Content-Disposition", f'attachment; filename="{project_id}-ro-crate-metadata.json"')
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(crate, indent=2))
