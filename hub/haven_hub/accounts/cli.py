"""``haven account …``: administrators' commands over the built-in accounts, and who can see what.

Talks to the hub named in the settings file with the operator service's token: the
accounts store through ``/hub/haven-accounts/api`` (served by the authenticator), projects
and members through the hub's REST API. Exit codes: 0 done, 1 refused (unknown account,
duplicate name, hub unreachable …), 64 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any, Sequence

from ..bootstrap import public_url
from ..governance import accreditation_cli
from ..command_line import UsageParser, add_settings_option, settings_path
from ..problems import one_line
from ..projects import PROPERTIES_KIND, Project, project_id_of, today_utc
from ..provisioning.hub_api import HubClient, HubError
from ..settings import SettingsError, load_settings

ROLE_WORDS = {"analyst": "analyst", "checker": "output-checker", "admin": "admin"}


def _date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    add_settings_option(common)
    common.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser = UsageParser(prog="haven account", description="Manage Haven's built-in accounts (password + TOTP).",
                     parents=[common])
    words = parser.add_subparsers(dest="command", required=True, parser_class=UsageParser)

    create = words.add_parser("create", parents=[common],
                              help="create an account; prints its one-time password and TOTP enrolment")
    create.add_argument("name")
    create.add_argument("--role", action="append", choices=sorted(ROLE_WORDS),
                        help="analyst (default), checker or admin; repeat for several")
    create.add_argument("--approved-until", type=_date,
                        help="last day of the training and data-access agreement (default: settings)")
    create.add_argument("--pending", action="store_true", help="create it unapproved: it cannot log in until `approve`")

    for word, help_ in (("approve", "let a pending account log in"),
                        ("disable", "refuse logins, revoke its tokens, stop its servers"),
                        ("enable", "undo disable (and clear a lock-out)"),
                        ("unlock", "clear a lock-out after failed logins"),
                        ("reset", "new one-time password and TOTP secret (the old ones stop working)"),
                        ("show", "one account")):
        sub = words.add_parser(word, parents=[common], help=help_)
        sub.add_argument("name")
    until = words.add_parser("set-approved-until", parents=[common], help="change the approved-until date")
    until.add_argument("name")
    until.add_argument("date", type=_date)
    words.add_parser("list", parents=[common], help="every account: roles, approval, 2FA, lock, disabled")
    access = words.add_parser("access", parents=[common],
                              help="who can see what: each user's projects and datasets, each project's members")
    access.add_argument("--user", help="only this user")
    accreditation_cli.add_commands(words, common)
    return parser


class Accounts:
    """The accounts API and the hub API, with the operator's token."""

    def __init__(self, base_url: str, token: str) -> None:
        self.accounts = HubClient(f"{base_url}/hub/haven-accounts/api/accounts", token)
        self.hub = HubClient(f"{base_url}/hub/api", token)

    def create(self, name: str, roles: list[str], admin: bool, approved: bool, approved_until: str | None) -> dict:
        body: dict[str, Any] = {"roles": roles, "admin": admin, "approved": approved}
        if approved_until:
            body["approved_until"] = approved_until
        return self.accounts.call("POST", f"/{_name(name)}", body)

    def change(self, name: str, **changes: Any) -> dict:
        return self.accounts.call("PATCH", f"/{_name(name)}", changes)

    def reset(self, name: str) -> dict:
        return self.accounts.call("POST", f"/{_name(name)}/credentials", {})

    def get(self, name: str) -> dict:
        return self.accounts.call("GET", f"/{_name(name)}")

    def list(self) -> list[dict]:
        return self.accounts.call("GET", "")

    def access(self, only_user: str | None = None) -> dict:
        projects, damaged = [], {}
        for group in self.hub.groups():
            project_id = project_id_of(group["name"])
            if project_id is None or (group.get("properties") or {}).get("kind") != PROPERTIES_KIND:
                continue
            try:
                projects.append(Project.from_group(group["name"], group.get("properties", {}), group.get("users", [])))
            except ValueError as error:
                # An access review must not drop a project silently: named, with its members.
                damaged[project_id] = {"problem": one_line(error), "members": sorted(group.get("users", []))}
        accounts = {account["name"]: account for account in self.list()}
        names = sorted(set(accounts) | {m for p in projects for m in p.members})
        if only_user is not None:
            if only_user not in names:
                raise HubError(404, f"no account named {only_user!r}")
            names = [only_user]
        users = {
            name: {
                "account": account_state(accounts.get(name)),
                "projects": [
                    {"project": p.id, "status": p.effective_status(),
                     "datasets": [g.name + (f"@{g.version}" if g.version else "") for g in p.datasets]}
                    for p in sorted(projects, key=lambda p: p.id) if name in p.members
                ],
            }
            for name in names
        }
        shown = [p for p in projects if only_user is None or only_user in p.members]
        return {
            "users": users,
            "projects": {p.id: {"status": p.effective_status(), "members": sorted(p.members)}
                         for p in sorted(shown, key=lambda p: p.id)},
            "damaged": {project_id: about for project_id, about in sorted(damaged.items())
                        if only_user is None or only_user in about["members"]},
        }


def account_state(account: dict | None, today: date | None = None) -> str:
    """One word for whether the account can use Haven now: only ``active`` can."""
    if account is None:
        return "no-account"
    if account["disabled"]:
        return "disabled"
    if not account["approved"]:
        return "pending"
    if (today or today_utc()).isoformat() > account["approved_until"]:
        return "expired"
    return "locked" if account["locked"] else "active"


def _name(name: str) -> str:
    import urllib.parse

    return urllib.parse.quote(name, safe="")


def _client(args: argparse.Namespace) -> Accounts:
    settings = load_settings(settings_path(args))
    if settings.auth.kind != "builtin":
        raise SettingsError(f"auth.kind is {settings.auth.kind}: accounts are kept by the identity provider")
    token_path = settings.data_path(settings.hub.operator_token_file)
    try:
        token = token_path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise SettingsError(f"cannot read the operator token from {token_path}: {error.strerror}") from None
    return Accounts(public_url(settings), token)


def run(args: argparse.Namespace) -> Any:
    if args.command in accreditation_cli.COMMANDS:
        return accreditation_cli.run(args)  # OIDC deployments record accreditations too
    client = _client(args)
    match args.command:
        case "create":
            words = args.role or ["analyst"]
            roles = [ROLE_WORDS[w] for w in words if w != "admin"]
            return client.create(args.name, roles, "admin" in words, not args.pending, args.approved_until)
        case "approve":
            return client.change(args.name, approved=True)
        case "disable":
            return client.change(args.name, disabled=True)
        case "enable":
            return client.change(args.name, disabled=False, unlock=True)
        case "unlock":
            return client.change(args.name, unlock=True)
        case "set-approved-until":
            return client.change(args.name, approved_until=args.date)
        case "reset":
            return client.reset(args.name)
        case "show":
            return client.get(args.name)
        case "list":
            return client.list()
        case "access":
            return client.access(args.user)
    raise AssertionError(args.command)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _roles(account: dict) -> str:
    roles = list(account["roles"]) + (["admin"] if account["admin"] else [])
    return ",".join(roles) or "-"


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def _account_table(accounts: list[dict]) -> str:
    rows = [("NAME", "ROLES", "APPROVED", "APPROVED UNTIL", "2FA ENROLLED", "LOCKED", "DISABLED")]
    for a in accounts:
        locked = f"until {a['locked_until'][:16].replace('T', ' ')}" if a["locked"] else "no"
        rows.append((a["name"], _roles(a), _yes(a["approved"]), a["approved_until"], _yes(a["totp_enrolled"]),
                     locked, _yes(a["disabled"])))
    return _table(rows)


def _credentials(result: dict) -> str:
    return "\n".join([
        f"account {result['name']} ({_roles(result)}), approved until {result['approved_until']}"
        + ("" if result["approved"] else " - PENDING approval (haven account approve)"),
        f"  one-time password: {result['password']}   (they choose their own at the first login)",
        f"  TOTP secret:       {result['totp_secret']}",
        f"  enrolment URI:     {result['otpauth_uri']}",
        "Give these to the person over a trusted channel; they are not shown again.",
        f"Current code without an app: {sys.executable} -m haven_hub.auth.totp {result['totp_secret']}",
    ])


def _access(result: dict) -> str:
    lines = ["WHO CAN SEE WHAT (only an active account in an active project sees its datasets)", ""]
    rows = [("USER", "ACCOUNT", "PROJECT", "STATUS", "DATASETS")]
    for user, about in result["users"].items():
        if not about["projects"]:
            rows.append((user, about["account"], "-", "-", "-"))
        for grant in about["projects"]:
            rows.append((user, about["account"], grant["project"], grant["status"], ",".join(grant["datasets"]) or "-"))
    lines.append(_table(rows))
    lines.append("")
    rows = [("PROJECT", "STATUS", "MEMBERS")]
    for project, about in result["projects"].items():
        rows.append((project, about["status"], ",".join(about["members"]) or "-"))
    lines.append(_table(rows))
    for project, about in result.get("damaged", {}).items():
        lines.append(f"project {project!r}: its record does not read ({about['problem']}); "
                     f"members: {','.join(about['members']) or '-'}; none of them can start its servers")
    return "\n".join(lines)


def _human(command: str, result: Any) -> str:
    if command in ("create", "reset"):
        return _credentials(result)
    if command == "list":
        return _account_table(result) if result else "no accounts"
    if command == "access":
        return _access(result)
    return _account_table([result])


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        result = run(args)
    except (HubError, SettingsError) as error:
        print(f"haven account: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    if args.command in accreditation_cli.COMMANDS and not args.json:
        print(accreditation_cli.human(args, result))
        return 0
    print(json.dumps(result, indent=2) if args.json else _human(args.command, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
