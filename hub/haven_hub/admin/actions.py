"""What the admin pages do, over the same lifecycle as ``haven project``.

Handlers only translate HTTP; these functions check everything a form asks for before
changing anything (a refused form changes nothing), then make the changes through
:class:`~haven_hub.provisioning.lifecycle.Provisioner`, which writes each audit event
with the acting admin's name.
"""

from __future__ import annotations

from typing import Any

from ..projects import Project
from ..provisioning import rules
from ..provisioning.hub_api import HubError
from ..provisioning.lifecycle import Outcome, Provisioner
from ..provisioning.rules import ProvisioningError
from . import forms

STATUS_ACTIONS = ("suspend", "resume", "archive")


def create(provisioner: Provisioner, raw: dict[str, str]) -> tuple[forms.ProjectForm, Project | None]:
    form, parsed = forms.parse(raw, creating=True)
    if parsed is None:
        return form, None
    try:
        project = provisioner.create(form.values["id"], parsed.members, parsed.fields)
    except (ProvisioningError, HubError) as refused:
        form.add_error(one_line(refused))
        return form, None
    return form, project


def update(provisioner: Provisioner, project_id: str, raw: dict[str, str]) -> tuple[forms.ProjectForm, Outcome | None]:
    form, parsed = forms.parse({**raw, "id": project_id}, creating=False)
    if parsed is None:
        return form, None
    try:
        project = provisioner.get(project_id)
        rules.check_editable(project)
        changes = _changes(project, parsed.fields)
        added = sorted(set(parsed.members) - project.members)
        removed = sorted(project.members - set(parsed.members))
        # Everything is checked first: the record as a whole and the new members' accounts.
        rules.record_with(project, **changes)
        provisioner.check_accounts(added)
        if changes:
            provisioner.update(project_id, changes)
        if added:
            provisioner.add_members(project_id, added)
        stopped: tuple[str, ...] = ()
        if removed:
            stopped = provisioner.remove_members(project_id, removed).stopped
        return form, Outcome(provisioner.get(project_id), stopped)
    except (ProvisioningError, HubError) as refused:
        form.add_error(one_line(refused))
        return form, None


def change_status(provisioner: Provisioner, project_id: str, action: str, reason: str) -> Outcome:
    if action not in STATUS_ACTIONS:
        raise ProvisioningError(f"unknown action {action!r}")
    if action == "resume":
        return provisioner.resume(project_id)
    return getattr(provisioner, action)(project_id, reason.strip())


def _changes(project: Project, fields: dict[str, Any]) -> dict[str, Any]:
    """Only what differs from the stored record, so an unchanged save writes no event."""
    current = project.model_dump(include=set(fields))
    changes = {}
    for name, value in fields.items():
        if name == "limits":
            if value != current["limits"]:
                changes[name] = value
        elif name == "datasets":
            if tuple(value) != tuple(project.datasets):
                changes[name] = value
        elif value != current[name]:
            changes[name] = value
    return changes


def one_line(error: Exception) -> str:
    return str(error).splitlines()[0] if isinstance(error, HubError) else str(error)
