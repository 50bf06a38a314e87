"""The OpenAPI description and the route table describe the same API, and the docs copy is current."""

import re
from pathlib import Path

from haven_egress.web import openapi
from haven_egress.web.app import ROUTES
from haven_egress.web.handlers import DECISIONS

REPO = Path(__file__).resolve().parents[3]


def routed() -> set[tuple[str, str]]:
    return {(method, route.path) for route in ROUTES for method in route.methods}


def test_every_route_is_described_and_every_description_is_routed():
    described = openapi.operations(openapi.description())
    assert described == routed()


def test_the_decision_words_agree():
    spec = openapi.description()
    parameter = next(p for p in spec["paths"]["/api/requests/{request_id}/{decision}"]["parameters"]
                     if p.get("name") == "decision")
    assert set(parameter["schema"]["enum"]) == set(DECISIONS)


def test_every_path_parameter_is_declared():
    spec = openapi.description()
    for path, item in spec["paths"].items():
        declared = {p.get("name") or p["$ref"].rsplit("/", 1)[-1] for p in item.get("parameters", [])}
        names = {"RequestId" if n == "request_id" else "FileId" if n == "file_id" else n
                 for n in re.findall(r"\{(\w+)\}", path)}
        assert names == declared, path


def test_the_docs_copy_is_the_served_description():
    # Regenerate with: python -m haven_egress.web.openapi > docs/egress-openapi.yaml
    assert (REPO / "docs" / "egress-openapi.yaml").read_bytes() == openapi.text()


def test_the_agreement_check_would_notice_a_missing_route():
    spec = openapi.description()
    del spec["paths"]["/api/files/{file_id}/content"]
    assert openapi.operations(spec) != routed()
