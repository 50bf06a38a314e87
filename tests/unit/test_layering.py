"""The floors of Haven's packages, held by walking every module's imports with ``ast``.

From the ground up: ``haven_disclosure`` (imports nothing of Haven); ``haven_hub``; the
egress service ``haven_egress`` (may import the hub's settings, audit chain and theme);
the ``haven`` command ``haven_cli`` on top (may import all). The hub never imports the egress
service, and no two packages import each other. Counted as imports: ``import``/``from``
statements anywhere (inside functions too), ``importlib.import_module``/``__import__`` calls,
and any string naming a Haven module (a dispatch table), except the process launches below.
"""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = {
    "haven_disclosure": REPO / "disclosure" / "haven_disclosure",
    "haven_hub": REPO / "hub" / "haven_hub",
    "haven_egress": REPO / "egress" / "haven_egress",
    "haven_cli": REPO / "cli" / "haven_cli",
    # What runs inside a project's container: it must need nothing of the hub or the service.
    "haven_lab": REPO / "extensions" / "haven-lab" / "haven_lab",
    "haven": REPO / "extensions" / "haven-py" / "src" / "haven",
}
# package -> the Haven packages it may import (besides itself)
ALLOWED = {
    "haven_disclosure": set(),
    "haven_hub": {"haven_disclosure"},
    "haven_egress": {"haven_disclosure", "haven_hub"},
    "haven_cli": {"haven_disclosure", "haven_hub", "haven_egress"},
    "haven_lab": {"haven_disclosure", "haven"},
    "haven": set(),
}
# (importing module, module named in a string) that start a process (`python -m`), not an import.
PROCESS_LAUNCHES = {("haven_hub.config", "haven_egress.web"), ("haven_hub.governance.closeout", "haven_egress.closeout")}
# "haven" alone is a word in too many strings: the analyst library counts by import statements only.
MODULE_NAME = re.compile(r"^(%s)(\.[A-Za-z_]\w*)*$" % "|".join(p for p in PACKAGES if p != "haven"))


def module_name(package: str, path: Path) -> str:
    parts = path.relative_to(PACKAGES[package]).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((package, *parts))


def imported_names(module: str, path: Path) -> set[str]:
    """Every module this one imports or names, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                found.add(".".join([*base, *([node.module] if node.module else [])]))
            else:
                found.add(node.module or "")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_NAME.match(node.value):
            # A name in a dispatch table or an import_module()/__import__() call.
            found.add(node.value)
    return {name for name in found if (module, name) not in PROCESS_LAUNCHES}


def package_imports() -> dict[str, dict[str, set[str]]]:
    """package -> {module: the other Haven packages it imports}"""
    result: dict[str, dict[str, set[str]]] = {}
    for package, root in PACKAGES.items():
        modules = result.setdefault(package, {})
        for path in sorted(root.rglob("*.py")):
            module = module_name(package, path)
            others = {name.split(".")[0] for name in imported_names(module, path)} & set(PACKAGES)
            modules[module] = others - {package}
    return result


def violations(imports: dict[str, dict[str, set[str]]]) -> list[str]:
    found = [f"{module} imports {other}"
             for package, modules in imports.items() for module, others in modules.items()
             for other in sorted(others - ALLOWED[package])]
    edges = {package: set().union(*modules.values()) for package, modules in imports.items()}
    for a, b in itertools.combinations(sorted(edges), 2):
        if b in edges[a] and a in edges[b]:
            found.append(f"cycle: {a} and {b} import each other")
    return found


def test_every_package_is_walked():
    imports = package_imports()
    assert all(len(imports[package]) > 1 for package in PACKAGES), {p: len(m) for p, m in imports.items()}
    # The walk sees what it must: the dispatcher's table, and egress's imports of the hub.
    assert "haven_egress" in imports["haven_cli"]["haven_cli.dispatch"]
    assert "haven_hub" in imports["haven_egress"]["haven_egress.web.startup"]


def test_no_package_imports_above_its_floor_and_no_cycle():
    assert violations(package_imports()) == []


def test_the_walk_catches_what_it_forbids(tmp_path):
    """The checks fail on each kind of upward import (the hub's audit command did the first)."""
    source = tmp_path / "cli.py"
    source.write_text(
        "import importlib\n"
        "def verify():\n"
        "    from haven_egress.audit_cli import verify_egress\n"
        "COMMANDS = {'egress': ('haven_egress.cli', 'help')}\n"
        "importlib.import_module('haven_egress.web')\n")
    names = imported_names("haven_hub.audit.cli", source)
    assert {"haven_egress.audit_cli", "haven_egress.cli", "haven_egress.web"} <= names
    imports = {package: {} for package in PACKAGES}
    imports["haven_hub"]["haven_hub.audit.cli"] = {"haven_egress"}
    imports["haven_egress"]["haven_egress.audit_cli"] = {"haven_hub"}
    imports["haven_disclosure"]["haven_disclosure.cli"] = {"haven_hub"}
    assert sorted(violations(imports)) == ["cycle: haven_egress and haven_hub import each other",
                                           "haven_disclosure.cli imports haven_hub",
                                           "haven_hub.audit.cli imports haven_egress"]
