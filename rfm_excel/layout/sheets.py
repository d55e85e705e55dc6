"""What each output sheet looks like, described once for every writer (headless file or live Excel)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ..base.excel import MAX_COLUMNS, MAX_ROWS
from ..base.settings import BEST_LOWEST
from ..base.sheet_names import (CAMPAIGN_RESULTS, CONTACT_PLAN, DATA_ISSUES, FORECAST, MOVEMENT, PRODUCTS,
                                SCORE_HISTORY, SCORES, SEGMENTS)
from ..core import Result
from ..domain.campaign import RESULT_COLUMNS
from ..domain.history import Movement, empty_history, to_sheet
from ..domain.forecast import BGNBD_NAME, MODIFIED_NAME
from .wording import (campaign_notes, counted, forecast_notes, issue_totals, overflow_note, plan_summary,
                      products_notes, rows_summary, run_note)

HEADER_COLOUR = "#1F4E78"
TITLE_COLOUR = "#1F4E78"
WORST, MIDDLE, BEST = "#F8696B", "#FFEB84", "#63BE7B"
HEAT_LOW, HEAT_HIGH = "#FFFFFF", "#5B9BD5"
TOP_PRODUCTS, TOP_PER_SEGMENT = 10, 3  # rows of the Products sheet's best-product blocks
FORECAST_KINDS = {"P(Active)": "percent", "Expected Orders": "decimal", "Predicted Value": "money",
                  "Expected Next Order": "date", "Avg P(Active)": "percent", "Total Predicted Value": "money"}
GRID_WIDTH = 11  # characters per value column of a grid
ISSUES_BLOCK_COLUMN = 3  # Data Issues' totals stand above the Problem, Action and Amount columns


@dataclass(frozen=True)
class Column:
    """One column of an output table; ``kind`` picks the number format."""

    header: str
    kind: str = "text"  # text, id, int, row, date, money, percent, decimal, score, code
    width: float = 12


@dataclass(frozen=True)
class ColourScale:
    """A red-amber-green scale over one column, from ``worst`` to ``best`` value."""

    header: str
    worst: float
    best: float


@dataclass(frozen=True)
class Chart:
    """A clustered bar chart: one bar per table row, one series per column named."""

    title: str
    categories: str
    series: tuple[str, ...]
    value_format: str = "percent"


@dataclass(frozen=True)
class Grid:
    """A small labelled table of numbers, coloured as a heat map (light = few, dark = many) unless ``heat``
    is False.

    ``table``'s index labels the rows and its columns the columns; the title goes at (row, col),
    zero-based, the column labels under it and the rows under those. ``kind`` is the number
    format of every column, or ``column_kinds`` gives one per column.
    """

    title: str
    table: pd.DataFrame
    kind: str
    row: int
    col: int
    corner: str = ""
    column_kinds: tuple[str, ...] = ()
    heat: bool = True  # False for a table of unlike numbers (the Data Issues totals, the forecast's parameters)

    @property
    def height(self) -> int:
        return len(self.table) + 2

    def kind_of(self, column: int) -> str:
        """The number format kind of the grid's ``column`` (zero-based, after the labels)."""
        return self.column_kinds[column] if self.column_kinds else self.kind


@dataclass(frozen=True)
class Overflow:
    """What of a table did not fit on its sheet, and the file that holds the whole table (``table``)."""

    rows: int  # rows left out, from the end
    columns: int  # columns left out, after the first (the oldest snapshots of Score History)
    file: Path
    table: pd.DataFrame


@dataclass
class SheetLayout:
    """An output sheet: a few lines of text on top, then one formatted table.

    ``grids`` sit above the table (in the ``space_above`` rows left for them) or beside it.
    ``overflow`` says what of a table too big for a sheet was left out (see ``fitted``).
    """

    name: str
    table: pd.DataFrame
    columns: list[Column]
    lines: list[str] = field(default_factory=list)  # the first is the title
    colour_scales: list[ColourScale] = field(default_factory=list)
    chart: Chart | None = None
    grids: list[Grid] = field(default_factory=list)
    space_above: int = 0
    overflow: Overflow | None = None

    @property
    def header_row(self) -> int:
        """Zero-based row of the table's header."""
        return (len(self.lines) + 1 if self.lines else 0) + self.space_above


def number_format(kind: str, currency_symbol: str = "") -> str | None:
    """Excel number format for a column kind (None = General)."""
    money = f'"{currency_symbol}"#,##0.00;-"{currency_symbol}"#,##0.00' if currency_symbol else "#,##0.00"
    return {"int": "#,##0", "row": "0", "id": "0", "date": "yyyy-mm-dd", "money": money, "percent": "0.0%", "decimal": "#,##0.0",
            "score": "0"}.get(kind)


def _width(table: pd.DataFrame, header: str, kind: str) -> float:
    if kind == "date":
        return 12
    sample = table[header].head(2000).map(lambda v: len(f"{v:,.2f}") if isinstance(v, float) else len(str(v)))
    longest = max([len(header) + 2, (sample.max() if len(sample) else 0) + 2])
    return float(min(max(longest, 8), 70))


def _columns(table: pd.DataFrame, kinds: dict[str, str]) -> list[Column]:
    return [Column(h, kinds.get(h, "text"), _width(table, h, kinds.get(h, "text"))) for h in table.columns]


def scores_sheet(result: Result) -> SheetLayout:
    table = result.scores
    kinds = {"Customer ID": "id", "First Order": "date", "Last Order": "date", "Recency (days)": "int", "Frequency": "int",
             "Monetary": "money", "R": "score", "F": "score", "M": "score", "RFM Code": "code",
             "RFM Score": "score" if table["RFM Score"].dtype.kind == "i" else "decimal"}
    s = result.settings
    scales = []
    for letter, dimension in zip("RFM", ("recency", "frequency", "monetary")):
        top = s.bins(dimension)
        worst, best = (top, 1) if s.best_score == BEST_LOWEST else (1, top)
        scales.append(ColourScale(letter, worst, best))
    for header in ("Returns", "Complaints", "Enquiries", "Tenure (days)"):
        kinds[header] = "int"
    kinds["Return Share"] = "percent"
    kinds.update(FORECAST_KINDS)
    for header in ("Returns Score", "Complaints Score", "Enquiries Score", "Tenure Score"):
        if header in table:
            kinds[header] = "score"
            scales.append(ColourScale(header, *((5, 1) if s.best_score == BEST_LOWEST else (1, 5))))
    columns = _columns(table, kinds)
    return SheetLayout(SCORES, table, columns, colour_scales=scales)


def segments_sheet(result: Result, scored_at: dt.datetime) -> SheetLayout:
    table = result.segments
    kinds = {"Customers": "int", "% of Customers": "percent", "Revenue": "money", "% of Revenue": "percent",
             "Avg Recency (days)": "int", "Avg Frequency": "decimal", "Avg Monetary": "money", **FORECAST_KINDS}
    chart = Chart("Share of customers and of revenue by segment", "Segment", ("% of Customers", "% of Revenue"))
    lines = ["Customer segments", *run_note(result, scored_at)]
    layout = SheetLayout(SEGMENTS, table, _columns(table, kinds), lines=lines, chart=chart)
    if result.rf_customers is not None:  # beside the table: R down, F across, best at the top right
        left = len(layout.columns) + 1
        layout.grids = [
            Grid("Customers by R and F", result.rf_customers, "int", layout.header_row, left, "R \\ F"),
            Grid("Average Monetary by R and F", result.rf_monetary, "money", layout.header_row,
                 left + len(result.rf_customers.columns) + 2, "R \\ F")]
    return layout


def issues_sheet(result: Result) -> SheetLayout:
    """The one-line account of the rows, a block of totals per problem (rows and money), then every issue."""
    table = result.issues
    headline = rows_summary(result) if len(table) else \
        f"No problems found: all {result.rows_read:,} order rows were used."
    where = f"Row is the row number in {result.source}; nothing listed here was changed in your orders. " \
        "Amount is the row's amount as used (for a customer not scored, what their orders net to)."
    columns = _columns(table, {"Row": "row", "Amount": "money"})
    layout = SheetLayout(DATA_ISSUES, table, columns, lines=["Data issues", headline, where])
    totals = issue_totals(table)
    if len(totals):
        block = Grid("At a glance: what was skipped or changed, and the money on those rows", totals, "int",
                     len(layout.lines) + 1, ISSUES_BLOCK_COLUMN, "Problem", column_kinds=("int", "money"), heat=False)
        layout.grids, layout.space_above = [block], block.height + 1
    return layout


def contact_plan_sheet(result: Result) -> SheetLayout:
    table = result.plan
    kinds = {"Customer ID": "id", "Segment": "code", "Plan": "code", "Contact On": "date", "Channel": "code",
             "Cost": "money", "Last Order": "date", "Usual Gap (days)": "int", "Next Order Due": "date",
             "Days Overdue": "int", "Overdue (gaps)": "decimal", "Usual Month": "code", "Reorder Due": "date",
             **FORECAST_KINDS}
    lines = ["Contact plan", plan_summary(table, result.settings.currency_symbol),
             "Plan: Contact = contact on the date given, by the channel given; Control = held out to measure the "
             "campaign (do not contact); Left out = bought recently, or in a segment marked Do Not Contact. "
             "rfm-excel export writes the Contact rows to a CSV file."]
    return SheetLayout(CONTACT_PLAN, table, _columns(table, kinds), lines=lines)


def movement_sheet(movement: Movement | None) -> SheetLayout:
    """The migration matrix above the list of customers whose segment fell."""
    if movement is None:
        table = pd.DataFrame(columns=["Customer ID", "Segment Then", "Segment Now", "RFM Then", "RFM Now"])
        lines = ["Movement between segments",
                 "Needs two snapshots in Score History: score again on a later date, or score past dates with "
                 "--as-of to fill it in."]
        return SheetLayout(MOVEMENT, table, _columns(table, {"Customer ID": "id"}), lines=lines)
    matrix, fallers = movement.matrix, movement.fallers
    total = int(matrix.to_numpy().sum())
    stayed = sum(int(matrix.at[s, s]) for s in matrix.index if s in matrix.columns)
    lines = ["Movement between segments",
             f"From {movement.earlier:%Y-%m-%d} to {movement.later:%Y-%m-%d}: {counted(total, 'customer')}, "
             f"{total - stayed:,} changed segment and {len(fallers):,} fell to a segment lower in the segment table "
             "(listed under the matrix, best customers first).",
             "Rows: segment then; columns: segment now; the diagonal holds those who stayed. "
             "Compare other dates with: rfm-excel compare BOOK --from DATE --to DATE."]
    grid = Grid(f"Customers by segment on {movement.earlier:%Y-%m-%d} (rows) and {movement.later:%Y-%m-%d} "
                "(columns)", matrix, "int", len(lines) + 1, 0, "Then \\ Now")
    kinds = {"Customer ID": "id", "Segment Then": "code", "Segment Now": "code", "RFM Then": "code", "RFM Now": "code",
             "Monetary": "money", "Last Order": "date"}
    return SheetLayout(MOVEMENT, fallers, _columns(fallers, kinds), lines=lines, grids=[grid],
                       space_above=grid.height + 1)


def campaign_sheet(result: Result) -> SheetLayout:
    outcome = result.campaign
    if outcome is None:
        table = pd.DataFrame(columns=RESULT_COLUMNS)
        lines = ["Campaign results",
                 "No campaign date in Settings. To measure a campaign: give segments a Holdout % in Settings, "
                 "contact only the Contact rows of the Contact Plan, then set Campaign date and score again "
                 "once the response window has passed."]
    else:
        table, lines = outcome.table, ["Campaign results", *campaign_notes(outcome, result.as_of)]
    kinds = {header: "int" for header in RESULT_COLUMNS if "Customers" in header or "Responders" in header}
    kinds.update({header: "percent" for header in ("Test Rate", "Control Rate", "Difference", "95% Low", "95% High")})
    kinds.update({header: "money" for header in ("Test Revenue per Customer", "Control Revenue per Customer",
                                                 "Incremental Revenue", "Cost", "Net Gain")})
    return SheetLayout(CAMPAIGN_RESULTS, table, _columns(table, kinds), lines=lines)


def history_sheet(result: Result) -> SheetLayout:
    history = result.history if result.history is not None else empty_history()
    table = to_sheet(history)
    snapshots = len(table.columns) - 1
    lines = ["Score history",
             f"{counted(snapshots, 'snapshot')}: one row per customer, one column per as-of date (and the day it was "
             "scored), each cell the RFM code and segment then. Scoring a date again replaces its column; Movement "
             "compares the latest two. Keep this sheet: each run reads it back and adds to it."]
    cell = max([len(str(name)) + 4 for name in history["Segment"].unique()] + [12])  # "554 " + the segment
    columns = [Column("Customer ID", "id", _width(table, "Customer ID", "id"))] + \
        [Column(header, "code", min(cell + 2, 26)) for header in table.columns[1:]]
    return SheetLayout(SCORE_HISTORY, table, columns, lines=lines)


def forecast_sheet(result: Result) -> SheetLayout | None:
    """The forecast explained: the models' parameters, and orders predicted against orders that happened for the
    last part of the history, as a table and a chart. None when Settings turn the forecast off."""
    outlook = result.forecast
    if outlook is None:
        return None
    columns = ["Repeat orders before the check", "Customers", "Orders that happened (average)",
               f"Predicted by {MODIFIED_NAME} (average)", f"Predicted by {BGNBD_NAME} (average)"]
    lines = ["Forecast", *forecast_notes(outlook)]
    check = outlook.holdout
    if not outlook.available or check is None:
        table = pd.DataFrame(columns=columns)
        return SheetLayout(FORECAST, table, _columns(table, {}), lines=lines)
    table = pd.DataFrame({columns[0]: check.table.index.astype(str), columns[1]: check.table["customers"].to_numpy(),
                          columns[2]: check.table["actual"].round(2).to_numpy(),
                          columns[3]: check.table[MODIFIED_NAME].round(2).to_numpy(),
                          columns[4]: check.table[BGNBD_NAME].round(2).to_numpy()})
    kinds = {columns[0]: "code", columns[1]: "int", **{c: "decimal" for c in columns[2:]}}
    chosen = columns[3] if outlook.model == MODIFIED_NAME else columns[4]
    chart = Chart("Orders per customer in the check period: what happened and what the model predicted", columns[0],
                  (columns[2], chosen), value_format="decimal")
    layout = SheetLayout(FORECAST, table, _columns(table, kinds), lines=lines, chart=chart)
    parameters = _parameter_table(outlook)
    layout.grids = [Grid("Fitted parameters", parameters, "text", len(lines) + 1, 0, "Parameter", heat=False)]
    layout.space_above = layout.grids[0].height + 1
    return layout


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
                         MODIFIED_NAME: purchase[MODIFIED_NAME] + [None, None, None, unit]},
                        index=["r", "alpha", "a", "b", "p", "q", "v", "time unit"])


def products_sheet(result: Result) -> SheetLayout | None:
    """What sells and what sells together: the best products by revenue and by customers and each segment's
    top products above, then the strongest pairs as a filterable table. None when the orders name no products."""
    offers = result.offers
    if offers is None:
        return None
    summary = offers.summary
    pairs = summary.pairs
    kinds = {"Customers Who Bought Both": "int", "Share of Product's Buyers": "percent",
             "Share of Also Bought's Buyers": "percent", "Lift": "decimal"}
    lines = ["Products", *products_notes(offers)]
    layout = SheetLayout(PRODUCTS, pairs, _columns(pairs, kinds), lines=lines)
    best = [("Best products by revenue", summary.best_by_revenue.head(TOP_PRODUCTS)),
            ("Best products by customers", summary.best_by_customers.head(TOP_PRODUCTS))]
    row, grids = len(lines) + 1, []
    best_kinds = ("text", "int", "percent", "money", "percent")
    for title, table in best:
        grids.append(Grid(title, table.set_index("Product"), "int", row, 0, "Product", column_kinds=best_kinds,
                          heat=False))
        row += grids[-1].height + 1
    tops = summary.segment_top[summary.segment_top["Rank"] <= TOP_PER_SEGMENT]
    named = tops["Product Name"].fillna(tops["Product"]) + " (" + tops["Product"] + ")"
    tops = pd.DataFrame({"Product": named.where(tops["Product Name"].notna(), tops["Product"]).to_numpy(),
                         "Customers": tops["Customers"].to_numpy(), "Share of Segment": tops["Share of Segment"].to_numpy(),
                         "Revenue": tops["Revenue"].to_numpy()}, index=tops["Segment"].to_numpy())
    grids.append(Grid(f"Each segment's top {TOP_PER_SEGMENT} products", tops, "int", row, 0, "Segment",
                      column_kinds=("text", "int", "percent", "money"), heat=False))
    layout.grids, layout.space_above = grids, sum(grid.height + 1 for grid in grids)
    return layout


def output_sheets(result: Result, scored_at: dt.datetime, book: Path | None = None) -> list[SheetLayout]:
    """Every sheet a run writes, in workbook order; with ``book`` (the workbook written), each cut to what a
    sheet holds (``fitted``), the run note on Segments saying what was left out and where it went."""
    layouts = [scores_sheet(result), segments_sheet(result, scored_at), issues_sheet(result),
               contact_plan_sheet(result), movement_sheet(result.movement), campaign_sheet(result),
               history_sheet(result), forecast_sheet(result), products_sheet(result)]
    layouts = [layout for layout in layouts if layout is not None]
    if result.settings.filter_column:  # each title says which orders were scored
        for layout in layouts:
            if layout.lines:
                layout.lines[0] += f" ({result.settings.filter_label})"
    if book is None:
        return layouts
    layouts = [fitted(layout, book) for layout in layouts]
    for layout in layouts:
        if layout.overflow is not None:
            _add_line(layouts[1], overflow_note(layout.name, layout.overflow))
    return layouts


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
    spare_rows = MAX_ROWS - (layout.header_row + 1) - len(table)
    if spare_rows >= 0 and len(layout.columns) <= MAX_COLUMNS:
        return layout
    cut = replace(layout, lines=list(layout.lines), grids=list(layout.grids))
    if not cut.lines:
        _add_line(cut, layout.name)  # a title, so that the note is not taken for one
    _add_line(cut, "")  # the note's place; its words need the counts, which need its place
    kept_rows = min(len(table), MAX_ROWS - (cut.header_row + 1))
    dropped_columns = max(len(layout.columns) - MAX_COLUMNS, 0)
    cut.columns = layout.columns[:1] + layout.columns[1 + dropped_columns:]
    cut.table = table.iloc[:kept_rows][[column.header for column in cut.columns]]
    cut.overflow = Overflow(len(table) - kept_rows, dropped_columns, full_list(book, layout.name), table)
    cut.lines[-1] = overflow_note(layout.name, cut.overflow)
    return cut


def _add_line(layout: SheetLayout, line: str) -> None:
    """Add a line under a layout's lines, moving what stands under them (grids, the table) down with them."""
    lines, before = len(layout.lines), layout.header_row
    layout.lines.append(line)
    moved = layout.header_row - before
    layout.grids = [replace(grid, row=grid.row + moved) if grid.row >= lines else grid for grid in layout.grids]
