"""docs/threat-model.md: no row without a test that exists in the tree, or a stated deviation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "threat-model.md"
TEST_REF = re.compile(r"(tests/[\w/.-]+\.py)::(\w+)")
SATRE_ID = re.compile(r"\b[1-5]\.\d\.\d\d\b")

# SATRE v2.0.1 (github.com/sa-tre/satre-specification, docs/source/spec/specification.yaml at tag
# v2.0.1): every requirement whose importance is "Mandatory", then "Mandatory*" (mandatory unless).
SATRE_V2_MANDATORY = """
1.1.01 1.1.02 1.1.03 1.2.01 1.2.02 1.2.04 1.2.05 1.2.06 1.2.07 1.2.09 1.2.10 1.3.01 1.3.02 1.3.03
1.3.04 1.3.05 1.4.01 1.4.02 1.4.03 1.4.04 1.5.01 1.5.02 1.5.03 1.5.04 1.5.05 1.5.06 1.6.01 1.6.02
1.6.03 1.6.04 2.1.01 2.1.05 2.1.08 2.1.09 2.1.10 2.1.14 2.2.01 2.2.03 2.2.04 2.2.06 2.2.09 2.2.10
2.2.11 2.2.13 2.3.01 2.3.03 2.3.04 2.4.01 2.4.05 2.5.01 2.5.03 2.6.04 2.7.02 2.8.01 2.8.02 3.1.01
3.1.03 3.1.04 3.1.05 3.1.06 3.1.08 3.1.09 3.1.12 3.1.17 3.2.01 3.2.02 3.2.03 3.2.04 3.3.04 3.3.05
3.3.07 4.3.01 4.4.01 4.5.01 4.6.01 5.1.01 5.1.02 5.1.03 5.1.04 5.1.05 5.1.06 5.1.07 5.2.01 5.3.01
5.3.02 5.4.01 5.4.02 5.5.01 5.6.01
""".split()
SATRE_V2_MANDATORY_UNLESS = "1.2.08 1.4.07 1.7.01 1.7.02 1.7.03 5.1.10".split()
# The paths out that issue 13 asks the threat model to cover, as words of the "path" column.
PATHS_ASKED_FOR = ["network", "server routes", "browser", "websockets", "clipboard", "screen", "tokens",
                   "shared volumes", "duckdb", "ingress", "host files", "dns", "the egress api"]


@dataclass
class Row:
    line: int
    cells: dict[str, str]


def tables(text: str) -> list[list[Row]]:
    """Every Markdown table of the page, as rows of {header: cell}."""
    found: list[list[Row]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines) - 1:
        if lines[i].startswith("|") and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip()):
            header = [cell.strip().lower() for cell in lines[i].strip().strip("|").split("|")]
            rows, i = [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                cells = [cell.strip() for cell in lines[i].strip().strip("|").split("|")]
                assert len(cells) == len(header), f"line {i + 1}: {len(cells)} cells under {len(header)} headers"
                rows.append(Row(i + 1, dict(zip(header, cells))))
                i += 1
            found.append(rows)
        else:
            i += 1
    return found


def cited_test_exists(path: str, name: str, root: Path = ROOT) -> bool:
    file = root / path
    return file.is_file() and re.search(rf"^\s*(async\s+)?def {name}\(", file.read_text(), re.MULTILINE) is not None




def problems(text: str, root: Path = ROOT) -> list[str]:
    """Rows with a cited test that is not in the tree, or with neither a test nor a deviation."""
    found = []
    for table in tables(text):
        for row in table:
            if "proved by" not in row.cells:
                continue
            proof = row.cells["proved by"]
            refs = TEST_REF.findall(proof)
            found += [f"line {row.line}: {path}::{name} does not exist"
                      for path, name in refs if not cited_test_exists(path, name, root)]
            if not refs and "deviation" not in proof.lower():
                found.append(f"line {row.line}: neither a test nor a stated deviation")
    return found


def test_every_row_cites_an_existing_test_or_states_a_deviation():
    text = PAGE.read_text(encoding="utf-8")
    rows = [row for table in tables(text) for row in table if "proved by" in row.cells]
    assert len(rows) > 60
    assert problems(text) == []


def test_the_check_finds_a_missing_test_and_a_row_without_proof(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_real.py").write_text("def test_here():\n    pass\n")
    page = "\n".join([
        "| id | control | proved by |",
        "| --- | --- | --- |",
        "| ok | real | tests/test_real.py::test_here |",
        "| gone | renamed | tests/test_real.py::test_renamed_since |",
        "| nofile | moved | tests/test_moved.py::test_here |",
        "| bare | trust me | a manual check |",
        "| owned | none | **deviation**: the operator's process |",
    ])
    assert problems(page, tmp_path) == [
        "line 4: tests/test_real.py::test_renamed_since does not exist",
        "line 5: tests/test_moved.py::test_here does not exist",
        "line 6: neither a test nor a stated deviation",
    ]


def test_every_mandatory_satre_v2_requirement_is_mapped_or_said_to_be_outside_the_software():
    text = PAGE.read_text(encoding="utf-8")
    section = text[text.index("## SATRE v2"):]
    mapped = {row.cells["satre"] for table in tables(section) for row in table if "satre" in row.cells}
    outside = set(SATRE_ID.findall(section[section.index("**Outside the software's scope**"):]))
    assert mapped & outside == set(), "a requirement both mapped and called out of scope"
    assert set(SATRE_V2_MANDATORY + SATRE_V2_MANDATORY_UNLESS) - mapped - outside == set()
    assert mapped <= set(SATRE_V2_MANDATORY), "a mapped id that is not a mandatory requirement of v2"
    assert "2.5.03" in mapped


def test_every_path_out_the_issue_names_has_a_row():
    paths = " ".join(row.cells["path"].lower() for table in tables(PAGE.read_text(encoding="utf-8"))
                     for row in table if "path" in row.cells)
    assert [word for word in PATHS_ASKED_FOR if word not in paths] == []
