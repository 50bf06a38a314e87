"""Projects are JupyterHub groups with properties: one source of truth in the hub's database.

A project ``demo`` is the group ``project-demo``; its members are the group's users and
everything else (title, limits, ...) lives in the group's ``properties``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .settings import Limits
from .settings import Project as ProjectSettings

GROUP_PREFIX = "project-"
PROPERTIES_KIND = "haven-project"


def group_name(project_id: str) -> str:
    return f"{GROUP_PREFIX}{project_id}"


def project_id_of(group_name_: str) -> str | None:
    if group_name_.startswith(GROUP_PREFIX):
        return group_name_[len(GROUP_PREFIX):]
    return None


@dataclass(frozen=True)
class Project:
    id: str
    title: str
    purpose: str
    members: frozenset[str]
    limits: Limits

    @classmethod
    def from_group(cls, name: str, properties: dict[str, Any], members: Iterable[str]) -> Project:
        project_id = project_id_of(name)
        if project_id is None or properties.get("kind") != PROPERTIES_KIND:
            raise ValueError(f"group {name!r} is not a Haven project")
        return cls(
            id=project_id,
            title=properties.get("title", project_id),
            purpose=properties.get("purpose", ""),
            members=frozenset(members),
            limits=Limits.model_validate(properties.get("limits", {})),
        )


def group_properties(project: ProjectSettings) -> dict[str, Any]:
    """The group properties that store a project (JSON-serialisable)."""
    return {
        "kind": PROPERTIES_KIND,
        "title": project.title,
        "purpose": project.purpose,
        "end_date": project.end_date.isoformat() if project.end_date else None,
        "limits": project.limits.model_dump(),
    }


def load_groups(projects: Iterable[ProjectSettings]) -> dict[str, dict[str, Any]]:
    """The value for ``JupyterHub.load_groups`` that creates the configured projects."""
    return {
        group_name(project.id): {"users": list(project.members), "properties": group_properties(project)}
        for project in projects
    }


def projects_of_user(orm_user: Any) -> list[Project]:
    """The projects a hub user (``jupyterhub.orm.User``) is a member of, sorted by id."""
    projects = []
    for group in orm_user.groups:
        if project_id_of(group.name) is None or group.properties.get("kind") != PROPERTIES_KIND:
            continue
        projects.append(
            Project.from_group(group.name, group.properties, (u.name for u in group.users))
        )
    return sorted(projects, key=lambda project: project.id)
