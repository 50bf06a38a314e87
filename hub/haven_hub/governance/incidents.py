"""Incidents: an administrator freezes a project in one action and thaws it with a reason.

Freezing writes ``frozen`` into the project's record (the hub's group properties, the one
source of truth) *before* stopping anything, so no server can start in between; then it
stops the project's running servers through the lifecycle's own path. What that revokes:
Haven runs DockerSpawner with ``remove = True``, so ``will_resume`` is false and JupyterHub's
``User.stop`` deletes the server's API token (``JUPYTERHUB_API_TOKEN``: what the lab uses to
call the hub and the egress service) and the server's OAuth client
(``jupyterhub-user-<name>-<server>``), whose access tokens (the browser's cookies for
``/user/<name>/<project>/``) go with it (cascade). Those are every token scoped to the
project's servers; the members' own hub sessions are not the project's and stay.

The egress service reads the same flag from the hub (``haven_egress.holds``) before every
vote, decision, release, download or submission of the project's requests: nothing is
stored twice, so a freeze and the hold cannot disagree, and a thaw restores them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from ..projects import Project
from ..provisioning import rules
from ..provisioning.lifecycle import Outcome, Provisioner
from ..provisioning.rules import ProvisioningError

# What each stopped server loses, for the audit event (see the module's docstring).
REVOKED = ("server API token", "server OAuth client and its access tokens")


def spawn_refusal(project: Project) -> str | None:
    """Why no member may start a server for ``project`` because of an incident (None: none)."""
    if not project.frozen:
        return None
    why = f" ({project.frozen_reason})" if project.frozen_reason else ""
    return (f"Project {project.id!r} is frozen by an administrator{why}: its servers cannot be "
            "started until it is thawed.")


def _reason(text: str, action: str) -> str:
    if not text or not text.strip():
        raise ProvisioningError(f"{action} needs a reason (--reason): it is recorded in the audit log")
    return text.strip()


@dataclass
class Incidents:
    provisioner: Provisioner

    def freeze(self, project_id: str, reason: str) -> Outcome:
        """Freezes the project; freezing a frozen one again only stops any server still running."""
        reason = _reason(reason, "freezing")
        p = self.provisioner
        project = p.get(project_id)
        if not project.frozen:
            record = rules.record_with(project, frozen=True, frozen_reason=reason, frozen_changed=_now())
            project = p._save(project_id, record)
            p._audit("project.freeze", project_id, reason=reason, egress="held")
        stopped = p._stop_servers(project_id)
        if stopped:
            p._audit("project.servers.stop", project_id, users=list(stopped), because="freeze",
                     revoked=[f"{user}/{project_id}: {what}" for user in stopped for what in REVOKED])
        return Outcome(project, stopped)

    def thaw(self, project_id: str, reason: str) -> Outcome:
        """Lifts the freeze: spawns (if the lifecycle allows them) and the egress requests resume;
        the stopped servers are not started again."""
        reason = _reason(reason, "thawing")
        p = self.provisioner
        project = p.get(project_id)
        if not project.frozen:
            raise ProvisioningError(f"cannot thaw project {project_id!r}: it is not frozen")
        record = rules.record_with(project, frozen=False, frozen_reason="", frozen_changed=_now())
        thawed = p._save(project_id, record)
        p._audit("project.thaw", project_id, reason=reason, was_frozen_for=project.frozen_reason, egress="released")
        return Outcome(thawed)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)
