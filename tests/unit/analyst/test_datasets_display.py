"""haven.datasets() shows as a small table in a notebook, not as the dataclasses' repr."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import haven
from haven._catalogue import Column, Dataset
from haven._display import DatasetList

PLANTED = '<script>alert("out")</script>'


def a_dataset(description: str) -> Dataset:
    return Dataset(name="notes", version="2", title="Free-text notes", description=description, source="s",
                   licence="l", rows=12_345, columns=(Column("note_id", "BIGINT", "key"), Column("text", "VARCHAR", PLANTED)),
                   files=(Path("/data/notes/part-0.parquet"),))


class Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.cells: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)

    def handle_data(self, data) -> None:
        if self.tags and self.tags[-1] in ("td", "th"):
            self.cells.append(data)


def parsed(html: str) -> Cells:
    cells = Cells()
    cells.feed(html)
    return cells


def test_the_table_escapes_a_planted_script_in_a_description():
    html = DatasetList([a_dataset(PLANTED)])._repr_html_()
    assert "<script" not in html and "&lt;script&gt;" in html
    cells = parsed(html)
    assert "script" not in cells.tags
    assert cells.cells == ["Name", "Version", "Rows", "Columns", "Description", "notes", "2", "12,345", "2", PLANTED]
    # A single dataset's column table escapes the same way.
    column_html = a_dataset("fine")._repr_html_()
    assert "<script" not in column_html and PLANTED in parsed(column_html).cells


def test_repr_is_one_readable_line_per_dataset():
    listed = DatasetList([a_dataset("Notes written at discharge")])
    header, row = repr(listed).splitlines()
    assert header.split() == ["Name", "Version", "Rows", "Columns", "Description"]
    assert row.split(None, 4) == ["notes", "2", "12,345", "2", "Notes written at discharge"]
    assert repr(listed[0]) == "<Dataset notes version 2: 12,345 rows, 2 columns>"
    assert "parquet" not in repr(listed) and "Column(" not in repr(listed)
    assert repr(DatasetList()) == "No datasets in this project."


def test_datasets_in_a_project_show_as_the_table(project_env):
    held = haven.datasets()
    assert isinstance(held, list) and len(held) == 2
    names = parsed(held._repr_html_()).cells[5::5]
    assert sorted(names) == ["admissions", "patients"]
