"""When customers buy: usual gap, next order due, overdue measure and usual month, worked out by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from rfm_excel.domain.timing import purchase_timing

AS_OF = dt.date(2024, 3, 1)


def orders(*rows) -> pd.DataFrame:
    """Orders as scoring.group_orders makes them: customer_id, order_date, amount."""
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"]).astype({"order_date": "datetime64[ns]"})


def timing_of(*rows, as_of=AS_OF) -> dict:
    return purchase_timing(orders(*rows), as_of).to_dict("index")


def test_gap_is_the_median_of_purchase_days_rounded_half_up_and_ignores_same_day_orders_and_returns():
    got = timing_of(("a", "2024-01-01", 10.0), ("a", "2024-01-11", 5.0), ("a", "2024-01-11 16:30", 7.0),
                    ("a", "2024-02-01", 20.0), ("a", "2024-02-05", -5.0))["a"]
    # Purchase days 01-01, 01-11 (two orders, one day), 02-01; the -5 return is not a purchase.
    # Gaps 10 and 21 days: median 15.5, rounded half up to 16.
    assert got["typical_gap"] == 16
    # Next order due 02-01 + 16 days = 02-17; as of 03-01 that is 12 days to 02-29 (2024 is a leap year) + 1 = 13.
    assert got["next_due"] == pd.Timestamp("2024-02-17")
    assert got["days_overdue"] == 13
    assert got["overdue_gaps"] == pytest.approx(13 / 16)  # 0.8125 usual gaps late
    assert got["usual_month"] == 0


def test_one_purchase_day_has_no_gap_and_is_never_overdue():
    got = timing_of(("b", "2024-02-10", 30.0), ("b", "2024-02-10", 12.0))["b"]
    assert np.isnan(got["typical_gap"]) and pd.isna(got["next_due"]) and np.isnan(got["days_overdue"])
    assert np.isnan(got["overdue_gaps"]) and got["usual_month"] == 0


def test_a_customer_not_due_yet_has_negative_days_overdue():
    got = timing_of(("c", "2024-02-20", 10.0), ("c", "2024-02-25", 10.0))["c"]
    # Gap 5 days: due 02-25 + 5 = 03-01, the as-of date itself: 0 days overdue.
    assert (got["next_due"], got["days_overdue"], got["overdue_gaps"]) == (pd.Timestamp("2024-03-01"), 0, 0)
    got = timing_of(("c", "2024-02-01", 10.0), ("c", "2024-02-29", 10.0))["c"]
    # Gap 28: due 02-29 + 28 = 03-28, 27 days after the as-of date: -27, or -27/28 of a gap.
    assert got["days_overdue"] == -27 and got["overdue_gaps"] == pytest.approx(-27 / 28)


def test_a_yearly_november_buyer_gets_november_and_a_next_date_a_median_year_on():
    got = timing_of(("y", "2021-11-20", 1.0), ("y", "2022-11-05", 1.0), ("y", "2023-11-28", 1.0))["y"]
    # Gaps: 2021-11-20 -> 2022-11-05 is 365 - 15 = 350; 2022-11-05 -> 2023-11-28 is 365 + 23 = 388; median 369.
    assert got["typical_gap"] == 369
    # 2023-11-28 + 366 days (the year holds 2024-02-29) = 2024-11-28, + 3 = 2024-12-01.
    assert got["next_due"] == pd.Timestamp("2024-12-01")
    # From 2024-03-01 to 2024-12-01: 31+30+31+30+31+31+30+31+30 = 275 days still to come.
    assert got["days_overdue"] == -275
    # November in 3 of the 3 years bought in, 3 months bought <= 2 a year: usual month 11.
    assert got["usual_month"] == 11


def months(customer: str, *days: str) -> list[tuple]:
    return [(customer, day, 1.0) for day in days]


@pytest.mark.parametrize("rows, usual", [
    # Every month from 2023-01 to 2024-02: 14 months; the most any two neighbouring months hold is 4
    # (Jan-Feb 2023 and 2024), less than half of 14: no usual month.
    (months("m", *[f"{y}-{m:02d}-15" for y, m in [(2023, m) for m in range(1, 13)] + [(2024, 1), (2024, 2)]]), 0),
    # March and November in 2022 and 2023: 4 months. Feb-Mar holds 2 (half) in 2 years, as do Mar-Apr,
    # Oct-Nov and Nov-Dec; equal, so the earliest season, Feb-Mar, and in it March (2 years, February 0): 3.
    (months("t", "2022-03-01", "2022-11-01", "2023-03-05", "2023-11-20"), 3),
    # November twice, but in one year only: one month bought, one year: no usual month.
    (months("o", "2022-11-02", "2022-11-25"), 0),
    # November in 2019 and 2020, then Mar 2021, Jun 2022, Sep 2023: Oct-Nov and Nov-Dec hold 2 of 5 months,
    # less than half: none.
    (months("h", "2019-11-10", "2020-11-12", "2021-03-01", "2022-06-01", "2023-09-01"), 0),
    # December 2021, 2022 and 2023 plus one June: Nov-Dec holds 3 of 4 months in 3 years; December: 12.
    (months("d", "2021-12-01", "2022-12-10", "2023-06-01", "2023-12-20"), 12),
    # Late November one year, early December the next: Nov-Dec holds both months, in 2 years; a tie of
    # one year each, so the earlier, November.
    (months("n", "2021-11-28", "2022-12-03"), 11),
    # 20 December 2021 and 5 January 2023: two winters of the Dec-Jan season (Dec 2021 and Jan 2023 are
    # in the seasons starting Dec 2021 and Dec 2022); a tie, so its first month, December.
    (months("w", "2021-12-20", "2023-01-05"), 12),
    # 20 December 2022 and 5 January 2023 are one winter: one season's year only, so no usual month.
    (months("x", "2022-12-20", "2023-01-05"), 0),
    # October, November and December of 2021, 2022 and 2023: 9 months; Oct-Nov holds 6 (at least half),
    # in 3 years, as does Nov-Dec, so the earlier Oct-Nov; October and November 3 years each: October.
    (months("q", *[f"{y}-{m}-10" for y in (2021, 2022, 2023) for m in (10, 11, 12)]), 10),
    # Every July from 2020 to 2023 and every other month once in 2023: 15 months; Jun-Jul and Jul-Aug hold
    # at most 5, less than half: a customer who buys all year round has none, however loyal their July.
    (months("j", *[f"{y}-07-01" for y in (2020, 2021, 2022)] + [f"2023-{m:02d}-01" for m in range(1, 13)]), 0),
])
def test_usual_month_rules(rows, usual):
    customer = rows[0][0]
    assert timing_of(*rows)[customer]["usual_month"] == usual


def test_usual_months_of_several_customers_do_not_mix():
    got = timing_of(*months("n", "2021-11-28", "2022-12-03"), *months("x", "2022-12-20", "2023-01-05"),
                    *months("d", "2021-12-01", "2022-12-10", "2023-06-01", "2023-12-20"))
    assert {customer: row["usual_month"] for customer, row in got.items()} == {"n": 11, "x": 0, "d": 12}


def test_the_monthly_buyer_has_a_31_day_gap():
    days = [f"{y}-{m:02d}-15" for y, m in [(2023, m) for m in range(1, 13)] + [(2024, 1), (2024, 2)]]
    # 13 gaps between the 15ths: 28 (Feb 2023), 30 three times, 31 nine times; the 7th of 13 sorted is 31.
    assert timing_of(*months("m", *days))["m"]["typical_gap"] == 31


def test_customers_do_not_mix_and_no_purchase_gives_an_empty_table():
    got = timing_of(("a", "2024-01-01", 1.0), ("b", "2024-01-05", 1.0), ("a", "2024-01-21", 1.0),
                    ("b", "2024-01-06", 1.0))
    assert (got["a"]["typical_gap"], got["b"]["typical_gap"]) == (20, 1)
    assert purchase_timing(orders(("a", "2024-01-01", -3.0)), AS_OF).empty
