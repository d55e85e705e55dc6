"""Render sheet layouts with XlsxWriter: everything but the data rows, which rows.py writes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import xlsxwriter

from ...base.excel import EPOCH, EPOCH_1904
from ...layout.sheets import (GRID_WIDTH, BEST, HEADER_COLOUR, HEAT_HIGH, HEAT_LOW, MIDDLE, TITLE_COLOUR, WORST, SheetLayout,
                             number_format)
from .rows import RowBlock



class Styles:
    """The few cell formats every sheet shares, created once per workbook."""

    def __init__(self, book: xlsxwriter.Workbook, currency_symbol: str = ""):
        self.book = book
        self.currency_symbol = currency_symbol
        self.header = book.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": HEADER_COLOUR,
                                       "border": 1, "border_color": "#BFBFBF", "valign": "vcenter",
                                       "text_wrap": True})
        self.title = book.add_format({"bold": True, "font_size": 14, "font_color": TITLE_COLOUR})
        self.note = book.add_format({"italic": True, "font_color": "#595959"})
        self.text = book.add_format({"text_wrap": True, "valign": "top"})
        self.bold = book.add_format({"bold": True})
        self._formats: dict[tuple, object] = {}

    def kind(self, kind: str):
        """One format per distinct look: XlsxWriter gives a format its index only if no equal one came first."""
        fmt = number_format(kind, self.currency_symbol)
        properties = {"num_format": fmt} if fmt else {}
        if kind in ("score", "code"):
            properties["align"] = "center"
        key = tuple(sorted(properties.items()))
        if key not in self._formats:
            self._formats[key] = self.book.add_format(properties)
        return self._formats[key]


def printable(sheet, header_rows: int = 0):
    """Landscape, one page wide, header rows repeated on every printed page."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    if header_rows:
        sheet.repeat_rows(0, header_rows - 1)


def write_layout(book: xlsxwriter.Workbook, styles: Styles, layout: SheetLayout) -> RowBlock | None:
    """Write one output sheet but its data rows, which are returned to be put in at the XML level.

    A table with grids beside it is small (the Segments sheet) and is written here whole, row by
    row with the grids' cells (XlsxWriter streams rows in order); then None is returned.
    """
    sheet = book.add_worksheet(layout.name)
    top = layout.header_row
    printable(sheet, 0 if layout.space_above else top + 1)
    if layout.space_above:
        sheet.repeat_rows(top)
    for col, column in enumerate(layout.columns):
        sheet.set_column(col, col, column.width, styles.kind(column.kind))
    grid_cells, tall = _grid_cells(sheet, styles, layout)
    for row, line in enumerate(layout.lines):
        sheet.write_string(row, 0, line, styles.title if row == 0 else styles.note)
    if layout.lines:
        sheet.set_row(0, 21)
    for row in sorted(r for r in grid_cells if r < top):
        if row in tall:
            sheet.set_row(row, 30)
        _write_cells(sheet, row, grid_cells[row])
    sheet.set_row(top, 30)
    sheet.write_row(top, 0, [c.header for c in layout.columns], styles.header)
    _write_cells(sheet, top, grid_cells.get(top, []))
    last = top + max(len(layout.table), 1)
    if not layout.space_above:
        sheet.freeze_panes(top + 1, 0)
    sheet.autofilter(top, 0, last, len(layout.columns) - 1)
    headers = [c.header for c in layout.columns]
    for scale in layout.colour_scales:
        col = headers.index(scale.header)
        sheet.conditional_format(top + 1, col, last, col, {
            "type": "3_color_scale", "min_type": "num", "min_value": scale.worst, "min_color": WORST,
            "mid_type": "num", "mid_value": (scale.worst + scale.best) / 2, "mid_color": MIDDLE,
            "max_type": "num", "max_value": scale.best, "max_color": BEST})
    if layout.chart:
        _chart(book, sheet, layout, headers, top)
    if any(row > top for row in grid_cells):
        _write_table(sheet, styles, layout, grid_cells)
        return None
    return RowBlock(layout.table[headers], [c.kind for c in layout.columns],
                    [styles.kind(c.kind) for c in layout.columns], top + 1, EPOCH_1904 if book.date_1904 else EPOCH)


def _grid_cells(sheet, styles: Styles, layout: SheetLayout) -> tuple[dict[int, list[tuple]], set[int]]:
    """The grids' cells by row, as (col, value, format), and the label rows above a table that need two
    lines of text; sets the grids' column widths and heat maps."""
    cells: dict[int, list[tuple]] = {}
    tall = set()
    widths = {col: column.width for col, column in enumerate(layout.columns)}
    for grid in layout.grids:
        rows, columns = len(grid.table), len(grid.table.columns)
        cells.setdefault(grid.row, []).append((grid.col, grid.title, styles.bold))
        labels = [grid.corner] + [str(c) for c in grid.table.columns]
        cells.setdefault(grid.row + 1, []).extend(
            (grid.col + i, label, styles.header) for i, label in enumerate(labels))
        for r, (label, values) in enumerate(zip(grid.table.index, grid.table.to_numpy()), start=grid.row + 2):
            cells.setdefault(r, []).append((grid.col, str(label), styles.header))
            cells[r].extend((grid.col + 1 + i, v, styles.kind(grid.kind)) for i, v in enumerate(values))
        if max(len(label) for label in labels[1:]) > GRID_WIDTH and grid.row + 1 < layout.header_row:
            tall.add(grid.row + 1)
        longest = max([len(labels[0])] + [len(str(label)) for label in grid.table.index])
        for col, width in [(grid.col, longest + 2)] + [(grid.col + 1 + i, GRID_WIDTH) for i in range(columns)]:
            if col not in widths or widths[col] < width:
                widths[col] = width
                sheet.set_column(col, col, width, styles.kind(layout.columns[col].kind) if col < len(layout.columns)
                                 else None)
        sheet.conditional_format(grid.row + 2, grid.col + 1, grid.row + 1 + rows, grid.col + columns, {
            "type": "2_color_scale", "min_color": HEAT_LOW, "max_color": HEAT_HIGH})
    return cells, tall


def _write_cells(sheet, row: int, cells: list[tuple]):
    for col, value, fmt in cells:
        if isinstance(value, str):
            sheet.write_string(row, col, value, fmt)
        elif value is not None and not pd.isna(value):
            sheet.write_number(row, col, float(value), fmt)


def _write_table(sheet, styles: Styles, layout: SheetLayout, grid_cells: dict[int, list[tuple]]):
    """The table's rows written cell by cell, each with the grid cells of its row (a small table only)."""
    top = layout.header_row
    formats = [styles.kind(c.kind) for c in layout.columns]
    rows = layout.table[[c.header for c in layout.columns]].itertuples(index=False)
    last = max([top + len(layout.table)] + list(grid_cells))
    for row in range(top + 1, last + 1):
        values = next(rows, ())
        for col, (value, fmt) in enumerate(zip(values, formats)):
            if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)) and not pd.isna(value):
                sheet.write_datetime(row, col, pd.Timestamp(value).to_pydatetime(), fmt)
            else:
                _write_cells(sheet, row, [(col, value, fmt)])
        _write_cells(sheet, row, grid_cells.get(row, []))


def _chart(book, sheet, layout: SheetLayout, headers: list[str], top: int):
    spec = layout.chart
    rows = len(layout.table)
    chart = book.add_chart({"type": "bar"})
    category = headers.index(spec.categories)
    colours = [HEADER_COLOUR, "#ED7D31", "#70AD47"]
    for number, header in enumerate(spec.series):
        col = headers.index(header)
        chart.add_series({"name": [layout.name, top, col],
                          "categories": [layout.name, top + 1, category, top + rows, category],
                          "values": [layout.name, top + 1, col, top + rows, col],
                          "fill": {"color": colours[number % len(colours)]}, "gap": 60})
    chart.set_title({"name": spec.title, "name_font": {"size": 12}})
    chart.set_y_axis({"reverse": True})
    chart.set_x_axis({"num_format": number_format(spec.value_format), "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 760, "height": 40 * rows + 120})
    sheet.insert_chart(top + rows + 2, 0, chart, {"x_offset": 5, "y_offset": 5})
