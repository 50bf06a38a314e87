"""The front end's promises that other parts keep: the kinds it offers are the ones the
egress service accepts, and the core plugins it disables exist in the JupyterLab we ship."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import jupyterlab

from haven_egress.uploads import KINDS

LAB = Path(__file__).resolve().parents[3] / "extensions" / "haven-lab"


def test_the_dialog_offers_exactly_the_kinds_the_egress_service_accepts():
    source = (LAB / "src" / "format.ts").read_text()
    block = source[source.index("FILE_KINDS"):source.index("];")]
    offered = re.findall(r"\['([a-z_]+)', '[^']+'\]", block)
    assert len(offered) == len(set(offered))
    assert set(offered) == set(KINDS)


def test_every_disabled_plugin_is_a_real_plugin_of_the_shipped_jupyterlab():
    """A renamed core plugin would silently bring its Download item back."""
    disabled = json.loads((LAB / "package.json").read_text())["jupyterlab"]["disabledExtensions"]
    schemas = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"
    static = Path(jupyterlab.__file__).parent / "static" / "package.json"
    core = json.loads(static.read_text()) if static.exists() else {}
    for plugin in disabled:
        package, _, name = plugin.partition(":")
        if not name:
            assert package in core.get("dependencies", {}) or (schemas / package).is_dir(), plugin
            continue
        # A plugin without settings (copy-output) has no schema: its id is then in Lab's bundle.
        assert (schemas / package / f"{name}.json").is_file() or plugin_in_the_bundle(plugin), plugin


def plugin_in_the_bundle(plugin: str) -> bool:
    static = Path(sys.prefix) / "share" / "jupyter" / "lab" / "static"
    needle = f'id:"{plugin}"'
    return any(needle in bundle.read_text(errors="replace") for bundle in static.glob("*.js"))
