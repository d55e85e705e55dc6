"""xlwings Lite: the Score customers script and the =RFM_* functions in Excel without Python installed.

xlwings Lite is an Excel add-in that runs Python (Pyodide, WebAssembly) inside Excel on Windows, macOS
and Excel on the web. Its editor's ``main.py`` (workbook_templates/lite/main.py) only imports what is
defined here; in Lite's runtime ``xlwings.script``, ``func`` and ``arg`` are Lite's decorators.

The script is the button's code (doors/button.py: the same reads, scoring and live writer) run on the
Book that Lite hands over; progress and the run note go to Lite's output pane, a problem to one alert (a
bug's details to a log file in Lite's /data folder, which the owner can download from Lite's Files menu).
The functions are the desktop functions (doors/functions.py) without the calling cell: a function in
Lite receives its arguments and nothing else, so the Settings come from the ``settings`` range when
given, else the defaults; dates arrive as Excel serial numbers, which ``as_of`` accepts.
"""

from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path

import xlwings as xw
from xlwings import arg, func, script

from ..base.errors import RfmError
from ..layout.wording import run_note, summary
from ..writers.live import find_sheet
from . import functions as desktop
from .button import TITLE, score_book
from .failures import unexpected

HELP = {"customer_id": desktop.CUSTOMER_HELP, "orders": desktop.ORDERS_HELP,
        "as_of": desktop.AS_OF_HELP + " A date cell, DATE(2024,6,30) or \"2024-06-30\".",
        "window_months": desktop.WINDOW_HELP, "levels": desktop.LEVELS_HELP, "horizon_days": desktop.HORIZON_HELP,
        "settings": "Optional: the Settings sheet's cells from A1, e.g. Settings!A1:L60. Without it the functions "
                    "use the default settings (in xlwings Lite a function cannot read other cells itself)."}
TABLES = {"orders", "settings"}  # the arguments that are ranges of many cells
# The cells of an Orders sheet the script takes on. Measured (benchmarks/lite_memory.py, docs/performance.md):
# at most about 310 bytes a cell at the peak on 64-bit CPython, whatever the number of columns; 5,000,000 cells
# (a full sheet of 4 columns, 400,000 rows of 12) stay under 1.6 GB there, within Pyodide's 2 GB.
LITE_CELLS = 5_000_000
FILES = Path("/data")  # xlwings Lite's folder whose files the owner can download (menu > Files > Import/Export)


@script(name=TITLE)
def score_customers(book: xw.Book) -> None:
    """Score the customers of the open workbook: the same sheets as the command line writes."""
    try:
        _check_size(book)
        result = score_book(book, status=print)
    except RfmError as error:
        _tell(book, str(error))
        return
    except Exception as error:  # a bug: one sentence, no traceback; the details in a file the owner can download
        _tell(book, unexpected(error, FILES / book.name, "the Score customers script in xlwings Lite"))
        return
    print(summary(result))
    for line in run_note(result, dt.datetime.now()):
        print(line)


def _tell(book: xw.Book, sentence: str) -> None:
    """A problem, said in Lite's output pane and in an alert (the pane keeps it should the alert not show)."""
    print(sentence)
    book.app.alert(sentence, title=TITLE, mode="critical")


def _check_size(book: xw.Book) -> None:
    """Refuse, in one sentence, an Orders sheet larger than the script can score in Lite's memory."""
    sheet = find_sheet(book, "Orders")
    if sheet is None:
        return  # score_book says what is missing
    rows, columns = sheet.used_range.shape
    if rows * columns > LITE_CELLS:
        raise RfmError(f"The Orders sheet has {rows:,} rows of {columns} columns, more than xlwings Lite can score "
                       f"in its memory (about {LITE_CELLS:,} cells); save the workbook and score it with the "
                       "rfm-excel command line on a computer with Python (docs/excel.md).")


def _for_lite(function):
    """A desktop =RFM_* function as a Lite function: the same code and help, without the calling cell."""
    plain = inspect.unwrap(function)  # the function itself, under the desktop decorators

    def call(*args):
        return plain(*args)
    parameters = [p for name, p in inspect.signature(plain).parameters.items() if name != "caller"]
    call.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    call.__name__ = call.__qualname__ = plain.__name__
    call.__doc__ = plain.__doc__
    call.__module__ = __name__
    lite = desktop.readable(call)
    for parameter in parameters:
        lite = arg(parameter.name, doc=HELP[parameter.name], **({"ndim": 2} if parameter.name in TABLES else {}))(lite)
    return func(lite)


RFM_SCORE = _for_lite(desktop.RFM_SCORE)
RFM_SEGMENT = _for_lite(desktop.RFM_SEGMENT)
RFM_RECENCY = _for_lite(desktop.RFM_RECENCY)
RFM_FREQUENCY = _for_lite(desktop.RFM_FREQUENCY)
RFM_MONETARY = _for_lite(desktop.RFM_MONETARY)
RFM_TABLE = _for_lite(desktop.RFM_TABLE)
RFM_SEGMENTS = _for_lite(desktop.RFM_SEGMENTS)
RFM_P_ACTIVE = _for_lite(desktop.RFM_P_ACTIVE)
RFM_PREDICTED_VALUE = _for_lite(desktop.RFM_PREDICTED_VALUE)
RFM_NEXT_PRODUCT = _for_lite(desktop.RFM_NEXT_PRODUCT)
