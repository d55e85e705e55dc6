"""Files owners really have, scored as an owner scores them: shop and accounting exports, CSV encodings,
and workbooks made by other programs (tests/data, described in tests/data/README.md).

Every expected value was worked out by hand from the rules in docs/exports.md; the working is in the
"why" lines of each fixture's JSON file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import openpyxl
import pytest

from rfm_excel.doors.files import score_file

DATA = Path(__file__).parent / "data"
EXPORTS = DATA / "exports"
SIGNATURES = tomllib.loads((EXPORTS / "signatures.toml").read_text(encoding="utf-8"))
WORKBOOKS = json.loads((DATA / "workbooks" / "expected.json").read_text(encoding="utf-8"))


def scored(source: Path, tmp_path: Path, as_of: str):
    """Score a copy of ``source`` into a new workbook, as `rfm-excel score FILE --output OUT --as-of` does;
    the Scores table of the result."""
    copy = tmp_path / source.name
    shutil.copyfile(source, copy)
    out = tmp_path / ("scored.xlsx" if source.suffix.lower() != ".xlsm" else "scored.xlsm")  # a CSV becomes a workbook
    result, _ = score_file(copy, out, as_of=dt.date.fromisoformat(as_of))
    return result.scores


def scores_of(source: Path, tmp_path: Path, as_of: str) -> dict[str, tuple[int, float, int]]:
    """Each customer's (Frequency, Monetary, Recency) when ``source`` is scored."""
    return {str(row["customer_id"]): (int(row["frequency"]), round(float(row["monetary"]), 2),
                                      int(row["recency_days"]))
            for _, row in scored(source, tmp_path, as_of).iterrows()}


def scores_in_a_process(source: Path, tmp_path: Path, as_of: str) -> dict[str, tuple[int, float, int]]:
    """The same through the installed command in a process of its own, for files that may hang the reader:
    a run over 30 s fails the test instead of the suite."""
    copy = tmp_path / source.name
    shutil.copyfile(source, copy)
    out = tmp_path / "scored.xlsx"
    try:
        done = subprocess.run([sys.executable, "-m", "rfm_excel.doors.cli", "score", str(copy), "--output", str(out),
                               "--as-of", as_of], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"scoring {source.name} did not finish in 30 s")
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out, read_only=True)
    try:
        rows = list(book["Scores"].iter_rows(values_only=True))
    finally:
        book.close()
    header = list(rows[0])
    at = {name: header.index(name) for name in ("Customer ID", "Frequency", "Monetary", "Recency (days)")}
    return {str(r[at["Customer ID"]]): (int(r[at["Frequency"]]), round(float(r[at["Monetary"]]), 2),
                                        int(r[at["Recency (days)"]])) for r in rows[1:] if r[0] is not None}


def wanted(expected: dict) -> dict[str, tuple[int, float, int]]:
    return {customer: (v["frequency"], v["monetary"], v["recency"]) for customer, v in expected["customers"].items()}


def assert_scores(got: dict, expected: dict) -> None:
    assert len(expected["customers"]) == expected["customers_scored"]
    assert got == wanted(expected)


# ================================================================== shop and accounting exports


@pytest.mark.parametrize("name", ["shopify_orders", "woocommerce_orders", "etsy_sold_orders", "square_item_sales",
                                  "stripe_payments", "paypal_activity", "quickbooks_invoice_list", "xero_invoices"])
def test_shop_and_accounting_export(name, tmp_path):
    expected = json.loads((EXPORTS / f"{name}.json").read_text(encoding="utf-8"))
    assert_scores(scores_of(EXPORTS / expected["file"], tmp_path, expected["as_of"]), expected)


def header_key(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def fixture_header(system: dict) -> set[str]:
    text = (EXPORTS / system["fixture"]).read_text(encoding="utf-8-sig")
    line = text.splitlines()[system.get("preamble", 0)]
    return {header_key(cell) for cell in next(csv.reader(io.StringIO(line)))}


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_each_export_carries_its_own_signature_and_no_other(name):
    header = fixture_header(SIGNATURES[name])
    matches = [other for other, system in SIGNATURES.items()
               if any({header_key(h) for h in system[key]} <= header for key in ("signature", "also_signature")
                      if key in system)]
    assert matches == [name]


def test_the_signatures_name_only_columns_that_the_fixtures_have():
    for name, system in SIGNATURES.items():
        header = fixture_header(system)
        named = [system[key] for key in ("customer", "order", "date", "amount", "refunded", "adjusted", "cancelled",
                                         "status") if key in system]
        assert {header_key(h) for h in named} <= header, name


# ================================================================== CSV encodings

ENCODINGS = json.loads((DATA / "encodings" / "expected.json").read_text(encoding="utf-8"))


def encoding_case(name: str, tmp_path: Path) -> None:
    scores = scored(DATA / "encodings" / name, tmp_path, ENCODINGS["as_of"])
    got = {str(r["customer_id"]): (int(r["frequency"]), round(float(r["monetary"]), 2), int(r["recency_days"]),
                                   r["customer_name"]) for _, r in scores.iterrows()}
    assert got == {c: (v["frequency"], v["monetary"], v["recency"], v["name"])
                   for c, v in ENCODINGS["customers"].items()}


@pytest.mark.parametrize("name", [
    "orders_utf8_bom.csv",
    "orders_utf8.csv",
    "orders_windows1252.csv",  # Excel's CSV (Comma delimited) on UK and US Windows: £ and é as single bytes
    "orders_utf16.txt",  # Excel's Unicode Text: UTF-16, tabs between the fields
    "orders_german_excel.csv",  # ';'-separated, Windows-1252, decimal commas (1.120,00, 100,50 and 12,50 €)
])
def test_csv_encoding(name, tmp_path):
    encoding_case(name, tmp_path)


def test_the_encoding_fixtures_hold_the_same_orders():
    def rows(name: str, codec: str, delimiter: str) -> list[list[str]]:
        text = (DATA / "encodings" / name).read_bytes().decode(codec)
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))

    english = rows("orders_utf8.csv", "utf-8", ",")
    assert rows("orders_utf8_bom.csv", "utf-8-sig", ",") == english
    assert rows("orders_windows1252.csv", "cp1252", ",") == english
    assert rows("orders_utf16.txt", "utf-16", "\t") == english
    german = rows("orders_german_excel.csv", "cp1252", ";")
    as_english = [[c, n, o, d.replace(".", "/"),
                   "£" + f"{float(a.removesuffix(' €').replace('.', '').replace(',', '.')):,.2f}"]
                  for c, n, o, d, a in german[1:]]
    assert [german[0], *as_english] == english
    assert [r[4] for r in german[1:]] == ["1.120,00", "12,50 €", "100,50", "45,00 €", "7,99"]
    assert (DATA / "encodings" / "orders_windows1252.csv").read_bytes().count(b"\xa3") == 5  # £ is one byte, A3


# ================================================================== workbooks made by other programs


WORKBOOK_FILES = DATA / "workbooks"
LIBREOFFICE = WORKBOOKS["libreoffice_orders"]


def test_libreoffice_workbook_with_dates_text_dates_and_decimals(tmp_path):
    assert_scores(scores_of(WORKBOOK_FILES / "libreoffice_orders.xlsx", tmp_path, LIBREOFFICE["as_of"]), LIBREOFFICE)


def test_libreoffice_zero_padded_ids(tmp_path):
    expected = WORKBOOKS["libreoffice_zero_padded_ids"]
    assert_scores(scores_of(WORKBOOK_FILES / "libreoffice_zero_padded_ids.xlsx", tmp_path, expected["as_of"]), expected)


def test_libreoffice_1904_workbook_is_saved_with_the_1904_date_system():
    with zipfile.ZipFile(WORKBOOK_FILES / "libreoffice_1904.xlsx") as book:
        assert re.search(rb'<workbookPr [^>]*date1904="(true|1)"', book.read("xl/workbook.xml"))


def test_libreoffice_1904_workbook_is_read_right(tmp_path):
    assert_scores(scores_of(WORKBOOK_FILES / "libreoffice_1904.xlsx", tmp_path, LIBREOFFICE["as_of"]), LIBREOFFICE)


def test_libreoffice_1904_workbook_gets_its_dates_written_right(tmp_path):
    scores_of(WORKBOOK_FILES / "libreoffice_1904.xlsx", tmp_path, LIBREOFFICE["as_of"])
    book = openpyxl.load_workbook(tmp_path / "scored.xlsx", read_only=True)  # openpyxl reads the 1904 system
    try:
        rows = list(book["Scores"].iter_rows(values_only=True))
    finally:
        book.close()
    last = rows[0].index("Last Order")
    assert {r[0]: r[last].date() for r in rows[1:] if r[0]} == {
        c: dt.date.fromisoformat(v["last_order"]) for c, v in LIBREOFFICE["customers"].items()}


REPRODUCTIONS = WORKBOOKS["orders_of_the_reproductions"]


@pytest.mark.parametrize("name, score", [
    pytest.param("google_sheets_orders.xlsx", scores_of, id="Google Sheets"),
    pytest.param("numbers_orders.xlsx", scores_of, id="Apple Numbers"),
    pytest.param("no_dimension_large.xlsx", scores_in_a_process, id="over 4 KB without a dimension"),
    pytest.param("prefixed_tags.xlsx", scores_in_a_process, id="prefixed tags"),
    pytest.param("no_styles.xlsx", scores_of, id="no styles part"),
    pytest.param("macro_sheet.xlsm", scores_of, id="Excel 4.0 macro sheet"),
])
def test_workbook_made_by_another_program(name, score, tmp_path):
    assert_scores(score(WORKBOOK_FILES / name, tmp_path, REPRODUCTIONS["as_of"]), REPRODUCTIONS)
