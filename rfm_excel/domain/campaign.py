"""Did the campaign work? Response of the contacted (Test) against the held-out (Control) customers.

For each segment, with n customers and x of them responding in a group, the response rate is
p = x / n. The difference d = p_test - p_control has the standard error

    se = sqrt(p_test (1 - p_test) / n_test + p_control (1 - p_control) / n_control)

and its 95% interval is d - 1.96 se to d + 1.96 se, kept within -100% and +100% (the normal
approximation for the difference of two proportions; trustworthy when each group has at least
about 5 responders and 5 non-responders, and rough below that).
Incremental revenue is (revenue per test customer - revenue per control customer) x test customers:
what the contacted customers bought beyond what they would have bought anyway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .contact import CONTACT, CONTROL

Z_95 = 1.959964  # the 97.5th percentile of the standard normal distribution
ALL_SEGMENTS = "All segments"
RESULT_COLUMNS = ["segment", "test_customers", "test_responders", "test_rate", "control_customers",
                  "control_responders", "control_rate", "difference", "low_95", "high_95",
                  "test_revenue_per_customer", "control_revenue_per_customer", "incremental_revenue", "cost",
                  "net_gain"]


@dataclass
class CampaignResults:
    """The Campaign Results table (empty when nobody had bought by the campaign date) and what it measured:
    the campaign date, the response window in days and how many of those days had passed by the as-of date."""

    table: pd.DataFrame
    sent: dt.date
    response_days: int
    days_passed: int


def difference_interval(x_test, n_test, x_control, n_control, z: float = Z_95):
    """Difference of two response rates and its interval, element by element (NaN where a group is empty)."""
    x_test, n_test, x_control, n_control = (np.asarray(v, dtype=float) for v in (x_test, n_test, x_control, n_control))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_test, p_control = x_test / n_test, x_control / n_control
        se = np.sqrt(p_test * (1 - p_test) / n_test + p_control * (1 - p_control) / n_control)
    difference = p_test - p_control
    return difference, np.clip(difference - z * se, -1, 1), np.clip(difference + z * se, -1, 1)


def responses(orders: pd.DataFrame, start: dt.date, days: int) -> pd.DataFrame:
    """Per customer key: responded (a purchase in the window) and revenue (net of everything in it).

    The window is the ``days`` days after ``start``: from the day after it up to ``start + days``.
    """
    day = orders["order_date"].dt.normalize()
    inside = (day > pd.Timestamp(start)) & (day <= pd.Timestamp(start) + pd.Timedelta(days=days))
    window = orders[inside]
    return pd.DataFrame({"responded": window["amount"] > 0, "revenue": window["amount"],
                         "customer_id": window["customer_id"]}).groupby("customer_id").agg(
        responded=("responded", "any"), revenue=("revenue", "sum"))


def campaign_results(groups: pd.DataFrame, answers: pd.DataFrame, segment_names: list[str],
                     costs: dict[str, float]) -> pd.DataFrame:
    """Per segment, Test against Control, and an All segments row: counts of everyone, money only of the
    segments that had both groups.

    ``groups``: per customer key, Segment and Plan (Contact = test, Control = control; others are
    left out). ``answers``: ``responses()``. ``costs``: cost per contact by segment.
    """
    groups = groups[groups["plan"].isin([CONTACT, CONTROL])]
    answered = answers.reindex(groups.index)
    frame = pd.DataFrame({"segment": groups["segment"].to_numpy(), "test": (groups["plan"] == CONTACT).to_numpy(),
                          "responded": answered["responded"].fillna(False).to_numpy(dtype=bool),
                          "revenue": answered["revenue"].fillna(0.0).to_numpy()})
    sums = frame.groupby(["segment", "test"]).agg(customers=("responded", "size"), responders=("responded", "sum"),
                                                  revenue=("revenue", "sum")).unstack("test", fill_value=0)
    names = [n for n in dict.fromkeys(segment_names) if n in sums.index] + \
        [n for n in sums.index if n not in segment_names]
    sums = sums.reindex(names)

    def column(measure: str, test: bool) -> np.ndarray:
        return sums[(measure, test)].to_numpy(dtype=float) if (measure, test) in sums else np.zeros(len(sums))

    n_t, x_t, r_t = column("customers", True), column("responders", True), column("revenue", True)
    n_c, x_c, r_c = column("customers", False), column("responders", False), column("revenue", False)
    difference, low, high = difference_interval(x_t, n_t, x_c, n_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_test, per_control = r_t / n_t, r_c / n_c
    incremental = (per_test - per_control) * n_t
    cost = n_t * np.array([costs.get(name, 0.0) for name in names])
    table = pd.DataFrame({
        "segment": names, "test_customers": n_t, "test_responders": x_t, "test_rate": x_t / np.where(n_t, n_t, np.nan),
        "control_customers": n_c, "control_responders": x_c, "control_rate": x_c / np.where(n_c, n_c, np.nan),
        "difference": difference, "low_95": low, "high_95": high, "test_revenue_per_customer": per_test,
        "control_revenue_per_customer": per_control, "incremental_revenue": incremental, "cost": cost,
        "net_gain": incremental - cost})
    measured = (n_t > 0) & (n_c > 0)  # money totals only where there is something to compare against
    total = {"segment": ALL_SEGMENTS, "test_customers": n_t.sum(), "test_responders": x_t.sum(),
             "control_customers": n_c.sum(), "control_responders": x_c.sum(),
             "incremental_revenue": incremental[measured].sum(), "cost": cost[measured].sum(),
             "net_gain": (incremental - cost)[measured].sum()}
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)[RESULT_COLUMNS]
    for count in ("test_customers", "test_responders", "control_customers", "control_responders"):
        table[count] = table[count].astype(int)
    return table
