"""Time the product offers (bought together, next best product, reorder due) on a generated table.

Usage: python benchmarks/products.py [--lines 1048575] [--products 4000] [--customers N]

The order lines are benchmarks/generate.py's (customers weighted 1/rank^0.9, 1-9 lines per
order, two years of dates, 2% refunds), each given a product: products are weighted
1/rank^0.8, and each customer has a favourite range of 10 products that half of their lines
come from, so some pairs are bought together far more often than chance. Clean order lines are
built in memory (the reading and cleaning are measured in benchmarks/run.py); each step is timed
on its own, in this one process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import time

import numpy as np
import pandas as pd

from generate import order_lines
from rfm_excel.domain import products


def product_lines(lines: int, customers: int, product_count: int, seed: int = 11) -> pd.DataFrame:
    """Clean order lines (customer_id, order_id, order_date, amount, product, product_name)."""
    customer_ids, order_ids, days, amount = order_lines(lines, customers)
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, product_count + 1) ** 0.8
    popular = rng.choice(product_count, size=lines, p=popularity / popularity.sum())
    customer = customer_ids.astype(np.int64) - 100000
    ranges = product_count // 10
    favourite = rng.integers(0, ranges, size=customer.max() + 1)[customer] * 10 + rng.integers(0, 10, size=lines)
    product = np.where(rng.random(lines) < 0.5, favourite, popular)
    # Codes as shops write them: mostly five digits, every seventh with a letter (85123A beside 85123).
    codes = np.array([f"{10000 + i - 1}A" if i % 7 == 6 else f"{10000 + i}" for i in range(product_count)],
                     dtype=object)
    names = np.array([f"PRODUCT {i + 1}" for i in range(product_count)], dtype=object)
    return pd.DataFrame({
        "customer_id": pd.Series(customer_ids.astype(np.int64).astype(str), dtype=object),
        "order_id": pd.Series(order_ids, dtype=object),
        "order_date": pd.to_datetime(days, unit="D", origin="1899-12-30"),
        "amount": amount,
        "product": pd.Series(codes[product], dtype=object),  # object columns, as the cleaning leaves them
        "product_name": pd.Series(names[product], dtype=object),
    })


def timed(label: str, work):
    start = time.perf_counter()
    result = work()
    print(f"{label:<44} {time.perf_counter() - start:6.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_048_575)
    parser.add_argument("--products", type=int, default=4000)
    parser.add_argument("--customers", type=int, help="default: lines / 10")
    args = parser.parse_args()
    lines = product_lines(args.lines, args.customers or max(args.lines // 10, 1), args.products)
    as_of = (lines["order_date"].max() + pd.Timedelta(days=1)).date()
    segments = pd.Series(np.where(lines["customer_id"].str[-1] < "5", "Champions", "Loyal"),
                         index=lines["customer_id"]).groupby(level=0).first()
    print(f"{len(lines):,} lines, {lines['customer_id'].nunique():,} customers, "
          f"{lines['product'].nunique():,} products, as of {as_of}")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{dt.date.today()}")
    bought = timed("net purchases per customer and product", lambda: products.net_purchases(lines))
    pairs = timed("bought together (pairs, min. support 10)", lambda: products.bought_together(bought))
    print(f"{'':<44} {pairs.support.nnz:,} product pairs (both ways) with 10 or more customers")
    timed("pairs as a table", pairs.table)
    offers = timed("next best product", lambda: products.next_best_products(pairs, segments))
    print(f"{'':<44} {offers['basis'].value_counts().to_dict()}")
    due = timed("reorder due", lambda: products.reorder_due(lines, as_of))
    print(f"{'':<44} {len(due):,} customers with a product due, {int(due['passed'].sum()):,} passed")
    timed("products summary", lambda: products.products_summary(pairs, segments))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
