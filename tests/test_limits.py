"""No sheet is written longer than Excel allows: 1,048,576 rows, 16,384 columns, 32,767 characters a cell.

A table that does not fit is cut to what fits, a line above it says how much was left out and
where the whole table went (a CSV file beside the workbook), the run note on Segments says it
too, and the counts per problem on Data Issues stay those of the whole table.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import rfm_excel
from rfm_excel.base.excel import CUT_MARK, MAX_COLUMNS, MAX_ROWS, MAX_TEXT, cut_text
from rfm_excel.base.reading.issues import issue_rows
from rfm_excel.doors import files
from rfm_excel.doors.cli import main
from rfm_excel.layout import sheets
from rfm_excel.layout.blocks import Table, text_lines
from rfm_excel.writers.headless.template import build_template

CUSTOMERS = 70
LIMIT = 60  # rows a sheet holds in the whole-run test: less than every table needs, more than what stands above


def small_result() -> rfm_excel.Result:
    return rfm_excel.score(pd.DataFrame({"Customer ID": ["A", "A", "B"], "Order ID": ["1", "2", "3"],
                                         "Order Date": ["2024-01-05", "2024-03-01", "2024-02-10"],
                                         "Amount": [20.0, 30.0, 15.0]}))


def cancelled_issues(rows: int) -> pd.DataFrame:
    return issue_rows("cancelled", np.arange(2, rows + 2), "Order ID", "C1", np.full(rows, -1.0))


# ------------------------------------------------------------ at Excel's own limits


def test_a_table_longer_than_a_sheet_is_cut_to_end_on_its_last_row():
    result = small_result()
    result.issues = cancelled_issues(MAX_ROWS + 10)
    layout = sheets.fitted(sheets.issues_sheet(result), Path("shops/shop.xlsx"))
    table = layout.table
    assert table.row + 1 + len(table.frame) == MAX_ROWS  # zero-based: the last row is row 1,048,576
    assert layout.overflow.rows == MAX_ROWS + 10 - len(table.frame) and len(layout.overflow.table) == MAX_ROWS + 10
    assert layout.lines[-1] == (f"Data Issues is bigger than an Excel sheet can hold, so its last "
                                f"{layout.overflow.rows:,} of 1,048,586 rows are left out of the sheet; the whole "
                                f"table is in {Path('shops/shop data issues.csv')}.")
    totals = layout.blocks[1]
    assert totals.rows[0][0].value.startswith("At a glance") and totals.row == len(layout.lines) + 1  # moved down
    assert "1,048,586 cancelled invoices counted as returns" in " ".join(layout.lines)  # the whole table's count


def test_a_sheet_that_fits_exactly_is_left_as_it_is():
    result = small_result()
    result.issues = cancelled_issues(10)
    top = sheets.issues_sheet(result).table.row  # the totals above: one kind of issue, whatever the count
    result.issues = cancelled_issues(MAX_ROWS - top - 1)
    layout = sheets.issues_sheet(result)
    assert layout.table.row == top and sheets.fitted(layout, Path("shop.xlsx")) is layout
    result.issues = cancelled_issues(MAX_ROWS - top)
    assert sheets.fitted(sheets.issues_sheet(result), Path("shop.xlsx")).overflow.rows == 2  # one more: a line too


def test_score_history_wider_than_a_sheet_keeps_the_customer_and_the_newest_snapshots():
    snapshots = [f"{dt.date(1980, 1, 1) + dt.timedelta(days=n):%Y-%m-%d}" for n in range(MAX_COLUMNS + 5)]
    table = pd.DataFrame([["A"] + ["555 Champions"] * len(snapshots)], columns=["Customer ID", *snapshots])
    layout = sheets.SheetLayout("Score History", blocks=[
        text_lines(["Score history", "One row per customer."]),
        Table(3, table, [sheets.Column(h, "code") for h in table.columns])])
    cut = sheets.fitted(layout, Path("shop.xlsx"))
    columns = cut.table.columns
    assert len(columns) == MAX_COLUMNS and list(cut.table.frame.columns) == [c.header for c in columns]
    assert columns[0].header == "Customer ID" and columns[1].header == snapshots[6]
    assert columns[-1].header == snapshots[-1] and cut.overflow.columns == 6 and cut.overflow.rows == 0
    assert "its oldest 6 of 16,389 snapshot columns are left out" in cut.lines[-1]


def test_the_writer_puts_a_cut_table_on_the_sheets_last_row_and_no_further(tmp_path):
    result = small_result()
    result.issues = cancelled_issues(MAX_ROWS + 10)
    layout = sheets.fitted(sheets.issues_sheet(result), tmp_path / "shop.xlsx")
    book = build_template(tmp_path / "book.xlsx")
    files.write_layouts(book, tmp_path / "shop.xlsx", [layout], files.placement_of(book))
    with zipfile.ZipFile(tmp_path / "shop.xlsx") as package:
        part = next(name for name in package.namelist() if name.endswith("rfm_data_issues.xml"))
        with package.open(part) as sheet:
            head = sheet.read(4096)
            tail = b""
            while chunk := sheet.read(1 << 24):
                tail = (tail + chunk)[-4096:]
    assert re.search(rb'<dimension ref="A1:F1048576"/>', head)
    rows = re.findall(rb'<row r="(\d+)"', tail)
    assert rows[-1] == b"1048576" and tail.endswith(b"</worksheet>")


def test_texts_longer_than_a_cell_holds_are_cut_with_a_mark():
    assert cut_text("x" * MAX_TEXT) == "x" * MAX_TEXT
    cut = cut_text("x" * (MAX_TEXT + 1))
    assert len(cut) == MAX_TEXT and cut.endswith(CUT_MARK) and cut.startswith("x" * 1000)
    wide = cut_text("😀" * 20_000)  # 40,000 UTF-16 units, as Excel counts them
    assert len(wide.encode("utf-16-le")) // 2 == MAX_TEXT - 1 and wide.endswith(CUT_MARK)  # no half character


def test_a_long_text_in_the_orders_is_cut_on_the_sheets_of_both_writers(tmp_path):
    long_name = "N" * 40_000
    csv_file = tmp_path / "orders.csv"
    csv_file.write_text(f"Customer ID,Order Date,Amount,Customer Name\nA,2024-01-05,10,{long_name}\n")
    result, path = files.score_file(csv_file)
    name = openpyxl.load_workbook(path)["Scores"]["B2"].value
    assert len(name) == MAX_TEXT and name == "N" * (MAX_TEXT - len(CUT_MARK)) + CUT_MARK
    assert sheets.scores_sheet(result).table.cell_values()[0][1] == name  # as the live writer writes it


# ------------------------------------------------------------ a whole run with a small limit, for speed


@pytest.fixture
def limit_of_60_rows(monkeypatch):
    monkeypatch.setattr(sheets, "MAX_ROWS", LIMIT)


def cancelled_orders_book(folder: Path) -> Path:
    """Each of 70 customers buys for 10 and has a cancelled invoice of 5: two issues each (cancelled, netted)."""
    rows = []
    for n in range(CUSTOMERS):
        rows.append([f"K{n:02}", str(1000 + n), dt.datetime(2024, 1, 1) + dt.timedelta(days=n), 10.0])
        rows.append([f"K{n:02}", f"C{2000 + n}", dt.datetime(2024, 3, 1), 5.0])
    path = build_template(folder / "shop.xlsx", orders=pd.DataFrame(
        rows, columns=["Customer ID", "Order ID", "Order Date", "Amount"]).astype(object))
    return path


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_run_whose_tables_do_not_fit_writes_what_fits_and_says_where_the_rest_went(tmp_path, capsys,
                                                                                     limit_of_60_rows):
    book = cancelled_orders_book(tmp_path)
    assert main(["score", str(book)]) == 0
    out = capsys.readouterr().out
    full = {sheet: tmp_path / f"shop {sheet.lower()}.csv" for sheet in
            ("Scores", "Data Issues", "Contact Plan", "Score History")}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([book.name] + [p.name for p in full.values()])
    workbook = openpyxl.load_workbook(book)
    for sheet, path in full.items():
        note = f"{sheet} is bigger than an Excel sheet can hold"
        assert workbook[sheet].max_row == LIMIT
        assert any(str(cell.value).startswith(note) for cell in workbook[sheet]["A"][:5])
        assert f"the whole table is in {path}." in out and note in out
        assert any(str(cell.value).startswith(note) for cell in workbook["Segments"]["A"][:8])  # the run note
    issues = read_csv(full["Data Issues"])
    assert len(issues) == 2 * CUSTOMERS and issues[0]["Problem"] == "cancelled invoice with a positive amount"
    assert {row["Amount"] for row in issues} == {"-5"}  # Arrow writes a whole float without ".0"
    everyone = [row["Customer ID"] for row in read_csv(full["Scores"])]
    on_sheet = [row[0].value for row in workbook["Scores"].iter_rows(min_row=5, max_row=LIMIT)]
    assert sorted(everyone) == [f"K{n:02}" for n in range(CUSTOMERS)] and on_sheet == everyone[:LIMIT - 4]  # best first
    sheet = workbook["Data Issues"]
    notes = " ".join(str(sheet.cell(r, 1).value) for r in range(2, 6))
    assert "70 cancelled invoices counted as returns, 70 returns and refunds netted" in notes
    totals = {row[3].value: (row[4].value, row[5].value) for row in sheet.iter_rows(min_row=2, max_row=20)
              if row[3].value in ("Cancelled invoices counted as returns", "Returns and refunds netted")}
    assert totals == {"Cancelled invoices counted as returns": (70, -350), "Returns and refunds netted": (70, -350)}
    header = next(r for r in range(1, LIMIT) if sheet.cell(r, 1).value == "Row")
    last = LIMIT - header - 1  # the last issue on the sheet, counted from 0: two per cancelled line, rows 3, 5, 7...
    assert sheet.cell(LIMIT, 1).value == 3 + 2 * (last // 2) and issues[last]["Row"] == str(sheet.cell(LIMIT, 1).value)
