"""``haven k8s values``: the Zero to JupyterHub values file and the objects beside it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from haven_hub.command_line import UsageParser, add_settings_option, settings_path
from haven_hub.kubernetes import values as k8s_values
from haven_hub.settings import SettingsError, load_settings


def _parser() -> UsageParser:
    parser = UsageParser(prog="haven k8s", description="Haven on Kubernetes (docs/kubernetes.md).")
    add_settings_option(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser(
        "values", help=f"write values.yaml for the Zero to JupyterHub chart {k8s_values.CHART_VERSION} "
                       "and haven-objects.yaml (settings secret, NetworkPolicies, RBAC)")
    add_settings_option(write)
    write.add_argument("--out", type=Path, required=True, help="directory to write the two files into")
    write.add_argument("--hub-image", required=True, help="the hub image (JupyterHub with Haven installed)")
    write.add_argument("--namespace", required=True, help="the namespace the chart is installed in")
    write.add_argument("--postgres-host", required=True,
                       help="PostgreSQL for the hub's and the egress databases (password: secret haven-postgres)")
    write.add_argument("--postgres-port", type=int, default=5432)
    write.add_argument("--postgres-user", default="haven")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        settings = load_settings(settings_path(args))
        deployment = k8s_values.Deployment(hub_image=args.hub_image, namespace=args.namespace,
                                           postgres_host=args.postgres_host, postgres_port=args.postgres_port,
                                           postgres_user=args.postgres_user)
        chart_values = k8s_values.values(settings, deployment)
        objects = k8s_values.objects(settings, deployment)
    except (SettingsError, k8s_values.ValuesError) as error:
        print(f"haven k8s values: {error}", file=sys.stderr)
        return 1
    if not args.out.is_dir():
        print(f"haven k8s values: {args.out} is not a directory", file=sys.stderr)
        return 1
    (args.out / "values.yaml").write_text(yaml.safe_dump(chart_values, sort_keys=False))
    (args.out / "haven-objects.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=False))
    print(f"wrote {args.out / 'values.yaml'} (chart {k8s_values.CHART_VERSION}) and {args.out / 'haven-objects.yaml'}")
    return 0
