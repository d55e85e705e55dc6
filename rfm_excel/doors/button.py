"""The Score customers button: score the workbook open in Excel and write the output sheets into it.

The button (writers/headless/vba/RfmExcel.bas) runs ``score_customers`` through xlwings' RunPython. It
reads Orders (with its merged cells), Settings and Score History with one whole-range read each, calls
the same ``core.score`` as the command line and writes the same layouts (``writers.live``), Start Here's
part included; the workbook then shows Start Here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path

import xlwings as xw

from .. import core
from ..base.errors import RfmError
from ..base.excel import EPOCH_SHIFT_1904
from ..base.orders import Dialect
from ..base.settings import DATE_1904, Settings, parse_settings
from ..base.sheet_names import CUSTOMERS, PROSPECTS, SCORE_HISTORY, SETTINGS
from ..layout.sheets import history_from_sheet, opens_on, run_sheets
from ..readers.workbook import orders_from_rows, table_block
from ..writers.live import activate, find_sheet, merged_ranges, placement, sheet_values, uses_1904_dates, write_layouts
from .failures import book_path, unexpected
from .files import write_full_lists

TITLE = "Score customers"


def score_customers() -> None:
    """Entry point of the button: score the calling workbook, saying on the status bar what is going on.

    A problem with the orders or settings is shown as the plain sentence of its RfmError; anything
    unexpected as one sentence too, naming the log file its details went to (failures.unexpected),
    never as a Python traceback.
    """
    book = xw.Book.caller()
    app = book.app
    try:
        score_book(book, status=lambda message: _status_bar(app, message))
    except RfmError as error:
        app.alert(str(error), title=TITLE, mode="critical")
    except Exception as error:  # a bug: the owner still gets one sentence and a file to send, not a traceback
        app.alert(unexpected(error, book_path(book), "the Score customers button"), title=TITLE, mode="critical")
    finally:
        _status_bar(app, False)


def score_book(book: xw.Book, orders_sheet: str | None = None,
               status: Callable[[str], None] = lambda _: None) -> core.Result:
    """Score ``book`` (an open xlwings Book) and write the output sheets into it; return the result.

    ``orders_sheet`` names the sheet with the orders (default Orders); ``status`` receives progress
    messages. Raises RfmError for problems the owner can fix.
    """
    status("Score customers: reading the orders...")
    name = orders_sheet or "Orders"
    sheet = find_sheet(book, name)
    if sheet is None:
        names = ", ".join(s.name for s in book.sheets)
        raise RfmError(f"This workbook has no sheet named {name!r} (it has: {names}); put your orders on a sheet "
                       "named Orders.")
    where = placement(book)
    settings_rows = sheet_values(book.sheets[where[SETTINGS]]) if where.has(SETTINGS) else None
    settings = parse_settings(settings_rows, where[SETTINGS]) if settings_rows is not None else Settings()
    date1904, early = dates_of(book, settings)
    orders, first_row, read_issues = orders_from_rows(moved(sheet_values(sheet), early), merged_ranges(sheet),
                                                      sheet.name)
    if early and settings_rows is not None:
        settings = parse_settings(moved(settings_rows, early), where[SETTINGS])
    history = history_from_sheet(sheet_values(book.sheets[where[SCORE_HISTORY]])) if where.has(SCORE_HISTORY) else None
    customers, prospects = (_owner_table(book, name) for name in (CUSTOMERS, PROSPECTS))
    status(f"Score customers: scoring {len(orders):,} order rows...")
    result = core.score(orders, settings, first_row=first_row, sheet=sheet.name, read_issues=read_issues,
                        history=history, dialect=Dialect(date1904=date1904), customers=customers,
                        prospects=prospects)
    status(f"Score customers: writing the sheets for {result.customers:,} customers...")
    scored_at = dt.datetime.now()
    book.app.screen_updating = False
    try:
        layouts = run_sheets(result, scored_at, where, book_path(book) or Path(tempfile.gettempdir()) / "workbook",
                             button=True)
        write_full_lists(layouts)
        write_layouts(book, layouts, where, early)
    finally:
        book.app.screen_updating = True
    activate(book, opens_on(where))
    return result


def dates_of(book: xw.Book, settings: Settings) -> tuple[bool, dt.timedelta]:
    """Whether the workbook counts its dates from 1904, and by how much the dates the engine reads fall short of
    those the cells show (and dates written must be sent early by): read from desktop Excel; where the engine
    cannot tell (xlwings Lite), as Settings say (Date system), its client turning serial numbers into dates by
    the 1900 system, so that in a 1904 workbook they arrive 1,462 days early."""
    read = uses_1904_dates(book)
    if read is not None:
        return read, dt.timedelta(0)
    chosen = settings.date_system == DATE_1904
    return chosen, dt.timedelta(days=EPOCH_SHIFT_1904) if chosen else dt.timedelta(0)


def moved(rows: list[list], by: dt.timedelta) -> list[list]:
    """Cell values with every date moved ``by`` (rows as they are when there is nothing to move)."""
    if not by:
        return rows
    return [[value + by if isinstance(value, dt.date) else value for value in row] for row in rows]


def _owner_table(book: xw.Book, name: str):
    """The table of the owner's sheet ``name`` (Customers, Prospects), read and never written; None without one."""
    sheet = find_sheet(book, name)
    return table_block(sheet_values(sheet)) if sheet is not None else None


def _status_bar(app: xw.App, message: str | bool) -> None:
    """Show ``message`` on Excel's status bar (False gives it back to Excel); engines without one skip it."""
    with contextlib.suppress(NotImplementedError):  # xlwings Server and Lite have no status bar
        app.status_bar = message
