"""How much memory the xlwings Lite run takes, by the number of order rows: where Pyodide's 2 GB runs out.

Usage: python benchmarks/lite_memory.py [--rows 50000 100000 200000 400000]

Each size runs in a fresh interpreter: the Orders sheet (generate.order_lines: customer IDs, order IDs,
dates, amounts; a customer per 10 lines) is handed over as xlwings Lite hands a workbook to a script (a
Book of xlwings' remote engine, built from the workbook's JSON text, which is kept), then the Score
customers script's code (doors.button.score_book, as doors.lite runs it) scores it and writes every sheet,
and the recorded actions are turned into the JSON that goes back to Excel. The figure is the process's
peak resident memory (ru_maxrss), the interpreter and the imported packages included, on 64-bit CPython:
Pyodide is 32-bit (wasm32), where pointers, and so Python's lists and objects, take about half the room,
so the figures are upper bounds for Lite (docs/performance.md, docs/excel.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def one(rows: int) -> dict:
    """Score ``rows`` order rows as the Lite script does, in this process; the memory and time it took."""
    os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"  # xlwings' remote engine, as in the tests
    import datetime as dt

    import numpy as np
    import xlwings as xw

    from generate import HEADERS, order_lines
    from rfm_excel.doors.button import score_book
    from rfm_excel.layout.template import settings_grid

    imported = peak_mb()
    customer_ids, order_ids, days, amounts = order_lines(rows, max(rows // 10, 1))
    dates = (np.datetime64("1899-12-30T00:00", "m") + (days * 24 * 60).astype("timedelta64[m]")).astype(dt.datetime)
    values = [HEADERS] + [[c, o, d.isoformat(timespec="milliseconds") + "Z", a] for c, o, d, a in zip(
        customer_ids.tolist(), order_ids.tolist(), dates.tolist(), amounts.tolist(), strict=True)]
    sheets = {"Start Here": [["Score your customers in five steps"]], "Orders": values,
              "Settings": [["" if v is None else v for v in row] for row in settings_grid()]}
    width = {name: max(len(row) for row in grid) for name, grid in sheets.items()}
    description = {"version": xw.__version__, "client": "Office.js", "names": [], "book": {
        "name": "shop.xlsx", "active_sheet_index": 0, "selection": "A1"}, "sheets": [
        {"name": name, "values": [[*row, *[""] * (width[name] - len(row))] for row in grid], "pictures": [],
         "shapes": [], "charts": [], "tables": [], "notes": [], "pivot_tables": [], "visibility": "Visible",
         "show_gridlines": True, "print_area": None} for name, grid in sheets.items()]}
    del values, sheets
    received = json.dumps(description)  # the workbook as the add-in hands it to Python: one JSON text
    del description
    book = xw.Book(json=json.loads(received))
    handed = peak_mb()
    start = time.perf_counter()
    result = score_book(book)
    answer = json.dumps(book.json(), default=str)
    return {"rows": rows, "customers": result.customers, "seconds": round(time.perf_counter() - start, 1),
            "imports_mb": round(imported), "book_mb": round(handed), "peak_mb": round(peak_mb()),
            "answer_mb": round(len(answer) / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[50_000, 100_000, 200_000, 400_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    print(f"{dt_now()}  Python {platform.python_version()}  {platform.machine()}")
    print("rows     customers  seconds  after imports MB  with the book MB  peak MB  JSON back MB")
    for rows in args.rows:
        ran = subprocess.run([sys.executable, __file__, "--one", str(rows)], capture_output=True, text=True,
                             cwd=Path(__file__).parent, check=True)
        f = json.loads(ran.stdout.splitlines()[-1])
        print(f"{f['rows']:>7,}  {f['customers']:>9,}  {f['seconds']:>7}  {f['imports_mb']:>16,}  {f['book_mb']:>16,}"
              f"  {f['peak_mb']:>7,}  {f['answer_mb']:>12,}")


def dt_now() -> str:
    import datetime as dt

    return f"{dt.datetime.now():%Y-%m-%d}"


if __name__ == "__main__":
    main()
