"""Every sheet the tool writes, rendered from its one layout by both writers and compared cell by cell.

The headless file is written the way the command line writes it (XlsxWriter, the column-built rows and
the package splice, into a template workbook) and read back with openpyxl. The live writer writes the
same layouts into a Book of xlwings' remote engine holding the template's sheets, and the actions it
records are applied to the cells as Excel would apply them (remote_books.replay_sheets). Compared: cell
values (a link as its HYPERLINK formula), number formats, fills, fonts (bold, italic, colour, size),
column widths, row heights, merged cells, colour scales, data checks (their kind and cells), charts
(their kind, the cell they sit on and the cells they chart), Excel tables and frozen header rows.

What the writers cannot both do is listed in DIFFERENCES, and left out of the comparison only there.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import python_calamine

import rfm_excel
from rfm_excel.base.ooxml import Package
from rfm_excel.base.settings import DEFAULT_SEGMENTS, Settings
from rfm_excel.doors.files import placement_of
from rfm_excel.doors.files import write_layouts as write_file
from rfm_excel.layout.sheets import output_sheets
from rfm_excel.layout.template import orders_sheet, settings_sheet, start_here_sheet
from rfm_excel.writers.headless.template import build_template
from rfm_excel.writers.live import placement
from rfm_excel.writers.live import write_layouts as write_live

_spec = importlib.util.spec_from_file_location("remote_books", Path(__file__).with_name("remote_books.py"))
remote_books = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(remote_books)

DIFFERENCES = {  # what the live writer does not do, or does differently, and why
    "page setup": "Landscape, one page wide or 70% with pages across, repeated header rows and ID column, page "
                  "breaks: xlwings has no call for them; the live writer sets them through Excel's object model on "
                  "Windows, and a Mac gets none.",
    "filter buttons": "xlwings has no call to add them; Excel's object model on Windows, none on a Mac.",
    "frozen rows": "through xlwings on its remote engine and Excel's object model on Windows; none on a Mac "
                   "(compared here on the remote engine).",
    "check messages": "Both writers set the same data checks on the same cells; the sentence shown when a value is "
                      "refused, and a check that only warns (the Settings' channel list), are the headless file's "
                      "only: xlwings' data validation has no call for them.",
    "numbers kept as text": "The Orders sheet of a template tells Excel not to flag IDs kept as text: headless only "
                            "(the live writer never writes Orders).",
    "button": "The Score customers button is drawn by the template builder; the live writer runs in the workbook "
              "whose button was clicked.",
    "hidden gridlines": "Start Here hides its gridlines in the template; the live writer rewrites only Start Here's "
                        "own cells (and would hide them on desktop Excel; the remote engine cannot).",
    "chart look": "Series colours, bar gaps, line markers and the chart title's size: headless; live charts keep "
                  "Excel's defaults for these.",
    "borders": "Both writers draw thin grey borders round header cells; xlwings records one action per edge, "
               "which is not compared.",
    "column widths": "XlsxWriter stores a width with Excel's padding (0.71 characters), which Excel adds itself "
                     "when xlwings sets one; compared without it.",
    "column formats": "The headless file also gives each table column its format as the column's own, so a value "
                      "typed under the table takes it; the live writer formats the table's cells.",
}
AT = dt.datetime(2024, 7, 1, 9, 30)
HEADER = ["Customer ID", "Order ID", "Order Date", "Amount", "Customer Name", "Email"]


def results(helpers) -> dict[str, rfm_excel.Result]:
    """A plain run of the hand-made orders, and a rich one: £, half of each segment held out, a campaign,
    and a second snapshot so that Movement has its matrix."""
    orders = pd.DataFrame([list(row) for row in helpers.hand_orders], columns=HEADER).astype(object)
    settings = Settings(currency_symbol="£", campaign_date=dt.date(2024, 5, 31),
                        segments=tuple(replace(rule, holdout=0.5) for rule in DEFAULT_SEGMENTS))
    earlier = rfm_excel.score(orders, settings, as_of=dt.date(2024, 5, 31))
    return {"plain": rfm_excel.score(orders), "rich": rfm_excel.score(orders, settings, history=earlier.history)}


def layouts(helpers, which: str):
    result = results(helpers)[which]
    orders = pd.DataFrame([list(row) for row in helpers.hand_orders], columns=HEADER).astype(object)
    if which == "plain":
        return [start_here_sheet(), *output_sheets(result, AT)]
    return [start_here_sheet(result, AT, button=True), orders_sheet(orders), settings_sheet(),
            *output_sheets(result, AT)]


def headless(tmp_path: Path, sheets, helpers) -> openpyxl.Workbook:
    """The layouts written as the tool writes them: Orders by the template builder (its only writer), the
    others by the command line's path into that template."""
    orders = pd.DataFrame([list(row) for row in helpers.hand_orders], columns=HEADER).astype(object)
    base = build_template(tmp_path / "base.xlsx", orders=orders if any(s.name == "Orders" for s in sheets) else None)
    write_file(base, tmp_path / "out.xlsx", [layout for layout in sheets if layout.name != "Orders"],
               placement_of(base))
    return openpyxl.load_workbook(tmp_path / "out.xlsx")


def live(tmp_path: Path, sheets, monkeypatch) -> dict[str, remote_books.Sheet]:
    """The layouts written by the live writer into the template open in Excel (its marks included: an Orders
    sheet of the tool's, as the template builder makes one to fill)."""
    remote_books.enable_remote_engine(monkeypatch)
    path = build_template(tmp_path / "live.xlsx", orders=pd.DataFrame(columns=HEADER))
    template = python_calamine.CalamineWorkbook.from_path(str(path))
    start = {name: template.get_sheet_by_name(name).to_python() for name in template.sheet_names}
    book = remote_books.book(start, names=dict(Package(path).sheets_and_names()[1]))
    write_live(book, sheets, placement(book))
    return remote_books.replay_sheets(start, book.json()["actions"])


def _colour(color) -> str | None:
    rgb = getattr(color, "rgb", None)
    return f"#{rgb[2:].upper()}" if isinstance(rgb, str) and len(rgb) == 8 else None


def _value(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(f"{value:.12g}")
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    return value


def _box(refs: list[str]) -> str:
    """The smallest A1 range holding the given ranges ("Sheet!$C$5" ...), with $ signs."""
    cells = [remote_books._cell(part) for ref in refs for part in ref.split("!")[-1].split(":")]
    top, left = min(r for r, _ in cells), min(c for _, c in cells)
    bottom, right = max(r for r, _ in cells), max(c for _, c in cells)
    name = openpyxl.utils.get_column_letter
    first, last = f"${name(left + 1)}${top + 1}", f"${name(right + 1)}${bottom + 1}"
    return first if first == last else f"{first}:{last}"


def seen_in_file(sheet) -> remote_books.Sheet:
    """What a sheet of the headless file shows, in the terms of remote_books.Sheet."""
    shown = remote_books.Sheet(sheet.title)
    for (row, col), cell in sheet._cells.items():
        place = (row - 1, col - 1)
        if cell.value is not None:
            shown.values[place] = cell.value
        if cell.number_format != "General":
            shown.formats[place] = cell.number_format
        if cell.fill is not None and cell.fill.patternType == "solid":
            shown.fills[place] = _colour(cell.fill.fgColor)
        font = {"bold": cell.font.b or None, "italic": cell.font.i or None, "color": _colour(cell.font.color),
                "size": cell.font.sz if cell.font.sz not in (None, 11) else None}
        if any(font.values()):
            shown.fonts[place] = {key: value for key, value in font.items() if value}
    for column in sheet.column_dimensions.values():
        if column.customWidth:
            for col in range(column.min, column.max + 1):
                shown.widths[col - 1] = round(column.width - 0.7109375, 2)
    shown.heights = {row - 1: dimension.height for row, dimension in sheet.row_dimensions.items()
                     if dimension.height is not None}
    shown.merges = {(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in sheet.merged_cells.ranges}
    for formatting in sheet.conditional_formatting:
        area = next(iter(formatting.sqref.ranges))
        for rule in formatting.rules:
            values = [float(v.val) if v.type == "num" else None for v in rule.colorScale.cfvo]
            shown.scales.append(((area.min_row - 1, area.min_col - 1, area.max_row - 1, area.max_col - 1),
                                 tuple(_colour(c) for c in rule.colorScale.color),
                                 tuple(values) if any(v is not None for v in values) else None))
    kinds = {"list": "list", "whole": "whole_number", "decimal": "decimal", "date": "date"}
    for check in sheet.data_validations.dataValidation:
        for area in check.sqref.ranges:
            shown.checks.append(((area.min_row - 1, area.min_col - 1, area.max_row - 1, area.max_col - 1),
                                 kinds[check.type]))
    for chart in sheet._charts:
        series = chart.series
        refs = [s.tx.strRef.f for s in series] + [s.val.numRef.f for s in series]
        kind = "BarClustered" if chart.tagname == "barChart" else "LineMarkers"
        category = series[0].cat.strRef or series[0].cat.numRef
        shown.charts.append({"kind": kind, "anchor": (chart.anchor._from.row, chart.anchor._from.col),
                             "source": _box(refs), "categories": _box([category.f])})
    shown.tables = list(sheet.tables.items())  # (name, "A1:F20")
    if sheet.freeze_panes:
        shown.frozen_rows = remote_books._cell(sheet.freeze_panes)[0]
    return shown


def owned_only(shown: remote_books.Sheet, area) -> remote_books.Sheet:
    """The cells of ``area`` alone: on Start Here the rest is the owner's, and the live Book starts from the
    template's values only, without its formats."""

    def inside(place) -> bool:
        return area.top <= place[0] <= area.bottom and area.left <= place[1] <= area.right

    kept = remote_books.Sheet(shown.name)
    for name in ("values", "formats", "fills", "fonts"):
        setattr(kept, name, {place: v for place, v in getattr(shown, name).items() if inside(place)})
    kept.heights = {row: h for row, h in shown.heights.items() if area.top <= row <= area.bottom}
    return kept


def differences(file: remote_books.Sheet, excel: remote_books.Sheet) -> list[str]:
    """Every way the two renderings of a sheet differ, as short lines (an empty list when they agree)."""
    found = []
    hidden = {(r, c) for top, left, bottom, right in file.merges | excel.merges for r in range(top, bottom + 1)
              for c in range(left, right + 1)} - {(top, left) for top, left, _, _ in file.merges | excel.merges}
    for shown in (file, excel):  # a merged area shows its first cell only
        for name in ("values", "formats", "fills", "fonts"):
            setattr(shown, name, {p: v for p, v in getattr(shown, name).items() if p not in hidden})
    places = sorted(set(file.values) | set(excel.values))
    for place in places:
        a, b = _value(file.values.get(place)), _value(excel.values.get(place))
        if a != b:
            found.append(f"value at {place}: {a!r} != {b!r}")
        if file.values.get(place) is not None or excel.values.get(place) is not None:
            if file.formats.get(place, "General") != excel.formats.get(place, "General"):
                found.append(f"format at {place}: {file.formats.get(place)!r} != {excel.formats.get(place)!r}")
            if file.fonts.get(place, {}) != {k: v for k, v in excel.fonts.get(place, {}).items() if v}:
                found.append(f"font at {place}: {file.fonts.get(place)} != {excel.fonts.get(place)}")
    for place in sorted(set(file.fills) | set(excel.fills)):
        if file.fills.get(place) != excel.fills.get(place):
            found.append(f"fill at {place}: {file.fills.get(place)} != {excel.fills.get(place)}")
    for name in ("widths", "heights", "merges", "tables", "frozen_rows"):
        if getattr(file, name) != getattr(excel, name):
            found.append(f"{name}: {getattr(file, name)} != {getattr(excel, name)}")
    for name in ("scales", "checks", "charts"):
        if sorted(getattr(file, name), key=repr) != sorted(getattr(excel, name), key=repr):
            found.append(f"{name}: {getattr(file, name)} != {getattr(excel, name)}")
    return found


@pytest.mark.parametrize("which", ["plain", "rich"])
def test_both_writers_show_the_same_sheets(which, helpers, tmp_path, monkeypatch):
    sheets = layouts(helpers, which)
    file = headless(tmp_path, sheets, helpers)
    excel = live(tmp_path, sheets, monkeypatch)
    names = [layout.name for layout in sheets]
    assert [name for name in excel if name in names] == [name for name in file.sheetnames if name in names]
    compared = {}
    for layout in sheets:
        shown, written = seen_in_file(file[layout.name]), excel[layout.name]
        if layout.owned:
            shown, written = owned_only(shown, layout.owned), owned_only(written, layout.owned)
        compared[layout.name] = differences(shown, written)
    assert compared == {name: [] for name in names}


def test_the_comparison_catches_a_difference(helpers, tmp_path, monkeypatch):
    """A chart one row lower, a fill of another colour and a changed value are each found."""
    sheets = layouts(helpers, "plain")
    file = seen_in_file(headless(tmp_path, sheets, helpers)["Segments"])
    excel = live(tmp_path, sheets, monkeypatch)["Segments"]
    assert differences(file, excel) == []
    excel.charts[0] = {**excel.charts[0], "anchor": (excel.charts[0]["anchor"][0] + 1, 0)}
    excel.fills[(4, 0)] = "#FF0000"
    excel.values[(5, 1)] = 2
    found = differences(file, excel)
    assert len(found) == 3 and found[0].startswith("value at (5, 1): 1.0 != 2.0")
    assert found[1] == "fill at (4, 0): #1F4E78 != #FF0000" and found[2].startswith("charts: ")


def test_each_difference_is_documented_where_the_owner_reads():
    excel_md = (Path(__file__).resolve().parents[1] / "docs" / "excel.md").read_text()
    for name in DIFFERENCES:
        assert name in excel_md, name
