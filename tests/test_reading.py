"""Reading real exports right, or refusing them with one sentence: the reading rules of docs/cleaning.md
that issue-sized cases broke (blank Order IDs, decimal commas, 1904 workbooks, zero-padded IDs, orders
worth zero, zoned timestamps) and the packages that hung or were refused (no <dimension>, prefixed tags,
Excel 4.0 macro sheets)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import threading
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

import rfm_excel
from rfm_excel import RfmError
from rfm_excel.base.orders import normalise
from rfm_excel.doors.files import score_file
from rfm_excel.layout.issue_words import issue_table
from rfm_excel.layout.wording import rows_summary
from rfm_excel.readers.workbook import check_sheet_size, read_book

_spec = importlib.util.spec_from_file_location("real_files", Path(__file__).with_name("real_files.py"))
real_files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(real_files)
minimal_package, MAIN = real_files.minimal_package, real_files.MAIN
D = dt.datetime


def orders(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns, dtype=object)


def scores_by_customer(result) -> dict[str, tuple]:
    table = result.scores
    return {c: (r, f, m) for c, r, f, m in zip(table["customer_id"], table["recency_days"], table["frequency"],
                                              table["monetary"], strict=True)}


def finishing(call, *args, seconds: float = 120):
    """``call(*args)``'s result, failing (rather than hanging the suite) if it never returns: a guard
    against endless loops, generous enough never to judge speed."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call(*args)
        except BaseException as error:  # handed to the test below
            outcome["error"] = error
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"{call.__name__} did not finish in {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# ------------------------------------------------------------ packages other programs write


MANY_ORDERS = [["Customer ID", "Order Date", "Amount"]] + [
    [f"C{r % 40}", f"2024-03-{1 + r % 28:02d}", r + 0.5] for r in range(300)]  # well over 4 KB of XML


@pytest.mark.parametrize("prefix, dimension", [("", False), ("x", False), ("x", True)],
                         ids=["no dimension", "prefixed, no dimension", "prefixed with dimension"])
def test_a_sheet_without_dimension_or_with_prefixed_tags_is_read_not_hung(tmp_path, prefix, dimension):
    path = minimal_package(tmp_path / "book.xlsx", MANY_ORDERS, prefix, dimension)
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size > 4096
    part = finishing(check_sheet_size, path, "Orders")
    assert (part.name, part.starts_at_a1) == ("xl/worksheets/sheet1.xml", True)
    result, _ = finishing(score_file, path, tmp_path / "out.xlsx")
    assert result.rows_read == 300 and result.customers == 40


def test_a_prefixed_sheet_reaching_far_beyond_its_data_is_still_refused(tmp_path):
    path = minimal_package(tmp_path / "far.xlsx", MANY_ORDERS, "x")
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    far = b'<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row></x:sheetData>'
    data = {name: zipfile.ZipFile(path).read(name) for name in zipfile.ZipFile(path).namelist()}
    data["xl/worksheets/sheet1.xml"] = sheet.replace(b"</x:sheetData>", far)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in data.items():
            package.writestr(name, content)
    with pytest.raises(RfmError, match="reaches cell XFD1048576"):
        finishing(check_sheet_size, path, "Orders")


def test_the_typed_read_takes_headers_and_merged_cells_from_prefixed_tags(tmp_path):
    from rfm_excel.readers import typed
    path = minimal_package(tmp_path / "book.xlsx", MANY_ORDERS, "x")
    assert typed.header_names(path, "xl/worksheets/sheet1.xml") == ["Customer ID", "Order Date", "Amount"]
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    merged = sheet.replace(b"</x:sheetData>", b'</x:sheetData><x:mergeCells count="1"><x:mergeCell ref="A2:A3"/>'
                                              b"</x:mergeCells>")
    data = {name: zipfile.ZipFile(path).read(name) for name in zipfile.ZipFile(path).namelist()}
    data["xl/worksheets/sheet1.xml"] = merged
    with zipfile.ZipFile(path, "w") as package:
        for name, content in data.items():
            package.writestr(name, content)
    assert typed._has_merged_cells(path, "xl/worksheets/sheet1.xml")


MACRO_SHEET = (b'<?xml version="1.0" encoding="UTF-8"?><xm:macrosheet xmlns="' + MAIN.encode() + b'" '
               b'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><sheetData><row r="1"><c r="A1" '
               b't="str"><f>HALT()</f><v>TRUE</v></c></row></sheetData></xm:macrosheet>')


def test_a_workbook_with_an_excel_4_macro_sheet_is_read(tmp_path):
    macro = ("http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet",
             "application/vnd.ms-excel.macrosheet+xml", MACRO_SHEET)
    path = minimal_package(tmp_path / "macro.xlsx", MANY_ORDERS, extra_sheets={"Macro1": macro})
    result, written = score_file(path, tmp_path / "out.xlsx")
    assert result.rows_read == 300 and result.customers == 40
    assert "xl/extra2.xml" in zipfile.ZipFile(written).namelist()  # the macro sheet is kept as it was


def test_a_sheet_without_the_needed_columns_names_a_few_headers_and_counts_the_rest():
    headers = [f"Field {n}" for n in range(5000)]
    with pytest.raises(RfmError) as caught:
        normalise(pd.DataFrame([["x"] * 5000], columns=headers))
    message = str(caught.value)
    assert len(message) < 400
    assert "Field 0, Field 1, Field 2, Field 3, Field 4 and 4,995 more" in message


# ------------------------------------------------------------ blank Order IDs, orders worth zero, zoned times


def write_csv(path: Path, rows: list[list], separator: str = ",") -> Path:
    path.write_text("\n".join(separator.join(str(v) for v in row) for row in rows) + "\n", encoding="utf-8")
    return path


def test_a_blank_order_id_column_counts_equal_rows_as_two_orders(tmp_path):
    # The template's Order ID column left blank: two equal rows are two purchases of one item on one day.
    csv = write_csv(tmp_path / "Orders.csv", [
        ["Customer ID", "Order ID", "Order Date", "Amount"],
        ["A", "", "2024-03-05", "12.00"], ["A", "", "2024-03-05", "12.00"], ["B", "", "2024-03-01", "5.00"]])
    book = real_files.csv_to_xlsx(csv, kinds=[real_files.TEXT] * 4)
    result, _ = score_file(book, tmp_path / "out.xlsx")
    assert scores_by_customer(result) == {"A": (1, 2, 24.0), "B": (5, 1, 5.0)}
    assert result.lines_used == 3
    shown = issue_table(result.issues)
    notes = shown[shown["Row"].isna()]
    assert notes[["Column", "Problem"]].values.tolist() == [
        ["Order ID", "the Order ID column is empty, so each row is an order of its own"]]


def test_rows_without_an_order_id_are_never_taken_for_copies_of_each_other():
    clean = normalise(orders(**{"Customer ID": ["A", "A", "A", "A"], "Order ID": ["7", "7", None, None],
                                "Order Date": ["2024-03-05"] * 4, "Amount": [10, 10, 10, 10]}))
    assert clean.lines["source_row"].tolist() == [2, 4, 5]  # row 3 repeats row 2, order 7; rows 4 and 5 count
    assert issue_table(clean.issues)[["Row", "Problem"]].values.tolist() == [[3, "exact copy of an earlier line"]]


def test_an_order_worth_zero_is_listed_and_not_counted_as_a_purchase():
    frame = orders(**{
        "Customer ID": ["A", "A", "A", "A", "B", "C", "C"],
        "Order ID": ["O1", "O2", "O2", "O3", "O4", "O5", "O6"],
        "Order Date": ["2024-01-05", "2024-02-01", "2024-02-01", "2024-03-01", "2024-03-02", "2024-03-03",
                       "2024-03-04"],
        "Product": ["Tea", "Tea sample", "Mug sample", "Tea", "Tea sample", "Mug", "Mug"],
        "Amount": [20, 0, 0, 30, 0, 8, -8]})  # O2: a free sample of two lines; O4: B's only order, also free
    result = rfm_excel.score(frame, as_of=dt.date(2024, 3, 31))
    # By hand: O1 and O3 are A's purchases; O5 is C's, and O6 returns it.
    assert scores_by_customer(result) == {"A": (30, 2, 50.0), "C": (28, 1, 0.0)}
    issues = issue_table(result.issues)[["Row", "Column", "Value", "Problem", "Action"]].values.tolist()
    assert issues == [
        [3, "Order ID", "O2", "order worth nothing (free, or refunded in full)", "not counted as a purchase"],
        [6, "Order ID", "O4", "order worth nothing (free, or refunded in full)", "not counted as a purchase"],
        [6, "Customer ID", "B", "no purchase: only returns or zero-value orders (net 0.00)", "customer not scored"],
        [8, "Amount", "-8", "negative amount: a return, refund or credit", "netted into Monetary; not a purchase"]]


@pytest.mark.parametrize("written, day", [
    ("2024-06-30T23:30:00Z", "2024-06-30"),              # Shopify, Stripe and API exports: UTC with a Z
    ("2025-10-07 09:50:26 +0200", "2025-10-07"),         # an offset without a colon
    ("2024-06-30 23:30:00 -05:00", "2024-06-30"),        # an evening order west of Greenwich stays that day
    ("2024-07-01T00:15:00.123+01:00", "2024-07-01"),     # fractions of a second
    ("2024-06-30 21:05 UTC", "2024-06-30"),
])
def test_a_timestamp_with_a_zone_keeps_the_calendar_date_as_written(written, day):
    clean = normalise(orders(**{"Customer ID": ["A", "B"], "Order Date": [written, "2024-01-02 10:00:00 +0000"],
                                "Amount": [10, 5]}))
    assert clean.lines["order_date"].dt.strftime("%Y-%m-%d").tolist() == [day, "2024-01-02"]
    assert issue_table(clean.issues)[["Row", "Problem", "Action"]].values.tolist() == [[
        None, f"times with a time zone, such as {written}: the date is taken as written, the zone left out",
        "read that way: an order keeps the day the shop's export gives it"]]


def test_mixed_offsets_in_an_exported_workbook_are_read_without_a_traceback(tmp_path):
    csv = write_csv(tmp_path / "Orders.csv", [
        ["Customer ID", "Order Date", "Amount"], ["A", "2024-06-30T23:30:00Z", "10"],
        ["A", "2024-06-29T08:00:00+02:00", "5"], ["B", "2024-06-28 19:00:00 -0700", "7"]])
    book = real_files.csv_to_xlsx(csv, kinds=[real_files.TEXT] * 3)
    result, _ = score_file(book, tmp_path / "out.xlsx", as_of=dt.date(2024, 7, 1))
    assert scores_by_customer(result) == {"A": (1, 2, 15.0), "B": (3, 1, 7.0)}


# ------------------------------------------------------------ decimal commas


NOTE_ACTION = "read that way; change 'Decimal mark' in Settings if wrong"


def notes(issues: pd.DataFrame) -> list[list]:
    """The notes about whole columns among the issue records, as the Data Issues sheet words them."""
    shown = issue_table(issues)
    return shown.loc[shown["Row"].isna(), ["Column", "Problem", "Action"]].values.tolist()


def test_decimal_commas_from_a_german_csv_are_read_as_written(tmp_path):
    # A ';'-separated CSV as German or French Excel saves it, opened in LibreOffice with the amounts as text.
    csv = write_csv(tmp_path / "Orders.csv", [
        ["Kunde", "Bestellnummer", "Datum", "Betrag"], ["K1", "1001", "2024-03-05", "100,50"],
        ["K1", "1002", "2024-03-20", "1.120,00"], ["K2", "1003", "2024-03-10", "12,50 €"]], separator=";")
    book = real_files.csv_to_xlsx(csv, ";", kinds=[real_files.TEXT] * 4)
    frame = read_book(book).orders.rename(columns={"Kunde": "Customer ID", "Bestellnummer": "Order ID",
                                                   "Datum": "Order Date", "Betrag": "Amount"})
    result = rfm_excel.score(frame, as_of=dt.date(2024, 3, 31))
    assert scores_by_customer(result) == {"K1": (11, 2, 1220.5), "K2": (21, 1, 12.5)}
    assert notes(result.issues) == [["Amount", "numbers such as 100,50 read with a decimal comma (as 100.50), "
                                               "the only reading that fits them", NOTE_ACTION]]
    assert "Numbers such as 100,50 read with a decimal comma" in rows_summary(result)


@pytest.mark.parametrize("amounts, setting, dialect, expected, why", [
    (["1,500", "12.50"], "Automatic", None, [1500.0, 12.5], "because 12.50 can only have a decimal point"),
    (["1.500", "2,25"], "Automatic", None, [1500.0, 2.25], "because 2,25 can only have a decimal comma"),
    (["1,500", "2,000"], "Comma", None, [1.5, 2.0], "as Settings say"),
    (["1,500", "2,000"], "Automatic", {"delimiter": ";"}, [1.5, 2.0],
     "as the file is separated by semicolons, as decimal-comma countries write CSV files"),
    (["1,500", "2,000"], "Automatic", {"delimiter": ","}, [1500.0, 2000.0],
     "as the file is separated by commas, which rules out decimal commas left unquoted"),
    (["1.500", "2.000"], "Automatic", {"locale": "de-DE"}, [1500.0, 2000.0],
     "as the file's language (de-DE) writes numbers so"),
    (["1,5", "2,75", "3.25"], "Automatic", None, [1.5, 2.75, None],
     "because the column mixes both; values that fit only the other mark were skipped"),
])
def test_the_decimal_mark_is_decided_for_the_whole_column(amounts, setting, dialect, expected, why):
    from rfm_excel.base.orders import Dialect
    clean = normalise(orders(**{"Customer ID": list("ABC")[:len(amounts)], "Order Date": ["2024-03-05"] * len(amounts),
                                "Amount": amounts}), decimal=setting, dialect=Dialect(**(dialect or {})))
    read = dict(zip(clean.lines["customer"], clean.lines["amount"], strict=True))
    assert [read.get(c) for c in "ABC"[:len(amounts)]] == expected
    (column, problem, action), = notes(clean.issues)
    assert (column, action) == ("Amount", NOTE_ACTION) and problem.endswith(why)


def test_a_column_that_could_be_read_either_way_is_refused_with_one_sentence():
    with pytest.raises(RfmError) as caught:
        normalise(orders(**{"Customer ID": ["A", "B"], "Order Date": ["2024-03-05"] * 2, "Amount": ["1,500", "2,000"]}))
    assert str(caught.value) == ("The Amount column's numbers such as 1,500 could be read with a decimal point (1500) "
                                 "or a decimal comma (1.5) and nothing in the column says which; set 'Decimal mark' "
                                 "in Settings to Point or Comma.")


def test_the_decimal_mark_setting_of_the_workbook_is_used(tmp_path, helpers):
    from rfm_excel.writers.headless.template import build_template
    book = helpers.fill_orders(build_template(tmp_path / "shop.xlsx"), [
        ("A", "1", "2024-03-05", "1,500"), ("B", "2", "2024-03-06", "2,000")])
    with pytest.raises(RfmError, match="set 'Decimal mark' in Settings"):
        score_file(book)
    helpers.set_setting(book, "Decimal mark", "Comma")
    result, _ = score_file(book)
    assert sorted(result.scores["monetary"]) == [1.5, 2.0]


def test_settings_read_numbers_by_the_same_rule():
    from rfm_excel.base.settings import parse_settings
    settings = parse_settings([["Recency weight", "0,5"], ["Frequency weight", "1.5"], ["Monetary weight", "2"]])
    assert (settings.recency_weight, settings.frequency_weight, settings.monetary_weight) == (0.5, 1.5, 2.0)


# ------------------------------------------------------------ the 1904 date system


def book_1904(path: Path) -> Path:
    """Orders in a 1904-date-system workbook (older Mac Excel): real dates, a serial number in a General
    cell as a paste leaves it, and a text date."""
    book = xlsxwriter.Workbook(str(path), {"date_1904": True})
    sheet = book.add_worksheet("Orders")
    when = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["Customer ID", "Order ID", "Order Date", "Amount"])
    rows = [("A", "1", D(2024, 1, 10), 100), ("A", "2", D(2024, 6, 28), 25.5), ("B", "3", 43980, 40),
            ("C", "4", "2024-05-01", 10)]   # 43980 days after 1904-01-01 is 2024-05-30
    for r, (customer, order, date, amount) in enumerate(rows, start=1):
        sheet.write_row(r, 0, [customer, order])
        if isinstance(date, dt.datetime):
            sheet.write_datetime(r, 2, date, when)
        else:
            sheet.write(r, 2, date)
        sheet.write_number(r, 3, amount)
    book.close()
    return path


EXPECTED_1904 = {"A": ("2024-01-10", "2024-06-28"), "B": ("2024-05-30", "2024-05-30"),
                 "C": ("2024-05-01", "2024-05-01")}


def table_under_header(rows: list[list]) -> list[dict]:
    """The rows of an output sheet's table as dictionaries, from the row whose first cell is Customer ID."""
    top = next(r for r, row in enumerate(rows) if row and row[0] == "Customer ID")
    return [dict(zip(rows[top], row, strict=False)) for row in rows[top + 1:] if row and row[0]]


def first_and_last(rows: list[list]) -> dict[str, tuple]:
    return {row["Customer ID"]: (str(row["First Order"])[:10], str(row["Last Order"])[:10])
            for row in table_under_header(rows)}


def test_a_1904_workbook_is_read_and_written_in_its_own_date_system(tmp_path):
    import python_calamine
    source = book_1904(tmp_path / "mac.xlsx")
    result, out = score_file(source, tmp_path / "scored.xlsx", as_of=dt.date(2024, 6, 30))
    assert {c: (f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}") for c, a, b in
            zip(result.scores["customer_id"], result.scores["first_order"], result.scores["last_order"],
                strict=True)} == EXPECTED_1904
    assert b'date1904="1"' in zipfile.ZipFile(out).read("xl/workbook.xml")  # the owner's book keeps its system
    book = python_calamine.CalamineWorkbook.from_path(str(out))   # calamine converts by the book's system
    assert first_and_last(book.get_sheet_by_name("Scores").to_python()) == EXPECTED_1904
    shown = real_files.sheet_as_shown(out, "Scores")              # LibreOffice, as the owner sees the sheet
    assert first_and_last(shown) == EXPECTED_1904
    plan = table_under_header(real_files.sheet_as_shown(out, "Contact Plan"))
    assert {row["Customer ID"]: row["Last Order"] for row in plan} == {
        "A": "2024-06-28", "B": "2024-05-30", "C": "2024-05-01"}


def test_a_1904_workbook_saved_by_libreoffice_scores_the_same(tmp_path):
    source = real_files.resaved_by_libreoffice(book_1904(tmp_path / "mac.xlsx"), "lo")
    assert b'date1904="true"' in zipfile.ZipFile(source).read("xl/workbook.xml")
    result, out = score_file(source, tmp_path / "scored.xlsx", as_of=dt.date(2024, 6, 30))
    assert scores_by_customer(result) == {"A": (2, 2, 125.5), "B": (31, 1, 40.0), "C": (60, 1, 10.0)}
    assert first_and_last(real_files.sheet_as_shown(out, "Scores")) == EXPECTED_1904


def test_serial_numbers_count_from_the_books_epoch():
    from rfm_excel.base.orders import Dialect
    frame = orders(**{"Customer ID": ["A"], "Order Date": [43980], "Amount": [1]})
    for dialect, day in ((Dialect(), "2020-05-29"), (Dialect(date1904=True), "2024-05-30")):
        assert normalise(frame, dialect=dialect).lines["order_date"].dt.strftime("%Y-%m-%d").tolist() == [day]


def test_the_worksheet_functions_take_a_typed_date_in_the_books_date_system():
    from rfm_excel.doors.functions import as_of_date
    assert as_of_date(45473) == as_of_date(44011, date1904=True) == dt.date(2024, 6, 30)  # =DATE(2024,6,30)
    with pytest.raises(RfmError, match="as_of must be a date"):
        as_of_date(-5)


# ------------------------------------------------------------ IDs shown through their number formats


def padded_book(path: Path) -> Path:
    """Customer IDs held as numbers formatted 00000 (Excel's Zip Code format) and order numbers formatted
    "INV-"0000, as an owner who typed 123 into a formatted column has them."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Orders")
    zip_code, invoice = book.add_format({"num_format": "00000"}), book.add_format({"num_format": '"INV-"0000'})
    when = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["Customer ID", "Order ID", "Order Date", "Amount"])
    rows = [(123, 7, D(2024, 5, 1), 10), (123, 8, D(2024, 6, 1), 20), (4567, 9, D(2024, 6, 2), 5),
            ("00123", 10, D(2024, 6, 3), 1)]   # the text 00123 is the same customer as 123 shown 00123
    for r, (customer, order, date, amount) in enumerate(rows, start=1):
        sheet.write(r, 0, customer, zip_code)
        sheet.write_number(r, 1, order, invoice)
        sheet.write_datetime(r, 2, date, when)
        sheet.write_number(r, 3, amount)
    book.close()
    return path


def test_ids_are_read_as_their_number_format_shows_them(tmp_path, monkeypatch):
    from rfm_excel.readers import typed
    source = padded_book(tmp_path / "padded.xlsx")
    for name, book in (("XlsxWriter", source), ("LibreOffice", real_files.resaved_by_libreoffice(source, "lo"))):
        for fast in (False, True):  # the cell-by-cell read and the typed read
            monkeypatch.setattr(typed, "FAST_FROM_BYTES", 0 if fast else 8 << 20)
            contents = read_book(book)
            assert contents.orders["Customer ID"].tolist() == ["00123", "00123", "04567", "00123"], (name, fast)
            assert contents.orders["Order ID"].tolist() == ["INV-0007", "INV-0008", "INV-0009", "INV-0010"]
    result, out = score_file(source, tmp_path / "scored.xlsx", as_of=dt.date(2024, 6, 30))
    assert scores_by_customer(result) == {"00123": (27, 3, 31.0), "04567": (28, 1, 5.0)}
    shown = table_under_header(real_files.sheet_as_shown(out, "Scores"))
    assert sorted(row["Customer ID"] for row in shown) == ["00123", "04567"]  # as the owner sees them in Orders
    plan = table_under_header(real_files.sheet_as_shown(out, "Contact Plan"))
    assert sorted(row["Customer ID"] for row in plan) == ["00123", "04567"]


def test_a_locale_named_in_the_workbooks_number_formats_decides_an_ambiguous_column(tmp_path):
    # Excel writes a German euro format as #,##0.00 [$€-407]: the book's one word on its language.
    path = tmp_path / "german.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Orders")
    euro = book.add_format({"num_format": "#,##0.00 [$€-407]"})
    sheet.write_row(0, 0, ["Customer ID", "Order Date", "Amount", "Shipping"])
    for r, (customer, amount) in enumerate([("A", "1.500"), ("B", "2.000")], start=1):
        sheet.write_row(r, 0, [customer, "2024-03-05", amount])  # amounts pasted as text
        sheet.write_number(r, 3, 4.95, euro)
    book.close()
    contents = read_book(path)
    assert contents.dialect.locale == "de-DE"
    result, _ = score_file(path, tmp_path / "out.xlsx")
    assert sorted(result.scores["monetary"]) == [1500.0, 2000.0]
    assert notes(result.issues) == [["Amount", "numbers such as 1.500 read with a decimal comma (as 1500), as the "
                                               "file's language (de-DE) writes numbers so", NOTE_ACTION]]


def test_both_reads_of_a_1904_workbook_give_the_same_dates(tmp_path, monkeypatch):
    from rfm_excel.readers import typed
    path = tmp_path / "tidy1904.xlsx"
    book = xlsxwriter.Workbook(str(path), {"date_1904": True})
    sheet = book.add_worksheet("Orders")
    when = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["Customer ID", "Order Date", "Amount"])
    for r, (customer, day) in enumerate([("A", D(2024, 1, 10)), ("B", D(2024, 6, 28))], start=1):
        sheet.write_string(r, 0, customer)
        sheet.write_datetime(r, 1, day, when)
        sheet.write_number(r, 2, 10)
    book.close()
    read = []
    for limit in (8 << 20, 0):  # cell by cell, then typed
        monkeypatch.setattr(typed, "FAST_FROM_BYTES", limit)
        contents = read_book(path)
        read.append(normalise(contents.orders, dialect=contents.dialect).lines["order_date"].dt.date.tolist())
    assert read == [[dt.date(2024, 1, 10), dt.date(2024, 6, 28)]] * 2


def test_the_open_workbooks_date_system_is_asked_of_excel(monkeypatch):
    import sys
    import types

    from rfm_excel.writers.live import uses_1904_dates

    def book(engine: str, date1904: bool):
        opened = types.SimpleNamespace(api=types.SimpleNamespace(Date1904=date1904, date_1904=types.SimpleNamespace(
            get=lambda: date1904)))
        opened.app = types.SimpleNamespace(engine=types.SimpleNamespace(name=engine))
        opened.sheets = [types.SimpleNamespace(book=opened)]
        return opened

    for platform in ("win32", "darwin"):  # Excel's object model: Workbook.Date1904, or AppleScript's date 1904
        monkeypatch.setattr(sys, "platform", platform)
        assert uses_1904_dates(book("excel", True)) and not uses_1904_dates(book("excel", False))
    assert not uses_1904_dates(book("remote", True))  # xlwings' other engines do not say: 1900, Excel's default


def test_the_worksheet_functions_read_a_1904_books_serials_and_typed_dates(monkeypatch):
    from rfm_excel.base.settings import Settings
    from rfm_excel.doors import functions
    monkeypatch.setattr(functions, "uses_1904_dates", lambda book: True)
    monkeypatch.setattr(functions, "workbook_settings", lambda caller, settings=None: Settings())
    caller = type("Cell", (), {"sheet": type("Sheet", (), {"book": None})})()
    orders = [["Customer ID", "Order Date", "Amount"], ["A", 43980, 10.0], ["B", D(2024, 5, 1), 5.0]]
    result = functions.scored(orders, as_of=44011, caller=caller).result  # =DATE(2024,6,30) in a 1904 book
    assert result.as_of == dt.date(2024, 6, 30)
    assert scores_by_customer(result) == {"A": (31, 1, 10.0), "B": (60, 1, 5.0)}  # 43980 is 2024-05-30 there


def test_a_quickbooks_report_opened_in_libreoffice_is_read_under_its_title_lines(tmp_path):
    import json
    import shutil
    exports = Path(__file__).parent / "data" / "exports"
    expected = json.loads((exports / "quickbooks_invoice_list.json").read_text(encoding="utf-8"))
    csv = tmp_path / "Orders.csv"
    shutil.copyfile(exports / expected["file"], csv)
    book = real_files.csv_to_xlsx(csv, ",", kinds=[real_files.STANDARD] * 8, language=1033)  # US English: dates
    result, _ = score_file(book, tmp_path / "out.xlsx", as_of=dt.date.fromisoformat(expected["as_of"]))
    assert scores_by_customer(result) == {c: (v["recency"], v["frequency"], v["monetary"])
                                          for c, v in expected["customers"].items()}
    assert issue_table(result.issues)["Problem"].iloc[0].startswith("read as a QuickBooks invoice list: customer Name")
