"""The project form: what a person typed, turned into the lifecycle's input, or errors per field.

Pure functions, so the rules for each field are tested directly. The form keeps every
value as typed (``ProjectForm.values``) so a refused form comes back with the person's
input in place, never emptied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..projects import PUBLIC_FIELDS, Project
from ..settings import DatasetGrant

# (name, label, hint) in the order the form shows them.
TEXT_FIELDS = (
    ("title", "Title", "Human-readable title, shown to members."),
    ("lay_summary", "Lay summary", "Public-facing summary in plain language."),
    ("purpose", "Purpose", "What the project is approved to do."),
    ("lead", "Lead researcher", "A name; need not be a Haven account."),
    ("organisation", "Organisation", ""),
)
# Fields filled by pickers (one checkbox per account or dataset), joined into one list.
PICKED = ("members", "datasets", "confidential_fields", "required_accreditations")
FIELD_NAMES = ("id", *(name for name, _, _ in TEXT_FIELDS), "start_date", "end_date", "members", "datasets",
               "cpu", "memory", "pids", "browser_bytes_per_day", "disk_quota", "disclosure_preset",
               "terminals", "confidential_fields", "required_accreditations")


@dataclass
class ProjectForm:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    # Errors that belong to no one field (e.g. from the hub).
    general: list[str] = field(default_factory=list)
    # What the "kept out of the public register" picker offers (docs/transparency.md).
    public_fields = PUBLIC_FIELDS

    @property
    def valid(self) -> bool:
        return not self.errors and not self.general

    def add_error(self, message: str) -> None:
        """Puts a lifecycle refusal ("end_date: …", "limits.cpu: …") beside its field if it names one."""
        for part in message.split("; "):
            key, sep, text = part.partition(": ")
            name = key.split(".")[-1] if sep else ""
            if name in FIELD_NAMES and name not in self.errors:
                self.errors[name] = text
            else:
                self.general.append(part)


def from_project(project: Project) -> ProjectForm:
    """The form filled in from a stored project (for the edit page)."""
    p = project
    return ProjectForm({
        "id": p.id, "title": p.title, "lay_summary": p.lay_summary, "purpose": p.purpose, "lead": p.lead,
        "organisation": p.organisation, "start_date": str(p.start_date or ""), "end_date": str(p.end_date or ""),
        "members": ", ".join(sorted(p.members)),
        "datasets": ", ".join(g.name + (f"@{g.version}" if g.version else "") for g in p.datasets),
        "cpu": f"{p.limits.cpu:g}", "memory": p.limits.memory, "pids": str(p.limits.pids),
        "browser_bytes_per_day": p.limits.browser_bytes_per_day,
        "disk_quota": p.disk_quota or "", "disclosure_preset": p.disclosure_preset,
        "terminals": "on" if p.terminals else "",
        "confidential_fields": ", ".join(p.confidential_fields),
        "required_accreditations": ", ".join(p.required_accreditations),
    })


def blank() -> ProjectForm:
    return ProjectForm({name: "" for name in FIELD_NAMES} | {"cpu": "1", "memory": "2G", "pids": "512",
                                                          "browser_bytes_per_day": "100M"})


@dataclass(frozen=True)
class Parsed:
    fields: dict[str, Any]  # ProjectRecord fields (the lifecycle validates them as a whole)
    members: list[str]


def parse(raw: dict[str, str], *, creating: bool) -> tuple[ProjectForm, Parsed | None]:
    """The form as typed, and the parsed input when every field parsed (else None)."""
    values = {name: (raw.get(name) or "").strip() for name in FIELD_NAMES}
    form = ProjectForm(values)
    fields: dict[str, Any] = {}
    if creating and not values["id"]:
        form.errors["id"] = "give the project an id, e.g. diabetes-2026"
    if not values["title"]:
        form.errors["title"] = "give the project a title"
    for name, _, _ in TEXT_FIELDS:
        fields[name] = values[name]
    for name in ("start_date", "end_date"):
        fields[name] = _date(form, name)
    if fields["start_date"] and fields["end_date"] and fields["end_date"] < fields["start_date"]:
        # The lifecycle refuses this too; said here, the message sits beside the field it is about.
        form.errors["end_date"] = f"the end date {fields['end_date']} is before the start date {fields['start_date']}"
    limits: dict[str, Any] = {"memory": values["memory"]}
    if values["browser_bytes_per_day"]:
        limits["browser_bytes_per_day"] = values["browser_bytes_per_day"].upper()
    limits["cpu"] = _number(form, "cpu", float, "a number of CPU cores, e.g. 0.5 or 2")
    limits["pids"] = _number(form, "pids", int, "a whole number of processes, e.g. 512")
    fields["limits"] = limits
    fields["disk_quota"] = values["disk_quota"].upper() or None
    fields["disclosure_preset"] = values["disclosure_preset"]
    # A checkbox: sent as "on" when ticked, absent when not.
    fields["terminals"] = values["terminals"] == "on"
    fields["datasets"] = _grants(form)
    chosen = split_list(values["confidential_fields"])
    # In the allowlist's order (as ProjectRecord keeps them); anything else stays, to be refused by name.
    fields["confidential_fields"] = (*(f for f in PUBLIC_FIELDS if f in chosen), *(f for f in chosen if f not in PUBLIC_FIELDS))
    # The picker offers the settings' kinds only; the record checks each name's form.
    fields["required_accreditations"] = tuple(split_list(values["required_accreditations"]))
    members = split_list(values["members"])
    if not form.valid:
        return form, None
    return form, Parsed(fields, sorted(set(members)))


def split_list(text: str) -> list[str]:
    """Names typed or picked: separated by commas or spaces (a picker sends one per box)."""
    return [item for item in re.split(r"[\s,]+", text) if item]


def _date(form: ProjectForm, name: str) -> date | None:
    text = form.values[name]
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        form.errors[name] = f"{text!r} is not a date: use YYYY-MM-DD"
        return None


def _number(form: ProjectForm, name: str, kind: type, hint: str) -> Any:
    try:
        return kind(form.values[name])
    except ValueError:
        form.errors[name] = f"{form.values[name]!r} is not {hint}" if form.values[name] else f"give {hint}"
        return None


def _grants(form: ProjectForm) -> tuple[DatasetGrant, ...] | None:
    grants = []
    for item in (i for i in re.split(r"[\s,]+", form.values["datasets"]) if i):
        name, _, version = item.partition("@")
        try:
            grants.append(DatasetGrant(name=name, version=version or None))
        except ValueError:
            form.errors["datasets"] = (f"{item!r} is not a dataset name (lower-case letters, digits and "
                                       "underscores), optionally with @version")
            return None
    return tuple(grants)
