"""Draws docs/architecture.md's two pictures from the code, as Mermaid (GitHub renders it; no tool).

1. The floors: every importable package of the tree and which imports which, read with ``ast``
   from the source, so a new package or a new import shows up (or a stale picture fails).
2. The processes: the hub, the services ``haven_hub.config.configure`` puts into JupyterHub's
   config (read from a real ``Config`` built from a throwaway settings file) and the project
   container of the spawner it names, with the flows between them. The flows are written here,
   but each must end at a process the config really starts, so a flow to a removed service
   stops the drawing.

    .venv/bin/python scripts/draw_architecture.py          # rewrite the pictures in the page
    .venv/bin/python scripts/draw_architecture.py --check  # exit 1 when the page is stale
"""

from __future__ import annotations

import argparse
import ast
import functools
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "architecture.md"
START = "<!-- drawn by scripts/draw_architecture.py: do not edit by hand -->"
END = "<!-- end of drawing -->"
# Folders that hold no part of Haven: tools, tests and what package managers unpack.
NOT_PARTS = {".git", ".venv", "node_modules", "tests", "bench", "lib", "build", "dist", "__pycache__"}

# Outside the hub's config: the browser and the proxy are the edges every flow starts from.
OUTSIDE = {"browser": "analyst's, checker's or admin's browser"}
# (from, to, what flows). Ends are OUTSIDE names, "proxy", "hub", "container" or a service name.
FLOWS = [
    ("browser", "proxy", "every page, API call and websocket"),
    ("proxy", "hub", "/hub/: login (password + TOTP, or OIDC), spawn"),
    ("proxy", "container", "/user/NAME/PROJECT/: JupyterLab, only allowlisted routes, metered"),
    ("proxy", "egress", "/services/egress/: review queue, decisions, downloads of released files"),
    ("proxy", "admin", "/services/admin/: projects, disk use, audit log"),
    ("hub", "container", "DockerSpawner: locked-down container on the project's internal network"),
    ("container", "hub", "hub API via the project gateway: auth, activity, bytes sent to the browser"),
    ("container", "egress", "release requests with the server's token, via the project gateway"),
    ("egress", "hub", "HubOAuth: who is calling, with which scopes"),
    ("admin", "hub", "REST API: groups = projects, users, servers"),
    ("idle-culler", "hub", "REST API: stop idle servers"),
    ("haven-operator", "hub", "REST API as the haven command: projects, accounts, servers"),
]


def python_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*.py")):
        if not NOT_PARTS.intersection(path.relative_to(folder).parts):
            yield path


def find_packages(root: Path) -> dict[str, Path]:
    """Top-level packages: folders with ``__init__.py`` whose parent has none, by import name."""
    packages: dict[str, Path] = {}
    for init in sorted(root.rglob("__init__.py")):
        folder = init.parent
        relative = folder.relative_to(root).parts
        if NOT_PARTS.intersection(relative) or (folder.parent / "__init__.py").exists():
            continue
        packages[folder.name] = folder
    return packages


def imported_names(path: Path) -> set[str]:
    """First names of everything the module imports absolutely (relative imports stay inside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def import_edges(packages: dict[str, Path]) -> set[tuple[str, str]]:
    edges = set()
    for name, folder in packages.items():
        for path in python_files(folder):
            for other in imported_names(path) & packages.keys():
                if other != name:
                    edges.add((name, other))
    return edges


def cycles(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The edges that lie on an import cycle (b reaches a again), drawn apart so they stand out."""
    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            name = todo.pop()
            if name == goal:
                return True
            if name not in seen:
                seen.add(name)
                todo += [b for a, b in edges if a == name]
        return False
    return {(a, b) for a, b in edges if reaches(b, a)}


def floors(packages: Iterable[str], edges: set[tuple[str, str]]) -> dict[str, int]:
    """Ground floor 0 imports no other package; each package stands one above the highest it
    imports. Packages on a cycle share the floor of the cycle (there is no order between them)."""
    acyclic = edges - cycles(edges)
    floor: dict[str, int] = {}

    def place(name: str) -> int:
        if name not in floor:
            below = [place(other) for src, other in acyclic if src == name]
            floor[name] = 1 + max(below) if below else 0
        return floor[name]

    for name in packages:
        place(name)
    return floor


def node_id(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)


def draw_floors(root: Path) -> str:
    packages = find_packages(root)
    edges = import_edges(packages)
    floor = floors(packages, edges)
    lines = ["flowchart BT"]
    for level in sorted(set(floor.values())):
        lines.append(f'  subgraph floor{level}["floor {level}"]')
        for name in sorted(n for n in packages if floor[n] == level):
            where = packages[name].relative_to(root).as_posix()
            lines.append(f'    {node_id(name)}["{name}<br/><small>{where}/</small>"]')
        lines.append("  end")
    cyclic = cycles(edges)
    for a, b in sorted(edges):
        arrow = "-.->|imports: CYCLE|" if (a, b) in cyclic else "-->|imports|"
        lines.append(f"  {node_id(a)} {arrow} {node_id(b)}")
    return "\n".join(lines)


def configured_services() -> dict[str, str]:
    """The services JupyterHub starts for Haven, name -> what runs, from a real ``configure``."""
    return dict(_configured_services())


@functools.cache
def _configured_services() -> tuple[tuple[str, str], ...]:
    # Imported here: the floors picture reads source only and must work without the hub installed.
    import yaml
    from traitlets.config import Config

    from haven_hub import config
    from haven_hub.bootstrap import ensure_secrets
    from haven_hub.settings import parse_settings

    with tempfile.TemporaryDirectory() as data_dir:
        raw = {"hub": {"data_dir": data_dir}, "auth": {"accounts": [{"name": "admin", "admin": True}]}}
        path = Path(data_dir) / "haven.yaml"
        path.write_text(yaml.safe_dump(raw))
        ensure_secrets(parse_settings(raw))
        c = Config()
        config.configure(c, path)
        services = {}
        for service in c.JupyterHub.services:
            command = service.get("command") or []
            # Every word after -m that is not a flag: a supervisor and the module it runs both show.
            words = [w for w in command[command.index("-m") + 1:] if not w.startswith("-")] if "-m" in command else []
            runs = "python -m " + " ".join(words) if words else "API token only, no process"
            services[service["name"]] = runs
        services["container"] = f"{c.JupyterHub.spawner_class} -> image {c.HavenSpawner.image}"
    return tuple(services.items())


def draw_processes(services: dict[str, str]) -> str:
    known = {**OUTSIDE, "proxy": "configurable-http-proxy", "hub": "JupyterHub + haven_hub", **services}
    for src, dst, _ in FLOWS:
        for end in (src, dst):
            if end not in known:
                raise SystemExit(f"flow {src} -> {dst}: no process {end!r} in the hub's config")
    lines = ["flowchart LR"]
    for name, runs in known.items():
        lines.append(f'  {node_id(name)}["{name}<br/><small>{runs}</small>"]')
    lines += [f'  {node_id(src)} -->|"{what}"| {node_id(dst)}' for src, dst, what in FLOWS]
    return "\n".join(lines)


def drawing(root: Path = ROOT) -> str:
    return "\n".join([
        START,
        "Packages and what each imports (floor 0 imports nothing of Haven):",
        "", "```mermaid", draw_floors(root), "```", "",
        "Processes and flows (services as `haven_hub.config.configure` starts them):",
        "", "```mermaid", draw_processes(configured_services()), "```",
        END,
    ])


def replace_drawing(page: str, new: str) -> str:
    start, end = page.find(START), page.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{PAGE}: the markers of the drawing are missing")
    return page[:start] + new + page[end + len(END):]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the page's pictures are stale")
    args = parser.parse_args(argv)
    page = PAGE.read_text(encoding="utf-8")
    current = replace_drawing(page, drawing())
    if args.check:
        if current != page:
            print(f"{PAGE} is stale: run .venv/bin/python scripts/draw_architecture.py",
                  file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(current, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
