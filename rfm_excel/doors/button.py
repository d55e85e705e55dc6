"""The Score customers button: score the workbook open in Excel and write the output sheets into it.

The button (rfm_excel/vba/RfmExcel.bas) runs ``score_customers`` through xlwings' RunPython. It
reads Orders, Settings and Score History with one whole-range read each, calls the same
``core.score`` as the command line and writes the same layouts (``workbook.live``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import xlwings as xw

from .. import core
from ..base.errors import RfmError
from ..base.orders import Dialect
from ..base.settings import Settings, parse_settings
from ..base.sheet_names import SCORE_HISTORY, SCORES
from ..domain.history import from_sheet
from ..layout.sheets import output_sheets
from ..readers.workbook import orders_block
from ..writers.live import find_sheet, sheet_values, uses_1904_dates, write_layouts, write_settings_sheet

TITLE = "Score customers"


def score_customers() -> None:
    """Entry point of the button: score the calling workbook, saying on the status bar what is going on.

    A problem with the orders or settings is shown as the plain sentence of its RfmError; anything
    unexpected as one short line too, never as a Python traceback.
    """
    book = xw.Book.caller()
    app = book.app
    try:
        score_book(book, status=lambda message: _status_bar(app, message))
    except RfmError as error:
        app.alert(str(error), title=TITLE, mode="critical")
    except Exception as error:  # a bug: the owner still gets one line to report, not a traceback
        app.alert(f"Scoring stopped on an unexpected problem ({type(error).__name__}: {error}). Please report "
                  "this message.", title=TITLE, mode="critical")
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
    orders, first_row = orders_block(sheet_values(sheet), sheet.name)
    settings_sheet = find_sheet(book, "Settings")
    settings = parse_settings(sheet_values(settings_sheet), settings_sheet.name) if settings_sheet else Settings()
    history_sheet = find_sheet(book, SCORE_HISTORY)
    history = from_sheet(sheet_values(history_sheet)) if history_sheet else None
    status(f"Score customers: scoring {len(orders):,} order rows...")
    result = core.score(orders, settings, first_row=first_row, sheet=sheet.name, history=history,
                        dialect=Dialect(date1904=uses_1904_dates(book)))
    status(f"Score customers: writing the sheets for {result.customers:,} customers...")
    book.app.screen_updating = False
    try:
        write_layouts(book, output_sheets(result, dt.datetime.now()), settings.currency_symbol)
        if settings_sheet is None:
            write_settings_sheet(book)
    finally:
        book.app.screen_updating = True
    find_sheet(book, SCORES).activate()
    return result


def _status_bar(app: xw.App, message: str | bool) -> None:
    """Show ``message`` on Excel's status bar (False gives it back to Excel); engines without one skip it."""
    try:
        app.status_bar = message
    except NotImplementedError:  # xlwings Server and Lite have no status bar
        pass
