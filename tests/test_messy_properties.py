"""Invariants on generated messy orders: every row is used or reported, and no revenue goes missing."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import rfm_excel
from rfm_excel.base.orders import normalise
from rfm_excel.layout.issue_words import issue_table

customer_ = st.one_of(st.none(), st.sampled_from(["", "  ", "#N/A", True]), st.integers(1, 6),
                      st.integers(1, 6).map(float), st.integers(1, 6).map(str),
                      st.sampled_from(["c1", " C1 ", "00123", "123", "C 2"]))
order_ = st.one_of(st.none(), st.sampled_from(["O1", "O2", "O3", "C100", "C101", "100", 101, 102.0]))
date_ = st.one_of(st.none(), st.sampled_from(["soon", "", True, "31/02/2024", "2024-13-01"]),
                  st.datetimes(dt.datetime(2023, 1, 1), dt.datetime(2024, 12, 31)),
                  st.integers(44927, 45657),                                     # Excel serials in 2023-2024
                  st.dates(dt.date(2023, 1, 1), dt.date(2024, 12, 31)).map(lambda d: d.isoformat()),
                  st.dates(dt.date(2023, 1, 1), dt.date(2024, 12, 31)).map(lambda d: int(d.strftime("%Y%m%d"))),
                  st.dates(dt.date(2023, 1, 1), dt.date(2024, 12, 31)).map(lambda d: d.strftime("%d/%m/%Y")))
amount_ = st.one_of(st.none(), st.sampled_from(["abc", "", False, "£1,234.50", "(12.00)", " 7 ", "GBP 3"]),
                    st.integers(-5000, 50000).map(lambda c: c / 100), st.integers(-50, 500))
row_ = st.tuples(customer_, order_, date_, amount_)


@st.composite
def messy_orders(draw) -> pd.DataFrame:
    rows = draw(st.lists(row_, min_size=1, max_size=40))
    for source in draw(st.lists(st.integers(0, len(rows) - 1), max_size=5)):  # exact copies of earlier rows
        rows.append(rows[source])
    return pd.DataFrame(rows, columns=["Customer ID", "Order ID", "Order Date", "Amount"], dtype=object)


SLOW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(frame=messy_orders())
def test_every_row_is_used_or_reported_as_skipped_exactly_once(frame):
    clean = normalise(frame)
    used = list(clean.lines["source_row"])
    issues = issue_table(clean.issues)
    skipped = list(issues.loc[issues["Action"].str.startswith("skipped"), "Row"])
    assert len(set(used)) == len(used) and len(set(skipped)) == len(skipped)  # one verdict per row
    assert set(used).isdisjoint(skipped)
    assert set(used) | set(skipped) == set(range(2, len(frame) + 2))          # sheet rows 2..N+1
    assert clean.rows_read == len(frame)


@SLOW
@given(frame=messy_orders())
def test_revenue_in_equals_revenue_accounted_for(frame):
    clean = normalise(frame)
    lines = clean.lines
    order = lines["order_id"].where(lines["order_id"].notna(), "row " + lines["source_row"].astype(str))
    net_orders = lines.groupby([lines["customer_id"], order])["amount"].sum().round(6)
    assume((net_orders > 0).any())  # someone bought something (an order netting above zero), or nobody is scored
    result = rfm_excel.score(frame)             # default as-of: the day after the latest date, so no line is late
    assert result.lines_used == len(clean.lines)
    skipped = issue_table(result.issues)["Action"].str.startswith("skipped").sum()
    assert result.lines_used + skipped == result.rows_read
    key_of = dict(zip(clean.lines["customer"], clean.lines["customer_id"], strict=True))
    scored = {key_of[cid] for cid in result.scores["customer_id"]}
    net = clean.lines.groupby("customer_id")["amount"].sum()
    unscored = net[~net.index.isin(scored)].sum()                   # customers with only returns
    assert result.scores["monetary"].sum() + unscored == pytest.approx(clean.lines["amount"].sum(), abs=1e-6)
    not_scored_reports = issue_table(result.issues)["Action"].str.startswith("customer not scored").sum()
    assert not_scored_reports == (~net.index.isin(scored)).sum()    # each is listed
