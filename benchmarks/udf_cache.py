"""What a full recalculation of 10,000 =RFM_SCORE cells over one 100,000-line orders range costs:
with the scoring cache (rfm_excel.doors.functions.CACHE), and how much of it is reading the
workbook's Settings through the calling cell; without the cache for comparison.

Usage: python benchmarks/udf_cache.py [--lines 100000] [--cells 10000] [--uncached-calls 5]

Excel calls each cell's function with the range's values as fresh Python lists, so the calls here
alternate between two copies of the orders built from separate objects: every cache lookup compares
the whole range cell by cell, as it would in Excel. Each call gets a calling cell in a workbook with
the template's Settings sheet (a Book of xlwings' remote engine, which holds its sheets in memory,
so a range read here costs what Python does with it, not what COM would add), as Excel passes one:
the functions find the Settings there. A last run passes the Settings as the formula's
``settings`` argument instead. Without the cache every call scores the orders; only
--uncached-calls calls are timed and the total is that average times --cells. Not measured here:
Excel handing each range to Python (COM and xlwings' conversion), which needs Excel.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import os
import platform
import time

import xlwings as xw

from generate import HEADERS, order_lines
from rfm_excel.doors import functions as udfs
from rfm_excel.layout.template import settings_grid
from rfm_excel.layout.wording import counted

EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def orders_range(lines: int, customers: int) -> list[list]:
    """The orders as xlwings hands a range to a function: header row, then floats, text and datetimes."""
    customer_ids, order_ids, days, amounts = order_lines(lines, customers)
    dates = [EXCEL_EPOCH + dt.timedelta(days=d) for d in days.tolist()]
    return [list(HEADERS)] + [list(row) for row in zip(customer_ids.tolist(), [str(o) for o in order_ids.tolist()],
                                                        dates, amounts.tolist(), strict=True)]


def calling_cell() -> xw.Range:
    """A cell of a workbook that has the template's Settings sheet, on xlwings' remote engine (run under
    xlwings' noncommercial licence, set here for this process only)."""
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    if "remote" not in [engine.name for engine in xw.engines]:
        from xlwings.pro import _xlremote
        xw.engines.add(xw.Engine(impl=_xlremote.engine))
    grid = settings_grid()
    width = max(len(row) for row in grid)
    sheets = [{"name": name, "values": values, "pictures": [], "shapes": [], "charts": [], "tables": [], "notes": [],
               "pivot_tables": [], "visibility": "Visible", "show_gridlines": True, "print_area": None}
              for name, values in (("Sheet1", [[""]]),
                                   ("Settings", [[("" if v is None else v) for v in row] + [""] * (width - len(row))
                                                 for row in grid]))]
    book = xw.Book(json={"version": xw.__version__, "client": "Office.js", "names": [], "sheets": sheets,
                         "book": {"name": "shop.xlsm", "active_sheet_index": 0, "selection": "A1"}})
    return book.sheets["Sheet1"].range("B2")


class Counted:
    """A function of rfm_excel.doors.functions wrapped to count its calls."""

    def __init__(self, name: str):
        self.name, self.original, self.calls = name, getattr(udfs, name), 0

    def __enter__(self):
        def counting(*args, **kwargs):
            self.calls += 1
            return self.original(*args, **kwargs)
        setattr(udfs, self.name, counting)
        return self

    def __exit__(self, *exc):
        setattr(udfs, self.name, self.original)


def recalculate(cells: list, copies: list[list[list]], calls: int, **extra) -> float:
    """Seconds for ``calls`` =RFM_SCORE cells, each given one of the copies in turn."""
    start = time.perf_counter()
    for i in range(calls):
        code = udfs.RFM_SCORE(cells[i % len(cells)], copies[i % len(copies)], **extra)
        assert len(code) == 3, code
    return time.perf_counter() - start


def machine() -> str:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.system()} {platform.machine()}, {cpu}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--uncached-calls", type=int, default=5)
    args = parser.parse_args()
    copies = [orders_range(args.lines, args.lines // 5) for _ in range(2)]
    assert copies[0] == copies[1] and copies[0][1][1] is not copies[1][1][1]
    customers = [float(c) for c in udfs.scored(copies[0]).result.scores["customer_id"]]  # numbers, as in the cells
    cells = [customers[i * len(customers) // args.cells] for i in range(args.cells)]
    caller = calling_cell()

    udfs.CACHE = udfs.ScoreCache()
    bare = recalculate(cells, copies, args.cells)
    with Counted("parse_settings") as parses, Counted("sheet_values") as reads:
        with_caller = recalculate(cells, copies, args.cells, caller=caller)
    assert udfs.CACHE.scorings == 1
    print(f"{dt.date.today():%Y-%m-%d}, {machine()}")
    print(f"{args.cells:,} =RFM_SCORE cells over one range of {args.lines:,} order lines "
          f"({len(customers):,} customers), one full recalculation, with the cache (scored once):")
    print(f"  no calling cell (default settings):   {bare:8.1f} s  ({bare / args.cells * 1000:.2f} ms a cell)")
    print(f"  Settings found through the calling cell: {with_caller:5.1f} s  "
          f"({with_caller / args.cells * 1000:.2f} ms a cell; {reads.calls:,} range reads, "
          f"Settings parsed {counted(parses.calls, 'time')})")
    if "settings" in inspect.signature(udfs.RFM_SCORE).parameters:
        values = caller.sheet.book.sheets["Settings"].used_range.options(ndim=2).value
        with Counted("parse_settings") as parses, Counted("sheet_values") as reads:
            given = recalculate(cells, copies, args.cells, caller=caller, settings=values)
        print(f"  Settings passed as the settings argument: {given:4.1f} s  "
              f"({given / args.cells * 1000:.2f} ms a cell; {reads.calls:,} range reads, "
              f"Settings parsed {counted(parses.calls, 'time')})")
    start = time.perf_counter()
    for _ in range(args.cells):
        udfs.workbook_settings(caller)
    alone = time.perf_counter() - start
    print(f"  of which finding and reading the Settings alone: {alone:.2f} s for {args.cells:,} calls "
          f"({alone / args.cells * 1000:.3f} ms a call)")
    udfs.CACHE = udfs.ScoreCache(size=0)
    uncached = recalculate(cells, copies, args.uncached_calls) / args.uncached_calls * args.cells
    print(f"  without the cache:                    {uncached:8.1f} s  ({uncached / args.cells * 1000:.0f} ms a cell; "
          f"{args.uncached_calls} calls timed, times {args.cells:,})")


if __name__ == "__main__":
    main()
