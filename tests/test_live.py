"""The Score customers button and the .xlsm template, without Excel.

The button's entry point runs against real xlwings Book objects of xlwings' remote engine (see
remote_books.py); the writes it records, applied to the workbook's cells, must give the same
sheets as headless mode. The template's VBA project is read back by LibreOffice, an independent
reader of Excel's VBA format, when LibreOffice is installed.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import python_calamine
import xlwings as xw

from rfm_excel.doors import button as macros
from rfm_excel.doors.files import score_file
from rfm_excel.layout.template import settings_grid
from rfm_excel.writers.headless.template import MACRO_TEMPLATE_NAME, TEMPLATE_NAME, build_template
from rfm_excel.writers.headless.vba import ENTRY_POINT

_spec = importlib.util.spec_from_file_location("remote_books", Path(__file__).with_name("remote_books.py"))
remote_books = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(remote_books)

ROOT = Path(__file__).resolve().parents[1]
ORDER_HEADER = ["Customer ID", "Order ID", "Order Date", "Amount", "Customer Name", "Email"]
VBA = "xl/vbaProject.bin"
COMPARED = ["Scores", "Segments", "Data Issues", "Contact Plan", "Movement", "Campaign Results", "Score History",
            "Forecast"]


@pytest.fixture(autouse=True)
def remote(monkeypatch):
    remote_books.enable_remote_engine(monkeypatch)


cells_of, normal = remote_books.cells_of, remote_books.normal


def button_run(sheets: dict[str, list[list]], orders_sheet: str | None = None, monkeypatch=None):
    """Click the button on a Book of ``sheets``: the sheets afterwards (replayed) and the recorded actions."""
    book = remote_books.book(sheets)
    if orders_sheet is None:
        monkeypatch.setattr(xw.Book, "_mock_caller", book, raising=False)
        macros.score_customers()
    else:
        macros.score_book(book, orders_sheet=orders_sheet)
    actions = book.json()["actions"]
    return remote_books.replay(sheets, actions), actions


def hand_book_sheets(helpers) -> dict[str, list[list]]:
    """The template's sheets with HAND_ORDERS pasted into Orders."""
    return {"Start Here": [["Score your customers in five steps"]],
            "Orders": [ORDER_HEADER] + [list(row) for row in helpers.hand_orders],
            "Settings": settings_grid()}


def hand_book_file(tmp_path: Path, helpers) -> Path:
    orders = pd.DataFrame([list(row) for row in helpers.hand_orders], columns=ORDER_HEADER).astype(object)
    return build_template(tmp_path / "shop.xlsm", orders=orders)


# ================================================================== the .xlsm template


def test_shipped_macro_template_is_reproducible(tmp_path):
    fresh = build_template(tmp_path / MACRO_TEMPLATE_NAME)
    assert build_template(tmp_path / "again.xlsm").read_bytes() == fresh.read_bytes()
    assert (ROOT / "workbook_templates" / MACRO_TEMPLATE_NAME).read_bytes() == fresh.read_bytes(), \
        f"run scripts/build_templates.py to regenerate the shipped template (xlwings {xw.__version__})"


def test_macro_template_is_the_plain_one_plus_the_button(tmp_path):
    plain = zipfile.ZipFile(build_template(tmp_path / TEMPLATE_NAME))
    macro = zipfile.ZipFile(build_template(tmp_path / MACRO_TEMPLATE_NAME))
    assert set(macro.namelist()) - set(plain.namelist()) == {
        VBA, "xl/worksheets/sheet4.xml", "xl/drawings/vmlDrawing1.vml", "xl/worksheets/_rels/sheet1.xml.rels"}
    types = macro.read("[Content_Types].xml").decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types and "vbaProject" in types
    button = macro.read("xl/drawings/vmlDrawing1.vml").decode()
    assert "<x:FmlaMacro>[0]!ScoreCustomers</x:FmlaMacro>" in button and "Score customers" in button
    workbook = macro.read("xl/workbook.xml").decode()
    assert 'name="xlwings.conf" sheetId="4" state="hidden"' in workbook
    conf = python_calamine.CalamineWorkbook.from_path(str(tmp_path / MACRO_TEMPLATE_NAME))
    assert conf.get_sheet_by_name("xlwings.conf").to_python() == [["UDF Modules", "rfm_excel.doors.functions"]]


def test_button_macro_runs_the_entry_point_that_exists(monkeypatch):
    source = (ROOT / "rfm_excel" / "writers" / "headless" / "vba" / "RfmExcel.bas").read_text()
    assert f'RunPython "{ENTRY_POINT}"' in source
    calls = []
    monkeypatch.setattr(macros, "score_customers", lambda: calls.append("score_customers"))
    exec(ENTRY_POINT, {})  # the Python code RunPython hands to the interpreter
    assert calls == ["score_customers"]


def test_vba_project_survives_a_headless_run(tmp_path, helpers):
    book = hand_book_file(tmp_path, helpers)
    before = zipfile.ZipFile(book).read(VBA)
    result, out = score_file(book)
    scored = zipfile.ZipFile(out)
    assert scored.read(VBA) == before  # byte for byte
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in scored.read("[Content_Types].xml").decode()
    assert scored.read("xl/drawings/vmlDrawing1.vml") == zipfile.ZipFile(
        build_template(tmp_path / "fresh.xlsm")).read("xl/drawings/vmlDrawing1.vml")  # the button too
    assert result.customers == 5
    result, again = score_file(out, output=tmp_path / "twice.xlsm")
    assert zipfile.ZipFile(again).read(VBA) == before


def test_libreoffice_reads_the_vba_modules_and_the_button(tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    book = build_template(tmp_path / MACRO_TEMPLATE_NAME)
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "ods", "--outdir", str(tmp_path / "out"), str(book)],
                   check=True, capture_output=True, timeout=240)
    ods = zipfile.ZipFile(tmp_path / "out" / "rfm_template.ods")
    modules = {Path(n).stem for n in ods.namelist() if n.startswith("Basic/VBAProject/") and n.endswith(".xml")}
    assert {"ThisWorkbook", "Sheet1", "Sheet2", "Sheet3", "Sheet4", "RfmExcel", "xlwings", "Dictionary"} <= modules
    macro = ods.read("Basic/VBAProject/RfmExcel.xml").decode()
    assert ENTRY_POINT in macro
    xlwings_module = ods.read("Basic/VBAProject/xlwings.xml").decode()
    assert f'XLWINGS_VERSION As String = &quot;{xw.__version__}&quot;' in xlwings_module
    content = ods.read("content.xml").decode()
    assert 'form:label="Score customers"' in content
    assert "vnd.sun.star.script:VBAProject.RfmExcel.ScoreCustomers" in content


# ================================================================== the button, against xlwings Books


def test_button_writes_what_headless_mode_writes(tmp_path, helpers, monkeypatch):
    sheets = hand_book_sheets(helpers)
    after, _actions = button_run(sheets, monkeypatch=monkeypatch)
    _, headless = score_file(hand_book_file(tmp_path, helpers))
    assert list(after) == ["Start Here", "Orders", "Settings", *COMPARED]
    for sheet in COMPARED:
        assert normal(remote_books.grid(after[sheet])) == normal(cells_of(headless, sheet)), sheet
    assert normal(remote_books.grid(after["Orders"])) == normal(sheets["Orders"])  # the owner's sheets untouched


def test_button_scores_as_hand_checked(helpers, monkeypatch):
    after, _ = button_run(hand_book_sheets(helpers), monkeypatch=monkeypatch)
    scores = remote_books.grid(after["Scores"])
    header = scores[0]
    rows = {row[0]: dict(zip(header, row, strict=False)) for row in scores[1:]}
    # As of 2024-06-30, the day after the last order; quintiles of five customers, 5 is best.
    assert {cid: (r["Recency (days)"], r["Frequency"], r["Monetary"], r["RFM Code"], r["Segment"])
            for cid, r in rows.items()} == {
        "C005": (1, 5, 300, "554", "Champions"),
        "C001": (2, 3, 175.5, "433", "Potential Loyalist"),
        "C003": (46, 2, 30, "321", "About to Sleep"),
        "C004": (86, 4, 140, "242", "At Risk"),  # 4 purchases of 40, one return of 20
        "C002": (150, 1, 500, "115", "Lost")}
    assert [row[0] for row in scores[1:]] == ["C005", "C001", "C004", "C002", "C003"]  # by RFM Score, best first


def test_the_owner_sees_formats_colour_scales_a_frozen_header_and_start_here(helpers, monkeypatch):
    sheets = hand_book_sheets(helpers)
    sheets["Start Here"] = [["Score your customers in five steps"], [], [None, "next to the button"]] + [[]] * 12 + [
        [None, "my own note"]] + [[]] * 5 + [["keep this too"]]  # B3, B16 and A22: the owner's cells
    _, actions = button_run(sheets, monkeypatch=monkeypatch)
    seen = remote_books.replay_sheets(sheets, actions)
    scores = seen["Scores"]
    header = {scores.values[(0, c)]: c for c in range(14)}
    assert scores.formats[(1, header["Monetary"])] == "#,##0.00" and scores.formats[(5, header["Last Order"])] == \
        "yyyy-mm-dd"
    assert scores.fills[(0, 0)] == "#1F4E78" and scores.fonts[(0, 0)] == {"bold": True, "color": "#FFFFFF"}
    assert sorted((area[1], colours, thresholds) for area, colours, thresholds in scores.scales) == [
        (header[letter], ("#F8696B", "#FFEB84", "#63BE7B"), (1, 3.0, 5)) for letter in "RFM"]  # red = worst
    assert scores.frozen_rows == 1
    start = seen["Start Here"]
    assert start.values[(0, 0)] == "Your customers"
    assert start.values[(4, 0)] == "5 customers in 5 segments; the largest is Champions (1)."
    assert start.values[(7, 0)] == '=HYPERLINK("#\'Segments\'!A1","Segments: what each group means, what it is ' \
        'worth and what to offer it")'
    assert start.values[(11, 0)] == "To score again, add the new orders to the Orders sheet and click Score customers."
    assert [start.values[cell] for cell in ((2, 1), (15, 1), (21, 0))] == [
        "next to the button", "my own note", "keep this too"]  # the owner's cells stay
    shown = next(a for a in reversed(actions) if a["func"] == "activateSheet")["args"][0]
    assert list(seen)[shown] == "Start Here"  # the workbook shows Start Here when the button is done


def test_merged_cells_in_the_orders_are_read_and_listed_as_from_the_command_line(helpers, monkeypatch):
    """The button reads a merged Customer ID as the command line does: its value on every row it covers,
    each such row listed on Data Issues (merged ranges as Excel reports them, rows 2-4 of column A here)."""
    sheets = hand_book_sheets(helpers)
    sheets["Orders"][2][0] = sheets["Orders"][3][0] = None  # what Excel hands over for the merged cells
    monkeypatch.setattr(macros, "merged_ranges", lambda sheet: [((1, 0), (3, 0))] if sheet.name == "Orders" else [])
    after, _ = button_run(sheets, monkeypatch=monkeypatch)
    issues = remote_books.grid(after["Data Issues"])
    top = next(r for r, row in enumerate(issues) if row and row[0] == "Row")
    assert [row[:5] for row in issues[top + 1:] if row and row[4].startswith("repaired")] == [
        [2, "Customer ID", "C001", "merged cell over rows 2-4", "repaired: value used on each row"]]
    scores = {row[0]: row for row in remote_books.grid(after["Scores"])[1:]}
    assert scores["C001"][5:7] == [2, 3]  # Recency 2, Frequency 3: the same as with the IDs typed in


def test_text_from_the_orders_is_written_as_text_never_a_formula(helpers, monkeypatch):
    sheets = hand_book_sheets(helpers)
    sheets["Orders"][4][4] = "=HYPERLINK(\"http://x\")"  # Alice's name on her latest order
    sheets["Orders"] += [["00123", "Z1", dt.datetime(2024, 6, 1), 5, "2024-06-30", None]]
    after, actions = button_run(sheets, monkeypatch=monkeypatch)
    written = [v for a in actions if a["func"] == "setValues" for row in a["values"] for v in row]
    assert "'=HYPERLINK(\"http://x\")" in written and "'00123" in written and "'2024-06-30" in written
    assert not [v for v in written if isinstance(v, str) and v.startswith("=")]
    scores = remote_books.grid(after["Scores"])
    assert next(row[0:2] for row in scores if row[0] == "00123") == ["00123", "2024-06-30"]


def test_scoring_again_replaces_the_sheets_in_place(helpers, monkeypatch):
    first, _ = button_run(hand_book_sheets(helpers), monkeypatch=monkeypatch)
    sheets = {name: remote_books.grid(cells) for name, cells in first.items()}
    again, actions = button_run(sheets, monkeypatch=monkeypatch)
    assert list(again) == list(first)  # no second Scores sheet
    assert not [a for a in actions if a["func"] == "addSheet"]
    assert {a["sheet_position"] for a in actions if a["func"] == "sheetClear"} == set(range(3, 11))
    history = remote_books.grid(again["Score History"])
    header = next(row for row in history if row and row[0] == "Customer ID")
    assert len(header) == 2  # the same as-of date scored again replaces its column


def test_a_problem_is_a_plain_message_not_a_traceback(monkeypatch):
    sheets = {"Orders": [["Order ID", "Order Date", "Amount"], ["O1", dt.datetime(2024, 1, 1), 5]]}
    after, actions = button_run(sheets, monkeypatch=monkeypatch)
    alerts = [a for a in actions if a["func"] == "alert"]
    assert len(alerts) == 1
    message, title, _, mode, _ = alerts[0]["args"]
    assert (title, mode) == ("Score customers", "critical")
    assert "Customer ID" in message and "Traceback" not in message
    assert list(after) == ["Orders"]  # nothing written


def test_an_unexpected_error_is_one_sentence_naming_the_log_of_its_details(helpers, monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr(macros.core, "score", broken)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # the remote engine's book was never saved
    _, actions = button_run(hand_book_sheets(helpers), monkeypatch=monkeypatch)
    message = next(a for a in actions if a["func"] == "alert")["args"][0]
    log = tmp_path / "shop rfm-excel error.log"
    assert message == ("rfm-excel stopped on an unexpected problem (ZeroDivisionError: division by zero); please "
                       f"send the details, written to {log}, with your report.")
    details = log.read_text(encoding="utf-8")
    assert "While: the Score customers button" in details and "Traceback (most recent call last):" in details


def test_missing_orders_sheet_names_the_sheets_there_are(monkeypatch):
    _after, actions = button_run({"Sales": [["Customer ID"]]}, monkeypatch=monkeypatch)
    message = next(a for a in actions if a["func"] == "alert")["args"][0]
    assert "no sheet named 'Orders'" in message and "Sales" in message


def test_status_bar_says_what_is_going_on(helpers):
    messages = []
    macros.score_book(remote_books.book(hand_book_sheets(helpers)), status=messages.append)
    assert messages == ["Score customers: reading the orders...", "Score customers: scoring 19 order rows...",
                        "Score customers: writing the sheets for 5 customers..."]


def test_button_on_the_real_export_matches_headless_mode(sample_copy):
    """The UCI Online Retail II sample: 20,497 order lines of 2010-2011, read from its second sheet."""
    book = python_calamine.CalamineWorkbook.from_path(str(sample_copy))
    sheets = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    after, _ = button_run(sheets, orders_sheet="Year 2010-2011")
    result, headless = score_file(sample_copy, orders_sheet="Year 2010-2011")
    assert result.customers > 200
    for sheet in [*COMPARED, "Settings"]:
        assert normal(remote_books.grid(after[sheet])) == normal(cells_of(headless, sheet)), sheet
