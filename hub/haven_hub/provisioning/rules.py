"""What the lifecycle allows: the state transitions as data, and the checks on input.

Pure functions over :mod:`haven_hub.projects` records, so they are tested directly
(``tests/unit/provisioning``). Who may act is the hub's business (scopes on the operator
token); these rules say *when* an action is allowed.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

from pydantic import ValidationError

from ..projects import ACTIVE, ARCHIVED, SUSPENDED, Project, ProjectRecord
from ..settings import PROJECT_ID, USERNAME


class ProvisioningError(Exception):
    """A refusal; the message says what was wrong and, where it helps, what to do."""


# (action, status now) -> status after. A pair that is not here is refused; see refusal().
TRANSITIONS: dict[tuple[str, str], str] = {
    ("suspend", ACTIVE): SUSPENDED,
    ("resume", SUSPENDED): ACTIVE,
    ("archive", ACTIVE): ARCHIVED,
    ("archive", SUSPENDED): ARCHIVED,
    # The end date passed (``haven project sweep``): same state as an admin's suspension.
    ("expire", ACTIVE): SUSPENDED,
}
ACTIONS = ("suspend", "resume", "archive", "expire")
# Set only by freeze, thaw, archive and close-out (haven_hub.governance), never by an edit.
INCIDENT_FIELDS = frozenset({"frozen", "frozen_reason", "frozen_changed", "archived_at", "closed_out"})

# Why a pair is refused, where a generic "it is <status>" would not say what to do.
_HINTS: dict[tuple[str, str], str] = {
    ("suspend", SUSPENDED): "it is already suspended",
    ("resume", ACTIVE): "it is not suspended",
    ("resume", ARCHIVED): "it is archived, and archiving is final",
    ("archive", ARCHIVED): "it is already archived",
    ("suspend", ARCHIVED): "it is archived",
    ("expire", SUSPENDED): "it is already suspended",
    ("expire", ARCHIVED): "it is archived",
}


def refusal(action: str, status: str) -> str | None:
    """None if the table allows ``action`` from ``status``, else why not."""
    if (action, status) in TRANSITIONS:
        return None
    return _HINTS.get((action, status), f"it is {status}")


def transition(project: Project, action: str, today: date, reason: str = "") -> ProjectRecord:
    """The project's record after ``action``, or ProvisioningError saying why not."""
    why_not = refusal(action, project.status)
    if why_not is not None:
        raise ProvisioningError(f"cannot {action} project {project.id!r}: {why_not}")
    if action == "resume" and project.end_date is not None and today > project.end_date:
        raise ProvisioningError(
            f"cannot resume project {project.id!r}: it ended on {project.end_date}; "
            f"extend it first with: haven project update {project.id} --end-date YYYY-MM-DD"
        )
    if action == "expire" and project.effective_status(today) != "ended":
        raise ProvisioningError(f"project {project.id!r} has not ended")
    if action == "expire":
        reason = f"its end date {project.end_date} passed"
    new_status = TRANSITIONS[(action, project.status)]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    return record_with(
        project,
        status=new_status,
        status_reason="" if new_status == ACTIVE else reason,
        status_changed=now,
        # The retention clock of close-out (haven_hub.governance.closeout) starts here.
        **({"archived_at": now} if new_status == ARCHIVED else {}),
    )


def check_editable(project: Project) -> None:
    """Archived projects are kept as they were; everything else may change in any state."""
    if project.status == ARCHIVED:
        raise ProvisioningError(f"project {project.id!r} is archived and can no longer be changed")


def check_project_id(project_id: str) -> None:
    if not re.match(PROJECT_ID, project_id):
        raise ProvisioningError(
            f"invalid project id {project_id!r}: use 3 to 32 lower-case letters, digits and dashes, "
            "starting with a letter and not ending with a dash"
        )


def check_usernames(names: list[str]) -> None:
    bad = [name for name in names if not re.match(USERNAME, name)]
    if bad:
        raise ProvisioningError(f"invalid username(s): {', '.join(map(repr, bad))}")


def new_record(fields: dict[str, Any]) -> ProjectRecord:
    """A new project's record from the administrator's input, validated by the one schema."""
    if "status" in fields or "status_reason" in fields:
        raise ProvisioningError("a new project is always active; suspend it after creating it")
    return validated(lambda: ProjectRecord(**fields))


def record_with(record: ProjectRecord, **changes: Any) -> ProjectRecord:
    """A copy of ``record`` with ``changes``, validated as a whole (e.g. end before start)."""
    current = record.model_dump(include=set(ProjectRecord.model_fields))
    return validated(lambda: ProjectRecord(**{**current, **changes}))


def validated(build: Any) -> Any:
    """``build()`` (a ProjectRecord, or a part of one such as a DatasetGrant), or ProvisioningError."""
    try:
        record = build()
    except ValidationError as error:
        raise ProvisioningError("; ".join(_describe(e) for e in error.errors())) from None
    if isinstance(record, ProjectRecord):
        check_disclosure_preset(record.disclosure_preset)
    return record


def check_disclosure_preset(preset: str) -> None:
    """An unknown preset would leave the project's outputs unchecked until someone noticed."""
    from haven_disclosure.settings import PRESETS  # the presets are the checks' data

    if preset and preset not in PRESETS:
        raise ProvisioningError(
            f"disclosure_preset: unknown preset {preset!r}; known presets: {', '.join(PRESETS)} "
            "(empty: the service default)")


def _describe(error: dict[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field"
    return f"{key}: {message}" if key else message

