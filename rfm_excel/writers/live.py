"""Live Excel through xlwings: whole-sheet reads, and sheet layouts written into the open workbook.

The sheets come from the same layouts (rfm_excel.layout) as the headless file. Each block of cells goes
in with one ``.value`` assignment, and each style is set once per rectangle of cells that share it (a
table's columns, a block's rows), never cell by cell. What xlwings has no call for on a desktop engine
(freeze panes, filter buttons, page setup) goes through Excel's object model on Windows and is left out on
a Mac; tests/test_two_writers.py lists every difference from the headless file.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict

import xlwings as xw

from ..base import sheet_names
from ..layout import signatures
from ..layout.blocks import Area, Cell, Cells, Chart, SheetLayout, Table, Validation, cell_value
from ..layout.theme import HEADER, TABLE_STYLE, Style

POINTS_PER_PIXEL = 0.75
XL_LANDSCAPE, XL_OVER_THEN_DOWN = 2, 2  # Excel's XlPageOrientation and XlOrder


def text(value: str) -> str:
    """A string as Excel keeps it verbatim: the leading apostrophe stops Excel reading "=1+1", "00123" or
    "2024-06-30" as a formula, number or date; the cell holds the text without it."""
    return "'" + value


def find_sheet(book: xw.Book, name: str) -> xw.Sheet | None:
    """The sheet called ``name``, ignoring case and surrounding spaces, if there is one."""
    found = sheet_names.find([sheet.name for sheet in book.sheets], name)
    return None if found is None else book.sheets[found]


def sheet_values(sheet: xw.Sheet, rows: int | None = None) -> list[list]:
    """Every cell value from A1 to the sheet's last used cell (or its first ``rows`` rows) in one read (None for
    an empty cell)."""
    last = sheet.used_range.last_cell
    return sheet.range((1, 1), (min(last.row, rows or last.row), last.column)).options(ndim=2).value


def placement(book: xw.Book, recognise: tuple[str, ...] = sheet_names.TOOL_SHEETS) -> sheet_names.Placement:
    """Where the tool's sheets stand in the open workbook: its marks (defined names), else those of its sheets
    ``recognise`` lists recognised by their layout; every other sheet is the owner's."""
    defined = [(name.name, name.refers_to or "") for name in book.names]
    return signatures.placement([sheet.name for sheet in book.sheets], defined,
                                lambda candidates: {name: sheet_values(book.sheets[name], signatures.SIGNATURE_ROWS)
                                                    for name in candidates}, recognise)


def merged_ranges(sheet: xw.Sheet) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The merged ranges of a sheet as ((top, left), (bottom, right)), zero-based, as python-calamine gives
    them. Excel's object model finds them on Windows (a search by format); elsewhere xlwings cannot list
    them and none are returned."""
    if _desktop(sheet) != "windows":
        return []
    used = sheet.used_range.api
    if used.MergeCells is False:  # True: all merged; None: some
        return []
    finder = sheet.book.app.api.FindFormat
    finder.Clear()
    finder.MergeCells = True
    found, first = [], None
    cell = used.Find(What="", SearchFormat=True)
    while cell is not None and cell.Address != first:
        first = first or cell.Address
        area = cell.MergeArea
        found.append(((area.Row - 1, area.Column - 1),
                      (area.Row + area.Rows.Count - 2, area.Column + area.Columns.Count - 2)))
        cell = used.Find(What="", After=cell, SearchFormat=True)
    finder.Clear()
    return list(dict.fromkeys(found))


def write_layouts(book: xw.Book, layouts: list[SheetLayout], where: sheet_names.Placement,
                  early: dt.timedelta = dt.timedelta(0)) -> None:
    """Write each layout to its sheet: replaced where it exists, else added after the last sheet, and mark each
    as the tool's. Only the tool's sheets (``where``) are written into: a layout named like an owner's sheet is
    refused. A layout with ``owned`` cells (Start Here) only rewrites those, and only where the book has that
    sheet. Dates are sent ``early`` (the engine's client shifts them by as much: a 1904 workbook in xlwings
    Lite)."""
    mine = {name.casefold() for name in where.mine()}
    for layout in layouts:
        sheet = find_sheet(book, layout.name)
        if sheet is not None and sheet.name.casefold() not in mine:
            raise ValueError(f"refused to write into the sheet {sheet.name!r}, which is not the tool's")
        if layout.owned:
            if sheet is not None:
                write_owned(sheet, layout, early)
        else:
            write_layout(_fresh_sheet(book, layout.name), layout, early)
    _mark(book, where.marks(layout.name for layout in layouts))


def _mark(book: xw.Book, marks: dict[str, str]) -> None:
    """Set each mark (defined name -> reference) as a workbook-level name, hidden where Excel's object model is
    at hand (Windows)."""
    existing = {name.name.casefold(): name for name in book.names}
    for name, reference in marks.items():
        old = existing.get(name.casefold())
        if old is not None and sheet_names.marked_sheet(old.refers_to or "") == sheet_names.marked_sheet(reference):
            continue
        if old is not None:
            old.delete()
        added = book.names.add(name, "=" + reference)
        if _desktop(book.sheets[0]) == "windows":
            added.api.Visible = False


def write_owned(sheet: xw.Sheet, layout: SheetLayout, early: dt.timedelta = dt.timedelta(0)) -> None:
    """Rewrite the cells the tool owns on a sheet the owner keeps; nothing else on it changes."""
    owned = layout.owned
    assert owned is not None  # a sheet the owner keeps, with the cells the tool owns
    _range(sheet, owned).clear()
    _write_cells(sheet, layout, early)
    for row, height in layout.heights.items():
        if owned.top <= row <= owned.bottom:
            sheet.range((row + 1, 1)).row_height = height


def write_layout(sheet: xw.Sheet, layout: SheetLayout, early: dt.timedelta = dt.timedelta(0)) -> None:
    """One whole sheet: its cells and tables, widths, heights, colour scales, checks, charts and views."""
    for col, width in layout.widths.items():
        sheet.range((1, col + 1)).column_width = width
    _write_cells(sheet, layout, early)
    for table in layout.tables:
        _write_table(sheet, table, early)
    for row, height in layout.heights.items():
        sheet.range((row + 1, 1)).row_height = height
    for area in layout.merges:
        _range(sheet, area).merge()
    for scale in layout.colour_scales:
        _range(sheet, scale.area).conditional_formats.add_color_scale(
            list(scale.colours), thresholds=list(scale.values) if scale.values else None)
    for check in layout.validations:
        _validate(_range(sheet, check.area), check)
    for chart in layout.charts:
        _chart(sheet, chart)
    if not layout.gridlines and _desktop(sheet):
        sheet.show_gridlines = False
    _views(sheet, layout)


def _range(sheet: xw.Sheet, area: Area) -> xw.Range:
    return sheet.range((area.top + 1, area.left + 1), (area.bottom + 1, area.right + 1))


def _write_cells(sheet: xw.Sheet, layout: SheetLayout, early: dt.timedelta) -> None:
    """The layout's blocks of cells (and tables' headers: with their tables), one value write per block, then
    each style once per rectangle of cells that share it; links as HYPERLINK formulas."""
    styles: dict[Style, list[tuple[int, int]]] = defaultdict(list)
    for block in layout.blocks:
        if not isinstance(block, Cells):
            continue
        width = max((len(line) for line in block.rows), default=0)
        values = [[_value(line[c], early) if c < len(line) else None for c in range(width)] for line in block.rows]
        if width and values:
            sheet.range((block.row + 1, block.col + 1)).value = values
        for (row, col), cell in block.items():
            styles[cell.style].append((row, col))
            if cell.link:
                shown = str(cell.value).replace('"', '""')
                sheet.range((row + 1, col + 1)).formula = f'=HYPERLINK("#{cell.link}","{shown}")'
    for style, places in styles.items():
        for area in rectangles(places):
            apply_style(_range(sheet, area), style)


def _value(cell: Cell | None, early: dt.timedelta):
    return None if cell is None or cell.link else _sent(cell_value(cell.value), early)


def _sent(value, early: dt.timedelta):
    """A cell value as it is sent: text kept as text (``text``), a date ``early``."""
    if isinstance(value, str):
        return text(value)
    return value - early if early and isinstance(value, dt.date) else value


def _write_table(sheet: xw.Sheet, table: Table, early: dt.timedelta) -> None:
    """A table in one value write (header and rows), then each column's style over its cells."""
    rows = [[_sent(value, early) for value in row] for row in table.cell_values()]
    sheet.range((table.row + 1, table.col + 1)).value = [[text(h) for h in table.headers], *rows]
    header = Area(table.row, table.col, table.row, table.col + len(table.columns) - 1)
    if table.name:
        sheet.tables.add(source=_range(sheet, Area(table.row, header.left, table.bottom, header.right)),
                         name=table.name, table_style_name=TABLE_STYLE.replace(" ", ""))
    else:
        apply_style(_range(sheet, header), HEADER)
    for column in table.columns:
        if column.style != Style():
            apply_style(_range(sheet, table.column_area(column.header)), column.style)


def apply_style(cells: xw.Range, style: Style) -> None:
    """Set on ``cells`` what ``style`` sets, one property at a time."""
    if style.bold:
        cells.font.bold = True
    if style.italic:
        cells.font.italic = True
    if style.size:
        cells.font.size = style.size
    if style.colour:
        cells.font.color = style.colour
    if style.fill:
        cells.color = style.fill
    if style.border:
        cells.borders.set("all", line_style="continuous", weight="thin", color=style.border)
    if style.wrap:
        cells.wrap_text = True
    if style.align:
        cells.horizontal_alignment = style.align
    if style.valign:
        cells.vertical_alignment = style.valign
    if style.number_format:
        cells.number_format = style.number_format


def rectangles(places: list[tuple[int, int]]) -> list[Area]:
    """Cells as few rectangles: runs along each row, joined with the same run on the rows below.

    >>> rectangles([(0, 0), (0, 1), (1, 0), (1, 1), (3, 1)])
    [Area(top=0, left=0, bottom=1, right=1), Area(top=3, left=1, bottom=3, right=1)]
    """
    runs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row, col in sorted(set(places)):
        line = runs[row]
        if line and line[-1][1] == col - 1:
            line[-1] = (line[-1][0], col)
        else:
            line.append((col, col))
    found: list[Area] = []
    open_: dict[tuple[int, int], int] = {}  # run -> its top row, for runs that reach the previous row
    previous = -1  # the row before (read only once open_ has runs)
    for row in sorted(runs):
        going_on = {run: open_.pop(run) if run in open_ and previous == row - 1 else row for run in runs[row]}
        found += [Area(top, run[0], previous, run[1]) for run, top in open_.items()]
        open_, previous = going_on, row
    found += [Area(top, run[0], previous, run[1]) for run, top in open_.items()]
    return sorted(found, key=lambda area: (area.top, area.left))


def _validate(cells: xw.Range, check: Validation) -> None:
    rule = cells.data_validation
    if check.kind == "list":
        rule.set_list(list(check.choices))
    elif check.kind == "date":
        assert isinstance(check.minimum, dt.date)  # a date check's limit is a date
        rule.set_date("greater_than", check.minimum)
    elif check.kind == "whole":
        assert isinstance(check.minimum, (int, float))  # a number check's limits are numbers
        rule.set_whole_number("between", check.minimum, check.maximum)
    else:
        assert isinstance(check.minimum, (int, float))
        rule.set_decimal("between", check.minimum, check.maximum)


def _chart(sheet: xw.Sheet, spec: Chart) -> None:
    """A chart from its series' block (names and values side by side), at its cell, with its categories."""
    first, last = spec.series[0], spec.series[-1]
    by_columns = first.values.left == first.values.right
    top = min(first.name[0], first.values.top)
    left = min(first.name[1], first.values.left)
    source = sheet.range((top + 1, left + 1), (last.values.bottom + 1, last.values.right + 1))
    chart = sheet.charts.add(anchor=sheet.range((spec.row + 1, spec.col + 1)), width=spec.width * POINTS_PER_PIXEL,
                             height=spec.height * POINTS_PER_PIXEL,
                             chart_type="bar_clustered" if spec.kind == "bar" else "line_markers", source=source,
                             plot_by="columns" if by_columns else "rows")
    chart.set_x_axis_values(_range(sheet, spec.categories))
    chart.title = spec.title
    chart.legend.position = "bottom"
    if spec.kind == "bar":
        chart.category_axis.reverse_order = True
    if spec.value_format:
        chart.value_axis.number_format = spec.value_format


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


def _views(sheet: xw.Sheet, layout: SheetLayout) -> None:
    """Freeze panes, filter buttons and page setup. xlwings has calls for none of them on the desktop
    engines, so Excel's object model is used on Windows; the remote engine freezes through xlwings."""
    where = _desktop(sheet)
    filtered = [table for table in layout.tables if table.filter and not table.name]
    if where == "windows":
        for table in filtered:
            _range(sheet, Area(table.row, table.col, table.bottom, table.col + len(table.columns) - 1)).api.AutoFilter()
        if layout.freeze:
            sheet.activate()
            window = sheet.book.app.api.ActiveWindow
            window.FreezePanes = False
            window.ScrollRow, window.ScrollColumn = 1, 1
            window.SplitRow, window.SplitColumn = layout.freeze
            window.FreezePanes = True
        _print_setup(sheet, layout)
    elif where is None and layout.freeze:
        rows, columns = layout.freeze
        if rows and not columns:
            sheet.freeze_panes.freeze_at(f"1:{rows}")


def _print_setup(sheet: xw.Sheet, layout: SheetLayout) -> None:
    """Landscape, one page wide (or pages across), repeated header rows and columns, through Excel on Windows."""
    page, printing = sheet.api.PageSetup, layout.printing
    if printing.landscape:
        page.Orientation = XL_LANDSCAPE
    if printing.fit_width:
        page.Zoom = False
        page.FitToPagesWide, page.FitToPagesTall = 1, False
    else:
        page.Order = XL_OVER_THEN_DOWN
        if printing.scale:
            page.Zoom = printing.scale
    if printing.repeat_rows:
        page.PrintTitleRows = f"${printing.repeat_rows[0] + 1}:${printing.repeat_rows[1] + 1}"
    if printing.repeat_columns:
        first, last = (xw.utils.col_name(c + 1) for c in printing.repeat_columns)
        page.PrintTitleColumns = f"${first}:${last}"
    for row in printing.breaks:
        sheet.api.HPageBreaks.Add(Before=sheet.range((row + 1, 1)).api)


def activate(book: xw.Book, names: tuple[str, ...]) -> None:
    """Show the first sheet of ``names`` that the book has."""
    for name in names:
        sheet = find_sheet(book, name)
        if sheet is not None:
            sheet.activate()
            return


def _desktop(sheet: xw.Sheet) -> str | None:
    """'windows' or 'mac' for desktop Excel, None for xlwings' other engines (e.g. the remote engine)."""
    if sheet.book.app.engine.name != "excel":
        return None
    return "windows" if sys.platform.startswith("win") else "mac"


def uses_1904_dates(book: xw.Book) -> bool | None:
    """Whether the open workbook counts its serial numbers from 1904 (Excel's "Use 1904 date system"); None
    where xlwings' engine cannot tell (the remote engine, xlwings Lite).

    Desktop Excel stores the date values written in the workbook's own system, so only serial numbers read
    from cells need this there.
    """
    where = _desktop(book.sheets[0])
    if where == "windows":
        return bool(book.api.Date1904)
    if where == "mac":
        return bool(book.api.date_1904.get())
    return None
