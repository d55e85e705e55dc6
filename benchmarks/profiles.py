"""Time the Customer Profile, its check and the prospect scores on a generated table.

Usage: python benchmarks/profiles.py [--lines 1048575] [--customers N] [--prospects 10000]

The order lines are benchmarks/generate.py's (customers weighted 1/rank^0.9, two years of dates); each
line carries two attributes of its customer: a Country of 30 and a Channel of 5, as text, with 1 line in
50 blank, and every customer's Country changes once in their history so the latest value is the one to
find. A fifth of the customers are best, more often in three of the countries. The raw rows and the clean
lines are built in memory (reading and cleaning are measured in benchmarks/run.py); each step is timed on
its own, in this one process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource

import numpy as np
import pandas as pd

from generate import order_lines
from products import timed
from rfm_excel import core
from rfm_excel.base.settings import Settings
from rfm_excel.domain import profiles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_048_575)
    parser.add_argument("--customers", type=int, help="default: lines / 10")
    parser.add_argument("--prospects", type=int, default=10_000)
    args = parser.parse_args()
    customer_ids, _, days, _ = order_lines(args.lines, args.customers or max(args.lines // 10, 1))
    rng = np.random.default_rng(5)
    customer = customer_ids.astype(np.int64) - 100000
    countries = np.array([f"Country {n:02d}" for n in range(30)], dtype=object)
    home = rng.integers(0, 30, customer.max() + 1)
    moved = np.where(days > np.median(days), (home[customer] + 1) % 30, home[customer])  # a move in the history
    country = countries[moved]
    country[rng.random(args.lines) < 0.02] = None
    channel = np.array(["Web", "Shop", "Referral", "Phone", "Fair"], dtype=object)[rng.integers(0, 5, customer.max()
                                                                                                + 1)[customer]]
    keys = customer_ids.astype(np.int64).astype(str).astype(object)
    raw = pd.DataFrame({"Customer ID": keys, "Country": country, "Channel": channel}, dtype=object)
    lines = pd.DataFrame({"customer_id": keys, "source_row": np.arange(args.lines) + 2,
                          "order_date": pd.to_datetime(days, unit="D", origin="1899-12-30")})
    print(f"{args.lines:,} lines, {len(np.unique(customer)):,} customers")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{dt.date.today()}")
    info, labels = timed("latest Country and Channel per customer", lambda: core._customer_info(raw, lines, 2, None,
                                                                                               Settings()))
    latest_home = (home[info.index.astype(np.int64) - 100000] + 1) % 30
    best = (rng.random(len(info)) < np.where(np.isin(latest_home, (1, 2, 3)), 0.6, 0.17))
    attributes = info[list(labels)].reset_index(drop=True)
    table = timed("profile (shares, index, pooling)", lambda: profiles.profile(attributes, best))
    check = timed("check (5-fold naive Bayes, AUC, lift)", lambda: profiles.check(attributes, best))
    print(f"{'':<44} {len(table)} values; AUC {check.auc:.3f}, top-decile lift {check.lift:.2f}")
    fitted = profiles.weights(attributes, best)
    prospects = pd.DataFrame({"Country": rng.choice(countries, args.prospects), "Channel": "Web"}, dtype=object)
    timed(f"{args.prospects:,} prospects scored, with reasons",
          lambda: profiles.score_prospects(prospects, prospects, fitted, table))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
