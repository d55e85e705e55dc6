"""Live Excel through xlwings: whole-sheet reads, and the output sheets written into the open workbook.

The sheets come from the same layouts (rfm_excel.layout.sheets) as the headless file, so they look the
same. Each block of cells (the lines on top, the table with its header, each grid) goes in with
one ``.value`` assignment, and formats are set per column range, never cell by cell.
"""

from __future__ import annotations

import datetime as dt
import sys

import pandas as pd
import xlwings as xw

from ..layout.sheets import (BEST, HEADER_COLOUR, HEAT_HIGH, HEAT_LOW, MIDDLE, TITLE_COLOUR, WORST, GRID_WIDTH, Column, Grid,
                      SheetLayout, number_format)
from ..base.excel import plain_integers
from ..base import sheet_names
from ..base.sheet_names import SETTINGS
from ..layout.template import SETTINGS_COLUMNS, settings_grid

NOTE_COLOUR, BORDER_COLOUR = "#595959", "#BFBFBF"
POINTS_PER_PIXEL = 0.75


def text(value: str) -> str:
    """A string as Excel keeps it verbatim: the leading apostrophe stops Excel reading "=1+1", "00123" or
    "2024-06-30" as a formula, number or date; the cell holds the text without it."""
    return "'" + value


def find_sheet(book: xw.Book, name: str) -> xw.Sheet | None:
    """The sheet called ``name``, ignoring case and surrounding spaces, if there is one."""
    found = sheet_names.find([sheet.name for sheet in book.sheets], name)
    return None if found is None else book.sheets[found]


def sheet_values(sheet: xw.Sheet) -> list[list]:
    """Every cell value from A1 to the sheet's last used cell in one read (None for an empty cell)."""
    last = sheet.used_range.last_cell
    return sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value


def write_layouts(book: xw.Book, layouts: list[SheetLayout], currency_symbol: str = "") -> None:
    """Write each layout to its sheet: replaced where it exists, else added after the last sheet."""
    for layout in layouts:
        write_layout(_fresh_sheet(book, layout.name), layout, currency_symbol)


def write_settings_sheet(book: xw.Book) -> xw.Sheet:
    """A Settings sheet showing the defaults, for a workbook that has none (as headless mode adds one)."""
    sheet = book.sheets.add(SETTINGS, after=book.sheets[len(book.sheets) - 1])
    rows = settings_grid()
    width = max(len(row) for row in rows)
    sheet.range((1, 1)).value = [[_cell(v) for v in row] + [None] * (width - len(row)) for row in rows]
    _title(sheet.range((1, 1)))
    _note(sheet.range((2, 1)))
    _header(sheet.range((4, 1), (4, 3)))
    top = next(r for r, row in enumerate(rows) if row and row[0] == "Segment")
    _note(sheet.range((top, 1), (top, width)))
    _header(sheet.range((top + 1, 1), (top + 1, width)))
    for first, last, column_width in SETTINGS_COLUMNS:
        sheet.range((1, first + 1), (1, last + 1)).column_width = column_width
    return sheet


def write_layout(sheet: xw.Sheet, layout: SheetLayout, currency_symbol: str = "") -> None:
    """One output sheet: its lines, its table under a formatted header, colour scales, grids and chart."""
    top = layout.header_row + 1  # one-based from here on
    headers = [column.header for column in layout.columns]
    rows = len(layout.table)
    last = top + max(rows, 1)
    if layout.lines:
        sheet.range((1, 1)).value = [[text(line)] for line in layout.lines]
        _title(sheet.range((1, 1)))
        sheet.range((1, 1)).row_height = 21
        if len(layout.lines) > 1:
            _note(sheet.range((2, 1), (len(layout.lines), 1)))
    sheet.range((top, 1)).value = [[text(h) for h in headers]] + table_rows(layout.table, layout.columns)
    _header(sheet.range((top, 1), (top, len(headers))))
    sheet.range((top, 1)).row_height = 30
    for col, column in enumerate(layout.columns, start=1):
        sheet.range((1, col)).column_width = column.width
        body = sheet.range((top + 1, col), (last, col))
        fmt = number_format(column.kind, currency_symbol)
        if fmt:
            body.number_format = fmt
        if column.kind in ("score", "code"):
            body.horizontal_alignment = "center"
    for scale in layout.colour_scales:
        col = headers.index(scale.header) + 1
        low, high = sorted([(scale.worst, WORST), (scale.best, BEST)])
        sheet.range((top + 1, col), (last, col)).conditional_formats.add_color_scale(
            [low[1], MIDDLE, high[1]], thresholds=[low[0], (low[0] + high[0]) / 2, high[0]])
    widths = {col: column.width for col, column in enumerate(layout.columns, start=1)}
    for grid in layout.grids:
        _write_grid(sheet, grid, layout, widths, currency_symbol)
    if layout.chart and rows:
        _chart(sheet, layout, top)
    _freeze_and_filter(sheet, top, last, len(headers), freeze=not layout.space_above)


def table_rows(table: pd.DataFrame, columns: list[Column], marked: bool = True) -> list[list]:
    """A table's rows as cell values: numbers, datetimes, text (``marked`` for writing, see ``text``), None
    for blank. IDs are numbers exactly where the headless writer makes them numbers."""
    values = [_column_values(table[column.header], column.kind, marked) for column in columns]
    return [list(row) for row in zip(*values)]


def _column_values(series: pd.Series, kind: str, marked: bool) -> list:
    if series.dtype.kind == "M":
        return [None if pd.isna(v) else v.to_pydatetime() for v in series]
    if series.dtype.kind in "iufb":
        return series.astype(object).where(series.notna(), None).tolist()
    if kind == "id" and plain_integers(series):
        return [None if pd.isna(v) else int(v) for v in series]
    return [_cell(v, marked) for v in series.tolist()]


def _cell(value, marked: bool = True):
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        return (text(value) if marked else value) if value else None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    return value.item() if hasattr(value, "item") else value  # numpy scalars as Python numbers


def _fresh_sheet(book: xw.Book, name: str) -> xw.Sheet:
    """The sheet ``name`` emptied of values, formats and charts (formulas elsewhere that point to it keep
    working), or a new sheet of that name after the last one."""
    sheet = find_sheet(book, name)
    if sheet is None:
        return book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])
    for chart in list(sheet.charts):
        chart.delete()
    sheet.cells.conditional_formats.clear()
    sheet.clear()
    if _desktop(sheet) == "windows":
        sheet.api.AutoFilterMode = False  # else the next AutoFilter() would switch the filter off
    return sheet


def _title(cells: xw.Range) -> None:
    cells.font.bold = True
    cells.font.size = 14
    cells.font.color = TITLE_COLOUR


def _note(cells: xw.Range) -> None:
    cells.font.italic = True
    cells.font.color = NOTE_COLOUR


def _header(cells: xw.Range) -> None:
    """White bold text on the header colour, thin grey borders, wrapped and centred vertically."""
    cells.font.bold = True
    cells.font.color = "#FFFFFF"
    cells.color = HEADER_COLOUR
    cells.wrap_text = True
    cells.vertical_alignment = "center"
    cells.borders.set("all", line_style="continuous", weight="thin", color=BORDER_COLOUR)


def _write_grid(sheet: xw.Sheet, grid: Grid, layout: SheetLayout, widths: dict, currency_symbol: str) -> None:
    """A labelled heat-map table (R x F counts, the segment migration matrix) in one block."""
    row, col = grid.row + 1, grid.col + 1
    labels = [str(label) for label in grid.table.columns]
    body = [[_cell(str(label))] + [_cell(v) for v in values]
            for label, values in zip(grid.table.index, grid.table.to_numpy().tolist())]
    block = [[_cell(grid.title)] + [None] * len(labels), [_cell(grid.corner)] + [_cell(label) for label in labels]]
    sheet.range((row, col)).value = block + body
    sheet.range((row, col)).font.bold = True
    _header(sheet.range((row + 1, col), (row + 1, col + len(labels))))
    values = sheet.range((row + 2, col + 1), (row + 1 + len(body), col + len(labels)))
    if body:
        _header(sheet.range((row + 2, col), (row + 1 + len(body), col)))
        fmt = number_format(grid.kind, currency_symbol)
        if fmt:
            values.number_format = fmt
        values.conditional_formats.add_color_scale([HEAT_LOW, HEAT_HIGH])
    if max(len(label) for label in labels) > GRID_WIDTH and grid.row + 1 < layout.header_row:
        sheet.range((row + 1, 1)).row_height = 30
    longest = max([len(grid.corner)] + [len(str(label)) for label in grid.table.index])
    for column, width in [(col, longest + 2)] + [(col + 1 + i, GRID_WIDTH) for i in range(len(labels))]:
        if widths.get(column, 0) < width:
            widths[column] = width
            sheet.range((1, column)).column_width = width


def _chart(sheet: xw.Sheet, layout: SheetLayout, top: int) -> None:
    """The bar chart under the table, as the headless writer places it; its first series through xlwings,
    the others (not next to it, which xlwings cannot chart) through Excel's own object model on Windows."""
    spec, rows = layout.chart, len(layout.table)
    headers = [column.header for column in layout.columns]
    columns = [headers.index(header) + 1 for header in spec.series]
    categories = sheet.range((top + 1, headers.index(spec.categories) + 1), (top + rows, headers.index(
        spec.categories) + 1))
    chart = sheet.charts.add(anchor=sheet.range((top + rows + 3, 1)), width=760 * POINTS_PER_PIXEL,
                             height=(40 * rows + 120) * POINTS_PER_PIXEL, chart_type="bar_clustered",
                             source=sheet.range((top, columns[0]), (top + rows, columns[0])), plot_by="columns")
    chart.set_x_axis_values(categories)
    chart.title = spec.title
    chart.legend.position = "bottom"
    if _desktop(sheet) == "windows":
        for col in columns[1:]:
            series = chart.api[1].SeriesCollection().NewSeries()
            series.Name = "=" + sheet.range((top, col)).get_address(include_sheetname=True)
            series.Values = sheet.range((top + 1, col), (top + rows, col)).api
            series.XValues = categories.api
    chart.category_axis.reverse_order = True


def _freeze_and_filter(sheet: xw.Sheet, top: int, last: int, width: int, freeze: bool) -> None:
    """Freeze the rows down to the header and put filter buttons on it. xlwings has calls for neither on the
    desktop engines, so Excel's object model is used on Windows; the remote engine freezes through xlwings."""
    where = _desktop(sheet)
    if where == "windows":
        sheet.range((top, 1), (last, width)).api.AutoFilter()
        if freeze:
            sheet.activate()
            window = sheet.book.app.api.ActiveWindow
            window.FreezePanes = False
            window.ScrollRow, window.ScrollColumn = 1, 1
            window.SplitColumn, window.SplitRow = 0, top
            window.FreezePanes = True
    elif where is None and freeze:
        sheet.freeze_panes.freeze_at(f"1:{top}")


def _desktop(sheet: xw.Sheet) -> str | None:
    """'windows' or 'mac' for desktop Excel, None for xlwings' other engines (e.g. the remote engine)."""
    if sheet.book.app.engine.name != "excel":
        return None
    return "windows" if sys.platform.startswith("win") else "mac"


def uses_1904_dates(book: xw.Book) -> bool:
    """Whether the open workbook counts its serial numbers from 1904 (Excel's "Use 1904 date system").

    Dates are written as date values (never as serial numbers), which Excel stores in the workbook's
    own system, so only serial numbers read from cells need this. xlwings' other engines do not
    tell; their workbooks are taken to count from 1900, as Excel's default.
    """
    where = _desktop(book.sheets[0])
    if where == "windows":
        return bool(book.api.Date1904)
    if where == "mac":
        return bool(book.api.date_1904.get())
    return False
