"""When to reach a customer: the usual gap between purchases, when the next one is due, the usual month.

Everything is worked out on purchase days (days with an order worth more than zero), so two
orders on one day are one visit, and over all history up to the as-of date.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")  # usual_month 1-12 named, as the reasons and the Contact Plan say it


def purchase_timing(orders: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Per customer with a purchase (index: customer key), from orders as ``scoring.group_orders`` makes them.

    typical_gap : median days between consecutive purchase days, rounded half up (NaN with one purchase day).
    next_due : last purchase day + typical_gap (NaT without a gap).
    days_overdue : days from next_due to the as-of date; negative while the next order is not due yet.
    overdue_gaps : days_overdue / typical_gap, e.g. 2.0 = two usual gaps late.
    usual_month : 1-12 for a customer who buys at the same time of year (``usual_months``), else 0.
    """
    purchases = orders[orders["amount"] > 0]
    code, keys = pd.factorize(purchases["customer_id"])
    day = purchases["order_date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    order = np.lexsort((day, code))
    code, day = code[order], day[order]
    new_day = np.ones(len(day), dtype=bool)
    new_day[1:] = (code[1:] != code[:-1]) | (day[1:] != day[:-1])
    code, day = code[new_day], day[new_day]
    customers = len(keys)

    repeat = np.zeros(len(day), dtype=bool)
    repeat[1:] = code[1:] == code[:-1]
    gaps = pd.Series(np.diff(day, prepend=day[:1])[repeat]).groupby(code[repeat]).median()
    typical_gap = np.floor(gaps.reindex(range(customers)).to_numpy() + 0.5)
    last_day = np.zeros(customers, dtype=np.int64)
    last_day[code] = day  # sorted by day within each customer, so the last write is the latest day
    return when_due(pd.Index(keys, name="customer_id"), last_day.astype("datetime64[D]"), typical_gap,
                    usual_months(code, day, customers), as_of)


def when_due(keys: pd.Index, last_purchase, usual_gap, usual_month, as_of: dt.date) -> pd.DataFrame:
    """The timing table (``purchase_timing``'s columns) from each customer's last purchase day, usual gap
    and usual month, as the per-customer table (customers.COLUMNS) holds them."""
    last_day = np.asarray(last_purchase, dtype="datetime64[D]").astype(np.int64)
    typical_gap = np.asarray(usual_gap, dtype=float)
    next_due = last_day + typical_gap
    days_overdue = np.datetime64(as_of, "D").astype(np.int64) - next_due
    return pd.DataFrame({
        "typical_gap": typical_gap,
        "next_due": pd.to_datetime(np.where(np.isnan(next_due), np.nan, next_due), unit="D"),
        "days_overdue": days_overdue,
        "overdue_gaps": days_overdue / typical_gap,
        "usual_month": np.asarray(usual_month),
    }, index=keys)


def usual_months(code: np.ndarray, day: np.ndarray, customers: int) -> np.ndarray:
    """The calendar month (1-12) a customer buys in year after year, or 0.

    ``code`` and ``day`` (days since 1970) list each customer's purchase days in order. Count the
    months a customer bought in, each month of each year once. They are a seasonal buyer when at
    least half of those months fall in one season of two neighbouring calendar months (December
    and January are neighbours) and they bought in that season in at least two different years
    (a December and the January after it are one season's year). Their usual month is the
    season's month they bought in more years, the earlier on a tie. Of several such seasons, the
    one holding more of their months wins, then the earlier in the year. Someone who buys all year
    round has none: no two months hold half of their buying.
    """
    month = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    new_month = np.ones(len(month), dtype=bool)
    new_month[1:] = (code[1:] != code[:-1]) | (month[1:] != month[:-1])
    code, month = code[new_month], month[new_month]  # each (customer, year-month) once, in order
    months_bought = np.bincount(code, minlength=customers)
    held, season = np.zeros(customers, dtype=np.int64), np.full(customers, -1)
    for first in range(12):  # the season of calendar months first and first + 1
        inside = (month - first) % 12 < 2
        who, year = code[inside], (month[inside] - first) // 12
        new_year = np.ones(len(who), dtype=bool)
        new_year[1:] = (who[1:] != who[:-1]) | (year[1:] != year[:-1])
        count = np.bincount(who, minlength=customers)
        better = (np.bincount(who[new_year], minlength=customers) >= 2) & (2 * count >= months_bought) & (count > held)
        held[better], season[better] = count[better], first
    years_in_month = np.bincount(code * 12 + month % 12, minlength=customers * 12).reshape(customers, 12)
    rows, first = np.arange(customers), np.maximum(season, 0)
    later = years_in_month[rows, (first + 1) % 12] > years_in_month[rows, first]
    return np.where(season >= 0, (first + later) % 12 + 1, 0)
