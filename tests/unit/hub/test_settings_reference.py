"""The generated settings reference reads as documentation: names of types, YAML defaults,
and tables whose cells a `|` in a description or a type cannot split."""

from __future__ import annotations

import re

from pydantic import Field

from haven_hub.settings import reference
from haven_hub.settings.common import ByteSize, _Section

CELL_BOUNDARY = re.compile(r"(?<!\\)\|")


def table_rows(page: str) -> list[str]:
    return [line for line in page.splitlines() if line.startswith("| `")]


def test_no_python_repr_reaches_the_page():
    page = reference.settings_reference()
    for leak in ("typing.", "Annotated", "FieldInfo", "NoneType", "Optional", "<class", "Literal[", "None |"):
        assert leak not in page, leak
    assert "| `egress.max_file_size` | size (`512`, `64K`, `16M`, `1.5G`) | `16M` |" in page
    assert "| `egress.file_types` | list, each one of `csv`, " in page
    assert '| `hub.proxy_command` | list of text | `["configurable-http-proxy"]` |' in page


def test_every_row_has_four_cells_even_with_a_bar_inside():
    rows = table_rows(reference.settings_reference())
    assert len(rows) > 50
    for row in rows:
        assert len(CELL_BOUNDARY.split(row)) == 6, row  # four cells between five bars

    class Sample(_Section):
        either: str | int = Field("a|b", description="One cell, although it says `x | y`.")
        size: ByteSize = Field("1M", validate_default=True, description="A size.")

    sample = reference._markdown_rows(Sample, "")
    assert sample[0] == r"| `either` | text or integer | `a\|b` | One cell, although it says `x \| y`. |"
    assert all(len(CELL_BOUNDARY.split(row)) == 6 for row in sample)
    assert sample[1].startswith("| `size` | size (")
