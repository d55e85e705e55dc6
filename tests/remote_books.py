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

import xlwings as xw

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


def book(sheets: dict[str, list[list]], name: str = "shop.xlsm") -> xw.Book:
    """A Book with ``sheets`` (name -> rows of cell values from A1), in that order."""
    entries = []
    for sheet, rows in sheets.items():
        width = max((len(row) for row in rows), default=0)
        values = [[_json_cell(v) for v in row] + [""] * (width - len(row)) for row in rows]
        entries.append({"name": sheet, "values": values or [[]], "pictures": [], "shapes": [], "charts": [],
                        "tables": [], "notes": [], "pivot_tables": [], "visibility": "Visible",
                        "show_gridlines": True, "print_area": None})
    return xw.Book(json={"version": xw.__version__, "client": "Office.js", "names": [], "sheets": entries,
                         "book": {"name": name, "active_sheet_index": 0, "selection": "A1"}})


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


def replay(sheets: dict[str, list[list]], actions: list[dict]) -> dict[str, dict[tuple[int, int], object]]:
    """The cells of each sheet after ``actions``: sheet name -> {(row, col): value}, zero-based."""
    order = [[name, {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row) if v not in (None, "")}]
             for name, rows in sheets.items()]
    for action in actions:
        func, position = action["func"], action["sheet_position"]
        if func == "addSheet":
            index, name = action["args"]
            order.insert(index, [name, {}])
        elif func in ("sheetClear", "sheetClearContents"):
            order[position][1].clear()
        elif func == "setValues":
            cells = order[position][1]
            for r, row in enumerate(action["values"]):
                for c, value in enumerate(row):
                    cells[(action["start_row"] + r, action["start_column"] + c)] = _excel_value(value)
    return {name: {key: value for key, value in cells.items() if value is not None} for name, cells in order}


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
