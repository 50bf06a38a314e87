"""How datasets look in a notebook: a small table instead of the dataclasses' own repr,
which spells out every column and Parquet path on one line.

Descriptions come from the catalogue's metadata, written by whoever added the dataset, so
every value is escaped before it becomes HTML.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._catalogue import Dataset

DATASET_HEADINGS = ("Name", "Version", "Rows", "Columns", "Description")
COLUMN_HEADINGS = ("Column", "Type", "Description")


def _table(headings: tuple[str, ...], rows: list[tuple[str, ...]], caption: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return (f'<table class="haven-datasets"><caption>{escape(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def summary(dataset: Dataset) -> str:
    """One line: what ``repr`` shows for a dataset."""
    return (f"<Dataset {dataset.name} version {dataset.version}: {dataset.rows:,} rows, "
            f"{len(dataset.columns)} columns>")


def dataset_html(dataset: Dataset) -> str:
    caption = f"{dataset.name} (version {dataset.version}, {dataset.rows:,} rows): {dataset.title}"
    rows = [(c.name, c.type, c.description) for c in dataset.columns]
    return _table(COLUMN_HEADINGS, rows, caption)


class DatasetList(list):
    """What ``haven.datasets()`` returns: a plain list of Dataset that shows as a table."""

    def _rows(self) -> list[tuple[str, ...]]:
        return [(d.name, d.version, f"{d.rows:,}", str(len(d.columns)), d.description or d.title) for d in self]

    def __repr__(self) -> str:
        if not self:
            return "No datasets in this project."
        widths = [max(len(h), *(len(row[i]) for row in self._rows())) for i, h in enumerate(DATASET_HEADINGS[:4])]
        lines = ["  ".join(h.ljust(w) for h, w in zip(DATASET_HEADINGS, widths)) + "  Description"]
        for row in self._rows():
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[4])
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        caption = f"Datasets in this project: {len(self)}. haven.sql('select * from <name>') queries one."
        return _table(DATASET_HEADINGS, self._rows(), caption)
