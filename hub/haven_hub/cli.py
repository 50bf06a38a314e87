"""``haven``: the one command for administrators and analysts outside the notebook.

Each word dispatches to the ``main(argv) -> int`` of the part that owns it, so every
part keeps its own argument parsing and tests; this module only routes.
"""

from __future__ import annotations

import importlib
import sys

from .host_state import use_private_umask

# word -> (module with main(argv), one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "project": ("haven_hub.provisioning.cli", "provision projects: create, members, datasets, suspend, archive"),
    "account": ("haven_hub.accounts.cli", "accounts: create, approve, disable, approved-until, list, access"),
    "dataset": ("haven_hub.datasets.cli", "manage the curated dataset catalogue"),
    "check": ("haven_disclosure.cli", "run the disclosure checks on a file"),
    "egress": ("haven_egress.cli", "operate the egress store (fsck [--clean])"),
    "audit": ("haven_hub.audit.cli", "verify every audit hash chain; show the hub's events"),
}


def usage() -> str:
    lines = ["usage: haven COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {word:<10} {help_}" for word, (_, help_) in COMMANDS.items()]
    lines += ["", "haven COMMAND --help shows a command's own options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if args else 64
    word, rest = args[0], args[1:]
    # Whatever a command writes into Haven's state (accounts, audit events, datasets) stays private.
    use_private_umask()
    if word not in COMMANDS:
        print(f"haven: unknown command {word!r}\n\n{usage()}", file=sys.stderr)
        return 64
    module = importlib.import_module(COMMANDS[word][0])
    return module.main(rest)


if __name__ == "__main__":
    sys.exit(main())
