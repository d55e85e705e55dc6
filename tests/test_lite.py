"""xlwings Lite: workbook_templates/lite/main.py run through xlwings' own Server/Lite machinery, without Excel.

In xlwings Lite, ``from xlwings import script, func, arg`` gives the decorators of xlwings.server, and the
add-in runs a script with ``custom_scripts_call`` on a Book built from the workbook's JSON and a worksheet
function with ``custom_functions_call``. The tests do the same: the script in a fresh interpreter made as
much like Pyodide as CPython allows (tests/lite_runtime.py: XLWINGS_ON_SERVER=true, no fastexcel, no
threads, no subprocesses, sys.platform "emscripten"), the functions in this process with xlwings.server's
decorators in place of the desktop ones. The remote engine needs XLWINGS_LICENSE_KEY=noncommercial (tests only).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import python_calamine
import xlwings as xw

from rfm_excel.doors.cli import sample_orders
from rfm_excel.doors.files import score_file
from rfm_excel.layout.template import settings_grid
from rfm_excel.writers.headless.template import build_template

_spec = importlib.util.spec_from_file_location("remote_books", Path(__file__).with_name("remote_books.py"))
remote_books = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(remote_books)

ROOT = Path(__file__).resolve().parents[1]
MAIN = ROOT / "workbook_templates" / "lite" / "main.py"
ORDER_HEADER = ["Customer ID", "Order ID", "Order Date", "Amount", "Customer Name", "Email"]
WRITTEN = ["Scores", "Segments", "Data Issues", "Contact Plan", "Movement", "Campaign Results", "Score History",
           "Forecast", "Products", "Customer Profile"]  # the sample's Country: a Customer Profile
FUNCTIONS = ["RFM_SCORE", "RFM_SEGMENT", "RFM_RECENCY", "RFM_FREQUENCY", "RFM_MONETARY", "RFM_TABLE", "RFM_SEGMENTS",
             "RFM_P_ACTIVE", "RFM_PREDICTED_VALUE", "RFM_NEXT_PRODUCT"]
NOT_AVAILABLE = {"type": "Error", "errorType": "NotAvailable"}  # Excel's #N/A as xlwings hands it to Office.js


@pytest.fixture
def lite(monkeypatch):
    """main.py as xlwings Lite loads it: xlwings.server's decorators behind ``from xlwings import ...``."""
    remote_books.enable_remote_engine(monkeypatch)
    import xlwings.server as server
    from xlwings.pro import _xlofficejs

    if "officejs" not in [engine.name for engine in xw.engines]:  # how functions' values are converted
        xw.engines.add(xw.Engine(impl=_xlofficejs.engine))

    for name in ("script", "func", "arg"):
        monkeypatch.setattr(xw, name, getattr(server, name))
    monkeypatch.delitem(sys.modules, "rfm_excel.doors.lite", raising=False)  # decorated afresh, then put back
    spec = importlib.util.spec_from_file_location("main", MAIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(module, sheets: dict[str, list[list]]):
    """Click Run on Score customers in Lite's task pane, for a Book of ``sheets``: the recorded actions."""
    from xlwings.server import custom_scripts_call

    book = remote_books.book(sheets)
    asyncio.run(custom_scripts_call(module, "score_customers", typehint_to_value={xw.Book: book}))
    return book.json()["actions"]


def call(module, name: str, *args):
    """A worksheet function as Lite calls it: every argument a matrix of cells, a left-out one null."""
    from xlwings.server import custom_functions_call

    data = {"func_name": name, "args": list(args), "version": xw.__version__, "client": "Office.js",
            "runtime": "1.4", "culture_info_name": "en-US", "date_format": "yyyy-mm-dd", "caller_address": "Sheet1!B2"}
    return asyncio.run(custom_functions_call(data, module))


def serial(day: dt.date) -> int:
    """A date as Excel's serial number (1900 system), as Office.js hands a date cell to a function."""
    return day.toordinal() - dt.date(1899, 12, 30).toordinal()


def hand_orders_as_sent(helpers) -> list[list]:
    """The hand-made orders as a range argument from Office.js: dates as serial numbers, blanks as ""."""
    rows = [ORDER_HEADER]
    for row in helpers.hand_orders:
        rows.append(["" if v is None else serial(v) if isinstance(v, dt.date) else v for v in row])
    return rows


# ================================================================== the Score customers script


def test_the_script_in_a_pyodide_like_runtime_writes_what_headless_mode_writes(tmp_path):
    """A template with 34,766 real order lines (262 customers) in Orders: every sheet the script writes equals
    the command line's, cell for cell, with fastexcel, threads and subprocesses unavailable."""
    path = build_template(tmp_path / "shop.xlsx", orders=sample_orders())
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    sheets = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    environment = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    ran = subprocess.run([sys.executable, str(Path(__file__).with_name("lite_runtime.py")), str(MAIN)],
                         input=json.dumps(remote_books.book_json(sheets)), capture_output=True, text=True,
                         env=environment, timeout=300)
    assert ran.returncode == 0, ran.stderr
    outcome = json.loads(ran.stdout)
    after = remote_books.replay(sheets, outcome["actions"])
    _, headless = score_file(path)
    assert list(after) == ["Start Here", "Orders", "Settings", *WRITTEN]
    for sheet in WRITTEN:
        assert remote_books.normal(remote_books.grid(after[sheet])) == remote_books.normal(
            remote_books.cells_of(headless, sheet)), sheet
    scores = remote_books.grid(after["Scores"])
    assert len(scores) == 261  # 260 customers with a purchase, under the header
    printed = outcome["printed"].splitlines()
    assert printed[:3] == ["Score customers: reading the orders...", "Score customers: scoring 34,766 order rows...",
                           "Score customers: writing the sheets for 260 customers..."]
    assert "260 customers scored from 1,720 orders as of 2011-12-10." in printed
    assert any(line.startswith("Scored ") and "for the as-of date 2011-12-10: 260 customers from 1,720 orders"
               in line for line in printed)  # the run note
    assert "Traceback" not in outcome["printed"]


def test_a_problem_is_one_alert_never_a_traceback(lite, capsys):
    sheets = {"Orders": [["Order ID", "Order Date", "Amount"], ["O1", dt.datetime(2024, 1, 1), 5]]}
    actions = run_script(lite, sheets)
    alerts = [a for a in actions if a["func"] == "alert"]
    assert len(alerts) == 1
    message, title, _, mode, _ = alerts[0]["args"]
    assert (title, mode) == ("Score customers", "critical")
    assert "Customer ID" in message and "Traceback" not in message
    assert not [a for a in actions if a["func"] in ("addSheet", "setValues")]  # nothing written
    printed = capsys.readouterr().out
    assert message in printed and "Traceback" not in printed  # in the output pane too, should the alert not show


def test_an_orders_sheet_larger_than_lites_memory_is_one_sentence(lite, monkeypatch, helpers):
    """The limit is measured (docs/performance.md); here it is lowered to the hand-made orders' 20 rows of 6."""
    from rfm_excel.doors import lite as door

    sheets = {"Orders": [ORDER_HEADER, *(list(row) for row in helpers.hand_orders)]}
    monkeypatch.setattr(door, "LITE_CELLS", 20 * 6 - 1)
    actions = run_script(lite, sheets)
    (alert,) = [a["args"][0] for a in actions if a["func"] == "alert"]
    assert alert == ("The Orders sheet has 20 rows of 6 columns, more than xlwings Lite can score in its memory "
                     "(about 119 cells); save the workbook and score it with the rfm-excel command line on a "
                     "computer with Python (docs/excel.md).")
    assert not [a for a in actions if a["func"] in ("addSheet", "setValues")]
    monkeypatch.setattr(door, "LITE_CELLS", 20 * 6)
    assert not [a for a in run_script(lite, sheets) if a["func"] == "alert"]


def test_an_unexpected_error_is_one_sentence_and_its_details_a_file_to_download(lite, monkeypatch, tmp_path,
                                                                                helpers):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")
    door = sys.modules["rfm_excel.doors.lite"]
    monkeypatch.setattr(door, "score_book", broken)
    monkeypatch.setattr(door, "FILES", tmp_path)  # Lite's /data folder
    actions = run_script(lite, {"Orders": [ORDER_HEADER, *map(list, helpers.hand_orders)]})
    message = next(a for a in actions if a["func"] == "alert")["args"][0]
    log = tmp_path / "shop rfm-excel error.log"  # the workbook is shop.xlsm
    assert message == ("rfm-excel stopped on an unexpected problem (ZeroDivisionError: division by zero); please "
                       f"send the details, written to {log}, with your report.")
    details = log.read_text(encoding="utf-8")
    assert "While: the Score customers script in xlwings Lite" in details and "ZeroDivisionError" in details


# ================================================================== the =RFM_* functions


def test_the_functions_are_registered_with_their_help(lite):
    from xlwings.server import custom_functions_meta

    meta = {f["name"]: f for f in custom_functions_meta(lite)["functions"]}
    assert sorted(meta) == sorted(FUNCTIONS)
    score = meta["RFM_SCORE"]
    assert score["description"].startswith("The customer's RFM code")
    assert [p["name"] for p in score["parameters"]] == ["customer_id", "orders", "as_of", "window_months", "levels",
                                                       "settings"]  # no calling cell: Lite has none to give
    helps = {p["name"]: p["description"] for p in score["parameters"]}
    assert helps["customer_id"] == "The customer's ID, as in the orders' Customer ID column."
    assert "DATE(2024,6,30)" in helps["as_of"] and "Settings!A1:L60" in helps["settings"]
    assert [p.get("optional", False) for p in score["parameters"]] == [False, False, True, True, True, True]
    assert [p["name"] for p in meta["RFM_PREDICTED_VALUE"]["parameters"]][2] == "horizon_days"


def test_each_function_answers_as_lite_sends_the_arguments(lite, helpers):
    orders = hand_orders_as_sent(helpers)
    blank = None  # an argument left out (Office.js sends null)
    # As of 2024-06-30, the day after the last order (hand-checked in test_live.py).
    assert call(lite, "RFM_SCORE", [["C005"]], orders) == [["554"]]
    assert call(lite, "RFM_SEGMENT", [["C004"]], orders, blank, blank, blank, blank) == [["At Risk"]]
    assert call(lite, "RFM_RECENCY", [["C003"]], orders) == [[46]]
    assert call(lite, "RFM_FREQUENCY", [["C004"]], orders) == [[4]]
    assert call(lite, "RFM_MONETARY", [["C001"]], orders) == [[175.5]]
    # as_of typed as DATE(2024,7,30) arrives as its serial number, 45503: 30 more days since C005's last order
    assert call(lite, "RFM_RECENCY", [["C005"]], orders, [[serial(dt.date(2024, 7, 30))]]) == [[31]]
    assert serial(dt.date(2024, 7, 30)) == 45503
    assert call(lite, "RFM_RECENCY", [["C005"]], orders, [["2024-07-30"]]) == [[31]]
    assert call(lite, "RFM_SCORE", [["C999"]], orders) == [[NOT_AVAILABLE]]  # not a customer: #N/A
    assert call(lite, "RFM_NEXT_PRODUCT", [["C999"]], orders) == [[NOT_AVAILABLE]]
    assert call(lite, "RFM_NEXT_PRODUCT", [["C001"]], orders) == [[
        "The orders have no product column (Product, SKU, StockCode, Item...); add one to get offers."]]
    active = call(lite, "RFM_P_ACTIVE", [["C001"]], orders)[0][0]
    # C001, C003, C004 and C005 bought on two days or more; C002 once
    assert active == "Only 4 customers have bought on two different days; a forecast needs at least 20."
    assert call(lite, "RFM_PREDICTED_VALUE", [["C001"]], orders, [[90]]) == [[active]]
    # the template's own Settings cells given as the settings range: the same scoring as the defaults
    assert call(lite, "RFM_SCORE", [["C005"]], orders, blank, blank, blank, settings_grid()) == [["554"]]
    assert call(lite, "RFM_SCORE", [["C005"]], orders, blank, blank, [[2]]) == [["222"]]  # halves: C005 best


def test_the_whole_tables_spill_as_on_the_sheets(lite, helpers):
    orders = hand_orders_as_sent(helpers)
    table = call(lite, "RFM_TABLE", orders)
    assert table[0][:7] == ["Customer ID", "Customer Name", "Email", "First Order", "Last Order", "Recency (days)",
                            "Frequency"]
    assert [row[0] for row in table[1:]] == ["C005", "C001", "C004", "C002", "C003"]  # best first
    assert table[1][4] == {"type": "FormattedNumber", "basicValue": serial(dt.date(2024, 6, 29)),
                           "numberFormat": "yyyy-mm-dd"}  # a date, shown as one
    segments = call(lite, "RFM_SEGMENTS", orders)
    assert segments[0][:2] == ["Segment", "Customers"]
    assert {row[0]: row[1] for row in segments[1:]}["Champions"] == 1


def test_a_problem_is_a_sentence_in_the_cell(lite):
    assert call(lite, "RFM_SCORE", [["C001"]], [["Customer ID"]]) == [[
        "orders must be a range with its header row and the orders under it, e.g. Orders[#All]."]]
    answer = call(lite, "RFM_SCORE", [["C001"]], [["Order ID", "Amount"], ["O1", 5]])[0][0]
    assert "Customer ID" in answer and "Traceback" not in answer
    assert call(lite, "RFM_SCORE", [["C001"]], [["Customer ID", "Order Date", "Amount"], ["C001", 45000, 5]],
                None, None, [["five"]])[0][0].startswith("levels must be a whole number")


# ================================================================== the workbook that carries the code

WE = {"we": "http://schemas.microsoft.com/office/webextensions/webextension/2010/11",
      "wetp": "http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
      "ct": "http://schemas.openxmlformats.org/package/2006/content-types"}


def lite_parts(path: Path) -> dict:
    """What xlwings Lite finds in a workbook: the add-in the task pane shows, whether it opens with the
    workbook, and the add-in's settings (each property's value read as JSON), by following the package's
    relationships from the root as Office does."""
    from lxml import etree

    package = zipfile.ZipFile(path)
    root_rels = etree.fromstring(package.read("_rels/.rels"))
    (target,) = root_rels.xpath("rel:Relationship[@Type='http://schemas.microsoft.com/office/2011/relationships/"
                                "webextensiontaskpanes']/@Target", namespaces=WE)
    panes = etree.fromstring(package.read(target))
    (pane,) = panes.xpath("wetp:taskpane", namespaces=WE)
    folder = target.rsplit("/", 1)[0]
    pane_rels = etree.fromstring(package.read(f"{folder}/_rels/taskpanes.xml.rels"))
    (extension_part,) = pane_rels.xpath("rel:Relationship/@Target", namespaces=WE)
    extension = etree.fromstring(package.read(f"{folder}/{extension_part}"))
    (reference,) = extension.xpath("we:reference", namespaces=WE)
    types = etree.fromstring(package.read("[Content_Types].xml"))
    return {"addin": (reference.get("id").upper(), reference.get("storeType")), "opens": pane.get("visibility"),
            "dock": pane.get("dockstate"),
            "settings": {p.get("name"): json.loads(p.get("value"))
                         for p in extension.xpath("we:properties/we:property", namespaces=WE)},
            "types": {o.get("PartName"): o.get("ContentType") for o in types.xpath("ct:Override", namespaces=WE)}}


def test_the_editor_files_shipped_are_the_packages():
    from rfm_excel.writers.headless.webextension import MAIN_PY, requirements

    assert MAIN.read_text(encoding="utf-8") == MAIN_PY
    assert MAIN.with_name("requirements.txt").read_text(encoding="utf-8") == requirements() == (
        "xlwings==0.37.8  # required by xlwings Lite\nrfm-excel\n")


def test_template_lite_carries_main_py_and_requirements_as_xlwings_lite_stores_them(tmp_path, capsys):
    from rfm_excel.doors.cli import main

    path = tmp_path / "shop.xlsx"
    assert main(["template", "--lite", str(path)]) == 0
    assert "xlwings Lite" in capsys.readouterr().out
    found = lite_parts(path)
    assert found["addin"] == ("WA200008175", "OMEX")  # xlwings Lite in the add-in store
    assert (found["opens"], found["dock"]) == ("1", "right")
    assert found["settings"] == {"main.py": MAIN.read_text(encoding="utf-8"),
                                 "requirements.txt": "xlwings==0.37.8  # required by xlwings Lite\nrfm-excel\n"}
    assert found["types"]["/xl/webextensions/webextension1.xml"] == "application/vnd.ms-office.webextension+xml"
    assert found["types"]["/xl/webextensions/taskpanes.xml"] == "application/vnd.ms-office.webextensiontaskpanes+xml"
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["Start Here", "Orders", "Settings"]
    steps = [row[0] for row in book.get_sheet_by_name("Start Here").to_python() if row and row[0]]
    assert steps[3].startswith("3.  In the xlwings Lite pane on the right (Home > xlwings Lite)")
    plain = build_template(tmp_path / "plain.xlsx")
    for sheet in ("xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"):  # Orders and Settings as in the template
        assert zipfile.ZipFile(path).read(sheet) == zipfile.ZipFile(plain).read(sheet)
    again = tmp_path / "again.xlsx"
    assert main(["template", "--lite", str(again)]) == 0
    assert again.read_bytes() == path.read_bytes()  # the same file every time


def test_the_shipped_lite_template_is_reproducible(tmp_path):
    from rfm_excel.writers.headless.template import LITE_TEMPLATE_NAME

    fresh = build_template(tmp_path / LITE_TEMPLATE_NAME, lite="rfm-excel")
    assert (ROOT / "workbook_templates" / LITE_TEMPLATE_NAME).read_bytes() == fresh.read_bytes(), \
        "run scripts/build_templates.py to regenerate the shipped templates"


def test_template_lite_with_the_wheel_url_and_what_it_refuses(tmp_path, capsys):
    from rfm_excel.doors.cli import main

    url = "https://raw.githubusercontent.com/shop/rfm/main/rfm_excel-0.1.0-py3-none-any.whl"
    path = tmp_path / "shop.xlsx"
    assert main(["template", "--lite", "--wheel-url", url, str(path)]) == 0
    assert lite_parts(path)["settings"]["requirements.txt"] == f"xlwings==0.37.8  # required by xlwings Lite\n{url}\n"
    assert main(["template", "--lite", str(tmp_path / "shop.xlsm")]) != 0
    assert "A workbook for xlwings Lite needs no macros: name it shop.xlsx." in capsys.readouterr().err
    assert main(["template", "--wheel-url", url, str(tmp_path / "other.xlsx")]) != 0
    assert "--wheel-url goes with --lite" in capsys.readouterr().err
    assert not (tmp_path / "other.xlsx").exists() and not (tmp_path / "shop.xlsm").exists()
