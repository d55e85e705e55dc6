"""What a sheet is made of, for every writer: blocks of cells and tables at given places, and the
widths, formats, charts, checks and print setup around them. Rows and columns are zero-based.

A writer renders a ``SheetLayout`` as it is; nothing about how a sheet looks is decided in a writer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ..base.excel import cut_text, plain_integers
from . import theme
from .theme import Style

CHAR_PIXELS, PADDING_PIXELS = 7, 5  # a column's width in pixels: characters x 7 + 5 (Calibri 11)
PRINT_WIDTH_PIXELS = 922  # a landscape Letter page (11 in) less Excel's default margins (0.7 in each), at 96 dpi
SMALLEST_PRINT_SCALE = 0.7  # a sheet is fitted to one page wide only if that keeps it at 70% or more


@dataclass(frozen=True)
class Area:
    """A rectangle of cells, its corners included."""

    top: int
    left: int
    bottom: int
    right: int


@dataclass(frozen=True)
class Cell:
    """One cell: a text, number or date (None for a blank that keeps its style), and a style.

    With ``link`` (a place such as "'Segments'!A1") the cell is a HYPERLINK formula showing ``value``.
    """

    value: str | float | dt.date | None = None
    style: Style = theme.PLAIN
    link: str | None = None


@dataclass
class Cells:
    """A small block of cells, rows of them from (row, col); None leaves a cell alone."""

    row: int
    col: int
    rows: list[list[Cell | None]]

    def items(self):
        """((row, col), Cell) for every cell of the block."""
        for r, line in enumerate(self.rows):
            for c, cell in enumerate(line):
                if cell is not None:
                    yield (self.row + r, self.col + c), cell

    @property
    def bottom(self) -> int:
        return self.row + len(self.rows) - 1


@dataclass(frozen=True)
class Column:
    """One column of a table: its header, the kind of value (which the writers use to write IDs and
    dates), its width in characters and the style of its cells."""

    header: str
    kind: str = "text"  # text, id, int, row, date, money, percent, decimal, score, code
    width: float = 12
    style: Style = theme.PLAIN


@dataclass
class Table:
    """A header row at ``row`` and the rows of ``frame`` under it, each column in its own style.

    ``filter`` puts filter buttons on the header; ``name`` makes it an Excel table of that name (banded
    rows, and its own filter buttons) instead. ``texts`` gives a column of dates or numbers the cells
    that hold text instead (an Orders sheet's "soon" among its dates). A big table has only empty rows under it, so a
    writer may put its rows in as a whole (the headless writer builds them column by column).
    """

    row: int
    frame: pd.DataFrame
    columns: list[Column]
    col: int = 0
    filter: bool = True
    name: str | None = None
    texts: dict[str, pd.Series] = field(default_factory=dict)  # per date or number column: text where it is blank

    @property
    def bottom(self) -> int:
        """The last row of the table; an empty table keeps one (blank) row under its header."""
        return self.row + max(len(self.frame), 1)

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def cell_values(self) -> list[list]:
        """The data rows as the cells hold them: numbers, datetimes, text, None for blank. A column of IDs
        is numbers when every ID in it is a plain number Excel shows unchanged (``plain_integers``), else text."""
        columns = [_cell_values(self.frame[column.header], column.kind) for column in self.columns]
        for c, column in enumerate(self.columns):
            if column.header in self.texts:  # a text where the date or number is blank
                columns[c] = [value if value is not None else cell_value(text)
                              for value, text in zip(columns[c], self.texts[column.header].tolist(), strict=True)]
        return [list(row) for row in zip(*columns, strict=True)]

    def column_area(self, header: str) -> Area:
        """The data cells of one column."""
        col = self.col + self.headers.index(header)
        return Area(self.row + 1, col, self.bottom, col)


@dataclass(frozen=True)
class ColourScale:
    """Cell colours over an area, from the first colour to the last. ``values`` pins each colour to a
    number; None spreads them from the lowest to the highest value in the area."""

    area: Area
    colours: tuple[str, ...]
    values: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Series:
    """A chart series: its name's cell and its values."""

    name: tuple[int, int]
    values: Area


@dataclass(frozen=True)
class Chart:
    """A native chart whose top-left corner sits on the cell (row, col).

    ``kind`` "bar" draws horizontal bars, the first category at the top; "line" draws lines with markers.
    The series lie side by side (adjacent columns, or adjacent rows for series in rows), which every
    writer can chart.
    """

    kind: str
    title: str
    categories: Area
    series: tuple[Series, ...]
    row: int
    col: int
    width: int  # pixels
    height: int
    value_format: str | None = None


@dataclass(frozen=True)
class Validation:
    """What may be typed into an area: a "list" of choices, a "whole" or "decimal" number between
    ``minimum`` and ``maximum``, or a "date" after ``minimum``. ``message`` says what to type instead;
    ``strict`` False only warns."""

    area: Area
    kind: str
    choices: tuple = ()
    minimum: float | dt.date | None = None
    maximum: float | None = None
    message: str = ""
    strict: bool = True


@dataclass(frozen=True)
class Printing:
    """Page setup: landscape; ``fit_width`` prints one page wide, else at ``scale`` per cent, pages across
    first; ``repeat_rows`` (first, last) and ``repeat_columns`` are printed on every page; a new page
    starts at each row of ``breaks``."""

    fit_width: bool = True
    repeat_rows: tuple[int, int] | None = None
    repeat_columns: tuple[int, int] | None = None
    landscape: bool = True
    breaks: tuple[int, ...] = ()
    scale: int | None = None


@dataclass(frozen=True)
class Button:
    """A form button at (row, col) that runs ``macro`` (an .xlsm template's own)."""

    row: int
    col: int
    macro: str
    caption: str
    width: int
    height: int
    x_offset: int = 12  # pixels from the cell's left edge


@dataclass(frozen=True)
class Overflow:
    """What of a table did not fit on its sheet, and the file that holds the whole table (``table``)."""

    rows: int  # rows left out, from the end
    columns: int  # columns left out, after the first (the oldest snapshots of Score History)
    file: Path
    table: pd.DataFrame


@dataclass
class SheetLayout:
    """A whole sheet, as every writer renders it.

    ``owned``: on a sheet the owner keeps (Start Here), the only cells a run rewrites; the rest of
    that sheet (its button, anything the owner added) is left as it is. ``overflow``: what of the
    table was left out because a sheet cannot hold it (None when all of it is there).
    """

    name: str
    blocks: list[Cells | Table] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)  # characters, by column
    heights: dict[int, float] = field(default_factory=dict)  # points, by row
    colour_scales: list[ColourScale] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    validations: list[Validation] = field(default_factory=list)
    merges: list[Area] = field(default_factory=list)
    freeze: tuple[int, int] | None = None  # rows above and columns left of this cell stay in view
    printing: Printing = field(default_factory=Printing)
    gridlines: bool = True
    buttons: list[Button] = field(default_factory=list)
    owned: Area | None = None
    numbers_as_text: list[Area] = field(default_factory=list)  # where Excel should not flag numbers kept as text
    overflow: Overflow | None = None

    @property
    def tables(self) -> list[Table]:
        return [block for block in self.blocks if isinstance(block, Table)]

    @property
    def table(self) -> Table:
        """The sheet's (first) table."""
        return self.tables[0]

    @property
    def lines(self) -> list[str]:
        """The texts in column A above the first block that is not them: the title and notes on top."""
        first = self.blocks[0] if self.blocks else None
        if not isinstance(first, Cells) or first.col:
            return []
        return [text for line in first.rows if line and line[0] is not None and isinstance(text := line[0].value, str)]

    def cells(self) -> dict[tuple[int, int], Cell]:
        """Every cell of the blocks but the tables' data rows: (row, col) -> Cell."""
        found = {}
        for block in self.blocks:
            if isinstance(block, Cells):
                found.update(block.items())
            else:
                style = theme.PLAIN if block.name else theme.HEADER  # an Excel table's style colours its header
                found.update(((block.row, block.col + c), Cell(column.header, style))
                             for c, column in enumerate(block.columns))
        return found


def _cell_values(series: pd.Series, kind: str) -> list:
    if series.dtype.kind == "M":
        return [None if pd.isna(v) else v.to_pydatetime() for v in series]
    if series.dtype.kind in "iufb":
        return series.astype(object).where(series.notna(), None).tolist()
    if kind == "id" and plain_integers(series):
        return [None if pd.isna(v) else int(v) for v in series]
    return [cell_value(v) for v in series.tolist()]


def cell_value(value):
    """A value as a cell holds it: None for blank (None, NaN, NaT, ""), datetimes for dates, Python numbers."""
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and value != value) \
            or (isinstance(value, str) and not value):
        return None
    if isinstance(value, str):
        return cut_text(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    return value.item() if hasattr(value, "item") else value  # numpy scalars as Python numbers


def text_lines(lines: list[str], row: int = 0, title: bool = True, style: Style = theme.NOTE) -> Cells:
    """Lines of text down column A, the first in the title style when ``title``."""
    return Cells(row, 0, [[Cell(line, theme.TITLE if title and i == 0 else style)] for i, line in enumerate(lines)])


def pixels(width: float) -> int:
    """A column width in characters as pixels on screen and paper."""
    return int(width * CHAR_PIXELS + PADDING_PIXELS)


def fits_on_a_page(widths: dict[int, float], last_column: int, chart_right: int = 0) -> bool:
    """Whether columns A to ``last_column`` (and a chart reaching ``chart_right`` pixels) print one
    page wide on A4 or Letter at 70% or more."""
    total = sum(pixels(widths.get(col, 8.43)) for col in range(last_column + 1))
    return max(total, chart_right) * SMALLEST_PRINT_SCALE <= PRINT_WIDTH_PIXELS


def shifted(layout: SheetLayout, row: int, by: int) -> SheetLayout:
    """A copy of ``layout`` with everything at or below ``row`` moved down ``by`` rows (to make room above it)."""
    def down(r):
        return r + by if r >= row else r

    def area(a: Area) -> Area:
        return Area(down(a.top), a.left, down(a.bottom), a.right)

    def block(b):
        return replace(b, row=down(b.row), rows=[list(line) for line in b.rows]) if isinstance(b, Cells) else \
            replace(b, row=down(b.row))
    printing = layout.printing
    return replace(
        layout, blocks=[block(b) for b in layout.blocks], heights={down(r): h for r, h in layout.heights.items()},
        colour_scales=[replace(c, area=area(c.area)) for c in layout.colour_scales],
        charts=[replace(c, row=down(c.row), categories=area(c.categories),
                        series=tuple(Series((down(s.name[0]), s.name[1]), area(s.values)) for s in c.series))
                for c in layout.charts],
        validations=[replace(v, area=area(v.area)) for v in layout.validations],
        merges=[area(m) for m in layout.merges],
        freeze=None if layout.freeze is None else (down(layout.freeze[0]), layout.freeze[1]),
        printing=replace(printing, breaks=tuple(down(b) for b in printing.breaks),
                         repeat_rows=None if printing.repeat_rows is None else
                         (down(printing.repeat_rows[0]), down(printing.repeat_rows[1]))),
        buttons=[replace(b, row=down(b.row)) for b in layout.buttons],
        owned=None if layout.owned is None else area(layout.owned),
        numbers_as_text=[area(a) for a in layout.numbers_as_text])
