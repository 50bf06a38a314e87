"""The API's OpenAPI description: ``openapi.yaml`` beside this module, served at ``api/openapi.yaml``.

It is written by hand (the handlers take multipart and free-form JSON that no generator
would describe better), so a unit test holds it to the route table: the same paths, the
same methods, nothing more, nothing less. ``python -m haven_egress.web.openapi`` prints
it for ``docs/egress-openapi.yaml``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

SOURCE = Path(__file__).with_name("openapi.yaml")


@cache
def text() -> bytes:
    return SOURCE.read_bytes()


def description() -> dict[str, Any]:
    return yaml.safe_load(text())


def operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """(METHOD, path relative to the service prefix) for every operation described."""
    methods = {"get", "put", "post", "delete", "patch", "head", "options"}
    return {(method.upper(), path.lstrip("/")) for path, item in spec["paths"].items()
            for method in item if method in methods}


if __name__ == "__main__":
    print(text().decode(), end="")
