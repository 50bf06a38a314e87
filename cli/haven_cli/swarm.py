"""``haven swarm push``: the notebook image into the swarm's private registry (docs/swarm.md)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import docker

from haven_hub import swarm
from haven_hub.command_line import UsageParser, add_settings_option, settings_path
from haven_hub.settings import SettingsError, load_settings


def _parser() -> UsageParser:
    parser = UsageParser(prog="haven swarm", description="Haven on a Docker Swarm (docs/swarm.md).")
    add_settings_option(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    push = commands.add_parser(
        "push", help="push spawner.image from this host's engine to spawner.swarm.registry; prints the "
                     "digest-pinned reference the nodes pull")
    add_settings_option(push)
    push.add_argument("--pushed-as", metavar="HOST:PORT", default=None,
                      help="the registry as this host reaches it, if not by spawner.swarm.registry")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        settings = load_settings(settings_path(args))
    except SettingsError as error:
        print(f"haven swarm push: {error}", file=sys.stderr)
        return 1
    if not settings.spawner.swarm.registry:
        print("haven swarm push: spawner.swarm.registry is not set", file=sys.stderr)
        return 1
    try:
        reference = swarm.push_image(docker.from_env(version="auto", timeout=1800), settings.spawner.image,
                                     settings.spawner.swarm.registry, pushed_as=args.pushed_as)
    except (docker.errors.DockerException, RuntimeError) as error:
        print(f"haven swarm push: {error}", file=sys.stderr)
        return 1
    print(reference)
    return 0
