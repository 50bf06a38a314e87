"""docs/architecture.md's pictures are drawn from the code, and a stale picture fails here."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def load_script():
    spec = importlib.util.spec_from_file_location("draw_architecture", ROOT / "scripts" / "draw_architecture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


draw = load_script()


def page_drawing() -> str:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    return page[page.index(draw.START):page.index(draw.END) + len(draw.END)]


def make_package(root: Path, where: str, imports: str = "") -> None:
    folder = root / where
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(imports)


def test_the_page_shows_what_the_code_draws_now():
    assert page_drawing() == draw.drawing(), "docs/architecture.md is stale: run scripts/draw_architecture.py"


def test_every_package_and_every_service_the_hub_starts_is_in_the_picture():
    shown = set(re.findall(r"^\s*(\w+)\[", page_drawing(), flags=re.MULTILINE))
    packages = draw.find_packages(draw.ROOT)
    # The parts this page describes must all be found, wherever a move puts them.
    assert {"haven_disclosure", "haven_hub", "haven_egress", "haven_lab", "haven"} <= packages.keys()
    assert {draw.node_id(name) for name in packages} <= shown
    assert {draw.node_id(name) for name in draw.configured_services()} <= shown


def test_the_disclosure_library_is_on_the_ground_floor_and_nothing_imports_upward_in_a_cycle():
    packages = draw.find_packages(draw.ROOT)
    edges = draw.import_edges(packages)
    assert draw.floors(packages, edges)["haven_disclosure"] == 0
    assert draw.cycles(edges) == set()


def test_a_new_package_or_import_changes_the_drawing(tmp_path):
    make_package(tmp_path, "low/pkg_low")
    make_package(tmp_path, "high/pkg_high", "from pkg_low import thing\n")
    before = draw.draw_floors(tmp_path)
    assert "pkg_high -->|imports| pkg_low" in before
    assert re.search(r'floor0\[.*\n\s+pkg_low\[', before) and re.search(r'floor1\[.*\n\s+pkg_high\[', before)

    make_package(tmp_path, "new/pkg_new", "import pkg_high.sub\n")
    after = draw.draw_floors(tmp_path)
    assert after != before and "pkg_new -->|imports| pkg_high" in after


def test_an_import_cycle_is_drawn_as_one(tmp_path):
    make_package(tmp_path, "a/pkg_a", "import pkg_b\n")
    make_package(tmp_path, "b/pkg_b", "def late():\n    import pkg_a\n")
    drawn = draw.draw_floors(tmp_path)
    assert "pkg_a -.->|imports: CYCLE| pkg_b" in drawn and "pkg_b -.->|imports: CYCLE| pkg_a" in drawn


def test_tests_tools_and_unpacked_packages_are_not_parts(tmp_path):
    make_package(tmp_path, "tests/helpers")
    make_package(tmp_path, "extensions/x/node_modules/pkg_vendor")
    make_package(tmp_path, "real/pkg_real")
    assert set(draw.find_packages(tmp_path)) == {"pkg_real"}


def test_a_flow_to_a_service_the_hub_no_longer_starts_stops_the_drawing():
    services = draw.configured_services()
    del services["egress"]
    with pytest.raises(SystemExit, match="no process 'egress'"):
        draw.draw_processes(services)


def test_the_check_mode_fails_on_a_page_with_a_package_removed(tmp_path, monkeypatch):
    stale = tmp_path / "architecture.md"
    stale.write_text(re.sub(r"^\s*haven_disclosure\[.*\n", "", (ROOT / "docs" / "architecture.md").read_text(),
                            flags=re.MULTILINE))
    monkeypatch.setattr(draw, "PAGE", stale)
    monkeypatch.setattr(draw, "ROOT", ROOT)
    assert draw.main(["--check"]) == 1
    assert draw.main([]) == 0 and draw.main(["--check"]) == 0
