"""CSV files of orders: encodings and delimiters as real programs write them, the columnar read against a
row-by-row read of the same files, and the Orders sheet a CSV becomes.

tests/data/csv holds one messy orders sheet saved by LibreOffice Calc in five variants
(scripts/make_csv_fixtures.py). Its rows, hand-checked (as-of date 2024-06-30, the day after the
latest usable line):

    row 2-3   00123  1001  2024-01-05  120.00 + 30.50     one order of 150.50
    row 4     00123  1002  05/03/2024  "£1,234.50"        5 March (day first: nothing proves otherwise); repaired
    row 5     A-77   1003  2024-02-10  80.00
    row 6     " a-77" 1004 2024-04-01  20.00              the same customer as A-77 (spaces, capitals): merged
    row 7     (no customer)                               skipped
    row 8     00456  C1006 2024-04-03  40.00              a cancelled invoice: a return of 40
    row 9-10  00456  1007  2024-03-01  100.00 twice       an exact copy: counted once
    row 11    00789  1008  not a date                     skipped
    row 12    00789  1009  2024-06-30  (no amount)        skipped
    row 13-14 00789  1010 2024-06-29 15.00, 1011 2024-06-01 "12.00"
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter

import rfm_excel
from rfm_excel import core
from rfm_excel.base.errors import RfmError
from rfm_excel.doors.cli import main
from rfm_excel.layout.issue_words import issue_table
from rfm_excel.layout.wording import source_read_as
from rfm_excel.readers.csv import read_csv
from rfm_excel.readers.workbook import read_book

DATA = Path(__file__).resolve().parent / "data" / "csv"
VARIANTS = {"orders-utf8.csv": ("utf-8", ",", "UTF-8 text, comma-separated"),
            "orders-utf8-bom.csv": ("utf-8-sig", ",", "UTF-8 text (with a byte order mark), comma-separated"),
            "orders-windows.csv": ("cp1252", ",", "Windows-1252 text, comma-separated"),
            "orders-semicolon.csv": ("utf-8", ";", "UTF-8 text, semicolon-separated"),
            "orders-unicode.txt": ("utf-16", "\t", "UTF-16 text, tab-separated")}
# Customer ID -> (Recency, Frequency, Monetary), as the module docstring works them out.
EXPECTED = {"00123": (117, 2, 1385.0), "A-77": (90, 2, 100.0), "00456": (121, 1, 60.0), "00789": (1, 2, 27.0)}
HEADER = ["Customer ID", "Order ID", "Order Date", "Amount", "Customer Name", "Postcode", "Phone", "SKU"]


def row_by_row(path: Path, encoding: str, delimiter: str) -> pd.DataFrame:
    """The file read by Python's csv module with the encoding it was written in: the independent reading."""
    with path.open(encoding=encoding, newline="") as handle:
        header, *rows = list(csv.reader(handle, delimiter=delimiter))
    return pd.DataFrame([[v if v != "" else None for v in row] for row in rows], columns=header, dtype=object)


def values(result) -> dict[str, tuple]:
    return {row["customer_id"]: (row["recency_days"], row["frequency"], row["monetary"])
            for row in result.scores.to_dict("records")}


@pytest.mark.parametrize("name", VARIANTS)
def test_every_encoding_and_delimiter_is_found_and_read_as_written(name):
    encoding, delimiter, described = VARIANTS[name]
    table = read_csv(DATA / name)
    origin = core.Origin(name, encoding=table.encoding, delimiter=table.delimiter)
    assert (table.encoding, table.delimiter, source_read_as(origin)) == (encoding, delimiter, described)
    assert table.table.column_names == HEADER
    frame = table.frame()
    assert frame.iloc[:, 4].tolist()[:4] == ["José Müller"] * 3 + ["Zoë Brontë"]
    assert frame.iloc[2, 3] == "£1,234.50" and frame.iloc[4, 0] == " a-77"
    assert frame.iloc[:, 5].tolist()[:2] == ["01234", "01234"] and frame.iloc[2, 7] == "1E5"
    assert pd.isna(frame.iloc[5, 0]) and pd.isna(frame.iloc[10, 3])  # empty fields are blanks


@pytest.mark.parametrize("name", VARIANTS)
def test_every_variant_scores_the_hand_checked_values(name):
    result = rfm_excel.score(read_csv(DATA / name).frame(), sheet=name)
    assert result.as_of == dt.date(2024, 6, 30)
    assert values(result) == EXPECTED
    assert (result.rows_read, result.lines_used) == (13, 9)


@pytest.mark.parametrize("name", VARIANTS)
def test_the_columnar_read_gives_what_a_row_by_row_read_gives(name):
    encoding, delimiter, _ = VARIANTS[name]
    fast = rfm_excel.score(read_csv(DATA / name).frame(), sheet=name)
    slow = rfm_excel.score(row_by_row(DATA / name, encoding, delimiter), sheet=name)
    pd.testing.assert_frame_equal(fast.scores, slow.scores)
    pd.testing.assert_frame_equal(fast.issues, slow.issues)
    assert [tuple(row) for row in issue_table(fast.issues)[["Row", "Problem"]].itertuples(index=False)] == [
        (None, "text dates such as 05/03/2024 read as day/month (dd/mm/yyyy), as nothing in the column proves "
               "either order"),
        (4, "number written as text"), (6, "same customer as 'A-77' apart from spaces or capitals"),
        (7, "no customer ID (blank, or an error such as #N/A)"), (8, "cancelled invoice with a positive amount"),
        (8, "negative amount: a return, refund or credit"), (10, "exact copy of an earlier line"),
        (11, "not a date (blank, text, or an error such as #N/A)"), (12, "not a number (blank, text, or an error)")]


def test_a_csv_scored_into_a_workbook_holds_its_orders_as_written(tmp_path):
    assert main(["score", str(DATA / "orders-windows.csv"), "--output", str(tmp_path / "scored.xlsx")]) == 0
    sheet = openpyxl.load_workbook(tmp_path / "scored.xlsx")["Orders"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == HEADER and len(rows) == 14
    assert rows[1] == ["00123", "1001", dt.datetime(2024, 1, 5), 120.0, "José Müller", "01234", "07700900123",
                       "000042"]
    assert rows[3][2:4] == [dt.datetime(2024, 3, 5), 1234.5] and rows[3][7] == "1E5"  # as the cleaning read them
    assert rows[5][0] == " a-77" and rows[6][0] is None and rows[11][3] is None
    assert rows[10][2] == "not a date"  # what the cleaning cannot read stays the text it was
    assert [r[7] for r in rows[1:]] == ["000042", "000043", "1E5", "000042", "000044", None, "000042", "000045",
                                        "000045", None, None, "0042", "000046"]
    assert sheet.tables["Orders"].ref == "A1:H14"
    segments = openpyxl.load_workbook(tmp_path / "scored.xlsx")["Segments"]
    note = " ".join(str(segments.cell(r, 1).value) for r in range(2, 5))  # the run note, wrapped to the sheet
    assert " Orders: 13 lines from" in note and note.split("Scores:")[0].rstrip().endswith(
        " Orders: 13 lines from orders-windows.csv (Windows-1252 text, comma-separated), dated "
        "2024-01-05 to 2024-06-29, copied into the Orders sheet. Read with day/month dates.")  # 05/03/2024: day first


def test_the_workbook_a_csv_became_scores_as_the_csv_did(tmp_path):
    book = tmp_path / "scored.xlsx"
    assert main(["score", str(DATA / "orders-semicolon.csv"), "--output", str(book)]) == 0
    first = rfm_excel.score(read_csv(DATA / "orders-semicolon.csv").frame())
    contents = read_book(book)
    again = rfm_excel.score(contents.orders, first_row=contents.first_row)
    pd.testing.assert_frame_equal(again.scores, first.scores)
    assert values(again) == EXPECTED


def test_a_csv_that_turns_into_windows_1252_after_the_first_megabyte_is_read_in_it(tmp_path):
    path = tmp_path / "long.csv"
    lines = ["Customer ID,Order Date,Amount,Note"] + [f"{n},2024-01-{n % 28 + 1:02d},10,plain" for n in range(60_000)]
    lines.append("60000,2024-02-01,12,Café £")
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    table = read_csv(path)
    assert table.encoding == "cp1252" and table.lines == 60_001
    assert table.table.column("Note")[-1].as_py() == "Café £"


def test_short_rows_read_as_blank_cells_and_a_wide_row_is_refused(tmp_path):
    short = tmp_path / "short.csv"
    short.write_text("Customer ID,Order Date,Amount,Note\nA,2024-01-05,10\nB,2024-01-06,20,x\n")
    assert read_csv(short).table.to_pylist() == [
        {"Customer ID": "A", "Order Date": "2024-01-05", "Amount": "10", "Note": ""},
        {"Customer ID": "B", "Order Date": "2024-01-06", "Amount": "20", "Note": "x"}]
    wide = tmp_path / "wide.csv"
    wide.write_text("Customer ID,Order Date,Amount\nA,2024-01-05,10\nB,2024-01-06,1,250\n")
    with pytest.raises(RfmError, match=r"^A row of wide.csv has 4 fields where the header has 3 "
                                       r"\('B,2024-01-06,1,250'\); put quotes around values that contain a comma"):
        read_csv(wide)


@pytest.mark.parametrize("text, message", [
    ("", "orders.csv is empty; it needs a header row"),
    ("Customer ID,Order Date,Amount\n", "orders.csv has no orders under its header row."),
])
def test_an_empty_csv_is_refused_in_one_sentence(tmp_path, text, message):
    path = tmp_path / "orders.csv"
    path.write_text(text)
    with pytest.raises(RfmError, match="^" + message):
        read_csv(path)


def test_repeated_and_blank_headers_get_names_of_their_own(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("Customer ID,Amount,,Amount\nA,1,2,3\n")
    assert read_csv(path).table.column_names == ["Customer ID", "Amount", "Column C", "Amount.1"]


def test_a_csv_and_a_workbook_of_the_same_rows_score_the_same(tmp_path):
    """The rows typed into a workbook as text cells, read cell by cell: the slow path of a sheet."""
    frame = row_by_row(DATA / "orders-utf8.csv", "utf-8", ",")
    path = tmp_path / "typed.xlsx"
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    sheet = book.add_worksheet("Orders")
    sheet.write_row(0, 0, HEADER)
    for r, row in enumerate(frame.itertuples(index=False), start=1):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write_string(r, c, value)
    book.close()
    contents = read_book(path)
    from_book = rfm_excel.score(contents.orders, first_row=contents.first_row)
    from_csv = rfm_excel.score(read_csv(DATA / "orders-utf8.csv").frame())
    pd.testing.assert_frame_equal(from_book.scores, from_csv.scores)
    pd.testing.assert_frame_equal(from_book.issues, from_csv.issues)


@pytest.mark.parametrize("text, encoding", [
    ("Kunde;Name;Betrag\nC-001;Renée Dubois;12,50 €\nC-002;Zoë Hart;7,99\n", "cp1252"),  # German Excel's CSV
    ("Клиент,Сумма\nИванов,100\nПетров,200\n", "cp1251"),  # Cyrillic Windows: not taken for Windows-1252
])
def test_an_encoding_other_than_utf8_is_found_by_the_detector(tmp_path, text, encoding):
    path = tmp_path / "orders.csv"
    path.write_bytes(text.encode(encoding))
    table = read_csv(path)
    assert table.encoding == encoding
    assert table.table.to_pylist()[0] == dict(zip(text.splitlines()[0].split(table.delimiter),
                                                  text.splitlines()[1].split(table.delimiter), strict=False))
