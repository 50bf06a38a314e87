"""Malformed input is refused with a typed error that says where; odd but valid input is read."""

from __future__ import annotations

import pytest

from haven_disclosure import UnreadableTable, check_file
from haven_disclosure.reading import parse_delimited

from .sdc_helpers import finding


@pytest.mark.parametrize("content, reason, line", [
    (b"", "file is empty", None),
    (b"  \n\n \n", "file is empty", None),
    (b"region,n\nNorth,12\nSouth\n", "row has 1 fields but the header has 2", 3),
    (b"region,n\nNorth,12,5\n", "row has 3 fields but the header has 2", 2),
    (b"region,n\nNorth,1\x002\n", "binary content (NUL byte); not a text file", 2),
    (b"region,n\nNorth,12\nS\xe9ville,3\n", "bytes that are not UTF-8 at offset 19", 3),
    (b'region,n\n"North,12\n', "malformed CSV: unexpected end of data", 2),
])
def test_malformed_input_raises_unreadable_with_its_place(write, content, reason, line):
    with pytest.raises(UnreadableTable) as raised:
        check_file(write("bad.csv", content), kind="frequency")
    assert raised.value.reason == reason
    assert raised.value.line == line


def test_ragged_row_names_the_first_missing_column(write):
    with pytest.raises(UnreadableTable) as raised:
        check_file(write("bad.csv", "region,sex,n\nNorth,F\n"))
    assert raised.value.column == "n"
    assert "bad.csv (line 2, column 'n')" in str(raised.value)


def test_random_binary_junk_is_unreadable(write):
    junk = bytes(range(128, 256)) * 4  # no NUL, never valid UTF-8
    with pytest.raises(UnreadableTable):
        check_file(write("junk.csv", junk))


def test_duplicate_header_names_are_refused(write):
    with pytest.raises(UnreadableTable) as raised:
        check_file(write("dup.csv", "region,n,n\nNorth,12,13\n"))
    assert raised.value.column == "n"


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(UnreadableTable, match="cannot open"):
        check_file(tmp_path / "nowhere.csv")


@pytest.mark.parametrize("text", [
    "region\tn\nNorth\t12\nSouth\t14\n",
    "region;n\nNorth;12\nSouth;14\n",
    "region|n\nNorth|12\nSouth|14\n",
    "\ufeffregion,n\r\nNorth,12\r\nSouth,14\r\n\r\n",  # BOM, CRLF and a trailing blank line
    'region,n\n"North, upper",12\nSouth,"14"\n',
])
def test_delimiter_is_sniffed_and_cells_kept_as_text(text):
    raw = parse_delimited(text, "t.csv")
    assert raw.header == ("region", "n")
    assert [row[1] for row in raw.rows] == ["12", "14"]


def test_header_only_table_needs_review(check):
    result = check("region,n\n")
    assert finding(result, "values").verdict.value == "review"
    assert result.verdict.value == "review"
