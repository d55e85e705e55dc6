"""Builds the template workbook: Start Here, Orders and Settings sheets, and the .xlsm's VBA project."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import xlsxwriter

from ...base.settings import Settings
from ...base.sheet_names import ORDERS, SETTINGS, START_HERE, place
from ...layout.template import orders_sheet, settings_sheet, start_here_sheet
from .render import Styles, write_layout
from .splice import put_rows
from .vba import vba_project
from .webextension import add_lite_code

TEMPLATE_NAME = "rfm_template.xlsx"
MACRO_TEMPLATE_NAME = "rfm_template.xlsm"  # the same with the Score customers button
LITE_TEMPLATE_NAME = "rfm_template_lite.xlsx"  # the same with the code for xlwings Lite inside
XLWINGS_CONF = "xlwings.conf"  # xlwings reads its settings for this workbook from a sheet of this name
XLWINGS_SETTINGS = [("UDF Modules", "rfm_excel.doors.functions")]  # the interpreter comes from the user's xlwings.conf


def build_template(path: str | Path, orders: pd.DataFrame | None = None, settings: Settings | None = None,
                   lite: str | None = None) -> Path:
    """Write a template workbook to ``path``; ``orders`` (cell values under their headers) pre-fills Orders.

    An .xlsm ``path`` gets the Score customers button and its VBA project (see vba/), and a
    hidden xlwings.conf sheet naming the worksheet functions' module. With ``lite`` (how xlwings Lite
    installs this package: its name, or the URL of its wheel) the workbook carries the xlwings Lite
    code (see webextension.py) and Start Here says how to run it.
    """
    path = Path(path)
    macros = path.suffix.lower() == ".xlsm"
    book = xlsxwriter.Workbook(str(path), {"default_date_format": "yyyy-mm-dd", "strings_to_formulas": False,
                                          "strings_to_numbers": False, "strings_to_urls": False})
    book.set_properties({"title": "Customer scoring (RFM)", "created": dt.datetime(2026, 1, 1)})
    styles = Styles(book)
    write_layout(book, styles, start_here_sheet(button=macros, lite=lite is not None), rows_apart=False)
    rows = write_layout(book, styles, orders_sheet(orders))  # many rows: put in below, column by column
    write_layout(book, styles, settings_sheet(settings), rows_apart=False)
    book.worksheets()[0].activate()
    if macros:
        conf = book.add_worksheet(XLWINGS_CONF)
        for row, pair in enumerate(XLWINGS_SETTINGS):
            conf.write_row(row, 0, pair)
        conf.hide()
        book.add_vba_project(io.BytesIO(vba_project([f"Sheet{n + 1}" for n in range(len(book.worksheets()))])),
                             is_stream=True)
    book.close()
    # The tool's sheets are marked as its own; an Orders sheet only when it holds what the tool copied in (an
    # empty one is for the owner's orders).
    _marked(path, [START_HERE, SETTINGS, *([ORDERS] if orders is not None else [])],
            {ORDERS: rows} if rows is not None else {})
    if lite is not None:
        add_lite_code(path, lite)
    return path


def settings_book(path: Path) -> Path:
    """A workbook of just a Settings sheet of defaults, for results whose orders stay in their files."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False,
                                          "strings_to_urls": False})
    write_layout(book, Styles(book), settings_sheet(), rows_apart=False)
    book.close()
    _marked(path, [SETTINGS], {})
    return path


def _marked(path: Path, sheets: list[str], rows: dict) -> None:
    """Mark ``sheets`` of the workbook XlsxWriter just wrote at ``path`` as the tool's, and put ``rows`` in."""
    headings = path.with_name(f".~rfm-{path.name}")
    path.replace(headings)
    try:
        put_rows(headings, path, rows, place([], {}).marks(sheets))
    finally:
        headings.unlink(missing_ok=True)
