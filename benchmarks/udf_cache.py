"""What a full recalculation of 10,000 =RFM_SCORE cells over one 100,000-line orders range costs,
with the scoring cache (rfm_excel.doors.functions.CACHE) and without it.

Usage: python benchmarks/udf_cache.py [--lines 100000] [--cells 10000] [--uncached-calls 5] [--full]

Excel calls each cell's function with the range's values as fresh Python lists, so the calls here
alternate between two copies of the orders built from separate objects: every cache lookup compares
the whole range cell by cell, as it would in Excel. Without the cache every call scores the orders;
by default only --uncached-calls calls are timed and the total is that average times --cells
(--full runs them all: about an hour). Not measured here, and the same with or without the cache:
Excel handing the range to Python for each call (COM and xlwings' conversion), which needs Excel.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import time

from generate import HEADERS, order_lines

from rfm_excel.doors import functions as udfs

EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def orders_range(lines: int, customers: int) -> list[list]:
    """The orders as xlwings hands a range to a function: header row, then floats, text and datetimes."""
    customer_ids, order_ids, days, amounts = order_lines(lines, customers)
    dates = [EXCEL_EPOCH + dt.timedelta(days=d) for d in days.tolist()]
    return [list(HEADERS)] + [list(row) for row in zip(customer_ids.tolist(), [str(o) for o in order_ids.tolist()],
                                                        dates, amounts.tolist())]


def recalculate(cells: list, copies: list[list[list]], calls: int) -> float:
    """Seconds for ``calls`` =RFM_SCORE cells, each given one of the copies in turn."""
    start = time.perf_counter()
    for i in range(calls):
        code = udfs.RFM_SCORE(cells[i % len(cells)], copies[i % len(copies)])
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
    parser.add_argument("--full", action="store_true", help="time every uncached call instead of a sample")
    args = parser.parse_args()
    copies = [orders_range(args.lines, args.lines // 5) for _ in range(2)]
    assert copies[0] == copies[1] and copies[0][1][1] is not copies[1][1][1]
    customers = [float(c) for c in udfs.scored(copies[0]).result.scores["Customer ID"]]  # numbers, as in the cells
    cells = [customers[i * len(customers) // args.cells] for i in range(args.cells)]

    udfs.CACHE = udfs.ScoreCache()
    cached = recalculate(cells, copies, args.cells)
    assert udfs.CACHE.scorings == 1
    udfs.CACHE = udfs.ScoreCache(size=0)
    timed = args.cells if args.full else args.uncached_calls
    uncached = recalculate(cells, copies, timed) / timed * args.cells

    print(f"{dt.date.today():%Y-%m-%d}, {machine()}")
    print(f"{args.cells:,} =RFM_SCORE cells over one range of {args.lines:,} order lines "
          f"({len(customers):,} customers), one full recalculation:")
    print(f"  with the cache:    {cached:8.1f} s  ({cached / args.cells * 1000:.2f} ms a cell; scored once)")
    how = "timed" if args.full else f"{timed} calls timed, times {args.cells:,}"
    print(f"  without the cache: {uncached:8.1f} s  ({uncached / args.cells * 1000:.0f} ms a cell; {how})")
    print(f"  {uncached / cached:.0f} times faster with the cache")


if __name__ == "__main__":
    main()
