"""Order lines into orders, and the recency, frequency and monetary scores.

Scores are computed "higher is better" internally and flipped for display when the
owner counts 1 as best, so the rules below are written once.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..base.settings import BEST_LOWEST, Settings

DAY = pd.Timedelta(days=1)
MONEY_DECIMALS = 6  # enough for any currency; drops the float noise of adding amounts


def default_as_of(latest: pd.Timestamp) -> dt.date:
    """The day after the ``latest`` order date."""
    return (pd.Timestamp(latest).normalize() + DAY).date()


def group_orders(lines: pd.DataFrame) -> pd.DataFrame:
    """Order lines -> orders: lines sharing a customer and Order ID are one order.

    An order's date is its earliest line and its amount the sum of its lines; a line with no
    Order ID is an order of its own. Grouping is on integer codes, not on the text of the IDs.
    """
    customer_code, customers = pd.factorize(lines["customer_id"])
    order_code, order_ids = pd.factorize(lines["order_id"])
    alone = order_code < 0
    order_code[alone] = len(order_ids) + np.arange(alone.sum())
    key = customer_code.astype(np.int64) * (int(order_code.max()) + 1) + order_code
    grouped = pd.DataFrame({"key": key, "order_date": lines["order_date"].to_numpy(),
                            "amount": lines["amount"].to_numpy()}).groupby("key", sort=False)
    orders = grouped.agg(order_date=("order_date", "min"), amount=("amount", "sum"))
    orders["amount"] = orders["amount"].round(MONEY_DECIMALS)  # 0.1 + 0.2 - 0.3 is zero, not 5.6e-17
    first_line = grouped.head(1).index.to_numpy()  # positions of each order's first line, in group order
    orders["customer_id"] = customers.take(customer_code[first_line])
    return orders.reset_index(drop=True)


def quantile_scores(values, bins: int, higher_is_better: bool = True) -> np.ndarray:
    """Score each value 1..bins by the share of customers with a worse value.

    score = 1 + floor(bins x customers with a worse value / all customers), so a group of equal
    values takes the lowest score it spans (as Excel's PERCENTRANK.INC ranks ties). Equal values
    share a score, scores never go down as values get better, the worst value always scores 1,
    and with at least ``bins`` distinct values every score is used.
    """
    x = np.asarray(values, dtype=float)
    if not higher_is_better:
        x = -x
    order = np.argsort(x, kind="stable")
    ordered = x[order]
    place = np.arange(len(x))
    place[1:][ordered[1:] == ordered[:-1]] = 0  # a value equal to the one before it: where its run began
    worse = np.empty(len(x), dtype=np.int64)
    worse[order] = np.maximum.accumulate(place)  # how many values sort before the first of its equals
    return (worse * bins) // len(x) + 1


def breakpoint_scores(values, breakpoints: tuple[float, ...], higher_is_better: bool = True) -> np.ndarray:
    """Score by fixed limits: a value up to the first limit is in the first band, and so on.

    For "higher is better" the first band scores 1; otherwise it scores len(breakpoints) + 1.
    """
    passed = np.searchsorted(np.asarray(breakpoints, dtype=float), np.asarray(values, dtype=float), side="left")
    return passed + 1 if higher_is_better else len(breakpoints) + 1 - passed


def dimension_scores(values: np.ndarray, dimension: str, settings: Settings) -> np.ndarray:
    """Internal (higher is better) scores of one dimension as the settings ask."""
    higher_is_better = dimension != "recency"
    breakpoints = getattr(settings, f"{dimension}_breakpoints")
    if breakpoints:
        return breakpoint_scores(values, breakpoints, higher_is_better)
    return quantile_scores(values, settings.bins(dimension), higher_is_better)


def shown_scores(internal: np.ndarray, bins: int, settings: Settings) -> np.ndarray:
    """Scores as the owner reads them: flipped when 1 counts as best."""
    return bins + 1 - internal if settings.best_score == BEST_LOWEST else internal


def on_five_point_scale(internal: np.ndarray, bins: int) -> np.ndarray:
    """Stretch internal scores onto 1-5 (5 best), the scale the segment table is written on."""
    return np.rint(1 + (internal - 1) * 4 / (bins - 1)).astype(int)
