"""``haven account accredit | revoke-accreditation | accreditations``: people's accreditations.

Part of ``haven account`` (hub/haven_hub/accounts/cli.py hands these words over), but works
under OIDC too: it calls the hub's ``/hub/api/haven/accreditations`` with the operator
token, naming the host login that ran it (the audit log's actor, as ``haven project`` does).
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from typing import Any

from ..bootstrap import public_url
from ..command_line import settings_path
from ..provisioning.cli import cli_actor
from ..provisioning.hub_api import HubError, _hub_message
from ..settings import SettingsError, load_settings
from .accreditation_api import OPERATOR_HEADER

COMMANDS = ("accredit", "revoke-accreditation", "accreditations")
TIMEOUT_SECONDS = 30


def _date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_commands(words: Any, common: argparse.ArgumentParser) -> None:
    accredit = words.add_parser("accredit", parents=[common],
                                help="record an accreditation (or its renewal): kind, expiry, who awarded it, evidence")
    accredit.add_argument("name")
    accredit.add_argument("kind", help="a kind the settings declare (accreditation.kinds), e.g. safe_researcher")
    accredit.add_argument("--expires", type=_date, required=True, help="last day it is current (YYYY-MM-DD)")
    accredit.add_argument("--awarded", type=_date, help="the day it was awarded (default: today)")
    accredit.add_argument("--awarded-by", default="", help="who awarded it, e.g. the training body")
    accredit.add_argument("--evidence", default="", help="a note of the evidence seen, e.g. a certificate number")
    revoke = words.add_parser("revoke-accreditation", parents=[common], help="end an accreditation before its expiry")
    revoke.add_argument("name")
    revoke.add_argument("kind")
    revoke.add_argument("--reason", required=True, help="why (required; audited)")
    listing = words.add_parser("accreditations", parents=[common],
                               help="everyone's current accreditations, or one person's with --history")
    listing.add_argument("name", nargs="?")
    listing.add_argument("--history", action="store_true", help="every change recorded for NAME, oldest first")


class Client:
    def __init__(self, base_url: str, token: str, operator: str = "") -> None:
        self.api_url = f"{base_url}/hub/api/haven/accreditations"
        self.token = token
        # Who the hub's audit event names: the host login, or the administrator on the admin pages.
        self.operator = operator or cli_actor().removeprefix("operator:")

    def call(self, method: str, path: str = "", body: Any = None) -> Any:
        request = urllib.request.Request(
            f"{self.api_url}{path}", method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json",
                     OPERATOR_HEADER: self.operator})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - the hub's URL
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise HubError(error.code, _hub_message(error)) from None
        except (urllib.error.URLError, OSError) as error:
            raise HubError(None, f"cannot reach the hub at {self.api_url}: {getattr(error, 'reason', error)}") from None


def _client(args: argparse.Namespace) -> Client:
    settings = load_settings(settings_path(args))
    token_path = settings.data_path(settings.hub.operator_token_file)
    try:
        token = token_path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise SettingsError(f"cannot read the operator token from {token_path}: {error.strerror}") from None
    return Client(public_url(settings), token)


def _person(name: str) -> str:
    return "/users/" + urllib.parse.quote(name, safe="")


def run(args: argparse.Namespace) -> Any:
    client = _client(args)
    if args.command == "accredit":
        body = {"expires_on": args.expires, "awarded_by": args.awarded_by, "evidence": args.evidence}
        if args.awarded:
            body["awarded_on"] = args.awarded
        return client.call("POST", f"{_person(args.name)}/{args.kind}", body)
    if args.command == "revoke-accreditation":
        return client.call("POST", f"{_person(args.name)}/{args.kind}/revoke", {"reason": args.reason})
    if args.name and args.history:
        return client.call("GET", f"{_person(args.name)}/history")
    if args.name:
        return client.call("GET", _person(args.name))
    return client.call("GET")


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def _changes(changes: list[dict[str, Any]]) -> str:
    rows = [("ID", "NAME", "KIND", "CHANGE", "AWARDED", "EXPIRES", "AWARDED BY", "RECORDED BY", "NOTE")]
    for c in changes:
        rows.append((str(c["id"]), c["username"], c["kind"], c["change"], c["awarded_on"] or "-",
                     c["expires_on"] or "-", c["awarded_by"] or "-", c["recorded_by"],
                     c["evidence"] or c["reason"] or "-"))
    return _table(rows)


def human(args: argparse.Namespace, result: Any) -> str:
    if args.command in ("accredit", "revoke-accreditation"):
        return _changes([result])
    if args.name and args.history:
        return _changes(result) if result else f"nothing recorded for {args.name}"
    if args.name:
        lines = [_changes(list(result["accreditations"].values())) if result["accreditations"]
                 else f"{args.name} holds no accreditation"]
        lines += [f"{action} refused: {why}" for action, why in result["refusals"].items() if why]
        lines += [f"warning: {line}" for line in result["warnings"]]
        return "\n".join(lines)
    changes = [change for held in result.values() for change in held.values()]
    return _changes(changes) if changes else "no accreditations recorded"
