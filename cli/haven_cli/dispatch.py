"""Routes ``haven WORD …`` to the part that owns WORD; every part keeps its own parsing.

The convention every word follows (tested for each entry of :data:`COMMANDS`): ``--help``
exits 0; a usage error exits 64 (``haven_hub.command_line.USAGE_ERROR``) with the message on
stderr; ``--settings FILE`` where a word reads the settings, defaulting to the one place
``haven_hub.settings.locate_settings`` finds. ``haven --settings FILE WORD …`` names the
file once for any word.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from haven_hub.command_line import USAGE_ERROR
from haven_hub.host_state import use_private_umask
from haven_hub.settings.location import ENVIRONMENT

# word -> (module with main(argv) -> int, one-line help). Modules are imported only when
# their word is used, so `haven project` never loads the egress service.
COMMANDS: dict[str, tuple[str, str]] = {
    "project": ("haven_hub.provisioning.cli", "provision projects: create, members, datasets, suspend, archive"),
    "account": ("haven_hub.accounts.cli", "accounts: create, approve, disable, approved-until, list, access"),
    "dataset": ("haven_hub.datasets.cli", "manage the curated dataset catalogue"),
    "check": ("haven_disclosure.cli", "run the disclosure checks on a file"),
    "egress": ("haven_egress.cli", "operate the egress store (fsck [--clean])"),
    "packages": ("haven_cli.packages", "the approved package index for project servers: add, list, remove"),
    "audit": ("haven_cli.audit", "verify every audit hash chain; show the events of both (hub and egress)"),
    "report": ("haven_hub.governance.report_cli", "reports from the audit log: dataset access, requests, outputs; RO-Crate"),
    "settings": ("haven_cli.settings", "which settings file the commands read, and whether it is valid"),
    "selfcheck": ("haven_hub.selfcheck.cli", "spawn a throwaway server and try each boundary from inside it"),
    "backup": ("haven_cli.backup", "back up every database, blob, workspace, home volume and key into DEST"),
    "restore": ("haven_cli.restore", "restore a backup, after checking every file's SHA-256"),
    "k8s": ("haven_cli.k8s", "Kubernetes: write the Zero to JupyterHub values file (values)"),
    "swarm": ("haven_cli.swarm", "Docker Swarm: push the notebook image to the swarm's private registry (push)"),
    "upgrade": ("haven_cli.upgrade", "back up, then upgrade every database (JupyterHub's upgrade-db, Alembic)"),
}


def haven_version() -> str:
    try:
        return version("haven")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def usage() -> str:
    lines = ["usage: haven [--version] [--settings FILE] COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {word:<10} {help_}" for word, (_, help_) in COMMANDS.items()]
    lines += ["", "haven COMMAND --help shows a command's own options."]
    return "\n".join(lines)


def _refuse(message: str) -> int:
    print(f"haven: {message}\n\n{usage()}", file=sys.stderr)
    return USAGE_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--settings"] or args[:1] and args[0].startswith("--settings="):
        given = args[0].partition("=")[2] if "=" in args[0] else (args[1] if len(args) > 1 else "")
        if not given:
            return _refuse("--settings needs a FILE")
        # The words read it from the environment, as the one resolver does.
        os.environ[ENVIRONMENT] = given
        args = args[1:] if "=" in args[0] else args[2:]
    if not args:
        return _refuse("a COMMAND is needed")
    word, rest = args[0], args[1:]
    if word in ("-h", "--help", "help"):
        print(usage())
        return 0
    if word == "--version":
        print(f"haven {haven_version()}")
        return 0
    if word not in COMMANDS:
        return _refuse(f"unknown command {word!r}")
    # Whatever a command writes into Haven's state (accounts, audit events, datasets) stays private.
    use_private_umask()
    module = importlib.import_module(COMMANDS[word][0])
    try:
        return module.main(rest)
    except SystemExit as exit_:  # argparse's --help, in parts that let it exit
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
