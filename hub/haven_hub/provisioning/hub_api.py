"""The few JupyterHub REST calls provisioning needs, with the standard library only.

``urllib.request`` rather than ``requests`` so the hub's install needs nothing new. Every
call carries the operator service's token; the hub decides what it may do (scopes), so a
token without ``admin:groups`` is refused by the hub, not by this module.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Iterator

PAGINATED = "application/jupyterhub-pagination+json"


class HubError(Exception):
    """The hub refused a call or could not be reached; ``str()`` is one readable line."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status


class HubClient:
    def __init__(self, api_url: str, token: str, timeout: float = 30) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None, accept: str = "application/json") -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.api_url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json", "Accept": accept},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            raise HubError(error.code, _hub_message(error)) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise HubError(None, f"cannot reach the hub at {self.api_url}: {reason}") from None
        return json.loads(payload) if payload else None

    def _pages(self, path: str) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list (the hub truncates unpaginated lists)."""
        offset = 0
        separator = "&" if "?" in path else "?"
        while True:
            page = self.call("GET", f"{path}{separator}offset={offset}", accept=PAGINATED)
            yield from page["items"]
            following = page["_pagination"].get("next")
            if not following:
                return
            offset = following["offset"]

    # -- groups ---------------------------------------------------------------------

    def groups(self) -> list[dict[str, Any]]:
        return list(self._pages("/groups"))

    def group(self, name: str) -> dict[str, Any] | None:
        try:
            return self.call("GET", f"/groups/{_q(name)}")
        except HubError as error:
            if error.status == 404:
                return None
            raise

    def create_group(self, name: str, users: list[str]) -> dict[str, Any]:
        return self.call("POST", f"/groups/{_q(name)}", {"users": users})

    def delete_group(self, name: str) -> None:
        self.call("DELETE", f"/groups/{_q(name)}")

    def set_properties(self, name: str, properties: dict[str, Any]) -> dict[str, Any]:
        # The hub replaces the whole properties dict: callers send the complete record.
        return self.call("PUT", f"/groups/{_q(name)}/properties", properties)

    def add_users(self, name: str, users: list[str]) -> dict[str, Any]:
        return self.call("POST", f"/groups/{_q(name)}/users", {"users": users})

    def remove_users(self, name: str, users: list[str]) -> dict[str, Any]:
        return self.call("DELETE", f"/groups/{_q(name)}/users", {"users": users})

    # -- users and servers ----------------------------------------------------------

    def user(self, name: str) -> dict[str, Any] | None:
        try:
            return self.call("GET", f"/users/{_q(name)}")
        except HubError as error:
            if error.status == 404:
                return None
            raise

    def running_servers(self, server_name: str) -> list[str]:
        """Users with a running (or starting) server of this name, whatever their membership now."""
        return sorted(
            user["name"] for user in self._pages("/users?state=active") if server_name in user.get("servers", {})
        )

    def stop_server(self, username: str, server_name: str, timeout: float = 90) -> None:
        """Stops a named server and waits until the hub reports it gone."""
        self.call("DELETE", f"/users/{_q(username)}/servers/{_q(server_name)}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            user = self.user(username)
            if user is None or server_name not in user.get("servers", {}):
                return
            time.sleep(0.25)
        raise HubError(None, f"{username}'s server {server_name!r} did not stop within {timeout:.0f}s")


def _q(part: str) -> str:
    return urllib.parse.quote(part, safe="")


def _hub_message(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
        message = body.get("message") or error.reason
    except ValueError:
        message = error.reason
    return f"the hub answered {error.code}: {message}"
