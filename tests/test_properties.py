"""Property tests: the scoring rules hold for any order table, not just the hand-made ones."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rfm_excel
from rfm_excel import Settings
from rfm_excel.base.settings import DEFAULT_SEGMENTS
from rfm_excel.domain.scoring import breakpoint_scores, quantile_scores

SLOW = settings(max_examples=100, deadline=None)
START = dt.datetime(2023, 1, 1)
DEFAULT_NAMES = {rule.name for rule in DEFAULT_SEGMENTS}

bins_ = st.integers(2, 9)
values_ = st.lists(st.integers(-50, 50), min_size=1, max_size=60)


# ------------------------------------------------------------------ quantile_scores on its own


@SLOW
@given(values=values_, bins=bins_, higher=st.booleans())
def test_quantile_equal_values_share_a_score_and_better_never_scores_lower(values, bins, higher):
    scores = quantile_scores(values, bins, higher_is_better=higher)
    better = values if higher else [-v for v in values]
    for i in range(len(values)):
        for j in range(len(values)):
            if better[i] == better[j]:
                assert scores[i] == scores[j]
            elif better[i] > better[j]:
                assert scores[i] >= scores[j]
    assert all(1 <= s <= bins for s in scores)


@SLOW
@given(values=values_, bins=bins_, higher=st.booleans())
def test_quantile_score_is_one_plus_bins_times_the_share_of_worse_values(values, bins, higher):
    """The docstring's formula, counted value by value."""
    better = values if higher else [-v for v in values]
    expected = [1 + bins * sum(w < b for w in better) // len(values) for b in better]
    assert quantile_scores(values, bins, higher_is_better=higher).tolist() == expected


@SLOW
@given(data=st.data(), bins=bins_, higher=st.booleans())
def test_quantile_distinct_values_fill_the_levels_evenly(data, bins, higher):
    values = data.draw(st.lists(st.integers(-10_000, 10_000), min_size=1, max_size=60, unique=True))
    scores = pd.Series(quantile_scores(values, bins, higher_is_better=higher))
    sizes = scores.value_counts().reindex(range(1, bins + 1), fill_value=0)
    assert sizes.max() - sizes.min() <= 1 and sizes.sum() == len(values)  # levels of n/bins, rounded either way


@SLOW
@given(values=values_, bins=bins_, higher=st.booleans())
def test_quantile_scores_depend_only_on_the_order_of_the_values(values, bins, higher):
    stretched = [v ** 3 + 7 * v + 1000 for v in values]  # increasing in v: the same order, other numbers
    assert quantile_scores(stretched, bins, higher).tolist() == quantile_scores(values, bins, higher).tolist()


@SLOW
@given(data=st.data(), bins=bins_, higher=st.booleans())
def test_quantile_uses_every_score_with_at_least_bins_distinct_values(data, bins, higher):
    values = data.draw(st.lists(st.integers(-10_000, 10_000), min_size=bins, max_size=60, unique=True))
    assert set(quantile_scores(values, bins, higher_is_better=higher).tolist()) == set(range(1, bins + 1))


@SLOW
@given(values=values_, limits=st.lists(st.integers(-60, 60), min_size=1, max_size=8, unique=True),
       higher=st.booleans())
def test_breakpoint_band_is_the_number_of_limits_below_the_value(values, limits, higher):
    limits = sorted(limits)
    passed = [sum(limit < v for limit in limits) for v in values]   # a value equal to a limit stays below it
    expected = [p + 1 if higher else len(limits) + 1 - p for p in passed]
    assert breakpoint_scores(values, tuple(limits), higher_is_better=higher).tolist() == expected


# ------------------------------------------------------------------ whole runs on random order tables

# One order: (day offset over ~2 years, hour, line amounts in cents, is it a return?)
order_ = st.tuples(st.integers(0, 730), st.integers(0, 23), st.lists(st.integers(1, 100_000), min_size=1, max_size=3),
                   st.sampled_from([False] * 5 + [True]))
customer_ = st.lists(order_, min_size=1, max_size=4)


@st.composite
def order_tables(draw):
    """(DataFrame of order lines, {customer: [net cents of each order]}, total cents)."""
    customers = draw(st.lists(customer_, min_size=1, max_size=60))
    day, hour, cents, _ = customers[0][0]
    customers[0][0] = (day, hour, cents, False)       # at least one purchase, or there is nothing to score
    rows, nets = [], {}
    for c, orders in enumerate(customers):
        cid = f"C{c:03d}"
        nets[cid] = []
        for o, (day, hour, cents, is_return) in enumerate(orders):
            sign = -1 if is_return else 1
            nets[cid].append(sign * sum(cents))
            for k, amount in enumerate(cents):
                # Order IDs repeat across customers on purpose: lines join only within one customer
                rows.append((cid, f"O{o}", START + dt.timedelta(days=day, hours=hour, minutes=k), sign * amount / 100))
    frame = pd.DataFrame(rows, columns=["Customer ID", "Order ID", "Order Date", "Amount"])
    return frame, nets


settings_ = st.builds(Settings, recency_bins=bins_, frequency_bins=bins_, monetary_bins=bins_,
                      best_score=st.sampled_from(["Highest", "Lowest"]), recency_weight=st.integers(0, 3),
                      frequency_weight=st.integers(0, 3), monetary_weight=st.integers(0, 3))


def internal(scores: pd.DataFrame, letter: str, bins: int, s: Settings) -> pd.Series:
    """Scores back on the "higher is better" side, whatever the direction shown."""
    return bins + 1 - scores[letter] if s.best_score == "Lowest" else scores[letter]


@SLOW
@given(table=order_tables(), s=settings_)
def test_every_customer_with_a_purchase_is_scored_once_and_in_one_segment(table, s):
    frame, nets = table
    result = rfm_excel.score(frame, s)
    buyers = sorted(cid for cid, orders in nets.items() if any(net > 0 for net in orders))
    assert sorted(result.scores["customer_id"]) == buyers          # once each, returns-only customers left out
    frequency = dict(zip(result.scores["customer_id"], result.scores["frequency"], strict=True))
    assert frequency == {cid: sum(net > 0 for net in nets[cid]) for cid in buyers}
    assert set(result.scores["segment"]) <= DEFAULT_NAMES
    summary = result.segments
    assert summary["customers"].sum() == len(buyers)
    assert summary["customers_percent"].sum() == pytest.approx(1.0)
    per_segment = result.scores["segment"].value_counts()
    assert all(per_segment.get(name, 0) == n for name, n in zip(summary["segment"], summary["customers"], strict=True))


@SLOW
@given(table=order_tables(), s=settings_)
def test_code_is_r_f_m_side_by_side_and_score_is_the_weighted_sum(table, s):
    scores = rfm_excel.score(table[0], s).scores
    assert list(scores["rfm_code"]) == [f"{r}{f}{m}"
                                        for r, f, m in zip(scores["r"], scores["f"], scores["m"], strict=True)]
    weighted = s.recency_weight * scores["r"] + s.frequency_weight * scores["f"] + s.monetary_weight * scores["m"]
    assert list(scores["rfm_score"]) == list(weighted)
    for letter, dimension in zip("rfm", ("recency", "frequency", "monetary"), strict=True):
        assert scores[letter].between(1, s.bins(dimension)).all()


@SLOW
@given(table=order_tables(), s=settings_)
def test_scores_in_a_run_follow_the_values(table, s):
    scores = rfm_excel.score(table[0], s).scores
    # fewer days, more orders, more money are better
    checks = [("r", "recency", -scores["recency_days"]), ("f", "frequency", scores["frequency"]),
              ("m", "monetary", scores["monetary"])]
    for letter, dimension, better in checks:
        score = internal(scores, letter, s.bins(dimension), s).to_numpy()
        value = better.to_numpy()
        above = value[:, None] > value[None, :]
        assert (score[:, None] >= score[None, :])[above].all()
        same = value[:, None] == value[None, :]
        assert (score[:, None] == score[None, :])[same].all()


@SLOW
@given(table=order_tables())
def test_revenue_is_accounted_for(table):
    frame, nets = table
    result = rfm_excel.score(frame)                                  # all history, default as-of
    assert result.lines_used == len(frame)                           # nothing is after the default as-of date
    scored = set(result.scores["customer_id"])
    left_out = sum(sum(orders) for cid, orders in nets.items() if cid not in scored) / 100
    total = frame["Amount"].sum()
    assert result.scores["monetary"].sum() + left_out == pytest.approx(total, abs=0.005 * len(nets) + 1e-6)

