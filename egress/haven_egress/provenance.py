"""The provenance kept with each request version: where its files were made.

Two parts, never mixed, and each says who vouches for it:

- ``hub``: the record the spawner keeps in the server's state (``haven_hub.provenance``):
  the image's content id, the kernel's locked packages, the datasets mounted with their
  versions and checksums. The service reads it from the hub's API with its own token, for
  the one server the caller's token is bound to; nothing the container sends can change it.
- ``declared_by_server``: what the lab said (packages the analyst installed into their user
  site, which notebook each rendered file came from). Shown as the server's word only.

The hub's part missing (the hub unreachable, the server gone, a server started before it was
recorded) is stored as such, with the reason: the request is still filed.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from haven_hub.provenance import FORMAT, STATE_KEY

from .errors import Invalid

# (user, server name) -> the hub's record of that server, or a reason it has none.
HubLookup = Callable[[str, str], "HubAnswer"]
TIMEOUT_SECONDS = 10

DECLARED_FIELDS = frozenset({"user_packages", "sources"})
MAX_USER_PACKAGES = 500
MAX_SOURCES = 200
MAX_TEXT = 300
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+!-]{0,63}$")


class HubAnswer:
    """The hub's record of a server, or why there is none (one of the two is set)."""

    def __init__(self, record: dict[str, Any] | None = None, missing: str = "") -> None:
        self.record = record
        self.missing = missing if record is None else ""


class HubServerRecords:
    """Reads a server's record from the hub's REST API (``GET /users/{user}/servers/{name}``)."""

    def __init__(self, api_url: str, token: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token

    def __call__(self, user: str, server: str) -> HubAnswer:
        request = urllib.request.Request(
            f"{self.api_url}/users/{quote(user, safe='')}/servers/{quote(server, safe='')}",
            headers={"Authorization": f"token {self.token}", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 - the hub's own URL
                model = json.load(answer)
        except urllib.error.HTTPError as error:
            return HubAnswer(missing=f"the hub answered {error.code} for server {user}/{server}")
        except (OSError, ValueError) as error:
            return HubAnswer(missing=f"the hub could not be asked: {error}")
        return record_of(model)


def record_of(server_model: Mapping[str, Any]) -> HubAnswer:
    """The record in a server model from the hub's API; a missing or foreign one is a reason."""
    if "state" not in server_model:
        return HubAnswer(missing="the hub did not show the server's state (the egress service lacks admin:server_state)")
    record = (server_model.get("state") or {}).get(STATE_KEY)
    if not isinstance(record, dict):
        if server_model.get("stopped"):
            # The spawner forgets the record when the server stops (clear_state).
            return HubAnswer(missing="the server is not running: the hub keeps its record only while it runs")
        return HubAnswer(missing="the server was started before Haven recorded provenance; restart it")
    if record.get("format") != FORMAT:
        return HubAnswer(missing=f"the hub's record has an unknown format {record.get('format')!r}")
    return HubAnswer(record)


def no_hub(user: str, server: str) -> HubAnswer:
    """Outside the hub (unit tests, the CLI), nobody can vouch for a server."""
    return HubAnswer(missing="the egress service runs without the hub")


def declared(value: Any) -> dict[str, Any] | None:
    """The lab's own statement, checked for shape and size; None when it sent none."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid("'declared' must be an object")
    unknown = sorted(set(value) - DECLARED_FIELDS)
    if unknown:
        raise Invalid(f"unknown field(s) in 'declared': {', '.join(unknown)}")
    packages = value.get("user_packages", {})
    if not isinstance(packages, dict) or len(packages) > MAX_USER_PACKAGES:
        raise Invalid(f"'declared.user_packages' must be an object of at most {MAX_USER_PACKAGES} name: version pairs")
    for name, version in packages.items():
        if not _NAME.match(name) or not isinstance(version, str) or not _VERSION.match(version):
            raise Invalid(f"'declared.user_packages' has an entry that is not a package and its version: {name!r}")
    sources = value.get("sources", {})
    if not isinstance(sources, dict) or len(sources) > MAX_SOURCES:
        raise Invalid(f"'declared.sources' must be an object of at most {MAX_SOURCES} path: source path pairs")
    for sent, source in sources.items():
        if not isinstance(source, str) or not 0 < len(sent) <= MAX_TEXT or not 0 < len(source) <= MAX_TEXT:
            raise Invalid("'declared.sources' maps each sent path to the workspace path it was made from (text)")
    return {"user_packages": dict(sorted(packages.items())), "sources": dict(sorted(sources.items()))}


def document(server: str, hub: HubAnswer, declared_part: dict[str, Any] | None) -> dict[str, Any]:
    """What ``request_versions.provenance`` holds for a version filed from ``server`` (user/name)."""
    return {
        "format": FORMAT,
        "server": server,
        "hub": hub.record,
        "hub_missing": hub.missing,
        "declared_by_server": declared_part,
    }
