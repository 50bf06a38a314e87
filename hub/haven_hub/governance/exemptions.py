"""A project's recorded exemptions from row filters: ``haven project exempt`` / ``unexempt``.

An exemption names the dataset, the filter, who recorded it, why (the approval it rests on)
and when; it is a field of the project's record (``ProjectRecord.row_filter_exemptions``), so
it is saved and audited like any other change of the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from ..datasets.errors import DatasetError
from ..projects import RowFilterExemption
from ..provisioning import rules
from ..provisioning.lifecycle import Outcome, Provisioner
from ..provisioning.rules import ProvisioningError
from . import row_filters


@dataclass
class Exemptions:
    provisioner: Provisioner

    def exempt(self, project_id: str, dataset: str, filter_id: str, reason: str) -> Outcome:
        """From the next start of each server, the project mounts ``dataset`` without this filter."""
        p = self.provisioner
        project = p.get(project_id)
        if not reason.strip():
            raise ProvisioningError("an exemption needs a --reason: the approval it rests on")
        if dataset not in {grant.name for grant in project.datasets}:
            raise ProvisioningError(f"project {project_id!r} is not granted dataset {dataset!r}")
        if p.catalogue is not None:
            try:
                known = [item.id for item in row_filters.declared(p.catalogue, dataset).filters]
            except DatasetError as error:
                raise ProvisioningError(str(error)) from None
            if filter_id not in known:
                raise ProvisioningError(f"dataset {dataset!r} has no row filter {filter_id!r}; "
                                        f"its filters are {known or 'none'}")
        exemption = rules.validated(lambda: RowFilterExemption(
            dataset=dataset, filter=filter_id, by=p.actor, reason=reason.strip(),
            granted=datetime.now(timezone.utc).replace(microsecond=0)))
        others = tuple(e for e in project.row_filter_exemptions if (e.dataset, e.filter) != (dataset, filter_id))
        saved = p.update(project_id, {"row_filter_exemptions": (*others, exemption)},
                         action="project.row_filter.exempt")
        return Outcome(saved)

    def unexempt(self, project_id: str, dataset: str, filter_id: str) -> Outcome:
        """Withdraws an exemption; running servers stop, since they mount the unfiltered rows."""
        p = self.provisioner
        project = p.get(project_id)
        kept = tuple(e for e in project.row_filter_exemptions if (e.dataset, e.filter) != (dataset, filter_id))
        if len(kept) == len(project.row_filter_exemptions):
            raise ProvisioningError(f"project {project_id!r} holds no exemption from filter {filter_id!r} "
                                    f"of dataset {dataset!r}")
        saved = p.update(project_id, {"row_filter_exemptions": kept}, action="project.row_filter.unexempt")
        stopped = tuple(p.hub.running_servers(project_id))
        for username in stopped:
            p.hub.stop_server(username, project_id)
        if stopped and p.audit is not None:
            p.audit.record(p.actor, "project.servers.stop", f"project/{project_id}", project_id,
                           users=list(stopped), because="row filter exemption withdrawn")
        return Outcome(saved, stopped)
