"""What the admin pages do, over the same lifecycle as ``haven project``.

Handlers only translate HTTP; these functions check everything a form asks for before
changing anything (a refused form changes nothing), then make the changes through
:class:`~haven_hub.provisioning.lifecycle.Provisioner`, which writes each audit event
with the acting admin's name.
"""

from __future__ import annotations

from typing import Any

from ..governance.incidents import Incidents
from ..projects import Project, group_name
from ..provisioning import rules
from ..provisioning.hub_api import HubError
from ..provisioning.lifecycle import Outcome, Provisioner
from ..provisioning.rules import ProvisioningError
from . import forms

STATUS_ACTIONS = ("suspend", "resume", "archive", "freeze", "thaw")


def create(provisioner: Provisioner, raw: dict[str, str]) -> tuple[forms.ProjectForm, Project | None]:
    form, parsed = forms.parse(raw, creating=True)
    check_everything(provisioner, form, parsed, creating=True)
    if parsed is None or not form.valid:
        return form, None
    try:
        project = provisioner.create(form.values["id"], parsed.members, parsed.fields)
    except (ProvisioningError, HubError) as refused:
        form.add_error(one_line(refused))
        return form, None
    return form, project


def update(provisioner: Provisioner, project_id: str, raw: dict[str, str]) -> tuple[forms.ProjectForm, Outcome | None]:
    form, parsed = forms.parse({**raw, "id": project_id}, creating=False)
    try:
        project = provisioner.get(project_id)
    except (ProvisioningError, HubError) as refused:
        form.add_error(one_line(refused))
        return form, None
    check_everything(provisioner, form, parsed, creating=False, project=project)
    if parsed is None or not form.valid:
        return form, None
    try:
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


def check_everything(provisioner: Provisioner, form: forms.ProjectForm, parsed: forms.Parsed | None, *,
                     creating: bool, project: Project | None = None) -> None:
    """Every check the lifecycle would make, each error put beside its field, so one submit shows
    all of them (the lifecycle stops at its first): the id, the accounts, the grants, the record."""
    _check_everything(provisioner, form, parsed, creating=creating, project=project)
    _in_form_order(form)


def _check_everything(provisioner: Provisioner, form: forms.ProjectForm, parsed: forms.Parsed | None, *,
                      creating: bool, project: Project | None = None) -> None:
    values = form.values
    if creating and values["id"] and "id" not in form.errors:
        try:
            rules.check_project_id(values["id"])
            if provisioner.hub.group(group_name(values["id"])) is not None:
                form.errors["id"] = f"a project {values['id']!r} already exists: choose another id"
        except ProvisioningError as refused:
            form.errors["id"] = str(refused)
    members = forms.split_list(values["members"])
    new_members = [m for m in members if project is None or m not in project.members]
    if new_members and "members" not in form.errors:
        try:
            provisioner.check_accounts(new_members)
        except ProvisioningError as refused:
            form.errors["members"] = str(refused)
    if parsed is None:
        return
    grants = parsed.fields.get("datasets") or ()
    if provisioner.catalogue is not None and "datasets" not in form.errors:
        missing = []
        for grant in grants:
            if project is not None and grant in project.datasets:
                continue  # an old grant whose dataset was withdrawn must not block other edits
            try:
                provisioner.catalogue.resolve(grant.name, grant.version)
            except Exception as error:  # DatasetError: the catalogue's own words
                missing.append(f"cannot grant dataset {grant.name!r}: {error}")
        if missing:
            form.errors["datasets"] = "; ".join(missing)
    try:
        if project is None:
            rules.new_record(parsed.fields)
        else:
            rules.record_with(project, **_changes(project, parsed.fields))
    except (ProvisioningError, ValueError) as refused:
        for line in str(refused).splitlines():
            form.add_error(line.strip())


def _in_form_order(form: forms.ProjectForm) -> None:
    """The summary lists errors in the order the fields come on the page."""
    order = {name: index for index, name in enumerate(forms.FIELD_NAMES)}
    form.errors = dict(sorted(form.errors.items(), key=lambda item: order.get(item[0], len(order))))


REASON_NEEDED = {"suspend": "say why the project is suspended (its members are told)",
                 "archive": "say why the project is archived (kept in the audit log)",
                 "freeze": "say what the incident is (kept in the audit log; members are told)",
                 "thaw": "say why the incident is over (kept in the audit log)"}


def change_status(provisioner: Provisioner, project_id: str, action: str, reason: str) -> Outcome:
    if action not in STATUS_ACTIONS:
        raise ProvisioningError(f"unknown action {action!r}")
    if action in REASON_NEEDED and not reason.strip():
        raise ProvisioningError(f"reason: {REASON_NEEDED[action]}")
    if action == "resume":
        return provisioner.resume(project_id)
    if action in ("freeze", "thaw"):
        return getattr(Incidents(provisioner), action)(project_id, reason)
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
