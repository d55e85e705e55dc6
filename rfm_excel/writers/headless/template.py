"""Builds the template workbook: Start Here, Orders and Settings sheets."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import xlsxwriter

from ...base.orders import map_columns, parse_dates, parse_numbers
from ...base.settings import (CHANNELS, PERCENT_SETTINGS, SEGMENT_HEADER, SEGMENT_PLAN_HEADER, SETTING_ROWS, YES, NO,
                       Settings, segment_plan_values, setting_value_for_sheet)
from ...base.sheet_names import ORDERS, SETTINGS, START_HERE
from ...layout.template import (BUTTON_STEP, ORDER_COLUMNS, PLAN_NOTE, SEGMENTS_NOTE, SETTINGS_COLUMNS,
                               SETTINGS_HELP, START_NOTES, START_STEPS)
from .render import Styles, printable
from .vba import vba_project

TEMPLATE_NAME = "rfm_template.xlsx"
MACRO_TEMPLATE_NAME = "rfm_template.xlsm"  # the same with the Score customers button
SCORE_MACRO = "ScoreCustomers"  # in vba/RfmExcel.bas
XLWINGS_CONF = "xlwings.conf"  # xlwings reads its settings for this workbook from a sheet of this name
XLWINGS_SETTINGS = [("UDF Modules", "rfm_excel.doors.functions")]  # the interpreter comes from the user's xlwings.conf


def write_settings_sheet(book: xlsxwriter.Workbook, styles: Styles, settings: Settings | None = None):
    """A Settings sheet showing ``settings`` (defaults when None), with drop-downs and explanations."""
    settings = settings or Settings()
    sheet = book.add_worksheet(SETTINGS)
    date_format = book.add_format({"num_format": "yyyy-mm-dd", "bg_color": "#FFF2CC", "border": 1,
                                   "border_color": "#BFBFBF", "align": "left"})
    cell = book.add_format({"bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF", "align": "left"})
    percent = book.add_format({"num_format": "0%", "bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF",
                               "align": "left"})
    money = book.add_format({"num_format": "0.00", "bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF"})
    share = book.add_format({"num_format": "0%", "bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF"})
    for first, last, width in SETTINGS_COLUMNS:
        sheet.set_column(first, last, width)
    sheet.write_string(0, 0, "Settings", styles.title)
    sheet.write_string(1, 0, SETTINGS_HELP, styles.note)
    sheet.write_row(3, 0, ["Setting", "Value"], styles.header)
    sheet.merge_range(3, 2, 3, 7, "What it means", styles.header)
    for offset, row in enumerate(SETTING_ROWS, start=4):
        value = setting_value_for_sheet(settings, row.key)
        sheet.write_string(offset, 0, row.label, styles.bold)
        if isinstance(value, dt.date):
            sheet.write_datetime(offset, 1, dt.datetime.combine(value, dt.time()), date_format)
        elif isinstance(value, (int, float)):
            sheet.write_number(offset, 1, value, percent if row.key in PERCENT_SETTINGS else cell)
        else:
            sheet.write_string(offset, 1, value or "", cell)
        sheet.write_string(offset, 2, row.help)
        if row.choices:
            sheet.data_validation(offset, 1, offset, 1, {"validate": "list", "source": list(row.choices)})
        elif row.key in ("as_of", "campaign_date"):
            sheet.data_validation(offset, 1, offset, 1, {
                "validate": "date", "criteria": ">", "value": dt.date(1900, 1, 1),
                "error_message": "Type a date such as 2024-12-31, or leave it blank."})
    top = len(SETTING_ROWS) + 6
    sheet.write_string(top - 1, 0, SEGMENTS_NOTE, styles.note)
    plan = len(SEGMENT_HEADER)
    sheet.write_string(top - 1, plan, PLAN_NOTE, styles.note)
    sheet.write_row(top, 0, SEGMENT_HEADER + SEGMENT_PLAN_HEADER, styles.header)
    sheet.set_row(top, 30)
    for offset, rule in enumerate(settings.segments, start=top + 1):
        sheet.write_string(offset, 0, rule.name, cell)
        sheet.write_row(offset, 1, [rule.r_min, rule.r_max, rule.f_min, rule.f_max, rule.m_min, rule.m_max], cell)
        sheet.write_string(offset, 7, rule.action, cell)
        channel, cost, holdout, do_not_contact = segment_plan_values(rule)
        sheet.write_string(offset, plan, channel, cell)
        sheet.write_number(offset, plan + 1, cost, money)
        sheet.write_number(offset, plan + 2, holdout, share)
        sheet.write_string(offset, plan + 3, do_not_contact, cell)
    last = top + len(settings.segments) + 10
    sheet.data_validation(top + 1, 1, last, 6, {
        "validate": "integer", "criteria": "between", "minimum": 1, "maximum": 5,
        "error_message": "Segment limits are whole numbers from 1 to 5."})
    sheet.data_validation(top + 1, plan, last, plan, {
        "validate": "list", "source": list(CHANNELS), "error_type": "information",
        "error_message": "A channel not in the list is fine too."})
    sheet.data_validation(top + 1, plan + 2, last, plan + 2, {
        "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1,
        "error_message": "A percentage from 0% to 100%, e.g. 10%."})
    sheet.data_validation(top + 1, plan + 3, last, plan + 3, {"validate": "list", "source": [YES, NO]})
    sheet.freeze_panes(4, 0)
    printable(sheet)
    return sheet


def _write_start_here(book: xlsxwriter.Workbook, styles: Styles, button: bool = False):
    """The owner's five steps; with ``button``, step 3 is the Score customers button beside them."""
    sheet = book.add_worksheet(START_HERE)
    sheet.hide_gridlines(2)
    printable(sheet)
    sheet.set_column(0, 0, 110)
    sheet.write_string(0, 0, "Score your customers in five steps", styles.title)
    sheet.set_row(0, 24)
    step = book.add_format({"font_size": 12})
    for row, line in enumerate(START_STEPS, start=2):
        sheet.write_string(row, 0, BUTTON_STEP if button and line.startswith("3.") else line, step)
    if button:
        sheet.insert_button(2, 1, {"macro": SCORE_MACRO, "caption": "Score customers", "width": 160, "height": 44,
                                   "x_offset": 12})
    for row, line in enumerate(START_NOTES, start=len(START_STEPS) + 3):
        sheet.write_string(row, 0, line, styles.note)
    return sheet


def _write_orders(book: xlsxwriter.Workbook, styles: Styles, orders: pd.DataFrame | None):
    """The Orders sheet as an Excel table named Orders: the template's headings, or those of ``orders``."""
    sheet = book.add_worksheet(ORDERS)
    if orders is None:
        columns = [(name, width, kind) for name, width, kind in ORDER_COLUMNS]
        values = []
    else:
        mapped = {header: column for column, header in map_columns(list(orders.columns)).items()}
        kinds = {"order_date": "date", "amount": "money", "price": "money"}
        columns = [(str(h), max(12, len(str(h)) + 4), kinds.get(mapped.get(h))) for h in orders.columns]
        values = [_typed(orders[h], mapped.get(h)).tolist() for h in orders.columns]
    for col, (_, width, kind) in enumerate(columns):
        sheet.set_column(col, col, width, styles.kind(kind) if kind else None)
    for col, column in enumerate(values):
        for row, value in enumerate(column, start=1):
            _write_value(sheet, row, col, value)
    rows = len(values[0]) if values else 0
    sheet.add_table(0, 0, max(rows, 1), len(columns) - 1, {
        "name": "Orders", "style": "Table Style Light 9", "columns": [{"header": h} for h, _, _ in columns]})
    sheet.freeze_panes(1, 0)
    printable(sheet, 1)
    return sheet


def _typed(values: pd.Series, column: str | None) -> pd.Series:
    """Text from a CSV as the cell values Excel would hold: dates, numbers, or text (IDs stay text)."""
    if column == "order_date":
        dates = pd.Series(parse_dates(values)[0], index=values.index)
        return dates.astype(object).where(dates.notna(), values)
    if column in ("customer_id", "order_id"):
        return values
    numbers = pd.Series(parse_numbers(values), index=values.index)
    return numbers.astype(object).where(numbers.notna(), values)


def _write_value(sheet, row: int, col: int, value):
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        sheet.write_datetime(row, col, pd.Timestamp(value).to_pydatetime())
    elif isinstance(value, str):
        sheet.write_string(row, col, value)
    else:
        sheet.write_number(row, col, float(value))


def build_template(path: str | Path, orders: pd.DataFrame | None = None, settings: Settings | None = None) -> Path:
    """Write a template workbook to ``path``; ``orders`` (with the template's headers) pre-fills Orders.

    An .xlsm ``path`` gets the Score customers button and its VBA project (see rfm_excel/vba), and a
    hidden xlwings.conf sheet naming the worksheet functions' module.
    """
    path = Path(path)
    macros = path.suffix.lower() == ".xlsm"
    book = xlsxwriter.Workbook(str(path), {"default_date_format": "yyyy-mm-dd", "strings_to_formulas": False,
                                          "strings_to_numbers": False, "strings_to_urls": False})
    book.set_properties({"title": "Customer scoring (RFM)", "created": dt.datetime(2026, 1, 1)})
    styles = Styles(book, (settings or Settings()).currency_symbol)
    _write_start_here(book, styles, button=macros).activate()
    _write_orders(book, styles, orders)
    write_settings_sheet(book, styles, settings)
    if macros:
        conf = book.add_worksheet(XLWINGS_CONF)
        for row, pair in enumerate(XLWINGS_SETTINGS):
            conf.write_row(row, 0, pair)
        conf.hide()
        book.add_vba_project(io.BytesIO(vba_project([f"Sheet{n + 1}" for n in range(len(book.worksheets()))])),
                             is_stream=True)
    book.close()
    return path
