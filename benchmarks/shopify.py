"""The case of issue 20: a Shopify orders export longer than a sheet, scored by the engine (DuckDB) as it is past
1,048,575 lines, and by pandas (forced, as if it fitted): the same plan, Data Issues and scores, and what each costs.

The export is tests/data/exports/shopify_orders.csv (15 lines of 10 orders) repeated with fresh order names
and e-mails, as a shop with a long history downloads "all orders":

    python benchmarks/shopify.py                  # 1,048,605 lines, the issue's file (a few minutes)
    python benchmarks/shopify.py --lines 30000    # a quick run
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from rfm_excel.doors import files

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "data" / "exports" / "shopify_orders.csv"


def write_export(path: Path, lines: int) -> None:
    """The fixture's lines repeated until there are ``lines``, each copy with its own order names and e-mails."""
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    name, email = header.index("Name"), header.index("Email")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for n in range(lines):
            copy, row = divmod(n, len(rows))
            line = list(rows[row])
            line[name] = f"#{copy}-{line[name][1:]}"
            if line[email]:
                line[email] = f"{copy}.{line[email]}"
            writer.writerow(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_048_605)
    lines = parser.parse_args().lines
    with tempfile.TemporaryDirectory(prefix="rfm-shopify-") as folder:
        export = Path(folder) / "orders_export.csv"
        write_export(export, lines)
        results, seconds = {}, {}
        for name, engine_from in (("engine", None if lines > files.ORDERS_ROWS else 1), ("pandas", lines + 1)):
            start = time.perf_counter()
            results[name] = files.export_plan(export, Path(folder) / f"{name}.csv", as_of=dt.date(2024, 7, 1),
                                              engine_from=engine_from)[0]
            seconds[name] = time.perf_counter() - start
    engine, small = results["engine"], results["pandas"]
    assert engine.origin is not None and not engine.origin.in_workbook  # the engine read it
    assert engine.reading_plan == small.reading_plan
    for part in ("scores", "issues", "segments"):
        pd.testing.assert_frame_equal(getattr(engine, part), getattr(small, part))
    print(f"{lines:,} lines of a Shopify orders export, {engine.customers:,} customers: the same plan, "
          f"{len(engine.issues):,} Data Issues and scores by the engine ({seconds['engine']:.1f} s) and by pandas "
          f"({seconds['pandas']:.1f} s); peak RSS of both runs "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
