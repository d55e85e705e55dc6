"""Segment rules: the first matching row of the segment table names the customer's segment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..base.settings import UNMATCHED_SEGMENT, SegmentRule


def assign(r: np.ndarray, f: np.ndarray, m: np.ndarray, rules: tuple[SegmentRule, ...]) -> np.ndarray:
    """Segment name per customer from 1-5 scores (5 best); unmatched customers get UNMATCHED_SEGMENT."""
    names = np.full(len(r), UNMATCHED_SEGMENT, dtype=object)
    open_ = np.ones(len(r), dtype=bool)
    for rule in rules:
        match = (open_ & (r >= rule.r_min) & (r <= rule.r_max) & (f >= rule.f_min) & (f <= rule.f_max)
                 & (m >= rule.m_min) & (m <= rule.m_max))
        names[match] = rule.name
        open_ &= ~match
    return names


def summary(scores: pd.DataFrame, rules: tuple[SegmentRule, ...]) -> pd.DataFrame:
    """One row per segment, in the table's order (empty segments included), with shares and averages."""
    names = list(dict.fromkeys(rule.name for rule in rules))
    if (scores["segment"] == UNMATCHED_SEGMENT).any():
        names.append(UNMATCHED_SEGMENT)
    actions: dict[str, str] = {}
    for rule in rules:
        actions.setdefault(rule.name, rule.action)
    grouped = scores.groupby("segment", sort=False).agg(
        customers=("customer_id", "size"), revenue=("monetary", "sum"), recency=("recency_days", "mean"),
        frequency=("frequency", "mean"), monetary=("monetary", "mean")).reindex(names)
    customers = grouped["customers"].fillna(0).astype(int)
    revenue = grouped["revenue"].fillna(0.0)
    total_revenue = revenue.sum()
    table = pd.DataFrame({
        "segment": names,
        "customers": customers.to_numpy(),
        "customers_percent": (customers / max(customers.sum(), 1)).to_numpy(),
        "revenue": revenue.to_numpy(),
        "revenue_percent": (revenue / total_revenue if total_revenue else revenue * 0).to_numpy(),
        "avg_recency_days": grouped["recency"].to_numpy(),
        "avg_frequency": grouped["frequency"].to_numpy(),
        "avg_monetary": grouped["monetary"].to_numpy(),
        "recommended_action": [actions.get(name, "Review the segment table in Settings.") for name in names],
    })
    if "p_active" in scores:  # with a forecast: how likely each segment's customers are to buy again, and their worth
        forecast = scores.groupby("segment", sort=False).agg(active=("p_active", "mean"),
                                                             value=("predicted_value", "sum")).reindex(names)
        table.insert(list(table.columns).index("recommended_action"), "avg_p_active", forecast["active"].to_numpy())
        table.insert(list(table.columns).index("recommended_action"), "total_predicted_value",
                     forecast["value"].fillna(0.0).round(2).to_numpy())
    return table


def rf_grid(scores: pd.DataFrame, recency_levels: int, frequency_levels: int,
            best_lowest: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers and average Monetary for each R score (rows) and F score (columns), best R at the top
    and best F at the right, as RFM grids are usually drawn; average Monetary is NaN where nobody is."""
    r_order = range(1, recency_levels + 1) if best_lowest else range(recency_levels, 0, -1)
    f_order = range(frequency_levels, 0, -1) if best_lowest else range(1, frequency_levels + 1)
    grouped = scores.groupby(["r", "f"])["monetary"]
    customers = grouped.size().unstack(fill_value=0).reindex(index=r_order, columns=f_order, fill_value=0)
    monetary = grouped.mean().unstack().reindex(index=r_order, columns=f_order)
    for grid in (customers, monetary):
        grid.index = [f"R {r}" for r in r_order]
        grid.columns = [f"F {f}" for f in f_order]
    return customers.astype(int), monetary
