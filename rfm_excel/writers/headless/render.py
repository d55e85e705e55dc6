"""Render sheet layouts with XlsxWriter; the data rows of a big table are left to rows.py."""

from __future__ import annotations

import datetime as dt

import xlsxwriter

from ...base.excel import EPOCH, EPOCH_1904
from ...layout.blocks import Area, Cell, Chart, SheetLayout, Table
from ...layout.theme import SERIES, TABLE_STYLE, Style
from .rows import RowBlock


class Styles:
    """One XlsxWriter format per distinct style, created once per workbook (XlsxWriter gives a format
    its index only if no equal one came first)."""

    def __init__(self, book: xlsxwriter.Workbook):
        self.book = book
        self._formats: dict[Style, object] = {}

    def __call__(self, style: Style):
        if style not in self._formats:
            self._formats[style] = self.book.add_format(properties(style))
        return self._formats[style]


def properties(style: Style) -> dict:
    """A style as XlsxWriter's format properties."""
    found = {"bold": style.bold, "italic": style.italic, "font_size": style.size, "font_color": style.colour,
             "bg_color": style.fill, "text_wrap": style.wrap, "align": style.align, "valign": style.valign,
             "num_format": style.number_format}
    if style.border:
        found.update(border=1, border_color=style.border)
    return {key: value for key, value in found.items() if value}


def write_layout(book: xlsxwriter.Workbook, styles: Styles, layout: SheetLayout,
                 rows_apart: bool = True) -> RowBlock | None:
    """Write one sheet. With ``rows_apart``, the data rows of a table with nothing under it are returned
    (to be put in at the XML level) instead of written; else every cell is written here."""
    sheet = book.add_worksheet(layout.name)
    column_styles = {table.col + c: column.style for table in layout.tables for c, column in enumerate(table.columns)}
    for col in sorted(set(layout.widths) | set(column_styles)):
        style = column_styles.get(col)
        sheet.set_column(col, col, layout.widths.get(col), styles(style) if style else None)
    cells = layout.cells()
    apart = _rows_apart(layout, cells) if rows_apart else None
    for table in layout.tables:
        if table is not apart:
            for r, values in enumerate(table.cell_values(), start=table.row + 1):
                cells.update(((r, table.col + c), Cell(value, column.style))
                             for c, (value, column) in enumerate(zip(values, table.columns, strict=True))
                             if value is not None)
    _write_rows(sheet, styles, layout, cells)
    _sheet_setup(book, sheet, styles, layout, apart)
    if apart is None:
        return None
    return RowBlock(apart.frame[apart.headers], [c.kind for c in apart.columns],
                    [styles(c.style) for c in apart.columns], apart.row + 1, EPOCH_1904 if book.date_1904 else EPOCH,
                    apart.texts)


def _rows_apart(layout: SheetLayout, cells: dict) -> Table | None:
    """The table whose rows can go in whole: the last thing on its sheet."""
    for table in layout.tables:
        if len(table.frame) and not any(r > table.row for r, _ in cells):
            return table
    return None


def _write_rows(sheet, styles: Styles, layout: SheetLayout, cells: dict[tuple[int, int], Cell]) -> None:
    """Every cell and row height, row by row in order (XlsxWriter streams rows in constant_memory mode)."""
    merged = {(area.top, area.left): area for area in layout.merges}
    inside = {(r, c) for area in layout.merges for r in range(area.top, area.bottom + 1)
              for c in range(area.left, area.right + 1)} - set(merged)
    by_row: dict[int, list[int]] = {row: [] for row in layout.heights}
    for row, col in cells:
        by_row.setdefault(row, []).append(col)
    for row in sorted(by_row):
        if row in layout.heights:
            sheet.set_row(row, layout.heights[row])
        for col in sorted(by_row[row]):
            cell = cells[(row, col)]
            if (row, col) in merged:
                area = merged[(row, col)]
                sheet.merge_range(area.top, area.left, area.bottom, area.right, cell.value, styles(cell.style))
            elif (row, col) not in inside:
                write_cell(sheet, row, col, cell, styles)


def write_cell(sheet, row: int, col: int, cell: Cell, styles: Styles) -> None:
    fmt = styles(cell.style)
    value = cell.value
    if cell.link:
        text = str(value).replace('"', '""')
        sheet.write_formula(row, col, f'=HYPERLINK("#{cell.link}","{text}")', fmt, value)
    elif value is None or value == "":
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        sheet.write_string(row, col, value, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, (dt.datetime, dt.date)):
        sheet.write_datetime(row, col, value, fmt)
    else:
        sheet.write_number(row, col, float(value), fmt)


def _sheet_setup(book, sheet, styles: Styles, layout: SheetLayout, apart: Table | None = None) -> None:
    """Everything around the cells: tables, filter, freeze, colour scales, checks, charts, buttons, printing.
    An Excel table whose rows go in apart is given one row (XlsxWriter would visit every cell of a big one):
    putting the rows in widens it (splice.put_rows)."""
    for table in layout.tables:
        last_col = table.col + len(table.columns) - 1
        if table.name:
            bottom = table.row + 1 if table is apart else table.bottom
            sheet.add_table(table.row, table.col, bottom, last_col, {
                "name": table.name, "style": TABLE_STYLE,  # the header in the table's style, not its column's
                "columns": [{"header": h, "header_format": styles(Style())} for h in table.headers]})
        elif table.filter:
            sheet.autofilter(table.row, table.col, table.bottom, last_col)
    if layout.freeze:
        sheet.freeze_panes(*layout.freeze)
    for scale in layout.colour_scales:
        a = scale.area
        if scale.values:
            low, middle, high = scale.values
            rule = {"type": "3_color_scale", "min_type": "num", "min_value": low, "mid_type": "num",
                    "mid_value": middle, "max_type": "num", "max_value": high}
        else:
            rule = {"type": "2_color_scale"} if len(scale.colours) == 2 else {"type": "3_color_scale"}
        names = ["min_color", "mid_color", "max_color"] if len(scale.colours) == 3 else ["min_color", "max_color"]
        rule.update(zip(names, scale.colours, strict=False))
        sheet.conditional_format(a.top, a.left, a.bottom, a.right, rule)
    for check in layout.validations:
        sheet.data_validation(check.area.top, check.area.left, check.area.bottom, check.area.right, _validation(check))
    for chart in layout.charts:
        sheet.insert_chart(chart.row, chart.col, _chart(book, layout.name, chart))
    for button in layout.buttons:
        sheet.insert_button(button.row, button.col, {"macro": button.macro, "caption": button.caption,
                                                     "width": button.width, "height": button.height,
                                                     "x_offset": button.x_offset})
    if layout.numbers_as_text:
        sheet.ignore_errors({"number_stored_as_text": " ".join(_range(area) for area in layout.numbers_as_text)})
    if not layout.gridlines:
        sheet.hide_gridlines(2)
    printing = layout.printing
    if printing.landscape:
        sheet.set_landscape()
    if printing.fit_width:
        sheet.fit_to_pages(1, 0)
    else:
        sheet.print_across()
        if printing.scale:
            sheet.set_print_scale(printing.scale)
    if printing.repeat_rows:
        sheet.repeat_rows(*printing.repeat_rows)
    if printing.repeat_columns:
        sheet.repeat_columns(*printing.repeat_columns)
    if printing.breaks:
        sheet.set_h_pagebreaks(list(printing.breaks))


def _range(area: Area) -> str:
    return xlsxwriter.utility.xl_range(area.top, area.left, area.bottom, area.right)


def _validation(check) -> dict:
    if check.kind == "list":
        rule = {"validate": "list", "source": list(check.choices)}
    elif check.kind == "date":
        rule = {"validate": "date", "criteria": ">", "value": check.minimum}
    else:
        rule = {"validate": "integer" if check.kind == "whole" else "decimal", "criteria": "between",
                "minimum": check.minimum, "maximum": check.maximum}
    if check.message:
        rule["error_message"] = check.message
    if not check.strict:
        rule["error_type"] = "information"
    return rule


def _chart(book, sheet_name: str, spec: Chart):
    chart = book.add_chart({"type": spec.kind} if spec.kind == "bar" else {"type": "line"})
    c = spec.categories
    for number, series in enumerate(spec.series):
        v = series.values
        colour = SERIES[number % len(SERIES)]
        marker = {"type": "circle", "size": 6, "fill": {"color": colour}, "border": {"color": colour}}
        look = {"fill": {"color": colour}, "gap": 60} if spec.kind == "bar" else {
            "line": {"color": colour, "width": 2.25}, "marker": marker}
        chart.add_series({"name": [sheet_name, *series.name],
                          "categories": [sheet_name, c.top, c.left, c.bottom, c.right],
                          "values": [sheet_name, v.top, v.left, v.bottom, v.right], **look})
    chart.set_title({"name": spec.title, "name_font": {"size": 12}})
    values_axis: dict[str, object] = {"major_gridlines": {"visible": True}}
    if spec.value_format:
        values_axis["num_format"] = spec.value_format
    if spec.kind == "bar":  # categories down the side, the first at the top
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis(values_axis)
    else:
        chart.set_y_axis(values_axis)
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": spec.width, "height": spec.height})
    return chart
