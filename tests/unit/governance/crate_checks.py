"""Checking a Five Safes RO-Crate offline: JSON-LD expansion with the RO-Crate context the rocrate
package bundles (no network: any other document asked for fails), and the profile's rules
(https://w3id.org/5s-crate/0.4) that can be checked on the metadata alone."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import rocrate
from pyld import jsonld

from haven_hub.governance.five_safes_crate import CONTEXT, PROFILE, RO_CRATE

BUNDLED = json.loads((Path(rocrate.__file__).parent / "data" / "ro-crate.jsonld").read_text(encoding="utf-8"))
TERMS = BUNDLED["@context"]
STATUSES = {f"http://schema.org/{s}ActionStatus" for s in ("Potential", "Active", "Completed", "Failed")}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def offline_loader(url: str, options: Any = None) -> dict[str, Any]:
    if url != CONTEXT:
        raise AssertionError(f"the crate needs {url}, which is not available offline")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": BUNDLED}


def check_crate(crate: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Raises AssertionError naming the first problem; returns the entities by @id."""
    assert BUNDLED["@id"] == CONTEXT, "the crate names the context the rocrate package bundles"
    assert crate["@context"] == CONTEXT
    graph = {entity["@id"]: entity for entity in crate["@graph"]}
    assert len(graph) == len(crate["@graph"]), "every @id once"
    # Every term resolves: each property and type is defined by the context.
    for entity in graph.values():
        for key in entity:
            assert key.startswith("@") or key in TERMS, f"{entity['@id']}: {key!r} is not an RO-Crate term"
        for type_ in _list(entity.get("@type")):
            assert type_ in TERMS, f"{entity['@id']}: type {type_!r} is not an RO-Crate term"
    expanded = jsonld.expand(crate, {"documentLoader": offline_loader, "base": "arcp://uuid,00000000-0000-0000-0000-000000000000/"})
    assert len(expanded) == len(graph)
    for node in expanded:  # nothing was dropped by the expansion (an unknown term would be)
        source = next(e for e in crate["@graph"] if _expanded_id(e["@id"]) == node["@id"])
        assert len([k for k in node if not k.startswith("@")]) == len([k for k in source if not k.startswith("@")])
        assert all(t.startswith(("http://", "https://")) for t in node.get("@type", ()))

    # Every reference points into the crate (schema.org enumerations and the profile's terms aside).
    for entity in graph.values():
        for value in entity.values():
            for item in _list(value):
                if isinstance(item, dict) and set(item) == {"@id"}:
                    # The RO-Crate specification a descriptor conforms to is the one thing named, not described.
                    assert item["@id"] in graph or item["@id"] in STATUSES | {RO_CRATE}, f"{entity['@id']} -> {item['@id']}"

    descriptor = graph["ro-crate-metadata.json"]
    assert descriptor["about"] == {"@id": "./"} and descriptor["conformsTo"]["@id"].startswith("https://w3id.org/ro/crate/1.")
    root = graph["./"]
    assert _list(root["@type"]) == ["Dataset"] and root["conformsTo"] == {"@id": PROFILE}
    assert "Profile" in _list(graph[PROFILE]["@type"])
    assert RFC3339.match(root["datePublished"])
    project = graph[root["sourceOrganization"]["@id"]]
    assert "Project" in _list(project["@type"])
    mentioned = {m["@id"] for m in root["mentions"]}
    actions = [e for e in graph.values() if set(_list(e["@type"])) & {"AssessAction", "AuthorizeAction", "CreateAction"}]
    assert {a["@id"] for a in actions} == mentioned, "every action is mentioned from the root"
    for action in actions:
        assert action["name"] and action["actionStatus"]["@id"] in STATUSES, action["@id"]
        agent = graph[action["agent"]["@id"]]
        assert agent.get("name"), action["@id"]
        if "SoftwareApplication" in _list(agent["@type"]):
            assert "Organization" in _list(graph[agent["provider"]["@id"]]["@type"])
        if "CreateAction" in _list(action["@type"]):
            assert RFC3339.match(action["startTime"])
            assert "Person" in _list(agent["@type"]) and agent["memberOf"] == {"@id": project["@id"]}
        else:
            assert RFC3339.match(action["endTime"]) and action["object"], action["@id"]
    return graph


def of_type(graph: dict[str, dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [e for e in graph.values() if type_ in _list(e["@type"])]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _expanded_id(entity_id: str) -> str:
    if entity_id.startswith(("http://", "https://")):
        return entity_id
    base = "arcp://uuid,00000000-0000-0000-0000-000000000000/"
    return base + entity_id.removeprefix("./") if not entity_id.startswith("#") else base + entity_id
