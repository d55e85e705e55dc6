"""What each output sheet looks like, described once for every writer (headless file or live Excel)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from .core import Result, counted
from .settings import BEST_LOWEST

SCORES, SEGMENTS, DATA_ISSUES = "Scores", "Segments", "Data Issues"
OUTPUT_SHEETS = (SCORES, SEGMENTS, DATA_ISSUES)  # replaced on every run; never the owner's to edit
HEADER_COLOUR = "#1F4E78"
TITLE_COLOUR = "#1F4E78"
WORST, MIDDLE, BEST = "#F8696B", "#FFEB84", "#63BE7B"


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


@dataclass
class SheetLayout:
    """An output sheet: a few lines of text on top, then one formatted table."""

    name: str
    table: pd.DataFrame
    columns: list[Column]
    lines: list[str] = field(default_factory=list)  # the first is the title
    colour_scales: list[ColourScale] = field(default_factory=list)
    chart: Chart | None = None

    @property
    def header_row(self) -> int:
        """Zero-based row of the table's header."""
        return len(self.lines) + 1 if self.lines else 0


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


LEVEL_NAMES = {2: "halves", 3: "thirds", 4: "quarters", 5: "fifths", 6: "sixths", 7: "sevenths", 8: "eighths",
               9: "ninths"}


def run_note(result: Result, scored_at: dt.datetime) -> list[str]:
    """What this run used, in plain words, a line each."""
    s = result.settings
    best = "1 is best" if s.best_score == BEST_LOWEST else "higher is better"
    scales = []
    for name, dimension in (("Recency", "recency"), ("Frequency", "frequency"), ("Monetary", "monetary")):
        limits = getattr(s, dimension + "_breakpoints")
        scales.append(f"{name} by fixed limits {', '.join(f'{b:g}' for b in limits)}" if limits else
                      f"{name} 1-{s.bins(dimension)} by {LEVEL_NAMES[s.bins(dimension)]} of customers")
    if all(scale.split(" ", 1)[1] == scales[0].split(" ", 1)[1] for scale in scales):
        scales = ["R, F and M each " + scales[0].split(" ", 1)[1]]
    window = f"the last {s.window_months} months" if s.window_months else "all history"
    weights = (s.recency_weight, s.frequency_weight, s.monetary_weight)
    weighting = "R, F and M count equally in the RFM Score" if len(set(weights)) == 1 else \
        "RFM Score = " + " + ".join(f"{w:g} × {letter}" for w, letter in zip(weights, "RFM"))
    return [f"Scored {scored_at:%Y-%m-%d %H:%M} for the as-of date {s.as_of:%Y-%m-%d}: "
            f"{counted(result.customers, 'customer')} from {counted(result.orders, 'order')} "
            f"({result.lines_used:,} of {result.rows_read:,} order rows used; see Data Issues).",
            f"Scores: {'; '.join(scales)} ({best}). Frequency and Monetary over {window}. {weighting}."]


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
    columns = _columns(table, kinds)
    return SheetLayout(SCORES, table, columns, colour_scales=scales)


def segments_sheet(result: Result, scored_at: dt.datetime) -> SheetLayout:
    table = result.segments
    kinds = {"Customers": "int", "% of Customers": "percent", "Revenue": "money", "% of Revenue": "percent",
             "Avg Recency (days)": "int", "Avg Frequency": "decimal", "Avg Monetary": "money"}
    chart = Chart("Share of customers and of revenue by segment", "Segment", ("% of Customers", "% of Revenue"))
    lines = ["Customer segments", *run_note(result, scored_at)]
    return SheetLayout(SEGMENTS, table, _columns(table, kinds), lines=lines, chart=chart)


def issues_sheet(result: Result) -> SheetLayout:
    table = result.issues
    headline = result.rows_summary() if len(table) else \
        f"No problems found: all {result.rows_read:,} order rows were used."
    where = f"Row is the row number in {result.source}; nothing listed here was changed in your orders."
    columns = _columns(table, {"Row": "row"})
    return SheetLayout(DATA_ISSUES, table, columns, lines=["Data issues", headline, where])


def output_sheets(result: Result, scored_at: dt.datetime) -> list[SheetLayout]:
    """Every sheet a run writes, in workbook order."""
    return [scores_sheet(result), segments_sheet(result, scored_at), issues_sheet(result)]
