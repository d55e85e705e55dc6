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
RESULT_COLUMNS = ["Segment", "Test Customers", "Test Responders", "Test Rate", "Control Customers",
                  "Control Responders", "Control Rate", "Difference", "95% Low", "95% High",
                  "Test Revenue per Customer", "Control Revenue per Customer", "Incremental Revenue", "Cost",
                  "Net Gain"]


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
    groups = groups[groups["Plan"].isin([CONTACT, CONTROL])]
    answered = answers.reindex(groups.index)
    frame = pd.DataFrame({"segment": groups["Segment"].to_numpy(), "test": (groups["Plan"] == CONTACT).to_numpy(),
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
        "Segment": names, "Test Customers": n_t, "Test Responders": x_t, "Test Rate": x_t / np.where(n_t, n_t, np.nan),
        "Control Customers": n_c, "Control Responders": x_c, "Control Rate": x_c / np.where(n_c, n_c, np.nan),
        "Difference": difference, "95% Low": low, "95% High": high, "Test Revenue per Customer": per_test,
        "Control Revenue per Customer": per_control, "Incremental Revenue": incremental, "Cost": cost,
        "Net Gain": incremental - cost})
    measured = (n_t > 0) & (n_c > 0)  # money totals only where there is something to compare against
    total = {"Segment": ALL_SEGMENTS, "Test Customers": n_t.sum(), "Test Responders": x_t.sum(),
             "Control Customers": n_c.sum(), "Control Responders": x_c.sum(),
             "Incremental Revenue": incremental[measured].sum(), "Cost": cost[measured].sum(),
             "Net Gain": (incremental - cost)[measured].sum()}
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)[RESULT_COLUMNS]
    for count in ("Test Customers", "Test Responders", "Control Customers", "Control Responders"):
        table[count] = table[count].astype(int)
    return table
