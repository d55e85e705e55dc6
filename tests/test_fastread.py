"""The typed read of big, tidy Orders sheets gives exactly what the cell-by-cell read gives.

Big sheets (over fastread.FAST_FROM_BYTES of XML) are read into typed columns; the tests lower
that limit to 0 so that small hand-made workbooks take the same way.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import python_calamine
import xlsxwriter

import rfm_excel
from rfm_excel.base.orders import normalise
from rfm_excel.doors.files import score_file
from rfm_excel.layout.issue_words import issue_table
from rfm_excel.readers import typed as fastread
from rfm_excel.readers.workbook import check_sheet_size, orders_block, read_book

D = dt.datetime
HEADER = ["Customer ID", "Order ID", "Order Date", "Amount"]
# Rows 2-9, then a blank row 10 that ends the block; row 11 is below it and not read.
TIDY = [
    (17850, "536365", D(2024, 5, 1, 8, 26), 15.3),      # row 2 } one order of 17850: 15.30 + 20.34 = 35.64
    (17850, "536365", D(2024, 5, 1, 8, 26), 20.34),     # row 3 }
    (17850, "536366", D(2024, 6, 20), 10.0),            # row 4
    (13047, "536367", D(2024, 6, 1), 54.08),            # row 5
    (13047, "536367", D(2024, 6, 1), 54.08),            # row 6: exact copy of row 5 -> skipped
    (None, "536368", D(2024, 6, 2), 9.0),               # row 7: no customer -> skipped
    (12583, "536369", D(2024, 6, 29), None),            # row 8: no amount -> skipped
    (12583, "536370", D(2024, 6, 29), -5.0),            # row 9: a return only -> 12583 not scored
    None,                                               # row 10: blank, the end of the orders
    (99999, "999999", D(2024, 6, 30), 1000.0),          # row 11: below the block, not an order
]


def write_book(path: Path, rows, header=HEADER, merge: bool = False, inline: bool = False) -> Path:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": inline})  # constant memory: inline strings
    sheet = book.add_worksheet("Orders")
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row or ()):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, when)
            elif value is not None:
                sheet.write(r, c, value)
    if merge:
        sheet.merge_range(1, 0, 2, 0, rows[0][0])
    book.close()
    return path


def typed(path: Path) -> pd.DataFrame | None:
    return fastread.typed_orders(path, check_sheet_size(path, "Orders").name, "Orders")


def cell_by_cell(path: Path) -> pd.DataFrame:
    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Orders").to_python()
    return orders_block(rows)[0]


def test_a_tidy_sheet_is_read_as_typed_columns_up_to_the_first_blank_row(tmp_path):
    frame = typed(write_book(tmp_path / "tidy.xlsx", TIDY))
    assert list(frame.columns) == HEADER
    assert len(frame) == 8  # rows 2-9
    # Order IDs are read as text (coded: each distinct text once) whatever the cells hold; customer
    # IDs that are all numbers stay numbers; dates and amounts keep their types
    assert [str(t) for t in frame.dtypes] == ["float64", "category", "datetime64[ms]", "float64"]
    assert frame["Customer ID"].tolist()[:2] == [17850, 17850]
    assert pd.isna(frame.loc[5, "Customer ID"]) and pd.isna(frame.loc[6, "Amount"])


def test_customer_ids_mixing_numbers_and_text_are_read_as_text(tmp_path):
    rows = [row for row in TIDY if row]
    rows[3] = ("C13047", *rows[3][1:])
    path = write_book(tmp_path / "mixed.xlsx", rows)
    frame = typed(path)
    assert str(frame["Customer ID"].dtype) == "category"
    assert frame["Customer ID"].tolist()[:4] == ["17850", "17850", "17850", "C13047"]
    pd.testing.assert_frame_equal(normalise(frame).lines, normalise(cell_by_cell(path)).lines)


def test_both_reads_clean_to_the_same_order_lines_and_issues(tmp_path):
    path = write_book(tmp_path / "tidy.xlsx", TIDY)
    fast, slow = normalise(typed(path)), normalise(cell_by_cell(path))
    pd.testing.assert_frame_equal(fast.lines, slow.lines)
    pd.testing.assert_frame_equal(fast.issues, slow.issues)
    # Rows 6 (copy of 5), 7 (no customer) and 8 (no amount) are skipped; row 9 is a return, netted.
    assert issue_table(fast.issues)[["Row", "Action"]].values.tolist() == [
        [6, "skipped (counted once)"], [7, "skipped"], [8, "skipped"], [9, "netted into Monetary; not a purchase"]]
    assert fast.rows_read == 8


def test_both_reads_score_the_same(tmp_path):
    path = write_book(tmp_path / "tidy.xlsx", TIDY)
    fast = rfm_excel.score(typed(path), as_of=dt.date(2024, 7, 1))
    slow = rfm_excel.score(cell_by_cell(path), as_of=dt.date(2024, 7, 1))
    pd.testing.assert_frame_equal(fast.scores, slow.scores)
    # 17850: orders 536365 (35.64) and 536366 (10.00) -> F 2, M 45.64, last 06-20 -> 11 days
    # 13047: 54.08 once (the copy skipped) -> F 1, recency 30; 12583 has only a return -> not scored
    assert fast.scores[["customer_id", "frequency", "monetary", "recency_days"]].values.tolist() == [
        ["17850", 2, 45.64, 11], ["13047", 1, 54.08, 30]]


@pytest.mark.parametrize("case", ["mixed column", "merged cells", "repeated header", "true/false column",
                                  "title above the header"])
def test_sheets_that_are_not_tidy_are_left_to_the_cell_by_cell_read(tmp_path, case):
    rows, header, merge = [row for row in TIDY if row], HEADER, False
    if case == "mixed column":
        rows[3] = (13047, "536367", "1 June 2024", 54.08)
    elif case == "merged cells":
        merge = True
    elif case == "repeated header":
        header = ["Customer ID", "Order ID", "Order Date", "Order Date"]
    elif case == "true/false column":
        rows = [(*row[:3], True) for row in rows]
    else:
        header = ["Orders exported 2024-07-01", None, None, None]
    assert typed(write_book(tmp_path / "messy.xlsx", rows, header, merge)) is None


def test_read_book_takes_the_typed_read_above_the_size_limit_only(tmp_path, monkeypatch):
    path = write_book(tmp_path / "tidy.xlsx", TIDY)
    calls = []
    monkeypatch.setattr(fastread, "typed_orders", lambda *a: calls.append(a) or None)
    read_book(path)
    assert calls == []  # a small sheet: cell by cell
    monkeypatch.setattr(fastread, "FAST_FROM_BYTES", 0)
    read_book(path)
    assert calls == [(path, "xl/worksheets/sheet1.xml", "Orders", str(path))]


def test_scoring_a_workbook_either_way_writes_the_same_sheets(tmp_path, monkeypatch):
    slow = score_file(write_book(tmp_path / "a.xlsx", TIDY))[0]
    monkeypatch.setattr(fastread, "FAST_FROM_BYTES", 0)
    fast = score_file(write_book(tmp_path / "b.xlsx", TIDY))[0]
    pd.testing.assert_frame_equal(fast.scores, slow.scores)
    pd.testing.assert_frame_equal(fast.issues, slow.issues)
    assert (fast.rows_read, fast.lines_used, fast.orders, fast.customers) == (8, 5, 4, 2)


def test_header_names_come_from_row_1_and_the_shared_strings(sample_source, tmp_path):
    part = check_sheet_size(sample_source, "Year 2010-2011").name
    assert fastread.header_names(sample_source, part) == [
        "Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]
    for inline in (False, True):
        book = write_book(tmp_path / f"inline-{inline}.xlsx", TIDY, inline=inline)
        assert fastread.header_names(book, "xl/worksheets/sheet1.xml") == HEADER


def test_the_real_export_reads_the_same_with_the_limit_lowered(sample_source, monkeypatch):
    slow = read_book(sample_source, "Year 2010-2011")
    monkeypatch.setattr(fastread, "FAST_FROM_BYTES", 0)
    fast = read_book(sample_source, "Year 2010-2011")
    # Invoice mixes 489434 and C489434: read as text, while the dates stay dates
    assert str(fast.orders["InvoiceDate"].dtype) == "datetime64[ms]" and fast.orders["Invoice"].dtype == "category"
    a, b = rfm_excel.score(fast.orders, first_row=fast.first_row), rfm_excel.score(slow.orders,
                                                                                   first_row=slow.first_row)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    pd.testing.assert_frame_equal(a.issues, b.issues)


def test_without_fastexcel_a_big_sheet_is_read_cell_by_cell_alike(tmp_path, monkeypatch):
    """Where fastexcel has no build (Pyodide, xlwings Lite) the typed read declines and the cell-by-cell read
    gives the same orders and scores."""
    monkeypatch.setattr(fastread, "FAST_FROM_BYTES", 0)
    path = write_book(tmp_path / "tidy.xlsx", TIDY)
    assert typed(path) is not None  # with fastexcel: the typed read
    fast = score_file(write_book(tmp_path / "a.xlsx", TIDY))[0]
    monkeypatch.setattr(fastread, "fastexcel", None)  # as readers/typed.py finds it where the import fails
    assert typed(path) is None
    slow = score_file(write_book(tmp_path / "b.xlsx", TIDY))[0]
    pd.testing.assert_frame_equal(slow.scores, fast.scores)
    pd.testing.assert_frame_equal(slow.issues, fast.issues)
    assert (slow.rows_read, slow.lines_used, slow.orders, slow.customers) == (8, 5, 4, 2)
