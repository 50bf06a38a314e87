"""Row filters on the host (haven_hub.governance): declarations refused or stored, filtered copies
built atomically, reused, renewed when a list changes, skipped for an exempt project, audited."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from haven_hub.audit.log import EventFilter, hub_log
from haven_hub.datasets import AddRequest, Catalogue, DatasetError
from haven_hub.governance import filtered_copies, row_filters
from haven_hub.projects import Project, RowFilterExemption
from haven_hub.settings import DatasetGrant

MARKER = "OPTEDOUT-7f3a9c"  # in the opted-out row only: its bytes must not be in a copy


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


@pytest.fixture
def catalogue(tmp_path: Path) -> Catalogue:
    root = tmp_path / "catalogue"
    root.mkdir()
    source = tmp_path / "cohort.csv"
    source.write_text("nhs_number,consent,note,weight\n1000000001,true,ordinary,1.5\n1000000002,true,"
                      f"{MARKER},2.5\n1000000003,false,no consent,3.5\n,true,no number,4.5\n1000000005,true,kept,5.5\n")
    cat = Catalogue(root)
    cat.add(AddRequest(name="cohort", source=source))
    return cat


@pytest.fixture
def declaration(tmp_path: Path) -> Path:
    (tmp_path / "optouts.txt").write_text("# national data opt-out\n1000000002\n  1000000099 \n\n")
    path = tmp_path / "filters.yaml"
    path.write_text("""
filters:
  - id: national-opt-out
    kind: exclude-ids
    description: National data opt-out
    column: nhs_number
    ids_file: optouts.txt
  - id: consent
    kind: require-value
    column: consent
    value: true
""")
    return path


def project(exempt: tuple[str, ...] = ()) -> Project:
    return Project(id="study", title="Study", members=frozenset({"ada"}), datasets=(DatasetGrant(name="cohort"),),
                   row_filter_exemptions=tuple(
                       RowFilterExemption(dataset="cohort", filter=f, by="operator:root", reason="approved by DAC 12",
                                          granted=datetime(2026, 12, 1, tzinfo=timezone.utc)) for f in exempt))


def mount(tmp_path: Path, catalogue: Catalogue, proj: Project) -> filtered_copies.Mounted:
    return filtered_copies.mount_for(tmp_path / "data", catalogue, proj, catalogue.resolve("cohort"),
                                     actor="ada", server="ada/study")


def notes(directory: Path) -> list[str]:
    with duckdb.connect() as con:
        return [r[0] for r in con.execute("select note from read_parquet(?) order by note",
                                          [str(directory / "data.parquet")]).fetchall()]


def test_a_filtered_copy_holds_only_the_rows_the_filters_keep(tmp_path, catalogue, declaration):
    row_filters.set_filters(catalogue, "cohort", declaration)
    mounted = mount(tmp_path, catalogue, project())
    assert mounted.path != catalogue.resolve("cohort")
    assert notes(mounted.path) == ["kept", "ordinary"]
    for path in mounted.path.iterdir():
        assert MARKER.encode() not in path.read_bytes(), path
    assert oct(mounted.path.stat().st_mode & 0o777) == "0o555"
    assert mounted.copy["rows"] == 2 and mounted.copy["removed"] == 3
    assert [f["id"] for f in mounted.provenance()["row_filters"]["applied"]] == ["national-opt-out", "consent"]
    # The copy reads like a catalogue version: haven's metadata contract, checksums that match.
    assert '"rows": 2' in (mounted.path / "metadata.json").read_text()
    assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=mounted.path, capture_output=True).returncode == 0


def test_the_copy_is_reused_and_a_changed_list_makes_a_new_one(tmp_path, catalogue, declaration):
    row_filters.set_filters(catalogue, "cohort", declaration)
    first = mount(tmp_path, catalogue, project())
    built = first.path.stat().st_mtime_ns
    again = mount(tmp_path, catalogue, project())
    assert again.path == first.path and again.path.stat().st_mtime_ns == built
    # Same ids in another order, with a repeat: the same list, the same copy.
    (tmp_path / "optouts.txt").write_text("1000000099\n1000000002\n1000000002\n")
    row_filters.set_filters(catalogue, "cohort", declaration)
    assert mount(tmp_path, catalogue, project()).path == first.path
    (tmp_path / "optouts.txt").write_text("1000000002\n1000000001\n")
    # The declaration holds the list it was given: a new list applies once declared.
    assert mount(tmp_path, catalogue, project()).path == first.path
    row_filters.set_filters(catalogue, "cohort", declaration)
    renewed = mount(tmp_path, catalogue, project())
    assert renewed.path != first.path
    assert notes(renewed.path) == ["kept"]


def test_an_exempt_project_mounts_what_the_exemption_allows(tmp_path, catalogue, declaration):
    row_filters.set_filters(catalogue, "cohort", declaration)
    fully = mount(tmp_path, catalogue, project(exempt=("national-opt-out", "consent")))
    assert fully.path == catalogue.resolve("cohort")
    assert fully.provenance()["row_filters"]["exempt"][0]["reason"] == "approved by DAC 12"
    partly = mount(tmp_path, catalogue, project(exempt=("national-opt-out",)))
    assert notes(partly.path) == [MARKER, "kept", "no number", "ordinary"]


def test_no_filters_means_the_version_itself_and_no_event(tmp_path, catalogue):
    mounted = mount(tmp_path, catalogue, project())
    assert mounted.path == catalogue.resolve("cohort") and mounted.provenance() == {}
    assert not (tmp_path / "data" / "audit").exists() or not hub_log(tmp_path / "data").events(
        EventFilter(type=filtered_copies.AUDIT_ACTION))


def test_each_filtered_spawn_is_audited_with_the_filters_named(tmp_path, catalogue, declaration):
    row_filters.set_filters(catalogue, "cohort", declaration)
    mount(tmp_path, catalogue, project())
    mount(tmp_path, catalogue, project(exempt=("consent",)))
    events = hub_log(tmp_path / "data").events(EventFilter(type=filtered_copies.AUDIT_ACTION))
    assert [e.event.actor for e in events] == ["ada", "ada"]
    first, second = (e.as_json() for e in events)
    assert [f["id"] for f in first["details"]["applied"]] == ["national-opt-out", "consent"]
    assert first["details"]["reused"] is False and first["project"] == "study"
    assert [f["id"] for f in second["details"]["applied"]] == ["national-opt-out"]
    assert second["details"]["exempt"][0]["filter"] == "consent"
    assert "1000000002" not in str(first)  # the ids themselves are never logged


BAD = {
    "unknown column": ("filters: [{id: a, kind: require-value, column: consnt, value: true}]", "has no column 'consnt'"),
    "wrong type": ("filters: [{id: a, kind: require-value, column: consent, value: maybe}]", "cannot be compared"),
    "unknown kind": ("filters: [{id: a, kind: drop-rows, column: consent}]", "filters.0"),
    "unknown field": ("filters: [{id: a, kind: require-value, column: consent, value: true, where: x}]", "where"),
    "same id twice": ("filters: [{id: a, kind: require-value, column: consent, value: true},"
                      " {id: a, kind: require-value, column: consent, value: false}]", "its own id"),
    "missing list": ("filters: [{id: a, kind: exclude-ids, column: nhs_number, ids_file: nowhere.txt}]",
                     "cannot read the id list"),
    "bad id": ("filters: [{id: 'Opt Out', kind: require-value, column: consent, value: true}]", "filters.0"),
    "sql in a column": ("filters: [{id: a, kind: require-value, column: 'x\" or 1=1 --', value: true}]", "column"),
    "not yaml": ("filters: [", "cannot read"),
    "ids against a fraction": ("filters: [{id: a, kind: exclude-ids, column: weight, ids_file: optouts.txt}]",
                               "text or whole-number columns only"),
    "an id that is no number": ("filters: [{id: a, kind: exclude-ids, column: nhs_number, ids_file: words.txt}]",
                                "holds whole numbers, and the list has 'abc'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_declaration_is_refused_and_changes_nothing(tmp_path, catalogue, declaration, case):
    row_filters.set_filters(catalogue, "cohort", declaration)
    before = {p: p.read_bytes() for p in row_filters.store_root(catalogue).rglob("*") if p.is_file()}
    text, expected = BAD[case]
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    (tmp_path / "words.txt").write_text("1000000002\nabc\n")
    with pytest.raises(DatasetError, match=expected if expected.isidentifier() else None) as refused:
        row_filters.set_filters(catalogue, "cohort", bad)
    assert expected in str(refused.value)
    assert {p: p.read_bytes() for p in row_filters.store_root(catalogue).rglob("*") if p.is_file()} == before


def test_a_declaration_that_no_longer_reads_refuses_the_mount(tmp_path, catalogue, declaration):
    row_filters.set_filters(catalogue, "cohort", declaration)
    stored = row_filters.store_root(catalogue) / "cohort.json"
    stored.chmod(0o644)
    stored.write_text("{not json")
    with pytest.raises(DatasetError, match="do not read"):
        mount(tmp_path, catalogue, project())


def test_a_build_killed_mid_write_leaves_nothing_that_is_mounted(tmp_path, catalogue, declaration):
    row_filters.set_filters(catalogue, "cohort", declaration)
    data_dir = tmp_path / "data"
    ready = tmp_path / "written"
    child = subprocess.Popen([sys.executable, "-c", f"""
import time
from pathlib import Path
from haven_hub.datasets import Catalogue
from haven_hub.governance import filtered_copies, row_filters
from haven_hub.datasets.metadata import Metadata
catalogue = Catalogue(Path({str(catalogue.root)!r}))
version = catalogue.resolve("cohort")
applied = list(row_filters.declared(catalogue, "cohort").filters)
key = filtered_copies.copy_key(Metadata.read(version), applied)
target = filtered_copies.copies_root(Path({str(data_dir)!r})) / "study" / "cohort" / key
def hang():
    Path({str(ready)!r}).write_text(str(target))
    time.sleep(60)
filtered_copies.build_copy(catalogue, version, applied, target,
                           filtered_copies.copies_root(Path({str(data_dir)!r})) / ".tmp", after_write=hang)
"""])
    deadline = time.monotonic() + 30
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready.exists(), "the child never wrote its copy"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    target = Path(ready.read_text())
    assert not target.exists()
    leftovers = list((filtered_copies.copies_root(data_dir) / ".tmp").iterdir())
    assert len(leftovers) == 1 and (leftovers[0] / "data.parquet").exists()  # the killed build's work
    mounted = mount(tmp_path, catalogue, project())
    assert mounted.path == target and notes(target) == ["kept", "ordinary"]


def test_the_checkers_provenance_partial_shows_the_filters_and_exemptions(tmp_path, catalogue, declaration):
    from haven_egress import provenance
    from haven_egress.web.pages import TEMPLATES
    from haven_hub import provenance as hub_provenance
    from haven_hub.theme import environment

    row_filters.set_filters(catalogue, "cohort", declaration)
    mounted = mount(tmp_path, catalogue, project(exempt=("consent",)))
    dataset = {**hub_provenance.dataset_record(None, catalogue.resolve("cohort")), **mounted.provenance()}
    record = hub_provenance.server_record("haven/notebook", {"Id": "sha256:" + "ab" * 32}, [dataset])
    page = environment(TEMPLATES).get_template("_provenance.html").render(
        provenance=provenance.document("ada/study", provenance.HubAnswer(record), None), provenance_version=1)
    assert "Row filters applied on the host:" in page and "<code>national-opt-out</code>" in page
    assert "(3 rows mounted, 2 removed)" in page  # the opted-out row and the one with no id
    assert "exempt from <code>consent</code> (approved by DAC 12, recorded by operator:root)" in page


def test_ids_on_a_whole_number_column_match_as_numbers(tmp_path, catalogue, declaration):
    (tmp_path / "optouts.txt").write_text("01000000002\n")  # a leading zero, as some extracts have
    row_filters.set_filters(catalogue, "cohort", declaration)
    assert notes(mount(tmp_path, catalogue, project()).path) == ["kept", "ordinary"]
