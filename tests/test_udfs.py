"""The =RFM_* worksheet functions, called the way xlwings calls them from Excel on Windows.

xlwings' Windows UDF machinery cannot be imported on Linux (it needs pywin32), so ``windows_udfs``
loads it with those three modules stubbed, decorates a copy of rfm_excel.doors.functions with it, and calls
the functions as xlwings' call_udf does: each range argument read through xlwings' conversion
pipeline with the options the decorators declared (a 2-D list with its header, dates as
datetimes, empty cells as None), a missing argument replaced by its default, the calling cell
passed as ``caller``. The ranges are those of a real xlwings Book of the remote engine.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import io
import sys
import types
from pathlib import Path

import pytest
import python_calamine
import xlwings as xw
from xlwings import conversion

import rfm_excel
from rfm_excel.doors.files import score_file
from rfm_excel.layout.template import settings_grid

_spec = importlib.util.spec_from_file_location("remote_books", Path(__file__).with_name("remote_books.py"))
remote_books = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(remote_books)

ORDER_HEADER = ["Customer ID", "Order ID", "Order Date", "Amount", "Customer Name", "Email"]
FUNCTIONS = ["RFM_SCORE", "RFM_SEGMENT", "RFM_RECENCY", "RFM_FREQUENCY", "RFM_MONETARY", "RFM_TABLE", "RFM_SEGMENTS",
             "RFM_P_ACTIVE", "RFM_PREDICTED_VALUE", "RFM_NEXT_PRODUCT"]
MISSING = object()  # an optional argument left out in the formula
VT_ERROR = 10  # pythoncom's variant type of an error value


class Variant:
    """What win32com.client.VARIANT holds: a variant type and a value (pywin32 hands it to COM as such)."""

    def __init__(self, varianttype, value):
        self.varianttype, self.value = varianttype, value

    def __eq__(self, other):
        return isinstance(other, Variant) and (self.varianttype, self.value) == (other.varianttype, other.value)


NOT_AVAILABLE = Variant(VT_ERROR, -2146826246)  # Excel's #N/A (xlErrNA) as COM carries it


@pytest.fixture
def windows_udfs(monkeypatch):
    """rfm_excel.doors.functions decorated by xlwings' Windows UDF decorators, and that xlwings module."""
    remote_books.enable_remote_engine(monkeypatch)
    stubs = {name: types.ModuleType(name) for name in ("pythoncom", "pywintypes", "win32com", "win32com.client")}
    stubs["pythoncom"].CoInitialize = lambda: None
    stubs["pythoncom"].VT_ERROR = VT_ERROR
    stubs["win32com.client"].Dispatch = None
    stubs["win32com.client"].VARIANT = Variant
    for name, module in stubs.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.delitem(sys.modules, "xlwings.udfs", raising=False)
    xlwings_udfs = importlib.import_module("xlwings.udfs")
    for name, decorator in (("func", xlwings_udfs.xlfunc), ("arg", xlwings_udfs.xlarg), ("ret", xlwings_udfs.xlret)):
        monkeypatch.setattr(xw, name, decorator)
    spec = importlib.util.spec_from_file_location("rfm_excel.doors.functions_on_windows",
                                                  Path(rfm_excel.__file__).parent / "doors" / "functions.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    yield types.SimpleNamespace(module=module, xlwings=xlwings_udfs)
    sys.modules.pop("xlwings.udfs", None)  # loaded with stubs: not for anyone else
    if hasattr(xw, "udfs"):
        delattr(xw, "udfs")


def call(udfs, name: str, *args, caller: xw.Range | None = None):
    """Call a function as xlwings' call_udf does, and convert its result as it goes back to Excel."""
    function = getattr(udfs.module, name)
    info = function.__xlfunc__
    values = []
    for arg_info, arg in zip(info["args"], list(args) + [MISSING] * (len(info["args"]) - len(args)), strict=False):
        if arg_info["name"] == "caller":
            values.append(caller)
        elif arg is MISSING:
            values.append(arg_info.get("optional"))
        elif isinstance(arg, xw.Range):
            values.append(conversion.read(arg, None, arg_info["options"]))
        else:
            values.append(conversion.read(None, arg, arg_info["options"], engine_name="remote"))
    result = function(*values)
    assert "Traceback" not in str(result)
    return conversion.write(result, None, info["ret"]["options"], engine_name="remote")


def cell(value):
    """The single cell xlwings hands back for a scalar result (a date goes over as ISO text)."""
    assert len(value) == 1 and len(value[0]) == 1
    return value[0][0]


@pytest.fixture
def shop(helpers, monkeypatch):
    """A Book of the template's sheets with HAND_ORDERS in Orders; formulas sit on Start Here."""
    remote_books.enable_remote_engine(monkeypatch)
    book = remote_books.book({"Start Here": [["formulas"]], "Orders": [ORDER_HEADER] + [list(r) for r in
                                                                                     helpers.hand_orders],
                              "Settings": settings_grid()})
    return types.SimpleNamespace(book=book, orders=book.sheets["Orders"].range("A1:F20"),
                                 caller=book.sheets["Start Here"].range("B2"))


# ================================================================== what Excel's function wizard gets


def test_every_function_has_help_texts_and_a_category(windows_udfs):
    for name in FUNCTIONS:
        info = getattr(windows_udfs.module, name).__xlfunc__
        assert info["category"] == "RFM" and len(info["ret"]["doc"]) > 20, name
        visible = [a for a in info["args"] if a["name"] != "caller"]
        assert all(not a["doc"].startswith("Positional argument") for a in visible), name
        orders = next(a for a in info["args"] if a["name"] == "orders")
        assert orders["options"] == {"ndim": 2}  # always rows of cells, even for a one-row range
        extra = ["horizon_days"] if name == "RFM_PREDICTED_VALUE" else []
        assert [a["name"] for a in info["args"] if "optional" in a] == [*extra, "as_of", "window_months", "levels",
                                                                        "settings", "caller"]
        settings = next(a for a in info["args"] if a["name"] == "settings")
        assert settings["options"] == {"ndim": 2} and "Settings!A1:L60" in settings["doc"]


def test_the_vba_wrappers_excel_gets(windows_udfs):
    out = io.StringIO()
    windows_udfs.xlwings.generate_vba_wrapper("rfm_excel.doors.functions", windows_udfs.module, out,
                                              types.SimpleNamespace(Name="rfm_template.xlsm"))
    vba = out.getvalue()
    assert ("Function RFM_SCORE(customer_id, orders, Optional as_of, Optional window_months, Optional levels, "
            "Optional settings)") in vba
    assert ("Function RFM_TABLE(orders, Optional as_of, Optional window_months, Optional levels, "
            "Optional settings)") in vba
    # the calling cell fills ``caller``
    assert ('XLPy.CallUDF("rfm_excel.doors.functions", "RFM_SCORE", Array(customer_id, orders, as_of, '
            'window_months, levels, settings, Nothing), ThisWorkbook, Application.Caller)') in vba
    assert sorted(line.split("(")[0].split()[-1] for line in vba.splitlines() if line.startswith("Function")) == \
        sorted(FUNCTIONS)


# ================================================================== values, checked by hand


def test_per_customer_functions(windows_udfs, shop):
    # As of 2024-06-30, the day after the latest order; quintiles of the five customers, 5 is best:
    # C001: orders on 2024-01-10 (100), 2024-03-01 (30 + 20 on two lines) and 2024-06-28 (25.50).
    def value(name, customer):
        return cell(call(windows_udfs, name, customer, shop.orders, caller=shop.caller))
    assert [value(f, "C001") for f in FUNCTIONS[:5]] == ["433", "Potential Loyalist", 2, 3, 175.5]
    assert [value(f, "C004") for f in FUNCTIONS[:5]] == ["242", "At Risk", 86, 4, 140.0]  # a return of 20 netted
    assert [value("RFM_SCORE", c) for c in ("C005", "C003", "C002")] == ["554", "321", "115"]
    assert value("RFM_SCORE", " c001 ") == "433"  # IDs match as the orders' IDs do: no spaces, no case


def test_unknown_customer_and_blank_id_are_excels_not_available(windows_udfs, shop):
    assert cell(call(windows_udfs, "RFM_SCORE", "C999", shop.orders)) == NOT_AVAILABLE
    assert cell(call(windows_udfs, "RFM_SEGMENT", shop.book.sheets["Start Here"].range("Z9"), shop.orders)) == \
        NOT_AVAILABLE


def test_numeric_ids_from_cells_match(windows_udfs, monkeypatch):
    remote_books.enable_remote_engine(monkeypatch)
    book = remote_books.book({"Orders": [["CustomerID", "InvoiceDate", "Total"], [12346, dt.datetime(2024, 5, 1), 80],
                                         [12347, dt.datetime(2024, 6, 1), 20]],
                              "Sheet2": [[12346, "12347"]]})
    orders = book.sheets["Orders"].range("A1:C3")
    assert cell(call(windows_udfs, "RFM_RECENCY", book.sheets["Sheet2"].range("A1"), orders)) == 32  # 12346.0
    assert cell(call(windows_udfs, "RFM_RECENCY", book.sheets["Sheet2"].range("B1"), orders)) == 1  # text
    table = call(windows_udfs, "RFM_TABLE", orders)
    assert [row[0] for row in table[1:]] == [12346, 12347]  # numbers, as on the Scores sheet; equal RFM Scores
    # (R 1 + F 1 + M 3 against R 3 + F 1 + M 1 of two customers), so the bigger spender comes first


def test_optional_arguments_override_the_settings(windows_udfs, shop):
    def recency(*args):
        return cell(call(windows_udfs, "RFM_RECENCY", "C001", shop.orders, *args, caller=shop.caller))
    assert recency(dt.datetime(2024, 7, 10)) == 12  # a date from a cell
    assert recency(45483.0) == 12  # =DATE(2024,7,10) typed in the formula: a serial number
    assert recency("2024-07-10") == 12
    assert recency(shop.book.sheets["Start Here"].range("Z1")) == 2  # a blank cell: the default
    # Monetary over the last 2 months of 2024-06-30: C001's order of 2024-06-28 only.
    assert cell(call(windows_udfs, "RFM_MONETARY", "C001", shop.orders, MISSING, 2, caller=shop.caller)) == 25.5
    # Three levels: score = 1 + floor(3 x customers with a worse value / 5). C005 has the best recency and
    # frequency (4 worse: 1 + 12 // 5 = 3) and the second-best monetary (3 worse: 1 + 9 // 5 = 2).
    assert cell(call(windows_udfs, "RFM_SCORE", "C005", shop.orders, MISSING, MISSING, 3, caller=shop.caller)) \
        == "332"
    assert cell(call(windows_udfs, "RFM_SCORE", "C005", shop.orders, MISSING, MISSING, 12)).startswith(
        "levels must be a whole number from 2 to 9")


def test_defaults_come_from_the_workbooks_settings(windows_udfs, helpers, monkeypatch):
    remote_books.enable_remote_engine(monkeypatch)
    settings = settings_grid()
    row = next(r for r in settings if r and r[0] == "Best score is")
    row[1] = "Lowest"  # 1 is best: C005's 5, 5, 4 show as 1, 1, 2
    book = remote_books.book({"Start Here": [[None]], "Orders": [ORDER_HEADER] + [list(r) for r in
                                                                                  helpers.hand_orders],
                              "Settings": settings})
    orders, caller = book.sheets["Orders"].range("A1:F20"), book.sheets["Start Here"].range("A3")
    assert cell(call(windows_udfs, "RFM_SCORE", "C005", orders, caller=caller)) == "112"
    assert cell(call(windows_udfs, "RFM_SCORE", "C005", orders)) == "554"  # no calling cell: the defaults


def test_a_bad_setting_or_bad_orders_read_as_a_sentence(windows_udfs, helpers, monkeypatch):
    remote_books.enable_remote_engine(monkeypatch)
    settings = settings_grid()
    next(r for r in settings if r and r[0] == "Recency score levels")[1] = "five"
    book = remote_books.book({"Orders": [["Order ID", "Amount"], ["O1", 5]], "Settings": settings})
    caller = book.sheets["Orders"].range("H1")
    message = cell(call(windows_udfs, "RFM_SCORE", "C1", book.sheets["Orders"].range("A1:B2"), caller=caller))
    assert message.startswith("Settings!B7 (Recency score levels) must be a whole number")
    message = cell(call(windows_udfs, "RFM_SCORE", "C1", book.sheets["Orders"].range("A1:B2")))
    assert "Customer ID" in message
    assert cell(call(windows_udfs, "RFM_TABLE", book.sheets["Orders"].range("A1")))[:6] == "orders"


def test_an_unexpected_failure_reads_as_a_sentence_and_is_logged_once(windows_udfs, shop, monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr(windows_udfs.module.core, "score", broken)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # the remote engine's book was never saved
    log = tmp_path / "shop rfm-excel error.log"
    sentence = ("rfm-excel stopped on an unexpected problem (ZeroDivisionError: division by zero); please send the "
                f"details, written to {log}, with your report.")
    for customer in ("C001", "C002", "C005"):
        assert cell(call(windows_udfs, "RFM_SCORE", customer, shop.orders, caller=shop.caller)) == sentence
    assert cell(call(windows_udfs, "RFM_TABLE", shop.orders, caller=shop.caller)) == sentence
    assert windows_udfs.module.CACHE.scorings == 1  # the failure is cached like any other problem
    assert log.read_text(encoding="utf-8").count("Traceback (most recent call last):") == 1


def test_tables_spill_with_their_header(windows_udfs, shop, tmp_path, helpers):
    table = call(windows_udfs, "RFM_TABLE", shop.orders, caller=shop.caller)
    assert table[0][:4] == ["Customer ID", "Customer Name", "Email", "First Order"]
    assert [row[0] for row in table[1:]] == ["C005", "C001", "C004", "C002", "C003"]
    assert table[2][3:5] == ["2024-01-10", "2024-06-28"]  # dates, handed over as ISO text by this engine
    segments = call(windows_udfs, "RFM_SEGMENTS", shop.orders, caller=shop.caller)
    assert segments[0][:3] == ["Segment", "Customers", "% of Customers"]
    counts = {row[0]: row[1] for row in segments[1:]}
    assert counts["Champions"] == counts["Lost"] == counts["At Risk"] == 1 and counts["Loyal"] == 0


# ================================================================== the cache


def test_cells_over_one_range_read_the_settings_once_each_and_parse_and_score_once(windows_udfs, shop, monkeypatch):
    """500 cells prove what 10,000 would: one range read of Settings per call, one parse and one scoring in all
    (benchmarks/udf_cache.py times 10,000)."""
    module = windows_udfs.module
    reads = []
    original = module.sheet_values
    monkeypatch.setattr(module, "sheet_values", lambda sheet: reads.append(sheet.name) or original(sheet))
    for i in range(500):
        customer = ("C001", "C002", "C003", "C004", "C005")[i % 5]
        assert cell(call(windows_udfs, "RFM_FREQUENCY", customer, shop.orders, caller=shop.caller)) == \
            {"C001": 3, "C002": 1, "C003": 2, "C004": 4, "C005": 5}[customer]
    assert (len(reads), set(reads), module.SETTINGS.parses, module.CACHE.scorings) == (500, {"Settings"}, 1, 1)
    call(windows_udfs, "RFM_TABLE", shop.orders, caller=shop.caller)
    assert module.CACHE.scorings == 1  # the same content and settings: the same scoring


def test_the_settings_argument_avoids_the_read(windows_udfs, shop, monkeypatch):
    module = windows_udfs.module
    reads = []
    monkeypatch.setattr(module, "sheet_values", lambda sheet: reads.append(sheet.name))
    settings = shop.book.sheets["Settings"].range("A1:L60")
    for customer in ("C001", "C005") * 50:
        assert len(cell(call(windows_udfs, "RFM_SCORE", customer, shop.orders, MISSING, MISSING, MISSING, settings,
                             caller=shop.caller))) == 3
    assert (reads, module.SETTINGS.parses) == ([], 1)
    changed = settings_grid()
    next(r for r in changed if r and r[0] == "Best score is")[1] = "Lowest"
    book = remote_books.book({"Settings": changed})
    assert cell(call(windows_udfs, "RFM_SCORE", "C005", shop.orders, MISSING, MISSING, MISSING,
                     book.sheets["Settings"].range("A1:L60"))) == "112"  # 1 is best: C005's 5, 5, 4
    assert module.SETTINGS.parses == 2
    assert cell(call(windows_udfs, "RFM_SCORE", "C005", shop.orders, MISSING, MISSING, MISSING, "Settings")) == \
        "settings must be the Settings sheet's cells from A1, e.g. Settings!A1:L60."


def test_the_cache_is_keyed_by_content(windows_udfs, helpers):
    cache = windows_udfs.module.CACHE
    rows = [ORDER_HEADER] + [list(r) for r in helpers.hand_orders]
    score = windows_udfs.module.RFM_SCORE
    assert score("C003", rows) == "321"
    assert score("C003", [list(r) for r in rows]) == "321" and cache.scorings == 1  # equal copy: a hit
    changed = [list(r) for r in rows]
    changed[7][3] = 2000  # C003's second order: 20 -> 2000
    assert score("C003", changed) == "325" and cache.scorings == 2
    # three levels (see above): R 46 days, 2 worse -> 2; F 2 orders, 1 worse -> 1; M 30, none worse -> 1
    assert score("C003", rows, None, None, 3) == "211" and cache.scorings == 3  # other settings: scored again
    assert score("C003", rows) == "321" and cache.scorings == 3  # still cached


# ================================================================== the real export


def test_functions_match_headless_mode_on_the_real_export(windows_udfs, sample_copy, monkeypatch):
    remote_books.enable_remote_engine(monkeypatch)
    sheet = "Year 2010-2011"
    rows = python_calamine.CalamineWorkbook.from_path(str(sample_copy)).get_sheet_by_name(sheet).to_python()
    book = remote_books.book({sheet: rows})
    orders = book.sheets[sheet].range((1, 1), (len(rows), len(rows[0])))
    result, headless = score_file(sample_copy, orders_sheet=sheet)
    scores = python_calamine.CalamineWorkbook.from_path(str(headless)).get_sheet_by_name("Scores").to_python()
    table = call(windows_udfs, "RFM_TABLE", orders)
    assert table[0] == scores[0] and len(table) == len(scores) == result.customers + 1
    for got, want in zip(table[1:], scores[1:], strict=True):
        assert [v if not isinstance(v, str) or v[:2] != "20" else dt.date.fromisoformat(v[:10]) for v in got] == \
            [v.date() if isinstance(v, dt.datetime) else v for v in want]
    for row in scores[1:40]:
        customer, code, segment = row[0], row[scores[0].index("RFM Code")], row[scores[0].index("Segment")]
        assert cell(call(windows_udfs, "RFM_SCORE", customer, orders)) == code
        assert cell(call(windows_udfs, "RFM_SEGMENT", customer, orders)) == segment
    assert windows_udfs.module.CACHE.scorings == 1


# ================================================================== the forecast's and the offers' functions


@pytest.fixture
def sample_book(monkeypatch):
    """A Book whose Orders sheet holds the bundled sample's first 8,000 lines (StockCode and Description)."""
    from rfm_excel.doors.cli import sample_orders
    remote_books.enable_remote_engine(monkeypatch)
    orders = sample_orders().head(8000)
    rows = [list(orders.columns), *orders.astype(object).where(orders.notna(), None).to_numpy().tolist()]
    book = remote_books.book({"Start Here": [["formulas"]], "Orders": rows, "Settings": settings_grid()})
    last = f"{chr(64 + len(orders.columns))}{len(rows)}"
    return types.SimpleNamespace(orders=book.sheets["Orders"].range(f"A1:{last}"),
                                 caller=book.sheets["Start Here"].range("B2"), frame=orders)


def test_p_active_predicted_value_and_next_product_are_those_of_the_sheets(windows_udfs, sample_book):
    result = rfm_excel.score(sample_book.frame)
    scores = result.scores.set_index("customer_id")
    plan = result.plan.set_index("customer_id")
    for customer in scores.index[[0, 40, -1]]:  # a Champion, one further down, the last
        active = cell(call(windows_udfs, "RFM_P_ACTIVE", customer, sample_book.orders, caller=sample_book.caller))
        value = cell(call(windows_udfs, "RFM_PREDICTED_VALUE", customer, sample_book.orders,
                          caller=sample_book.caller))
        offer = cell(call(windows_udfs, "RFM_NEXT_PRODUCT", customer, sample_book.orders, caller=sample_book.caller))
        assert active == pytest.approx(scores.at[customer, "p_active"]) and 0 <= active <= 1
        assert value == pytest.approx(scores.at[customer, "predicted_value"])
        assert offer == plan.at[customer, "offer"]


def test_predicted_value_over_a_shorter_horizon_is_smaller(windows_udfs, sample_book):
    customer = rfm_excel.score(sample_book.frame).scores["customer_id"].iloc[0]
    year = cell(call(windows_udfs, "RFM_PREDICTED_VALUE", customer, sample_book.orders, caller=sample_book.caller))
    quarter = cell(call(windows_udfs, "RFM_PREDICTED_VALUE", customer, sample_book.orders, 90,
                        caller=sample_book.caller))
    expected = rfm_excel.score(sample_book.frame, rfm_excel.Settings(forecast_horizon_days=90)).scores.set_index(
        "customer_id").at[customer, "predicted_value"]
    assert quarter == pytest.approx(expected) and 0 < quarter < year


def test_without_a_forecast_or_a_product_column_the_functions_say_why(windows_udfs, shop):
    assert cell(call(windows_udfs, "RFM_P_ACTIVE", "C001", shop.orders, caller=shop.caller)) == \
        "Only 4 customers have bought on two different days; a forecast needs at least 20."
    assert cell(call(windows_udfs, "RFM_NEXT_PRODUCT", "C001", shop.orders, caller=shop.caller)).startswith(
        "The orders have no product column")
    assert call(windows_udfs, "RFM_P_ACTIVE", "nobody", shop.orders, caller=shop.caller)[0][0] == NOT_AVAILABLE
