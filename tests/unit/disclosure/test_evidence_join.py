"""Evidence matched to cells by a join: DuckDB's grouping and the strict reader agree, odd files
go to the strict reader (which says what is wrong), and totals roll up every matching group."""

from __future__ import annotations

import random

import pytest

from haven_disclosure import UnreadableTable, check_file, resolve_settings
from haven_disclosure import evidence as evidence_module
from haven_disclosure.evidence import parse_evidence, read_evidence_csv
from haven_disclosure.reading import read_table
from haven_disclosure.tables import build_table

from .sdc_helpers import flagged

SETTINGS = resolve_settings("acro")


def wide_table(write, with_totals: bool = True):
    rows = ["region,sex,2020,2021" + (",Total" if with_totals else "")]
    for region in ("North", "South", *(["Total"] if with_totals else [])):
        for sex in ("F", "M"):
            rows.append(f"{region},{sex},1,1" + (",1" if with_totals else ""))
    return build_table(read_table(write("t.csv", "\n".join(rows) + "\n")), SETTINGS,
                       ["region", "sex"])


def contributions(seed: int = 3, rows: int = 400) -> str:
    generator = random.Random(seed)
    lines = ["region,sex,year,value"]
    for _ in range(rows):
        lines.append(f"{generator.choice(['North', 'South'])},{generator.choice(['F', 'M'])},"
                     f"{generator.choice(['2020', '2021'])},{generator.randint(1, 500)}")
    return "\n".join(lines) + "\n"


def summaries(found, table):
    return {tuple(c.ref.row_labels.values()) + (c.ref.column,): found.for_cell(c, SETTINGS)
            for c in table.cells}


def test_duckdb_and_the_strict_reader_give_the_same_cells_totals_included(write):
    table = wide_table(write)
    path = write("t.csv.evidence.csv", contributions())
    joined = read_evidence_csv(path, table, keep=3)
    strict = parse_evidence(read_table(path), table, keep=3)
    assert joined.groups and joined.groups.keys() == strict.groups.keys()
    by_join, by_strict = summaries(joined, table), summaries(strict, table)
    assert by_join == by_strict
    # The grand total draws on every contribution; a row total on its region and sex.
    grand = by_join[("Total", "F", "Total")]
    north_f = [int(line.rsplit(",", 1)[1]) for line in contributions().splitlines()[1:]
               if line.startswith("North,F,")]
    assert by_join[("North", "F", "Total")].count == len(north_f)
    assert by_join[("North", "F", "Total")].total == sum(north_f)
    assert by_join[("North", "F", "Total")].largest == tuple(sorted(north_f, reverse=True)[:3])
    assert grand.count + by_join[("Total", "M", "Total")].count == 400


def test_the_join_is_what_runs_on_a_plain_file(write, monkeypatch):
    table = wide_table(write)
    path = write("t.csv.evidence.csv", contributions())

    def refuse(*_args, **_kwargs):
        raise AssertionError("the strict reader ran on a plain file")
    monkeypatch.setattr(evidence_module, "parse_evidence", refuse)
    assert read_evidence_csv(path, table).groups


@pytest.mark.parametrize("odd", [
    "region,sex,year,value\nNorth,F,2020,\"1,234\"\n",      # thousands separator
    "region,sex,year,value\n North ,F,2020,5\n",            # padded label: stripped
    "\ufeffregion,sex,year,value\nNorth,F,2020,5\n",        # BOM
    "region,sex,year,value\n\nNorth,F,2020,5\n\n",          # blank lines
])
def test_odd_but_valid_files_are_read_by_the_strict_reader_alike(write, odd):
    table = wide_table(write)
    path = write("t.csv.evidence.csv", odd)
    assert (read_evidence_csv(path, table).groups
            == parse_evidence(read_table(path), table).groups)


@pytest.mark.parametrize("bad, message, line", [
    ("region,sex,year,value\nNorth,F,2020,5\nNorth,F,2020,lots\n", "'lots' is not a number", 3),
    ("region,sex,year,value\nNorth,F,2020,5\nNorth,F,2020\n", "row has 3 fields", 3),
    ("region,sex,year,value\nNorth,F,2020,nan\n", "'nan' is not a number", 2),
    ("region,sex,year,value\nNorth,F,2020,1e999\n", "is not a number", 2),
])
def test_bad_evidence_gets_the_strict_readers_error_with_its_line(write, bad, message, line):
    table = wide_table(write)
    with pytest.raises(UnreadableTable) as error:
        read_evidence_csv(write("t.csv.evidence.csv", bad), table)
    assert message in str(error.value) and error.value.line == line


def test_a_large_table_of_means_is_checked_through_the_join(write):
    """Dominated cells found by the join are the ones the data makes dominant."""
    lines, table = ["area,value"], ["area,mean"]
    for area in range(300):
        values = [10] * 12 + ([5000] if area % 7 == 0 else [])
        lines += [f"a{area},{v}" for v in values]
        table.append(f"a{area},{sum(values) / len(values):.2f}")
    result = check_file(write("m.csv", "\n".join(table) + "\n"), kind="magnitude",
                        evidence=write("m.csv.evidence.csv", "\n".join(lines) + "\n"))
    assert {labels[0] for labels in flagged(result, "dominance_nk")} == {
        f"a{area}" for area in range(0, 300, 7)}
