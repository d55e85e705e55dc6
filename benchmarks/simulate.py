"""Orders drawn from the BG/NBD (or modified BG/NBD) and Gamma-Gamma processes, for the forecast's benchmark and tests.

The defaults are the CDNOW estimates of Fader, Hardie & Lee (2005) and of Fader & Hardie (2013),
with alpha turned from weeks into days (4.414 x 7).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

START = dt.date(2023, 1, 1)
CDNOW_IN_DAYS = {"r": 0.243, "alpha": 4.414 * 7, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "v": 15.44}


def simulate_orders(customers: int, days: int = 730, *, r: float = CDNOW_IN_DAYS["r"],
                    alpha: float = CDNOW_IN_DAYS["alpha"], a: float = CDNOW_IN_DAYS["a"], b: float = CDNOW_IN_DAYS["b"],
                    p: float = CDNOW_IN_DAYS["p"], q: float = CDNOW_IN_DAYS["q"], v: float = CDNOW_IN_DAYS["v"],
                    modified: bool = False, seed: int = 0) -> tuple[pd.DataFrame, dt.date, pd.DataFrame]:
    """Orders of ``customers`` customers whose first purchases fall uniformly over ``days`` days from START.

    Each customer gets a purchase rate lambda ~ gamma(r, scale 1/alpha) per day and a drop-out
    probability ~ beta(a, b); after each purchase (and, when ``modified``, right after the first
    one too) they drop out with that probability, otherwise the next purchase follows after an
    exponential wait. Each order's amount is gamma(p, scale 1/nu) with nu ~ gamma(q, scale 1/v)
    per customer. Returns the orders (customer_id, order_date, amount), the as-of date (the last
    day of the period) and the exact summary in continuous time, in days (frequency, recency,
    T), before purchase times are turned into dates (and two purchases on one day into one).
    """
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1 / alpha, customers)
    drop = rng.beta(a, b, customers)
    nu = rng.gamma(q, 1 / v, customers)
    time = rng.uniform(0, days, customers)
    who, when = [np.arange(customers)], [time.copy()]
    active = np.arange(customers)
    if modified:
        active = active[rng.random(customers) >= drop]
    while len(active):
        time[active] += rng.exponential(1 / rate[active])
        active = active[time[active] < days]
        who.append(active)
        when.append(time[active].copy())
        active = active[rng.random(len(active)) >= drop[active]]
    first = when[0]
    who, when = np.concatenate(who), np.concatenate(when)
    last = np.zeros(customers)
    last[who] = when  # each customer's purchases were added in time order
    summary = pd.DataFrame({"frequency": np.bincount(who, minlength=customers) - 1, "recency": last - first,
                            "T": days - first})
    orders = pd.DataFrame({
        "customer_id": who,
        "order_date": pd.Timestamp(START) + pd.to_timedelta(np.floor(when), unit="D"),
        "amount": np.round(rng.gamma(p, 1 / nu[who]), 2),
    })
    return orders, START + dt.timedelta(days=days - 1), summary
