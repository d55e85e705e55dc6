"""The template's own sheets, described once for both writers: Start Here (before and after a run),
Orders and Settings."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..base.excel import plain_integers
from ..base.orders import parse_dates, parse_numbers
from ..base.reading.columns import map_columns
from ..base.settings import (
    CHANNELS,
    DATE,
    NO,
    SEGMENT_HEADER,
    SEGMENT_PLAN_HEADER,
    SETTING_ROWS,
    YES,
    Settings,
    segment_plan_values,
)
from ..base.sheet_names import ORDERS, SETTINGS, START_HERE, Placement, quoted
from ..core import Result
from . import theme
from .blocks import Area, Button, Cell, Cells, Column, Printing, SheetLayout, Table, Validation, text_lines
from .wording import start_here_links, start_here_news

ORDER_COLUMNS = [("Customer ID", 14, "id"), ("Order ID", 14, "id"), ("Order Date", 13, "date"),
                 ("Amount", 12, "money"), ("Customer Name", 24, "text"), ("Email", 28, "text")]
ORDERS_TABLE = "Orders"
SCORE_MACRO = "ScoreCustomers"  # in the .xlsm's VBA project (writers/headless/vba/RfmExcel.bas)

START_HERE_ROWS = 14  # cells A1:A14 of Start Here are the tool's; a run rewrites them and nothing else there
START_TITLE = "Score your customers in five steps"
START_STEPS = [
    "1.  Paste your orders into the Orders sheet, under its headings: one row per order, or per order line.",
    "2.  Look over the Settings sheet: change the yellow cells if you like; a blank cell uses the default.",
    "3.  Save and close the workbook, score it with rfm-excel, and open it again.",
    "4.  This sheet then shows the headline: your customers, whom to contact this week, the money at stake.",
    "5.  Segments says what each group means and what to offer it; Contact Plan says whom to contact and when.",
]
BUTTON_STEP = "3.  Click Score customers (the button on the right); the sheets appear when it is done."
LITE_STEP = ("3.  In the xlwings Lite pane on the right (Home > xlwings Lite), wait until it is ready and run Score "
             "customers; the sheets appear when it is done.")
AGAIN = ("To score again, add the new orders to the Orders sheet, save and close the workbook, and score it with "
         "rfm-excel.")
BUTTON_AGAIN = "To score again, add the new orders to the Orders sheet and click Score customers."

SETTINGS_HELP = "Change the yellow cells. A blank cell uses the default."
SEGMENTS_NOTE = ("Segments: the first row that matches a customer's scores names their segment. "
                 "Limits are on a 1-5 scale where 5 is best.")
PLAN_NOTE = ("For the Contact Plan: Holdout % = share kept back as a control group; "
             "Do Not Contact = Yes leaves the segment out.")
# The Settings sheet's column widths in characters, as (first column, last column, width), zero-based:
# setting, value, five narrow columns under "What it means" (the segment table's limits), its text,
# then the segment table's plan columns.
SETTINGS_COLUMNS = [(0, 0, 36), (1, 1, 18), (2, 6, 9), (7, 7, 80), (8, 8 + len(SEGMENT_PLAN_HEADER) - 1, 12)]
SETTINGS_HEADER_ROW = 3


def start_here_sheet(result: Result | None = None, scored_at: dt.datetime | None = None,
                     button: bool = False, lite: bool = False, placement: Placement | None = None) -> SheetLayout:
    """Start Here: before the first run (``result`` None) five steps, with the Score customers button beside
    them in an .xlsm, or the xlwings Lite step where ``lite``; after a run, when and on what it was scored, the
    headline and links to the sheets (named as the tool's are in the workbook, ``placement``)."""
    named = placement.names if placement is not None else {}
    if result is None:
        third = BUTTON_STEP if button else LITE_STEP if lite else None
        steps = [third if third and step.startswith("3.") else step for step in START_STEPS]
        block = text_lines([START_TITLE, "", *steps], style=theme.STEP)
    else:
        assert scored_at is not None  # given with the result
        news = start_here_news(result, scored_at)
        headlines: list[list[Cell | None]] = [[Cell(line, theme.HEADLINE)] for line in news[1:]]
        links: list[list[Cell | None]] = [[Cell(f"{name}: {what}", theme.LINK, f"{quoted(name)}!A1")]
                                          for sheet, what in start_here_links(result)
                                          for name in [named.get(sheet, sheet)]]
        block = Cells(0, 0, [[Cell("Your customers", theme.TITLE)], [], [Cell(news[0], theme.NOTE)], [],
                             *headlines, [], *links, [],
                             [Cell(BUTTON_AGAIN if button else AGAIN, theme.STEP)]])
    assert block.bottom < START_HERE_ROWS
    return SheetLayout(named.get(START_HERE, START_HERE), blocks=[block], widths={0: 104}, heights={0: 24},
                       gridlines=False, printing=Printing(), owned=Area(0, 0, START_HERE_ROWS - 1, 0),
                       buttons=[Button(2, 1, SCORE_MACRO, "Score customers", 160, 44)] if button else [])


def orders_sheet(orders: pd.DataFrame | None = None) -> SheetLayout:
    """The Orders sheet as an Excel table named Orders: the template's headings, or ``orders`` under their
    own headers (``order_cells``: text from a CSV becomes the dates and numbers Excel would hold). IDs that
    are all plain numbers are written as numbers; the others stay text, which Excel is told not to flag."""
    texts: dict[str, pd.Series]
    if orders is None:
        frame, texts = pd.DataFrame({name: pd.Series(dtype=object) for name, _, _ in ORDER_COLUMNS}), {}
        columns = [Column(name, kind, width, theme.column_style(kind)) for name, width, kind in ORDER_COLUMNS]
    else:
        mapped = {header: column for column, header in map_columns(list(orders.columns)).items()}
        frame, texts = order_cells(orders)
        kinds = {"order_date": "date", "amount": "money", "price": "money", "customer_id": "id", "order_id": "id"}
        columns = [Column(str(h), kind := kinds.get(mapped.get(h, ""), "text"), max(12, len(str(h)) + 4),
                          theme.column_style(kind)) for h in orders.columns]
    table = Table(0, frame, columns, name=ORDERS_TABLE, texts=texts)
    ids = [c for c, column in enumerate(columns) if column.kind == "id" and not plain_integers(frame[column.header])]
    return SheetLayout(ORDERS, blocks=[table], widths={c: column.width for c, column in enumerate(columns)},
                       freeze=(1, 0), printing=Printing(repeat_rows=(0, 0)),
                       numbers_as_text=[Area(1, c, table.bottom, c) for c in ids])


def order_cells(orders: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """The cells of an Orders sheet made from ``orders`` (a CSV's texts, or values as a program holds them),
    column by column, and per column of dates or numbers the texts of the cells that are neither.

    The order date becomes dates and the amount, quantity and price numbers where the cleaning reads them
    so (what it cannot read stays the text it was); every other column is copied as it is: text as text
    (00123, 07700900123 and 1E5 unchanged), numbers and dates as they are.
    """
    mapped = {header: column for column, header in map_columns(list(orders.columns)).items()}
    cells, texts = {}, {}
    for position, header in enumerate(orders.columns):
        values = orders.iloc[:, position]
        column = mapped.get(header)
        if column == "order_date":
            typed = pd.Series(parse_dates(values)[0])
        elif column in ("amount", "quantity", "price"):
            typed = pd.Series(parse_numbers(values))
        else:
            typed = pd.Series(_own_numbers(values))
        text = pd.Series(_own_texts(values), dtype=object)
        if typed.isna().all():  # a column of text
            cells[header] = text
        else:
            cells[header], texts[header] = typed, text.where(typed.isna(), None)
    return pd.DataFrame(cells, copy=False), texts


def _own_numbers(values: pd.Series) -> np.ndarray:
    """The values that are numbers, NaN for text, dates and blanks (a date in a column of other values
    stays the text it shows)."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    converted = np.array([np.nan if isinstance(v, (bool, str, dt.date, pd.Timestamp)) else _float(v)
                          for v in distinct], dtype=float)
    return np.where(codes < 0, np.nan, converted.take(codes) if len(converted) else np.nan)


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def _own_texts(values: pd.Series) -> np.ndarray:
    """Each value's text as it is written, None for a blank."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    converted = np.array([None if v == "" else str(v) for v in distinct] + [None], dtype=object)
    return converted.take(codes)  # code -1 takes the None at the end


def settings_sheet(settings: Settings | None = None) -> SheetLayout:
    """A Settings sheet showing ``settings`` (defaults when None): each setting in a yellow cell with what it
    means beside it and a drop-down or a check where it has fixed choices or limits, then the segment table."""
    settings = settings or Settings()
    date = theme.INPUT.with_format("yyyy-mm-dd")
    rows: list[list] = [[Cell("Settings", theme.TITLE)], [Cell(SETTINGS_HELP, theme.NOTE)], [],
                        [Cell(text, theme.HEADER) for text in ("Setting", "Value", "What it means", *[None] * 5)]]
    validations = []
    for row, setting in enumerate(SETTING_ROWS, start=SETTINGS_HEADER_ROW + 1):
        value = setting.on_sheet(settings)
        style = date if isinstance(value, dt.date) else \
            theme.INPUT.with_format(setting.rule.number_format) if setting.rule.number_format else theme.INPUT
        rows.append([Cell(setting.label, theme.BOLD), Cell(value if value != "" else None, style), Cell(setting.help)])
        where = Area(row, 1, row, 1)
        if setting.choices:
            validations.append(Validation(where, "list", setting.choices))
        elif setting.rule is DATE:
            validations.append(Validation(where, "date", minimum=dt.date(1900, 1, 1),
                                          message="Type a date such as 2024-12-31, or leave it blank."))
    plan = len(SEGMENT_HEADER)
    note = [Cell(SEGMENTS_NOTE, theme.NOTE)] + [None] * (plan - 1) + [Cell(PLAN_NOTE, theme.NOTE)]
    top = len(rows) + 1
    rows += [[], note, [Cell(header, theme.HEADER) for header in SEGMENT_HEADER + SEGMENT_PLAN_HEADER]]
    money = theme.Style(fill=theme.INPUT_YELLOW, border=theme.BORDER_GREY, number_format="0.00")
    share = theme.Style(fill=theme.INPUT_YELLOW, border=theme.BORDER_GREY, number_format="0%")
    for rule in settings.segments:
        channel, cost, holdout, do_not_contact = segment_plan_values(rule)
        rows.append([Cell(v, theme.INPUT) for v in (rule.name, rule.r_min, rule.r_max, rule.f_min, rule.f_max,
                                                    rule.m_min, rule.m_max, rule.action, channel)]
                    + [Cell(cost, money), Cell(holdout, share), Cell(do_not_contact or None, theme.INPUT)])
    header = top + 1
    last = header + len(settings.segments) + 10
    validations += [
        Validation(Area(header + 1, 1, last, 6), "whole", minimum=1, maximum=5,
                   message="Segment limits are whole numbers from 1 to 5."),
        Validation(Area(header + 1, plan, last, plan), "list", CHANNELS,
                   message="A channel not in the list is fine too.", strict=False),
        Validation(Area(header + 1, plan + 2, last, plan + 2), "decimal", minimum=0, maximum=1,
                   message="A percentage from 0% to 100%, e.g. 10%."),
        Validation(Area(header + 1, plan + 3, last, plan + 3), "list", (YES, NO))]
    widths: dict[int, float] = {col: width for first, final, width in SETTINGS_COLUMNS
                                for col in range(first, final + 1)}
    return SheetLayout(SETTINGS, blocks=[Cells(0, 0, rows)], widths=widths, heights={header: theme.HEADER_HEIGHT},
                       validations=validations, merges=[Area(SETTINGS_HEADER_ROW, 2, SETTINGS_HEADER_ROW, 7)],
                       freeze=(SETTINGS_HEADER_ROW + 1, 0), printing=Printing())


def settings_grid(settings: Settings | None = None) -> list[list]:
    """The values of a Settings sheet showing ``settings``, as rows of cells from A1 (None = blank)."""
    cells = settings_sheet(settings).cells()
    rows: list[list] = [[] for _ in range(max(r for r, _ in cells) + 1)]
    for (r, c), cell in sorted(cells.items()):
        if cell.value is not None:
            rows[r] += [None] * (c - len(rows[r])) + [cell.value]
    return rows
