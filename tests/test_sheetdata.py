"""The data rows of big output sheets, written straight as worksheet XML: checked cell by cell."""

from __future__ import annotations

import zlib
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from rfm_excel.base.excel import plain_integers
from rfm_excel.writers.headless import splice
from rfm_excel.writers.headless.rows import RowBlock


def test_rows_hold_each_cell_with_its_reference_style_and_type():
    table = pd.DataFrame({
        "Customer ID": ["17850", None],
        "Segment": ["At Risk", "Tom & Jerry <b>"],
        "Monetary": [3.0, np.nan],
        "Share": [0.25, 1.0],
        "Last Order": pd.to_datetime(["2024-06-30", None]),
    })
    formats = [SimpleNamespace(xf_index=i) for i in range(5)]
    block = RowBlock(table, ["id", "text", "money", "number", "date"], formats, first_row=4)
    xml = bytes(block.xml(xf_map=[10, 11, 12, 13, 14]))
    text = ' t="inlineStr"><is><t>'
    assert xml.decode() == (
        # row 5: the ID is a plain number, so a number cell; 3.0 is written "3" because its column
        # is whole; 2024-06-30 is day 45473 counted from 1899-12-30
        '<row r="5"><c r="A5" s="10"><v>17850</v></c>'
        f'<c r="B5" s="11"{text}At Risk</t></is></c>'
        '<c r="C5" s="12"><v>3</v></c><c r="D5" s="13"><v>0.25</v></c><c r="E5" s="14"><v>45473</v></c></row>'
        # row 6: blanks stay styled empty cells; markup in text is escaped
        '<row r="6"><c r="A6" s="10"/>'
        f'<c r="B6" s="11"{text}Tom &amp; Jerry &lt;b&gt;</t></is></c>'
        '<c r="C6" s="12"/><c r="D6" s="13"><v>1</v></c><c r="E6" s="14"/></row>')
    assert block.last_cell == "E6"


def test_ids_that_excel_would_change_are_written_as_text():
    table = pd.DataFrame({"Customer ID": ["00123", "42"]})
    xml = bytes(RowBlock(table, ["id"], [SimpleNamespace(xf_index=0)], first_row=1).xml([7])).decode()
    assert xml == ('<row r="2"><c r="A2" s="7" t="inlineStr"><is><t>00123</t></is></c></row>'
                   '<row r="3"><c r="A3" s="7" t="inlineStr"><is><t>42</t></is></c></row>')


def test_spaces_at_either_end_of_a_text_are_kept():
    table = pd.DataFrame({"Name": ["Ann", "Bob "]}, dtype="str")
    xml = bytes(RowBlock(table, ["text"], [SimpleNamespace(xf_index=0)], first_row=0).xml([2])).decode()
    assert xml == ('<row r="1"><c r="A1" s="2" t="inlineStr"><is><t xml:space="preserve">Ann</t></is></c></row>'
                   '<row r="2"><c r="A2" s="2" t="inlineStr"><is><t xml:space="preserve">Bob </t></is></c></row>')


def test_rows_built_in_slices_write_each_column_one_way():
    # "007" in the last row makes every ID text, and " Bob" every name keep its spaces, slice or not
    table = pd.DataFrame({"Customer ID": ["1", "2", "007"], "Name": ["Ann", "Cy", " Bob"]})
    block = RowBlock(table, ["id", "text"], [SimpleNamespace(xf_index=0)] * 2, first_row=0)
    sliced = b"".join(bytes(piece()) for piece in block.pieces([5], rows=1))
    assert len(block.pieces([5], rows=1)) == 3 and sliced == block.xml([5])
    assert sliced.count(b"<t>") == 3 and sliced.count(b'<t xml:space="preserve">') == 3
    assert b'<c r="A1" s="5" t="inlineStr"><is><t>1</t></is></c>' in sliced


def test_an_empty_table_adds_no_rows():
    table = pd.DataFrame({"Customer ID": pd.Series([], dtype=object)})
    assert RowBlock(table, ["id"], [SimpleNamespace(xf_index=0)], first_row=1).xml([0]) == b""


@pytest.mark.parametrize("ids, plain", [
    (["0", "7", "123456789012345", None], True),
    (["007"], False),                      # a leading zero Excel would drop
    (["1e5"], False), ([" 7"], False), (["-7"], False), (["7.0"], False),
    (["1234567890123456"], False),         # 16 digits: beyond what Excel keeps exactly
    (["\u0661\u0662"], False),             # Arabic-Indic digits are text to Excel
    ([17850], True), ([17850.0], False),    # numbers are looked at as their text
])
def test_plain_integer_ids(ids, plain):
    assert plain_integers(pd.Series(ids, dtype=object)) is plain
    if all(isinstance(v, str) or v is None for v in ids):
        assert plain_integers(pd.Series(ids, dtype="str")) is plain


def test_text_in_several_arrow_chunks_and_characters_xml_cannot_hold():
    # pandas keeps text columns as Arrow chunks; \x07 cannot be in XML, so it is Excel's escape _x0007_; a tab can
    table = pd.DataFrame({"Name": pd.arrays.ArrowStringArray(pa.chunked_array([["Bell\x07 & Co"], ["Tab\there"]]))})
    xml = bytes(RowBlock(table, ["text"], [SimpleNamespace(xf_index=0)], first_row=1).xml([3])).decode()
    assert xml == ('<row r="2"><c r="A2" s="3" t="inlineStr"><is><t>Bell_x0007_ &amp; Co</t></is></c></row>'
                   '<row r="3"><c r="A3" s="3" t="inlineStr"><is><t>Tab\there</t></is></c></row>')


def test_pieces_deflated_apart_and_together_make_one_valid_zip_member():
    """A big sheet's pieces are deflated by worker threads on their own and joined with pieces the saving
    thread deflates: the member inflates to the pieces in order, with their CRC and size."""
    rows = [b"".join(b'<row r="%d"><c t="n"><v>%d</v></c></row>' % (i, i * 7 % 1000) for i in range(k, k + 5000))
            for k in range(0, 20000, 5000)]
    pieces = [rows[0], splice._packed(lambda: rows[1]), splice._packed(lambda: rows[2]), rows[3]]
    data, crc, size = splice._deflated(iter(pieces))
    whole = b"".join(rows)
    assert zlib.decompress(data, -15) == whole
    assert (crc, size) == (zlib.crc32(whole), len(whole))
    assert len(data) < len(whole) / 3  # deflated, not stored
