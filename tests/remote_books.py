"""Real xlwings Book objects without Excel, for test_live.py and test_udfs.py.

xlwings' remote engine builds a Book from a JSON description of a workbook (``xw.Book(json=...)``),
the way xlwings Server receives one from Excel, and records every change as an action for the
client to apply. It runs here under xlwings' noncommercial licence (XLWINGS_LICENSE_KEY=noncommercial),
set only for the tests; the desktop path the owner uses needs no licence. ``replay`` applies the
recorded actions to the workbook's cell values as Excel would.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine
import xlwings as xw

RUN_TIME = re.compile(r"Scored \d{4}-\d{2}-\d{2} \d{2}:\d{2}")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")


def enable_remote_engine(monkeypatch) -> None:
    """Register xlwings' remote engine, which needs the licence key in the environment when first loaded."""
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    if "remote" not in [engine.name for engine in xw.engines]:
        from xlwings.pro import _xlremote

        xw.engines.add(xw.Engine(impl=_xlremote.engine))


def _json_cell(value):
    """A cell value as Excel's xlwings client sends it: "" when empty, dates as ISO text."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()).isoformat(timespec="milliseconds") + "Z"
    return value


def book(sheets: dict[str, list[list]], name: str = "shop.xlsm", names: dict[str, str] | None = None) -> xw.Book:
    """A Book with ``sheets`` (name -> rows of cell values from A1), in that order, and workbook-level defined
    ``names`` (name -> what it refers to, "='Sheet'!$A$1")."""
    return xw.Book(json=book_json(sheets, name, names))


def book_json(sheets: dict[str, list[list]], name: str = "shop.xlsm", names: dict[str, str] | None = None) -> dict:
    """The JSON description of a workbook with ``sheets`` and ``names``, as Excel's xlwings client sends it."""
    entries = []
    for sheet, rows in sheets.items():
        width = max((len(row) for row in rows), default=0)
        values = [[_json_cell(v) for v in row] + [""] * (width - len(row)) for row in rows]
        entries.append({"name": sheet, "values": values or [[]], "pictures": [], "shapes": [], "charts": [],
                        "tables": [], "notes": [], "pivot_tables": [], "visibility": "Visible",
                        "show_gridlines": True, "print_area": None})
    defined = [{"name": key, "refers_to": target, "book_scope": True, "scope_sheet_name": None,
                "scope_sheet_index": None, "sheet_index": None, "address": None}
               for key, target in (names or {}).items()]
    return {"version": xw.__version__, "client": "Office.js", "names": defined, "sheets": entries,
            "book": {"name": name, "active_sheet_index": 0, "selection": "A1"}}


def _excel_value(value):
    """What Excel stores for a value written by the remote engine."""
    if value == "" or value is None:
        return None
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:]  # Excel's text marker: the rest is kept as text
        if _ISO.match(value):
            return dt.datetime.fromisoformat(value)
    return value


@dataclass
class Sheet:
    """What a sheet shows after the recorded actions, zero-based: cell values (a formula as its text),
    number formats, fills, fonts, column widths, row heights, merges, colour scales, checks, charts, tables
    and the frozen rows."""

    name: str
    values: dict = field(default_factory=dict)
    formats: dict = field(default_factory=dict)
    fills: dict = field(default_factory=dict)
    fonts: dict = field(default_factory=dict)  # (row, col) -> {"bold": True, "color": "#1F4E78", ...}
    widths: dict = field(default_factory=dict)
    heights: dict = field(default_factory=dict)
    merges: set = field(default_factory=set)  # (top, left, bottom, right)
    scales: list = field(default_factory=list)  # ((top, left, bottom, right), colours, thresholds)
    checks: list = field(default_factory=list)  # ((top, left, bottom, right), kind)
    charts: list = field(default_factory=list)  # {"kind", "anchor": (row, col), "source", "categories"}
    tables: list = field(default_factory=list)  # (name, "A1:F20")
    frozen_rows: int = 0

    def clear(self, area=None):
        for store in (self.values, self.formats, self.fills, self.fonts):
            for key in [k for k in store if area is None or _inside(k, area)]:
                del store[key]
        if area is None:
            self.merges.clear()
            self.scales.clear()
            self.checks.clear()


def _inside(cell, area) -> bool:
    return area[0] <= cell[0] <= area[2] and area[1] <= cell[1] <= area[3]


def _area(action) -> tuple[int, int, int, int]:
    top, left = action["start_row"], action["start_column"]
    return top, left, top + action["row_count"] - 1, left + action["column_count"] - 1


def _cells(action):
    top, left, bottom, right = _area(action)
    return [(r, c) for r in range(top, bottom + 1) for c in range(left, right + 1)]


def _cell(address: str) -> tuple[int, int]:
    letters, digits = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", address).groups()
    col = 0
    for letter in letters:
        col = col * 26 + ord(letter) - 64
    return int(digits) - 1, col - 1


def replay_sheets(sheets: dict[str, list[list]], actions: list[dict]) -> dict[str, Sheet]:
    """What each sheet of a Book made from ``sheets`` shows after ``actions``, as Excel would apply them."""
    order = []
    for name, rows in sheets.items():
        sheet = Sheet(name)
        sheet.values = {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row) if v not in (None, "")}
        order.append(sheet)
    for action in actions:
        func, position = action["func"], action["sheet_position"]
        sheet = order[position] if position is not None and position < len(order) else None
        args = action.get("args") or []
        if func == "addSheet":
            order.insert(args[0], Sheet(args[1]))
        elif func in ("sheetClear", "sheetClearContents"):
            sheet.clear()
        elif func == "rangeClear":
            sheet.clear(_area(action))
        elif func == "setValues":
            for r, row in enumerate(action["values"]):
                for c, value in enumerate(row):
                    sheet.values[(action["start_row"] + r, action["start_column"] + c)] = _excel_value(value)
        elif func == "setFormula":
            sheet.values[(action["start_row"], action["start_column"])] = action["values"][0][0]
        elif func == "setNumberFormat":
            sheet.formats.update(dict.fromkeys(_cells(action), args[0]))
        elif func == "setRangeColor":
            sheet.fills.update(dict.fromkeys(_cells(action), args[0].upper()))
        elif func == "setFontProperty":
            for cell in _cells(action):
                sheet.fonts.setdefault(cell, {})[args[0]] = args[1].upper() if args[0] == "color" else args[1]
        elif func == "setColumnWidth":
            sheet.widths[action["start_column"]] = args[0]
        elif func == "setRowHeight":
            sheet.heights[action["start_row"]] = args[0]
        elif func == "rangeMerge":
            sheet.merges.add(_area(action))
        elif func == "addConditionalFormat":
            rule = args[0]
            sheet.scales.append((_area(action), tuple(c.upper() for c in rule["colors"]),
                                 tuple(rule["thresholds"]) if any(t is not None for t in rule["thresholds"]) else None))
        elif func in ("setDataValidationList", "setDataValidationRule"):
            kind = "list" if func.endswith("List") else args[0]["type"]
            sheet.checks.append((_area(action), kind))
        elif func == "addChart":
            name, kind, on, source, *_, anchor, _style = args
            order_by_name = {s.name: s for s in order}
            order_by_name[on].charts.append({"kind": kind, "anchor": _cell(anchor), "source": source,
                                             "categories": None})
        elif func == "setChartXAxisValues":
            owner = next(s for s in order if s.name == args[1])
            owner.charts[args[0]]["categories"] = args[2]
        elif func == "addTable":
            sheet.tables.append((args[3], args[0].replace("$", "")))
        elif func == "freezePaneAtRange":
            sheet.frozen_rows = int(args[0].split(":")[1])
    return {sheet.name: sheet for sheet in order}


def replay(sheets: dict[str, list[list]], actions: list[dict]) -> dict[str, dict[tuple[int, int], object]]:
    """The cells of each sheet after ``actions``: sheet name -> {(row, col): value}, zero-based."""
    return {name: {key: value for key, value in sheet.values.items() if value is not None}
            for name, sheet in replay_sheets(sheets, actions).items()}


def grid(cells: dict[tuple[int, int], object]) -> list[list]:
    """Cells as rows from A1, None for blanks, each row cut after its last value."""
    if not cells:
        return []
    rows = max(r for r, _ in cells) + 1
    out = [[] for _ in range(rows)]
    for (r, c), value in cells.items():
        out[r].extend([None] * (c + 1 - len(out[r])))
        out[r][c] = value
    return out


def cells_of(path: Path, sheet: str) -> list[list]:
    """A sheet of a file written by headless mode, read with python-calamine."""
    return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(
        skip_empty_area=False)


def normal(rows: list[list]) -> list[list]:
    """Cell values compared as Excel holds them: numbers as floats to 12 significant digits (XlsxWriter writes
    16), dates as datetimes, blanks dropped from the ends of rows and the sheet, the run's clock time left out."""
    def value(v):
        if v is None or v == "":
            return None
        if isinstance(v, bool):
            return v
        if isinstance(v, (int, float)):
            return float(f"{v:.12g}")
        if isinstance(v, dt.datetime):
            return v
        if isinstance(v, dt.date):
            return dt.datetime.combine(v, dt.time())
        return RUN_TIME.sub("Scored (time)", v) if isinstance(v, str) else v
    out = []
    for row in rows:
        row = [value(v) for v in row]
        while row and row[-1] is None:
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out
