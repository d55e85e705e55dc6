"""Render sheet layouts with XlsxWriter: everything but the data rows, which sheetdata.py writes."""

from __future__ import annotations

import xlsxwriter

from .sheetdata import RowBlock
from ..layout import BEST, HEADER_COLOUR, MIDDLE, TITLE_COLOUR, WORST, SheetLayout, number_format

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


def write_layout(book: xlsxwriter.Workbook, styles: Styles, layout: SheetLayout) -> RowBlock:
    """Write one output sheet but its data rows, which are returned to be put in at the XML level."""
    sheet = book.add_worksheet(layout.name)
    top = layout.header_row
    printable(sheet, top + 1)
    for col, column in enumerate(layout.columns):
        sheet.set_column(col, col, column.width, styles.kind(column.kind))
    for row, line in enumerate(layout.lines):
        sheet.write_string(row, 0, line, styles.title if row == 0 else styles.note)
    if layout.lines:
        sheet.set_row(0, 21)
    sheet.set_row(top, 30)
    sheet.write_row(top, 0, [c.header for c in layout.columns], styles.header)
    last = top + max(len(layout.table), 1)
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
    return RowBlock(layout.table[headers], [c.kind for c in layout.columns],
                    [styles.kind(c.kind) for c in layout.columns], top + 1)


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
