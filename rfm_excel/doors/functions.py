"""Worksheet functions =RFM_SCORE, =RFM_SEGMENT, =RFM_RECENCY, =RFM_FREQUENCY, =RFM_MONETARY, =RFM_TABLE,
=RFM_SEGMENTS, =RFM_P_ACTIVE, =RFM_PREDICTED_VALUE and =RFM_NEXT_PRODUCT, as xlwings user-defined functions
(desktop Excel on Windows).

``orders`` is a range or table reference with its header row, e.g. ``Orders[#All]``; xlwings hands
it over as rows of cell values. The optional arguments default to the workbook's Settings: those of
``settings`` (a reference to the Settings sheet's cells from A1) when given, so that the function
reads nothing itself and Excel recalculates it when a setting changes; else those of the Settings
sheet found through the calling cell, read in one range read. Parsed settings are cached by the
values they came from, and the scored table by the content of the orders and the settings, so
10,000 cells over one range parse the settings once and score the orders once.

A customer not in the orders gives Excel's #N/A (so IFNA and XLOOKUP-style fallbacks work); a
problem with the orders, the settings or an argument gives a short sentence saying what to fix;
nothing gives a traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from dataclasses import dataclass, replace

import pandas as pd
import xlwings as xw

from .. import core
from ..base import sheet_names
from ..base.errors import RfmError
from ..base.excel import EPOCH, EPOCH_1904
from ..base.orders import Dialect, customer_keys, id_text
from ..base.settings import DATE_1904, MAX_BINS, SETTING_ROWS, Settings, checked, parse_settings, whole
from ..layout.sheets import scores_sheet, segments_sheet
from ..readers.workbook import orders_block
from ..writers.live import placement, sheet_values, uses_1904_dates
from .failures import book_path, unexpected

CATEGORY = "RFM"
ORDERS_HELP = "The orders with their header row, e.g. Orders[#All] or Orders!A1:F5000."
AS_OF_HELP = "Date to score as of. Default: the As-of date in Settings, else the day after the latest order."
WINDOW_HELP = "Count Frequency and Monetary over only the last N months. Default: Settings (blank = all history)."
LEVELS_HELP = "Score levels for R, F and M, 2 to 9 (5 = quintiles). Default: Settings."
CUSTOMER_HELP = "The customer's ID, as in the orders' Customer ID column."
HORIZON_HELP = "Days from the as-of date the value is counted over. Default: Forecast horizon (days) in Settings."
SETTINGS_HELP = ("Optional: the Settings sheet's cells from A1, e.g. Settings!A1:L60; then the function recalculates "
                 "when a setting changes. Default: the workbook's Settings sheet.")
XL_ERROR_NA = -2146826246  # the value of Excel's #N/A in a COM variant of type VT_ERROR (xlErrNA, 2042)


@dataclass
class Scored:
    """A scored result and the row of each customer in its Scores table."""

    result: core.Result
    rows: dict


class ScoreCache:
    """The last few scorings, each kept with the exact orders and settings it came from.

    A lookup compares the orders cell by cell with those cached (a few milliseconds for 100,000
    rows, against a few hundred for scoring them), so a hit can never be stale. Problems are
    cached too, unexpected ones included, so 10,000 cells over an unusable range fail fast.
    """

    def __init__(self, size: int = 4):
        self.size = size
        self.entries: list[tuple[list, Settings, Dialect, Scored | Exception]] = []
        self.scorings = 0  # how many times the orders were actually scored

    def scored(self, orders: list[list], settings: Settings, dialect: Dialect = Dialect()) -> Scored:
        """The scored ``orders`` (rows of cells, header first) under ``settings``, their numbers and dates
        read as ``dialect`` says (the workbook's date system); raises RfmError, or the unexpected exception
        scoring them raised."""
        for i, (rows, known, read_as, outcome) in enumerate(self.entries):  # noqa: B007 (outcome: read after the break)
            if known == settings and read_as == dialect and len(rows) == len(orders) and rows == orders:
                self.entries.insert(0, self.entries.pop(i))
                break
        else:
            self.scorings += 1
            try:
                outcome = _score(orders, settings, dialect)
            except Exception as error:
                outcome = error
            self.entries.insert(0, (orders, settings, dialect, outcome))
            del self.entries[self.size:]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


CACHE = ScoreCache()


def _score(orders: list[list], settings: Settings, dialect: Dialect) -> Scored:
    frame, first_row = orders_block(orders)
    result = core.score(frame, settings, first_row=first_row, dialect=dialect)
    keys = customer_keys(result.scores["customer_id"])
    return Scored(result, dict(zip(keys.tolist(), range(len(keys)), strict=True)))


class SettingsCache:
    """Parsed Settings by the cell values they came from, the last few of them (problems too)."""

    def __init__(self, size: int = 8):
        self.size = size
        self.entries: dict[tuple, Settings | RfmError] = {}
        self.parses = 0  # how many times a Settings sheet was actually parsed

    def parsed(self, rows: list[list], sheet: str = "Settings") -> Settings:
        """The Settings that ``rows`` (a sheet's cell values from A1) hold; raises RfmError."""
        key = (sheet, tuple(tuple(row) if isinstance(row, list) else (row,) for row in rows))
        if key not in self.entries:
            self.parses += 1
            outcome: Settings | RfmError
            try:
                outcome = parse_settings(rows, sheet)
            except RfmError as error:
                outcome = error
            self.entries[key] = outcome
            while len(self.entries) > self.size:
                del self.entries[next(iter(self.entries))]
        outcome = self.entries[key]
        if isinstance(outcome, RfmError):
            raise outcome
        return outcome


SETTINGS = SettingsCache()


def scored(orders, as_of=None, window_months=None, levels=None, settings=None, caller=None,
           horizon_days=None) -> Scored:
    """The cached scoring of ``orders`` under the workbook's settings with the arguments given."""
    if not isinstance(orders, list) or len(orders) < 2:
        raise RfmError("orders must be a range with its header row and the orders under it, e.g. Orders[#All].")
    chosen = workbook_settings(caller, settings)
    read = uses_1904_dates(caller.sheet.book) if caller is not None else None
    dialect = Dialect(date1904=read if read is not None else chosen.date_system == DATE_1904)
    if as_of is not None:
        chosen = chosen.with_as_of(as_of_date(as_of, dialect.date1904))
    if window_months is not None:
        chosen = replace(chosen, window_months=_whole(window_months, "window_months", 1, None))
    if levels is not None:
        n = _whole(levels, "levels", 2, MAX_BINS)
        chosen = replace(chosen, recency_bins=n, frequency_bins=n, monetary_bins=n, recency_breakpoints=None,
                         frequency_breakpoints=None, monetary_breakpoints=None)
    if horizon_days is not None:
        chosen = replace(chosen, forecast_horizon_days=_whole(horizon_days, "horizon_days", 1, None))
    return CACHE.scored(orders, chosen, dialect)


def workbook_settings(caller=None, settings: list[list] | None = None) -> Settings:
    """The Settings of ``settings`` (a Settings sheet's cell values from A1) when given, else of the Settings sheet
    of the calling cell's workbook, read in one range read (defaults when there is none); parsed once per content."""
    if settings is not None:
        if not (isinstance(settings, list) and any(_setting_label(row) for row in settings)):
            raise RfmError("settings must be the Settings sheet's cells from A1, e.g. Settings!A1:L60.")
        return SETTINGS.parsed(settings)
    if caller is None:
        return Settings()
    sheet = _settings_sheet(caller.sheet.book)
    return SETTINGS.parsed(sheet_values(sheet), sheet.name) if sheet is not None else Settings()


SETTING_LABELS = {row.label.lower() for row in SETTING_ROWS} | {"segment"}


def _setting_label(row) -> bool:
    """Whether a row of cells starts with one of the Settings sheet's labels."""
    first = row[0] if isinstance(row, list) and row else row
    return isinstance(first, str) and first.strip().lower() in SETTING_LABELS


def _settings_sheet(book: xw.Book):
    """The tool's Settings sheet (marked, or laid out as the tool's), if the workbook has one; an owner's sheet
    that happens to be called Settings is not read. Only Settings is looked at, as this runs on every call."""
    where = placement(book, recognise=(sheet_names.SETTINGS,))
    return book.sheets[where[sheet_names.SETTINGS]] if where.has(sheet_names.SETTINGS) else None


def not_available():
    """Excel's #N/A error value, as a COM variant on Windows (where the functions run); the text "#N/A"
    where there is no COM (a test, or another engine)."""
    try:
        import pythoncom
        from win32com.client import VARIANT
    except ImportError:
        return "#N/A"
    return VARIANT(pythoncom.VT_ERROR, XL_ERROR_NA)


def as_of_date(value, date1904: bool = False) -> dt.date:
    """A date from a cell (datetime), a typed DATE(...) (a serial number, counted in the workbook's date
    system: from 1904 where ``date1904``) or text such as 2024-06-30.

    >>> as_of_date(45473), as_of_date(44011, date1904=True)
    (datetime.date(2024, 6, 30), datetime.date(2024, 6, 30))
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 0 <= value < 2958466:  # 9999-12-31 in the 1900 system: beyond it no date exists
            raise RfmError(f"as_of must be a date such as 2024-06-30; it is {value!r}.")
        return (EPOCH_1904 if date1904 else EPOCH).astype(dt.date) + dt.timedelta(days=int(value))
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise RfmError(f"as_of must be a date such as 2024-06-30; it is {value!r}.") from None


def _whole(value, name: str, low: int, high: int | None) -> int:
    """An argument that must be a whole number, by the rule a Settings cell is read by."""
    return checked(value, whole(low, high), name)


def customer_value(customer_id, column: str, orders, as_of, window_months, levels, settings, caller,
                   horizon_days=None):
    """One value of one customer's row of the Scores table; #N/A for a customer not in the orders. A forecast
    column without a forecast (too few repeat buyers, or Settings turn it off) gives the sentence saying why."""
    found = scored(orders, as_of, window_months, levels, settings, caller, horizon_days)
    row = found.rows.get(_customer_key(customer_id))
    if row is None:
        return not_available()
    scores = found.result.scores
    if column not in scores:
        outlook = found.result.forecast
        return outlook.reason if outlook is not None else "The forecast is Off in Settings."
    value = scores[column].iat[row]
    if pd.isna(value):  # type: ignore[arg-type]  # pandas-stubs leave Period and Interval out of isna
        return None
    return value.item() if hasattr(value, "item") else value


def _customer_key(customer_id) -> str | None:
    """The matching key of an ID as a cell holds it: 12345.0, 12345 and " 12345" are one customer."""
    text = id_text(customer_id)
    return customer_keys([text])[0] if text else None


def readable(function):
    """The function as Excel sees it: an RfmError as its sentence, anything unexpected as one sentence naming
    the log file its details went to (beside the caller's workbook; failures.unexpected), never a traceback."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except RfmError as error:
            return str(error)
        except Exception as error:  # a bug: a sentence to report, in the cell
            caller = signature.bind_partial(*args, **kwargs).arguments.get("caller")
            return unexpected(error, _caller_file(caller), "a worksheet function (=RFM_...)")
    return call


def _caller_file(caller):
    """The file of the calling cell's workbook, if it has one."""
    try:
        return book_path(caller.sheet.book)
    except AttributeError:  # no calling cell
        return None


def _whole_table(function):
    """The decorators every function shares: readable outcomes, category, help texts, 2-D ranges, caller."""
    function = xw.arg("orders", ndim=2, doc=ORDERS_HELP)(readable(function))
    function = xw.arg("as_of", doc=AS_OF_HELP)(function)
    function = xw.arg("window_months", doc=WINDOW_HELP)(function)
    function = xw.arg("levels", doc=LEVELS_HELP)(function)
    function = xw.arg("settings", ndim=2, doc=SETTINGS_HELP)(function)
    return xw.func(category=CATEGORY)(function)


def _one_customer(function):
    """The decorators of the per-customer functions: those of every function, and the customer's ID."""
    return _whole_table(xw.arg("customer_id", doc=CUSTOMER_HELP)(function))


@_one_customer
def RFM_SCORE(customer_id, orders, as_of=None, window_months=None, levels=None, settings=None, caller=None):
    """The customer's RFM code, e.g. "543" (R, F and M scores), as the Scores sheet shows it."""
    return customer_value(customer_id, "rfm_code", orders, as_of, window_months, levels, settings, caller)


@_one_customer
def RFM_SEGMENT(customer_id, orders, as_of=None, window_months=None, levels=None, settings=None, caller=None):
    """The customer's segment, e.g. "Champions", from the segment table in Settings."""
    return customer_value(customer_id, "segment", orders, as_of, window_months, levels, settings, caller)


@_one_customer
def RFM_RECENCY(customer_id, orders, as_of=None, window_months=None, levels=None, settings=None, caller=None):
    """Days from the customer's last purchase to the as-of date."""
    return customer_value(customer_id, "recency_days", orders, as_of, window_months, levels, settings, caller)


@_one_customer
def RFM_FREQUENCY(customer_id, orders, as_of=None, window_months=None, levels=None, settings=None, caller=None):
    """The number of orders the customer placed (within the time window, if one is set)."""
    return customer_value(customer_id, "frequency", orders, as_of, window_months, levels, settings, caller)


@_one_customer
def RFM_MONETARY(customer_id, orders, as_of=None, window_months=None, levels=None, settings=None, caller=None):
    """What the customer spent, returns netted (within the time window, if one is set)."""
    return customer_value(customer_id, "monetary", orders, as_of, window_months, levels, settings, caller)


@_whole_table
def RFM_TABLE(orders, as_of=None, window_months=None, levels=None, settings=None, caller=None):
    """The Scores table (one row per customer, best first, header on top); it spills, or fills a selected range
    entered as an array formula (Ctrl+Shift+Enter) in an Excel without dynamic arrays."""
    table = scores_sheet(scored(orders, as_of, window_months, levels, settings, caller).result).table
    return [table.headers, *table.cell_values()]


@_whole_table
def RFM_SEGMENTS(orders, as_of=None, window_months=None, levels=None, settings=None, caller=None):
    """The segment summary (customers, revenue, averages, meaning and action per segment); it spills, or fills a
    selected range entered as an array formula (Ctrl+Shift+Enter) in an Excel without dynamic arrays."""
    table = segments_sheet(scored(orders, as_of, window_months, levels, settings, caller).result,
                           dt.datetime.now()).table
    return [table.headers, *table.cell_values()]


@_one_customer
def RFM_P_ACTIVE(customer_id, orders, as_of=None, window_months=None, levels=None, settings=None, caller=None):
    """The chance, 0 to 1, that the customer still buys from you (the forecast's P(Active), as on Scores)."""
    return customer_value(customer_id, "p_active", orders, as_of, window_months, levels, settings, caller)


@_one_customer
@xw.arg("horizon_days", doc=HORIZON_HELP)
def RFM_PREDICTED_VALUE(customer_id, orders, horizon_days=None, as_of=None, window_months=None, levels=None,
                        settings=None, caller=None):
    """What the customer is expected to spend over the horizon (the forecast's Predicted Value, as on Scores)."""
    return customer_value(customer_id, "predicted_value", orders, as_of, window_months, levels, settings, caller,
                          horizon_days)


@_one_customer
def RFM_NEXT_PRODUCT(customer_id, orders, as_of=None, window_months=None, levels=None, settings=None, caller=None):
    """The product to offer the customer next, "NAME (code)", as the Contact Plan's Offer gives it."""
    found = scored(orders, as_of, window_months, levels, settings, caller)
    key = _customer_key(customer_id)
    if found.rows.get(key) is None:
        return not_available()
    offers = found.result.offers
    if offers is None:
        return "The orders have no product column (Product, SKU, StockCode, Item...); add one to get offers."
    return offers.customers.at[key, "offer"]
