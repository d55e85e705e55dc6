"""Worksheet functions =RFM_SCORE, =RFM_SEGMENT, =RFM_RECENCY, =RFM_FREQUENCY, =RFM_MONETARY, =RFM_TABLE
and =RFM_SEGMENTS, as xlwings user-defined functions (desktop Excel on Windows).

``orders`` is a range or table reference with its header row, e.g. ``Orders[#All]``; xlwings hands
it over as rows of cell values. The optional arguments default to the workbook's Settings sheet
(found through the calling cell). The scored table is cached by the content of the orders and
the settings, so 10,000 cells over one range score it once. A problem shows in the cell as a
short sentence (e.g. "unknown customer"), never as a traceback.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import xlwings as xw

from .. import core
from ..base.errors import RfmError
from ..base.excel import EPOCH, EPOCH_1904
from ..base.orders import Dialect, customer_keys, id_text
from ..base.settings import MAX_BINS, Settings, parse_settings
from ..layout.sheets import scores_sheet, segments_sheet
from ..readers.workbook import orders_block
from ..writers.live import find_sheet, sheet_values, table_rows, uses_1904_dates

UNKNOWN_CUSTOMER = "unknown customer"
CATEGORY = "RFM"
ORDERS_HELP = "The orders with their header row, e.g. Orders[#All] or Orders!A1:F5000."
AS_OF_HELP = "Date to score as of. Default: the As-of date in Settings, else the day after the latest order."
WINDOW_HELP = "Count Frequency and Monetary over only the last N months. Default: Settings (blank = all history)."
LEVELS_HELP = "Score levels for R, F and M, 2 to 9 (5 = quintiles). Default: Settings."
CUSTOMER_HELP = "The customer's ID, as in the orders' Customer ID column."


@dataclass
class Scored:
    """A scored result and the row of each customer in its Scores table."""

    result: core.Result
    rows: dict


class ScoreCache:
    """The last few scorings, each kept with the exact orders and settings it came from.

    A lookup compares the orders cell by cell with those cached (a few milliseconds for 100,000
    rows, against a few hundred for scoring them), so a hit can never be stale. Problems are
    cached too, so 10,000 cells over an unusable range fail fast.
    """

    def __init__(self, size: int = 4):
        self.size = size
        self.entries: list[tuple[list, Settings, Dialect, Scored | RfmError]] = []
        self.scorings = 0  # how many times the orders were actually scored

    def scored(self, orders: list[list], settings: Settings, dialect: Dialect = Dialect()) -> Scored:
        """The scored ``orders`` (rows of cells, header first) under ``settings``, their numbers and dates
        read as ``dialect`` says (the workbook's date system); raises RfmError."""
        for i, (rows, known, read_as, outcome) in enumerate(self.entries):
            if known == settings and read_as == dialect and len(rows) == len(orders) and rows == orders:
                self.entries.insert(0, self.entries.pop(i))
                break
        else:
            self.scorings += 1
            try:
                outcome = _score(orders, settings, dialect)
            except RfmError as error:
                outcome = error
            self.entries.insert(0, (orders, settings, dialect, outcome))
            del self.entries[self.size:]
        if isinstance(outcome, RfmError):
            raise outcome
        return outcome


CACHE = ScoreCache()


def _score(orders: list[list], settings: Settings, dialect: Dialect) -> Scored:
    frame, first_row = orders_block(orders)
    result = core.score(frame, settings, first_row=first_row, dialect=dialect)
    keys = customer_keys(result.scores["Customer ID"])
    return Scored(result, dict(zip(keys.tolist(), range(len(keys)))))


def scored(orders, as_of=None, window_months=None, levels=None, caller=None) -> Scored:
    """The cached scoring of ``orders`` under the workbook's settings with the arguments given."""
    if not isinstance(orders, list) or len(orders) < 2:
        raise RfmError("orders must be a range with its header row and the orders under it, e.g. Orders[#All].")
    settings = workbook_settings(caller)
    dialect = Dialect(date1904=caller is not None and uses_1904_dates(caller.sheet.book))
    if as_of is not None:
        settings = settings.with_as_of(as_of_date(as_of, dialect.date1904))
    if window_months is not None:
        settings = replace(settings, window_months=_whole(window_months, "window_months", 1, None))
    if levels is not None:
        n = _whole(levels, "levels", 2, MAX_BINS)
        settings = replace(settings, recency_bins=n, frequency_bins=n, monetary_bins=n, recency_breakpoints=None,
                           frequency_breakpoints=None, monetary_breakpoints=None)
    return CACHE.scored(orders, settings, dialect)


def workbook_settings(caller) -> Settings:
    """The Settings sheet of the calling cell's workbook (defaults when there is none)."""
    if caller is None:
        return Settings()
    sheet = find_sheet(caller.sheet.book, "Settings")
    return parse_settings(sheet_values(sheet), sheet.name) if sheet is not None else Settings()


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
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer() and \
            low <= value and (high is None or value <= high):
        return int(value)
    limits = f"from {low} to {high}" if high else f"of at least {low}"
    raise RfmError(f"{name} must be a whole number {limits}; it is {value!r}.")


def customer_value(customer_id, column: str, orders, as_of, window_months, levels, caller):
    """One value of one customer's row of the Scores table, or a short sentence saying why not."""
    try:
        found = scored(orders, as_of, window_months, levels, caller)
    except RfmError as error:
        return str(error)
    row = found.rows.get(_customer_key(customer_id))
    if row is None:
        return UNKNOWN_CUSTOMER
    value = found.result.scores[column].iat[row]
    return value.item() if hasattr(value, "item") else value


def _customer_key(customer_id) -> str | None:
    """The matching key of an ID as a cell holds it: 12345.0, 12345 and " 12345" are one customer."""
    text = id_text(customer_id)
    return customer_keys([text])[0] if text else None


def _whole_table(function):
    """The decorators every function shares: category, help texts, 2-D orders, caller."""
    function = xw.arg("orders", ndim=2, doc=ORDERS_HELP)(function)
    function = xw.arg("as_of", doc=AS_OF_HELP)(function)
    function = xw.arg("window_months", doc=WINDOW_HELP)(function)
    function = xw.arg("levels", doc=LEVELS_HELP)(function)
    return xw.func(category=CATEGORY)(function)


def _one_customer(function):
    """The decorators of the per-customer functions: those of every function, and the customer's ID."""
    return _whole_table(xw.arg("customer_id", doc=CUSTOMER_HELP)(function))


@_one_customer
def RFM_SCORE(customer_id, orders, as_of=None, window_months=None, levels=None, caller=None):
    """The customer's RFM code, e.g. "543" (R, F and M scores), as the Scores sheet shows it."""
    return customer_value(customer_id, "RFM Code", orders, as_of, window_months, levels, caller)


@_one_customer
def RFM_SEGMENT(customer_id, orders, as_of=None, window_months=None, levels=None, caller=None):
    """The customer's segment, e.g. "Champions", from the segment table in Settings."""
    return customer_value(customer_id, "Segment", orders, as_of, window_months, levels, caller)


@_one_customer
def RFM_RECENCY(customer_id, orders, as_of=None, window_months=None, levels=None, caller=None):
    """Days from the customer's last purchase to the as-of date."""
    return customer_value(customer_id, "Recency (days)", orders, as_of, window_months, levels, caller)


@_one_customer
def RFM_FREQUENCY(customer_id, orders, as_of=None, window_months=None, levels=None, caller=None):
    """The number of orders the customer placed (within the time window, if one is set)."""
    return customer_value(customer_id, "Frequency", orders, as_of, window_months, levels, caller)


@_one_customer
def RFM_MONETARY(customer_id, orders, as_of=None, window_months=None, levels=None, caller=None):
    """What the customer spent, returns netted (within the time window, if one is set)."""
    return customer_value(customer_id, "Monetary", orders, as_of, window_months, levels, caller)


@_whole_table
def RFM_TABLE(orders, as_of=None, window_months=None, levels=None, caller=None):
    """The Scores table (one row per customer, best first, header on top), spilled as a dynamic array."""
    try:
        result = scored(orders, as_of, window_months, levels, caller).result
    except RfmError as error:
        return [[str(error)]]
    layout = scores_sheet(result)
    return [[column.header for column in layout.columns]] + table_rows(layout.table, layout.columns, marked=False)


@_whole_table
def RFM_SEGMENTS(orders, as_of=None, window_months=None, levels=None, caller=None):
    """The segment summary (customers, revenue, averages and action per segment), spilled as a dynamic array."""
    try:
        result = scored(orders, as_of, window_months, levels, caller).result
    except RfmError as error:
        return [[str(error)]]
    layout = segments_sheet(result, dt.datetime.now())
    return [[column.header for column in layout.columns]] + table_rows(layout.table, layout.columns, marked=False)
