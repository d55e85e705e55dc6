"""What each output sheet looks like, described once for every writer (headless file or live Excel)."""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..base.excel import MAX_COLUMNS, MAX_ROWS
from ..base.settings import BEST_LOWEST
from ..base.sheet_names import (
    CAMPAIGN_RESULTS,
    CONTACT_PLAN,
    CUSTOMER_PROFILE,
    DATA_ISSUES,
    FORECAST,
    MOVEMENT,
    PRODUCTS,
    PROSPECT_SCORES,
    SCORE_HISTORY,
    SCORES,
    SEGMENTS,
    SETTINGS,
    START_HERE,
    Placement,
)
from ..core import Result
from ..domain.campaign import RESULT_COLUMNS
from ..domain.forecast import BGNBD_NAME, MODIFIED_NAME
from ..domain.history import Movement, empty_history, from_sheet, to_sheet
from . import theme
from .blocks import (
    PRINT_WIDTH_PIXELS,
    SMALLEST_PRINT_SCALE,
    Area,
    Cell,
    Cells,
    Chart,
    ColourScale,
    Column,
    Overflow,
    Printing,
    Series,
    SheetLayout,
    Table,
    fits_on_a_page,
    pixels,
    shifted,
    text_lines,
)
from .headers import HEADERS, headers, shown
from .issue_words import issue_table
from .template import settings_sheet, start_here_sheet
from .wording import (
    campaign_notes,
    counted,
    forecast_notes,
    issue_totals,
    overflow_note,
    plan_summary,
    products_notes,
    profile_notes,
    prospect_notes,
    reasons_text,
    rows_summary,
    run_note,
    segment_meanings,
    taken_note,
)

GRID_WIDTH = 11  # characters per value column of a grid
WIDEST = 60  # characters: a longer text is cut off on screen and on paper rather than widen its column further
TEXT_PIXELS = 7.5  # the width of a character of text, allowing for wide letters (digits are 7)
SEGMENT_TEXT_WIDTHS = {"What it means": 34, "Recommended Action": 44}  # wrapped on the Segments sheet
ROW_PIXELS = 20  # a row of the default height
CHART_WIDTH = 760  # pixels
OPENS_ON = (START_HERE, SEGMENTS)  # a scored workbook opens on the first of these it has
FORECAST_KINDS = {"P(Active)": "percent", "Expected Orders": "decimal", "Predicted Value": "money",
                  "Expected Next Order": "date", "Avg P(Active)": "percent", "Total Predicted Value": "money"}
ISSUES_BLOCK_COLUMN = 3  # Data Issues' totals stand above the Problem, Action and Amount columns
TOP_PRODUCTS, TOP_PER_SEGMENT = 10, 3  # rows of the Products sheet's best-product blocks
PROSPECT_COLUMNS = 6  # the prospects' own first columns shown beside their scores
INDEX_COLOURS = (50, 100, 200)  # Customer Profile's index: red at 50 or less, white at 100, green from 200
HISTORY_CHART_SNAPSHOTS = 24  # Score History charts the segment sizes of the latest snapshots only


def _width(table: pd.DataFrame, header: str, kind: str) -> float:
    """Characters for a column: its longest value (of the first 2,000), its header on at most two lines."""
    words = header.split()
    header_width = max(max(len(word) for word in words), math.ceil(len(header) / 2)) if words else 0
    if kind == "date":
        longest = 10
    else:
        sample = table[header].head(2000).map(lambda v: len(f"{v:,.2f}") if isinstance(v, float) else len(str(v)))
        longest = int(sample.max()) if len(sample) else 0
    return float(min(max(header_width, longest, 3) + 2, WIDEST))


def _columns(table: pd.DataFrame, kinds: dict[str, str], currency: str,
             widths: Mapping[str, float] | None = None) -> list[Column]:
    columns = []
    for header in table.columns:
        kind = kinds.get(header, "text")
        width = (widths or {}).get(header) or _width(table, header, kind)
        style = theme.TEXT if widths and header in widths else theme.column_style(kind, currency)
        columns.append(Column(header, kind, width, style))
    return columns


def _notes(lines: list[str], width: float, least_pixels: int = 0) -> list[str]:
    """The title and notes on top, each note wrapped to the sheet's printed width: ``width`` in characters
    (or ``least_pixels``, a chart's width, if wider), at most what a page holds at the smallest print scale."""
    wide = min(max(pixels(width), least_pixels), PRINT_WIDTH_PIXELS / SMALLEST_PRINT_SCALE)
    chars = max(int(wide / TEXT_PIXELS), 60)
    return lines[:1] + [part for line in lines[1:]
                        for part in textwrap.wrap(line, chars, break_on_hyphens=False) or [""]]


def _table_sheet(name: str, lines: list[str], table: Table, above: list | None = None,
                 extra_widths: dict[int, float] | None = None) -> SheetLayout:
    """A sheet of a few lines of text, optional blocks under them (grids), then a table; frozen and filtered
    at the table's header when nothing stands between the lines and it."""
    widths = {table.col + c: column.width for c, column in enumerate(table.columns)}
    for col, width in (extra_widths or {}).items():
        widths[col] = max(widths.get(col, 0), width)
    layout = SheetLayout(name, blocks=[*(above or []), table], widths=widths,
                         heights={table.row: theme.HEADER_HEIGHT})
    if lines:
        layout.blocks.insert(0, text_lines(lines))
        layout.heights[0] = theme.TITLE_HEIGHT
    if not above:
        layout.freeze = (table.row + 1, 0)
    return with_printing(layout)


def with_printing(layout: SheetLayout, breaks: tuple[int, ...] = ()) -> SheetLayout:
    """Landscape with the table's header on every page; one page wide when that keeps it at 70% or more,
    else at 70% with the first column on every page too, pages across; new pages at ``breaks``."""
    chart_right = max([pixels(sum(layout.widths.get(c, 8.43) for c in range(chart.col))) + chart.width
                       for chart in layout.charts], default=0)
    fits = fits_on_a_page(layout.widths, max(layout.widths), chart_right)
    row = layout.table.row
    layout.printing = Printing(fit_width=fits, repeat_rows=(row, row), repeat_columns=None if fits else (0, 0),
                               breaks=breaks, scale=None if fits else round(SMALLEST_PRINT_SCALE * 100))
    return layout


def _place(lines: list[str], frame: pd.DataFrame, columns: list[Column], gap: int = 0,
           least_pixels: int = 0) -> tuple[list[str], int]:
    """The lines wrapped to the table's width (or ``least_pixels``), and the row under them and ``gap`` more."""
    wrapped = _notes(lines, sum(column.width for column in columns), least_pixels) if lines else []
    return wrapped, (len(wrapped) + 1 if wrapped else 0) + gap


def scores_sheet(result: Result) -> SheetLayout:
    table = shown(result.scores)
    kinds = {"Customer ID": "id", "First Order": "date", "Last Order": "date", "Recency (days)": "int",
             "Frequency": "int", "Monetary": "money", "R": "score", "F": "score", "M": "score", "RFM Code": "code",
             "RFM Score": "score" if table["RFM Score"].dtype.kind == "i" else "decimal"}
    for header in ("Returns", "Complaints", "Enquiries", "Tenure (days)"):
        kinds[header] = "int"
    kinds["Return Share"] = "percent"
    kinds.update(FORECAST_KINDS)
    s = result.settings
    scaled = []
    for letter, dimension in zip("RFM", ("recency", "frequency", "monetary"), strict=True):
        top = s.bins(dimension)
        scaled.append((letter, *((top, 1) if s.best_score == BEST_LOWEST else (1, top))))
    for header in ("Returns Score", "Complaints Score", "Enquiries Score", "Tenure Score"):
        if header in table:
            kinds[header] = "score"
            scaled.append((header, *((5, 1) if s.best_score == BEST_LOWEST else (1, 5))))
    block = Table(0, table, _columns(table, kinds, result.currency_symbol))
    layout = _table_sheet(SCORES, [], block)
    layout.colour_scales = [score_scale(block.column_area(header), worst, best) for header, worst, best in scaled]
    return layout


def score_scale(area: Area, worst: float, best: float) -> ColourScale:
    """Red (worst) through amber to green (best) over scores from ``worst`` to ``best``."""
    (low, low_colour), (high, high_colour) = sorted([(worst, theme.WORST), (best, theme.BEST)])
    return ColourScale(area, (low_colour, theme.MIDDLE, high_colour), (low, (low + high) / 2, high))


def grid(title: str, table: pd.DataFrame, style: theme.Style | list[theme.Style], row: int, col: int,
         corner: str = "", label_width: float = 0) -> tuple[Cells, ColourScale, dict[int, float], bool]:
    """A small labelled table of numbers coloured as a heat map (light = few, dark = many): its cells (title
    at (row, col), column labels under it, then the rows), the heat map (for the caller to use or not), the
    widths its columns need and whether its column labels need two lines. ``style`` is the values' style,
    or one per column."""
    labels = [str(label) for label in table.columns]
    styles = style if isinstance(style, list) else [style] * len(labels)
    rows: list[list[Cell | None]] = [[Cell(title, theme.BOLD)],
                                     [Cell(corner, theme.HEADER), *[Cell(label, theme.HEADER) for label in labels]]]
    for label, values in zip(table.index, table.to_numpy().tolist(), strict=True):
        rows.append([Cell(str(label), theme.HEADER),
                     *[Cell(None if pd.isna(v) else v, column_style)
                       for v, column_style in zip(values, styles, strict=False)]])
    heat = ColourScale(Area(row + 2, col + 1, row + 1 + len(table), col + len(labels)),
                       (theme.HEAT_LOW, theme.HEAT_HIGH))
    longest = max([len(corner)] + [len(str(label)) for label in table.index])
    widths = {col: max(longest + 2, label_width), **{col + 1 + i: GRID_WIDTH for i in range(len(labels))}}
    return Cells(row, col, rows), heat, widths, max(len(label) for label in labels) > GRID_WIDTH


def _rf_labels(table: pd.DataFrame) -> pd.DataFrame:
    """An R x F grid with its labels spelt out: "Recency 5" down, "Frequency 1" across."""
    return table.set_axis([str(r).replace("R ", "Recency ") for r in table.index], axis=0).set_axis(
        [str(f).replace("F ", "Frequency ") for f in table.columns], axis=1)


def segments_sheet(result: Result, scored_at: dt.datetime, notes: Sequence[str] = ()) -> SheetLayout:
    """The segment table with what each segment means and what to do, the chart of shares under it and
    the R x F grids under the chart, all within the table's columns so that the sheet prints one page wide;
    the run note above the table, ``notes`` under it."""
    summary = shown(result.segments)
    meanings = segment_meanings(result.settings.segments, summary["Segment"])
    table = pd.DataFrame({"Segment": summary["Segment"], "Customers": summary["Customers"],
                          "% of Customers": summary["% of Customers"], "% of Revenue": summary["% of Revenue"],
                          "Revenue": summary["Revenue"], "Avg Recency (days)": summary["Avg Recency (days)"],
                          "Avg Frequency": summary["Avg Frequency"], "Avg Monetary": summary["Avg Monetary"],
                          "What it means": meanings, "Recommended Action": summary["Recommended Action"]})
    for header in ("Avg P(Active)", "Total Predicted Value"):  # with a forecast
        if header in summary:
            table.insert(list(table.columns).index("What it means"), header, summary[header])
    kinds = {"Customers": "int", "% of Customers": "percent", "Revenue": "money", "% of Revenue": "percent",
             "Avg Recency (days)": "int", "Avg Frequency": "decimal", "Avg Monetary": "money", **FORECAST_KINDS}
    columns = [replace(column, style=replace(column.style, valign="top"))  # beside texts of two or three lines
               for column in _columns(table, kinds, result.currency_symbol, SEGMENT_TEXT_WIDTHS)]
    lines, top = _place(["Customer segments", *run_note(result, scored_at), *notes], table, columns)
    block = Table(top, table, columns)
    layout = _table_sheet(SEGMENTS, lines, block)
    for row, texts in enumerate(table[list(SEGMENT_TEXT_WIDTHS)].itertuples(index=False), start=top + 1):
        lines_needed = max(len(textwrap.wrap(str(text), int(SEGMENT_TEXT_WIDTHS[header] * 1.05)) or [""])
                           for header, text in zip(SEGMENT_TEXT_WIDTHS, texts, strict=True))
        if lines_needed > 1:
            layout.heights[row] = theme.LINE_HEIGHT * lines_needed
    rows = len(table)
    chart = Chart("bar", "Share of customers and of revenue by segment", block.column_area("Segment"),
                  tuple(Series((top, block.headers.index(header)), block.column_area(header))
                        for header in ("% of Customers", "% of Revenue")),
                  row=block.bottom + 2, col=0, width=CHART_WIDTH, height=32 * rows + 100,
                  value_format=theme.number_format("percent"))
    layout.charts = [chart]
    below = grids_top = chart.row + math.ceil(chart.height / ROW_PIXELS) + 1
    if result.rf_customers is not None:
        money = theme.column_style("money", result.currency_symbol)
        for title, values, style in (("Customers by Recency and Frequency score", result.rf_customers,
                                      theme.column_style("int")),
                                     ("Average Monetary by Recency and Frequency score", result.rf_monetary, money)):
            cells, heat, widths, _ = grid(title, _rf_labels(values), style, below, 0, label_width=layout.widths[0])
            layout.blocks.append(cells)
            layout.colour_scales.append(heat)
            for col, width in widths.items():
                layout.widths[col] = max(layout.widths.get(col, 0), width)
            below = cells.bottom + 2
    return with_printing(layout, breaks=(grids_top,))  # the grids on a page of their own, not cut


def issues_sheet(result: Result) -> SheetLayout:
    """The one-line account of the rows, a block of totals per problem (rows and money), then every issue."""
    table = issue_table(result.issues)  # each record in words; the totals count the codes
    headline = rows_summary(result) if len(table) else \
        f"No problems found: all {result.rows_read:,} order rows were used."
    where = f"Row is the row number in {result.source}; nothing listed here was changed in your orders. " \
        "Amount is the row's amount as used (for a customer not scored, what their orders net to)."
    columns = _columns(table, {"Row": "row", "Amount": "money"}, result.currency_symbol)
    lines, top = _place(["Data issues", headline, where], table, columns)
    totals = issue_totals(result.issues)
    if not len(totals):
        return _table_sheet(DATA_ISSUES, lines, Table(top, table, columns))
    styles = [theme.column_style("int"), theme.column_style("money", result.currency_symbol)]
    cells, _, widths, _ = grid("At a glance: what was skipped or changed, and the money on those rows", totals,
                               styles, top, ISSUES_BLOCK_COLUMN, "Problem")
    widths = {col: width for col, width in widths.items() if col != ISSUES_BLOCK_COLUMN}  # Problem's own width
    return _table_sheet(DATA_ISSUES, lines, Table(cells.bottom + 2, table, columns), above=[cells],
                        extra_widths=widths)


def contact_plan_sheet(result: Result) -> SheetLayout:
    table = shown(result.plan)
    kinds = {"Customer ID": "id", "Segment": "code", "Plan": "code", "Contact On": "date", "Channel": "code",
             "Cost": "money", "Last Order": "date", "Usual Gap (days)": "int", "Next Order Due": "date",
             "Days Overdue": "int", "Overdue (gaps)": "decimal", "Usual Month": "code", "Reorder Due": "date",
             **FORECAST_KINDS}
    columns = _columns(table, kinds, result.currency_symbol)
    lines, top = _place(["Contact plan", plan_summary(result.plan, result.currency_symbol),
                         "Plan: Contact = contact on the date given, by the channel given; Control = held out to "
                         "measure the campaign (do not contact); Left out = bought recently, or in a segment marked "
                         "Do Not Contact. rfm-excel export writes the Contact rows to a CSV file."], table, columns)
    return _table_sheet(CONTACT_PLAN, lines, Table(top, table, columns))


def movement_sheet(movement: Movement | None, currency_symbol: str = "") -> SheetLayout:
    """The migration matrix above the list of customers whose segment fell."""
    if movement is None:
        table = pd.DataFrame(columns=["Customer ID", "Segment Then", "Segment Now", "RFM Then", "RFM Now"])
        columns = _columns(table, {"Customer ID": "id"}, currency_symbol)
        lines, top = _place(["Movement between segments",
                             "Needs two snapshots in Score History: score again on a later date, or score past dates "
                             "with --as-of to fill it in."], table, columns)
        return _table_sheet(MOVEMENT, lines, Table(top, table, columns))
    matrix, fallers = shown(movement.matrix), shown(movement.fallers)
    total = int(matrix.to_numpy().sum())
    stayed = sum(int(matrix.loc[s, s]) for s in matrix.index if s in matrix.columns)
    kinds = {"Customer ID": "id", "Segment Then": "code", "Segment Now": "code", "RFM Then": "code", "RFM Now": "code",
             "Monetary": "money", "Last Order": "date"}
    columns = _columns(fallers, kinds, currency_symbol)
    texts = ["Movement between segments",
             f"From {movement.earlier:%Y-%m-%d} to {movement.later:%Y-%m-%d}: {counted(total, 'customer')}, "
             f"{total - stayed:,} changed segment and {len(fallers):,} fell to a segment lower in the segment table "
             "(listed under the matrix, best customers first).",
             "Rows: segment then; columns: segment now; the diagonal holds those who stayed. "
             "Compare other dates with: rfm-excel compare BOOK --from DATE --to DATE."]
    title = f"Customers by segment on {movement.earlier:%Y-%m-%d} (rows) and {movement.later:%Y-%m-%d} (columns)"
    matrix_pixels = sum(pixels(width) for width in grid(title, matrix, theme.PLAIN, 0, 0, "Segment then")[2].values())
    lines, grid_row = _place(texts, fallers, columns, least_pixels=matrix_pixels)
    cells, heat, widths, tall = grid(title, matrix, theme.column_style("int"), grid_row, 0, "Segment then")
    layout = _table_sheet(MOVEMENT, lines, Table(cells.bottom + 2, fallers, columns), above=[cells],
                          extra_widths=widths)
    layout.colour_scales.append(heat)
    if tall:
        layout.heights[grid_row + 1] = theme.HEADER_HEIGHT
    return layout


def campaign_sheet(result: Result) -> SheetLayout:
    outcome = result.campaign
    if outcome is None:
        table = pd.DataFrame(columns=headers(RESULT_COLUMNS))
        texts = ["Campaign results",
                 "No campaign date in Settings. To measure a campaign: give segments a Holdout % in Settings, "
                 "contact only the Contact rows of the Contact Plan, then set Campaign date and score again "
                 "once the response window has passed."]
    else:
        table, texts = shown(outcome.table), ["Campaign results", *campaign_notes(outcome, result.as_of)]
    kinds = {name: "int" for name in headers(RESULT_COLUMNS) if "Customers" in name or "Responders" in name}
    kinds.update(dict.fromkeys(("Test Rate", "Control Rate", "Difference", "95% Low", "95% High"), "percent"))
    kinds.update(dict.fromkeys(("Test Revenue per Customer", "Control Revenue per Customer", "Incremental Revenue",
                                "Cost", "Net Gain"), "money"))
    columns = _columns(table, kinds, result.currency_symbol)
    lines, top = _place(texts, table, columns)
    return _table_sheet(CAMPAIGN_RESULTS, lines, Table(top, table, columns))


def history_sheet(result: Result) -> SheetLayout:
    """One row per customer and one column per snapshot; above it, the customers of each segment at each
    snapshot and their line chart."""
    history = result.history if result.history is not None else empty_history()
    table = shown(to_sheet(history))
    snapshots = len(table.columns) - 1
    cell = max([len(str(name)) + 4 for name in history["segment"].unique()] + [12])  # "554 " + the segment
    columns = [Column("Customer ID", "id", _width(table, "Customer ID", "id"), theme.column_style("id"))] + \
        [Column(header, "code", min(cell + 2, 26), theme.column_style("code")) for header in table.columns[1:]]
    lines, grid_row = _place(["Score history",
                              f"{counted(snapshots, 'snapshot')}: one row per customer, one column per as-of date (and "
                              "the day it was scored), each cell the RFM code and segment then. Scoring a date again "
                              "replaces its column; Movement compares the latest two. Keep this sheet: each run reads "
                              "it back and adds to it."], table, columns, least_pixels=CHART_WIDTH)
    sizes = segment_sizes(history, [rule.name for rule in result.settings.segments]).iloc[:, -HISTORY_CHART_SNAPSHOTS:]
    cells, _, widths, _ = grid("Customers in each segment at each as-of date", sizes, theme.column_style("int"),
                               grid_row, 0, "Segment", label_width=columns[0].width)
    chart = Chart("line", "Customers in each segment", Area(grid_row + 1, 1, grid_row + 1, len(sizes.columns)),
                  tuple(Series((grid_row + 2 + r, 0), Area(grid_row + 2 + r, 1, grid_row + 2 + r, len(sizes.columns)))
                        for r in range(len(sizes))),
                  row=cells.bottom + 2, col=0, width=CHART_WIDTH, height=260, value_format=theme.number_format("int"))
    top = chart.row + math.ceil(chart.height / ROW_PIXELS) + 1
    layout = _table_sheet(SCORE_HISTORY, lines, Table(top, table, columns), above=[cells], extra_widths=widths)
    layout.charts = [chart]
    return with_printing(layout, breaks=(top,))  # the customers' table from a new page


def history_from_sheet(rows: list[list] | None) -> pd.DataFrame:
    """The Score History (history.HISTORY_COLUMNS) from the cell values of its sheet, as ``history_sheet`` wrote it."""
    return from_sheet(rows, HEADERS["customer_id"])


def segment_sizes(history: pd.DataFrame, segment_names: list[str]) -> pd.DataFrame:
    """Customers per segment (rows: the segment table's order, then any others) at each as-of date (columns)."""
    counts = pd.crosstab(history["segment"], history["as_of_date"].dt.strftime("%Y-%m-%d"))
    order = list(dict.fromkeys(segment_names)) + [s for s in counts.index if s not in segment_names]
    return counts.reindex(index=order, fill_value=0).astype(int)


def forecast_sheet(result: Result) -> SheetLayout | None:
    """The forecast explained: the models' fitted parameters, then orders predicted against orders that happened
    for the last part of the history, as a table and a chart under it. None when Settings turn the forecast off."""
    outlook = result.forecast
    if outlook is None:
        return None
    headers = ["Repeat orders before the check", "Customers", "Orders that happened (average)",
               f"Predicted by {MODIFIED_NAME} (average)", f"Predicted by {BGNBD_NAME} (average)"]
    check = outlook.holdout
    if not outlook.available or check is None:
        table = pd.DataFrame(columns=headers)
        columns = _columns(table, {}, result.currency_symbol)
        lines, top = _place(["Forecast", *forecast_notes(outlook)], table, columns)
        return _table_sheet(FORECAST, lines, Table(top, table, columns))
    table = pd.DataFrame({headers[0]: check.table.index.astype(str), headers[1]: check.table["customers"].to_numpy(),
                          headers[2]: check.table["actual"].round(2).to_numpy(),
                          headers[3]: check.table[MODIFIED_NAME].round(2).to_numpy(),
                          headers[4]: check.table[BGNBD_NAME].round(2).to_numpy()})
    kinds = {headers[0]: "code", headers[1]: "int", **dict.fromkeys(headers[2:], "decimal")}
    columns = _columns(table, kinds, result.currency_symbol)
    lines, grid_row = _place(["Forecast", *forecast_notes(outlook)], table, columns, least_pixels=CHART_WIDTH)
    cells, _, widths, _ = grid("Fitted parameters", _parameter_table(outlook), theme.PLAIN, grid_row, 0, "Parameter")
    block = Table(cells.bottom + 2, table, columns)
    layout = _table_sheet(FORECAST, lines, block, above=[cells], extra_widths=widths)
    chosen = headers[3] if outlook.model == MODIFIED_NAME else headers[4]
    layout.charts = [Chart("bar", "Orders per customer in the check period: what happened and what the model "
                           "predicted", block.column_area(headers[0]),
                           tuple(Series((block.row, block.headers.index(header)), block.column_area(header))
                                 for header in (headers[2], chosen)),
                           row=block.bottom + 2, col=0, width=CHART_WIDTH, height=32 * len(table) + 100,
                           value_format=theme.number_format("decimal"))]
    return with_printing(layout)


def _parameter_table(outlook) -> pd.DataFrame:
    """The fitted parameters: r, alpha (in days), a, b of both purchase models; p, q, v of Gamma-Gamma in the
    BG/NBD column; and the time unit."""
    def rounded(value):
        return float(f"{value:.4g}")
    purchase = {name: [rounded(getattr(model, p)) for p in ("r", "alpha", "a", "b")]
                for name, model in ((BGNBD_NAME, outlook.bgnbd), (MODIFIED_NAME, outlook.modified_bgnbd))}
    value = [rounded(getattr(outlook.gamma_gamma, p)) for p in ("p", "q", "v")]
    unit = "days" if outlook.time_unit_days == 1 else f"{outlook.time_unit_days:g} days"
    return pd.DataFrame({BGNBD_NAME: purchase[BGNBD_NAME] + value + [unit],
                         MODIFIED_NAME: purchase[MODIFIED_NAME] + value + [unit]},  # one value model for both
                        index=["r", "alpha", "a", "b", "p", "q", "v", "time unit"])


def products_sheet(result: Result) -> SheetLayout | None:
    """What sells and what sells together: the best products by revenue and by customers and each segment's
    top products above, then the strongest pairs as a filterable table. None when the orders name no products."""
    offers = result.offers
    if offers is None:
        return None
    summary, money = offers.summary, result.currency_symbol
    pairs = shown(summary.pairs)
    kinds = {"Customers Who Bought Both": "int", "Share of Product's Buyers": "percent",
             "Share of Also Bought's Buyers": "percent", "Lift": "decimal"}
    columns = _columns(pairs, kinds, money)
    lines, row = _place(["Products", *products_notes(offers)], pairs, columns)
    best = [theme.PLAIN, theme.column_style("int"), theme.column_style("percent"), theme.column_style("money", money),
            theme.column_style("percent")]
    above: list[Cells] = []
    widths: dict[int, float] = {}
    tall_rows: list[int] = []
    for title, table in (("Best products by revenue", summary.best_by_revenue),
                         ("Best products by customers", summary.best_by_customers)):
        cells, _, needed, tall = grid(title, shown(table.head(TOP_PRODUCTS)).set_index("Product"), best, row, 0,
                                      "Product")
        above.append(cells)
        tall_rows += [cells.row + 1] if tall else []
        widths.update({col: max(widths.get(col, 0), width) for col, width in needed.items()})
        row = cells.bottom + 2
    tops = shown(summary.segment_top[summary.segment_top["rank"] <= TOP_PER_SEGMENT])
    named = (tops["Product Name"] + " (" + tops["Product"] + ")").where(tops["Product Name"].notna(), tops["Product"])
    tops = pd.DataFrame({"Product": named.to_numpy(), "Customers": tops["Customers"].to_numpy(),
                         "Share of Segment": tops["Share of Segment"].to_numpy(),
                         "Revenue": tops["Revenue"].to_numpy()},
                        index=tops["Segment"].to_numpy())
    cells, _, needed, tall = grid(f"Each segment's top {TOP_PER_SEGMENT} products", tops, best[:1] + best[1:4], row,
                                  0, "Segment")
    above.append(cells)
    tall_rows += [cells.row + 1] if tall else []
    widths.update({col: max(widths.get(col, 0), width) for col, width in needed.items()})
    widths[1] = max(widths.get(1, 0), min(max([len(str(v)) for v in tops["Product"]] + [10]) + 2, WIDEST))
    layout = _table_sheet(PRODUCTS, lines, Table(cells.bottom + 2, pairs, columns), above=above, extra_widths=widths)
    layout.heights.update(dict.fromkeys(tall_rows, theme.HEADER_HEIGHT))  # labels on two lines
    return layout


def profile_sheet(result: Result) -> SheetLayout | None:
    """What distinguishes the best customers: each attribute value's customers, shares and index, highest index
    first, with the check of whether the attributes tell best customers apart. None without a profile."""
    found = result.profile
    if found is None:
        return None
    table = shown(found.table)[["Attribute", "Value", "Customers", "Best Customers", "Share of Best", "Share of All",
                         "Index"]].copy()
    few = found.table["few"].to_numpy(dtype=bool)
    if few.any():
        table["Note"] = ["few customers" if marked else None for marked in few]
    kinds = {"Customers": "int", "Best Customers": "int", "Share of Best": "percent", "Share of All": "percent",
             "Index": "int", "Note": "code"}
    columns = _columns(table, kinds, result.currency_symbol)
    lines, top = _place(["Customer profile", *profile_notes(found, result.settings)], table, columns)
    block = Table(top, table, columns)
    layout = _table_sheet(CUSTOMER_PROFILE, lines, block)
    if len(table):
        layout.colour_scales = [ColourScale(block.column_area("Index"), (theme.WORST, theme.WHITE, theme.BEST),
                                            INDEX_COLOURS)]
    return layout


def prospects_sheet(result: Result) -> SheetLayout | None:
    """Every prospect with their own first columns, Score, Tier and Reasons, highest score first (as given when
    they are not scored). None without prospects."""
    found = result.profile
    if found is None or found.prospects is None:
        return None
    given = found.prospects
    own = given.iloc[:, :PROSPECT_COLUMNS].astype(object)
    own = own.where(own.notna(), None)
    table = own.copy()
    if found.scores is not None and found.reasons is not None:
        table["Score"] = found.scores["score"].to_numpy()
        table["Tier"] = found.scores["tier"].to_numpy()
        table["Reasons"] = reasons_text(found.reasons, given.index)
        table = table.iloc[np.argsort(-found.scores["score"].to_numpy(), kind="stable")].reset_index(drop=True)
    kinds = {"Score": "int", "Tier": "code"}
    columns = _columns(table, kinds, result.currency_symbol)
    lines, top = _place(["Prospect scores", *prospect_notes(found, result.settings, len(given))], table, columns)
    block = Table(top, table, columns)
    layout = _table_sheet(PROSPECT_SCORES, lines, block)
    if found.scores is not None and len(table):
        layout.colour_scales = [ColourScale(block.column_area("Score"), (theme.WHITE, theme.BEST))]
    return layout


def output_sheets(result: Result, scored_at: dt.datetime, book: Path | None = None,
                  placement: Placement | None = None, adding: Sequence[str] = ()) -> list[SheetLayout]:
    """Every sheet a run writes, in workbook order; with ``book`` (the workbook written), each cut to what a
    sheet holds (``fitted``), the run note on Segments saying what was left out and where it went; with
    ``placement``, each named as the tool's sheet is in that workbook, the run note saying which names the
    owner's sheets have, among these sheets and those the run is ``adding`` (default names) besides."""
    made = [scores_sheet(result), segments_sheet(result, scored_at), issues_sheet(result),
            contact_plan_sheet(result), movement_sheet(result.movement, result.currency_symbol),
            campaign_sheet(result), history_sheet(result), forecast_sheet(result), products_sheet(result),
            profile_sheet(result), prospects_sheet(result)]
    layouts = [layout for layout in made if layout is not None]
    if placement is not None:
        taken = taken_note(placement, [*adding, *(layout.name for layout in layouts)])
        if taken:
            layouts[1] = segments_sheet(result, scored_at, [taken])
        layouts = placed(layouts, placement)
    if result.settings.filter_column:  # each title says which orders were scored
        for layout in layouts:
            first = layout.blocks[0]
            if layout.lines and isinstance(first, Cells):
                title = first.rows[0][0]
                assert title is not None  # the first of the lines
                first.rows[0][0] = replace(title, value=f"{title.value} ({result.settings.filter_label})")
    if book is None:
        return layouts
    layouts = [fitted(layout, book) for layout in layouts]
    for layout in layouts:
        if layout.overflow is not None:
            _add_line(layouts[1], overflow_note(layout.name, layout.overflow))
    return layouts


def run_sheets(result: Result, scored_at: dt.datetime, placement: Placement, book: Path | None = None,
               button: bool = False) -> list[SheetLayout]:
    """Every sheet a run writes into a workbook, named as the tool's are there (``placement``): a Settings sheet
    of defaults where the workbook has none of the tool's, Start Here's part where it has the tool's Start Here,
    then the output sheets (``output_sheets``)."""
    settings = [] if placement.has(SETTINGS) else placed([settings_sheet()], placement)
    outputs = output_sheets(result, scored_at, book, placement, adding=[SETTINGS] if settings else [])
    start = [start_here_sheet(result, scored_at, button=button, placement=placement)] \
        if placement.has(START_HERE) else []
    return [*settings, *start, *outputs]


def opens_on(placement: Placement) -> tuple[str, ...]:
    """The sheets a scored workbook opens on, the first of them it has: the tool's Start Here, else Segments."""
    return tuple(placement[sheet] for sheet in OPENS_ON if sheet == SEGMENTS or placement.has(sheet))


def placed(layouts: list[SheetLayout], placement: Placement) -> list[SheetLayout]:
    """``layouts`` named as the tool's sheets are in a workbook (``placement``)."""
    return [replace(layout, name=placement[layout.name]) for layout in layouts]


def full_list(book: Path, sheet: str) -> Path:
    """The file beside ``book`` that holds the whole table of ``sheet`` when the sheet cannot:
    "<book> data issues.csv"."""
    return book.with_name(f"{book.stem} {sheet.lower()}.csv")


def fitted(layout: SheetLayout, book: Path) -> SheetLayout:
    """``layout`` with its table cut to what a sheet holds (MAX_ROWS rows, MAX_COLUMNS columns), a line above
    it saying what was left out and where the whole table goes (``full_list``); as it is when it fits.

    Rows are left out from the end (the tables put what matters most first); columns after the first,
    from the start (Score History's oldest snapshots). The layout's counts and sums (the lines, the
    Data Issues totals) were made from the whole table and stay exact.
    """
    table = layout.table
    if table.row + 1 + len(table.frame) <= MAX_ROWS and table.col + len(table.columns) <= MAX_COLUMNS:
        return layout
    cut = layout if layout.lines else shifted(layout, 0, 2)  # room for a title, so the note is not taken for one
    if not layout.lines:
        cut.blocks.insert(0, text_lines([layout.name]))
    _add_line(cut, "")  # the note's place; its words need the counts, which need its place
    block = cut.table
    kept_rows = max(min(len(table.frame), MAX_ROWS - (block.row + 1)), 0)
    dropped = max(block.col + len(block.columns) - MAX_COLUMNS, 0)
    columns = block.columns[:1] + block.columns[1 + dropped:]
    frame = table.frame.iloc[:kept_rows][[column.header for column in columns]]
    cut.blocks[cut.blocks.index(block)] = replace(block, frame=frame, columns=columns)
    if dropped:
        cut.widths = {col: width for col, width in cut.widths.items() if col < block.col + len(columns)}
    cut.overflow = Overflow(len(table.frame) - kept_rows, dropped, full_list(book, layout.name), table.frame)
    lines = cut.blocks[0]
    assert isinstance(lines, Cells)  # a layout's lines are its first block
    lines.rows[-1] = [Cell(overflow_note(layout.name, cut.overflow), theme.NOTE)]
    return cut


def _add_line(layout: SheetLayout, line: str) -> None:
    """Add a line under a layout's lines (its first block), moving everything under them down a row."""
    lines = layout.blocks[0]
    moved = shifted(layout, lines.bottom + 1, 1)
    layout.__dict__.update(moved.__dict__)
    first = layout.blocks[0]
    assert isinstance(first, Cells)  # a layout's lines are its first block
    first.rows.append([Cell(line, theme.NOTE)])
