"""A project's activity as a Five Safes RO-Crate (https://w3id.org/5s-crate/0.4), metadata only.

What maps to what:

- safe project: the project as a ``Project``, the root's ``sourceOrganization``; its lead and
  members as ``Person`` entities that are ``memberOf`` it;
- safe data: each granted dataset as a ``Dataset`` (title, description, version);
- safe settings: each start of a member's server as a ``CreateAction`` whose ``object`` is the
  datasets it mounted (from the hub's audit chain);
- safe outputs: each release request as a ``CreateAction`` by its author whose ``result`` is its
  files; each automated disclosure check and each checker's vote as an ``AssessAction``
  (``shp:DisclosureCheck``); each decision on a request (approved, released, returned, rejected,
  revoked) as an ``AuthorizeAction`` by the checker who made it.

Every action is in the root's ``mentions``, as the profile asks. The profile's workflow parts
(``mainEntity`` a Workflow RO-Crate, BagIt packaging) have no counterpart in Haven, where work is
interactive: the crate is the metadata file alone, and ``docs/transparency.md`` says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..projects import Project
from .egress_records import CheckRecord, Decision, RequestRecord

RO_CRATE = "https://w3id.org/ro/crate/1.3"
CONTEXT = f"{RO_CRATE}/context"
PROFILE = "https://w3id.org/5s-crate/0.4"
SHP = "https://w3id.org/shp#"
SCHEMA = "http://schema.org/"
HAVEN = "#haven"
CHECKER_SOFTWARE = "#haven-disclosure"
DECISION_STATES = {"approved", "released", "returned", "rejected", "revoked"}
REQUEST_STATUS = {"released": "CompletedActionStatus", "approved": "ActiveActionStatus",
                  "reviewed": "ActiveActionStatus", "under_review": "ActiveActionStatus",
                  "submitted": "PotentialActionStatus", "returned": "FailedActionStatus",
                  "rejected": "FailedActionStatus", "withdrawn": "FailedActionStatus", "revoked": "FailedActionStatus"}


def ref(entity_id: str) -> dict[str, str]:
    return {"@id": entity_id}


def build_crate(project: Project, datasets: list[dict[str, Any]], starts: list[dict[str, Any]],
                requests: list[RequestRecord], files: dict[str, list[dict[str, Any]]],
                checks: list[CheckRecord], decisions: list[Decision], published: datetime) -> dict[str, Any]:
    """``datasets``: catalogue entries (name, title, description, version) of the project's grants;
    ``starts``: server starts (time, user, datasets as "name@version"); ``files``: request id ->
    the files of its versions (``EgressRecords.files``)."""
    project_id = f"#project-{project.id}"
    graph: dict[str, dict[str, Any]] = {}

    def add(entity: dict[str, Any]) -> dict[str, str]:
        graph.setdefault(entity["@id"], entity)
        return ref(entity["@id"])

    def person(name: str, role: str = "member") -> dict[str, str]:
        entity: dict[str, Any] = {"@id": f"#person-{name}", "@type": "Person", "name": name}
        if name in project.members or role == "member":
            entity["memberOf"] = ref(project_id)
        entity["description"] = role
        return add(entity)

    mentions: list[dict[str, str]] = []
    add({"@id": "ro-crate-metadata.json", "@type": "CreativeWork", "about": ref("./"), "conformsTo": ref(RO_CRATE)})
    add({"@id": PROFILE, "@type": ["CreativeWork", "Profile"], "name": "Five Safes RO-Crate profile",
         "version": "0.4"})
    add({"@id": HAVEN, "@type": "Organization", "name": "Haven trusted research environment"})
    add({"@id": CHECKER_SOFTWARE, "@type": "SoftwareApplication", "name": "Haven's automated disclosure checks",
         "provider": ref(HAVEN)})
    add({"@id": f"{SHP}DisclosureCheck", "@type": "DefinedTerm", "name": "Disclosure check"})
    add({"@id": f"{SHP}SignOff", "@type": "DefinedTerm", "name": "Sign-off"})
    members = [person(name) for name in sorted(project.members)]
    project_entity: dict[str, Any] = {
        "@id": project_id, "@type": "Project", "name": project.title, "description": project.lay_summary or project.purpose,
        "identifier": ref(f"#haven-project-id-{project.id}"), "member": members,
    }
    add({"@id": f"#haven-project-id-{project.id}", "@type": "PropertyValue", "name": "haven project", "value": project.id})
    if project.organisation:
        project_entity["parentOrganization"] = add({"@id": f"#organisation-{project.id}", "@type": "Organization",
                                                    "name": project.organisation})
    if project.lead:
        project_entity["contactPoint"] = add({"@id": f"#lead-{project.id}", "@type": "Person", "name": project.lead,
                                              "description": "project lead", "memberOf": ref(project_id)})
    if project.start_date:
        project_entity["foundingDate"] = project.start_date.isoformat()
    if project.end_date:
        project_entity["dissolutionDate"] = project.end_date.isoformat()
    add(project_entity)

    for dataset in datasets:
        add({"@id": f"#dataset-{dataset['name']}", "@type": "Dataset", "name": dataset.get("title") or dataset["name"],
             "description": dataset.get("description", ""), "version": dataset.get("version", ""),
             "identifier": dataset["name"]})

    for number, start in enumerate(starts, start=1):
        used = []
        for item in start["datasets"]:
            name = item.partition("@")[0]
            used.append(add({"@id": f"#dataset-{name}", "@type": "Dataset", "name": name, "identifier": name}))
        action = add({"@id": f"#server-start-{number}", "@type": "CreateAction",
                      "name": f"{start['user']} started a server of project {project.id}",
                      "agent": person(start["user"]), "object": used, "startTime": _time(start["time"]),
                      "instrument": ref(HAVEN), "actionStatus": ref(f"{SCHEMA}CompletedActionStatus")})
        mentions.append(action)

    for request in requests:
        latest = {item["path"]: item for item in files.get(request.id, [])}  # a path's latest version wins
        outputs = [add({"@id": f"#request-{request.id}/{item['path']}", "@type": "DigitalDocument",
                        "name": item["path"], "sha256": item["sha256"], "contentSize": str(item["size"]),
                        "encodingFormat": item["media_type"],
                        "description": "evidence for checkers (never released)" if item.get("supporting")
                        else f"output, version {item.get('version', 1)}"})
                   for item in latest.values()]
        mentions.append(add({
            "@id": f"#request-{request.id}", "@type": "CreateAction", "name": f"Release request: {request.title}",
            "agent": person(request.author), "startTime": _time(request.created_at), "result": outputs,
            "actionStatus": ref(SCHEMA + REQUEST_STATUS.get(request.state, "ActiveActionStatus")),
            "description": f"state: {request.state}",
        }))

    for check in checks:
        verdict = check.verdict or check.status
        mentions.append(add({
            "@id": f"#check-{check.id}", "@type": "AssessAction", "additionalType": ref(f"{SHP}DisclosureCheck"),
            "name": f"Automated disclosure check of {check.path}: {verdict}", "endTime": _time(check.at),
            "object": ref(f"#request-{check.request_id}/{check.path}"), "agent": ref(CHECKER_SOFTWARE),
            "instrument": add({"@id": f"#preset-{check.preset}", "@type": "DefinedTerm",
                               "name": f"disclosure-control preset {check.preset}"}),
            "actionStatus": ref(f"{SCHEMA}{'FailedActionStatus' if check.status == 'error' else 'CompletedActionStatus'}"),
        }))

    for decision in decisions:
        if decision.path:  # a checker's vote on one file
            mentions.append(add({
                "@id": f"#{decision.id}", "@type": "AssessAction", "additionalType": ref(f"{SHP}DisclosureCheck"),
                "name": f"Output checker's vote on {decision.path}: {decision.decision}",
                "endTime": _time(decision.at), "object": ref(f"#request-{decision.request_id}/{decision.path}"),
                "agent": person(decision.actor, "output checker"),
                "actionStatus": ref(f"{SCHEMA}CompletedActionStatus"),
            }))
        elif decision.decision in DECISION_STATES:
            mentions.append(add({
                "@id": f"#{decision.id}", "@type": "AuthorizeAction", "additionalType": ref(f"{SHP}SignOff"),
                "name": f"Release request {decision.decision}", "endTime": _time(decision.at),
                "object": ref(f"#request-{decision.request_id}"), "agent": person(decision.actor, "output checker"),
                "actionStatus": ref(f"{SCHEMA}CompletedActionStatus"),
            }))

    root = {"@id": "./", "@type": "Dataset", "name": f"Activity of project {project.title}",
            "description": f"Haven's record of project {project.id}: its people, data, servers, outputs and "
                           "their disclosure checks and decisions.",
            "conformsTo": ref(PROFILE), "datePublished": _time(published), "publisher": ref(HAVEN),
            "sourceOrganization": ref(project_id), "mentions": mentions, "hasPart": []}
    return {"@context": CONTEXT, "@graph": [root, *graph.values()]}


def _time(value: datetime) -> str:
    # RFC 3339 with its zone, as the profile asks; Haven's stores keep UTC (SQLite drops the zone).
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")
