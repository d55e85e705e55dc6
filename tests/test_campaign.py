"""Test and roll out: the holdout draw, the response window, and test-vs-control arithmetic by hand."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pytest

import rfm_excel
from rfm_excel.base.settings import SegmentRule, Settings
from rfm_excel.domain.campaign import ALL_SEGMENTS, campaign_results, difference_interval, responses
from rfm_excel.domain.contact import CONTACT, CONTROL, LEFT_OUT, holdout_draws, plan_groups
from rfm_excel.layout.wording import campaign_notes

# The draws of seed "rfm", computed once with hashlib (first 8 bytes of SHA-256 of "rfm:<key>" / 2**64):
DRAWS = {"a": 0.649613, "b": 0.735130, "c": 0.710557, "d": 0.585785, "e": 0.658067, "f": 0.026870,
         "g": 0.767997, "h": 0.640231}


def test_the_draw_is_sha256_of_seed_and_customer():
    digest = hashlib.sha256(b"rfm:a").hexdigest()[:16]
    assert digest == "a64d0bf196ca8853" and int(digest, 16) / 2 ** 64 == pytest.approx(0.6496131386582339)
    assert holdout_draws(list(DRAWS), "rfm") == pytest.approx(list(DRAWS.values()), abs=1e-6)


def test_a_customer_keeps_the_same_draw_whatever_the_order_or_the_other_customers():
    keys = [f"c{n}" for n in range(50)]
    alone = {key: holdout_draws([key], "spring")[0] for key in keys}
    shuffled = [*reversed(keys), "new 1", "new 2"]
    assert dict(zip(shuffled, holdout_draws(shuffled, "spring"), strict=True)) == {**alone, **dict(zip(
        ["new 1", "new 2"], holdout_draws(["new 1", "new 2"], "spring"), strict=True))}
    assert not np.allclose(holdout_draws(keys, "spring"), holdout_draws(keys, "autumn"))  # a new seed, new groups


def test_the_control_share_is_close_to_the_holdout():
    draws = holdout_draws([str(n) for n in range(20_000)], "rfm")
    # 20,000 customers at 10%: 2,000 expected, standard deviation sqrt(20000 x 0.1 x 0.9) = 42; allow 3 of them.
    assert abs((draws < 0.10).sum() - 2_000) < 127


def test_groups_follow_the_draw_and_left_out_comes_first():
    settings = Settings(recent_purchase_days=7, holdout_seed="rfm",
                        segments=(SegmentRule("Everyone", holdout=0.65), SegmentRule("Quiet", do_not_contact=True)))
    keys = list(DRAWS)
    segment = ["Everyone"] * 7 + ["Quiet"]
    recency = [30, 30, 30, 30, 30, 3, 30, 30]
    groups = plan_groups(segment, recency, keys, settings)
    # Control when the draw is below 0.65: a (0.650 is 0.6496...), d (0.586), f (0.027), h (0.640).
    # But f bought 3 days ago (left out), and h is in a Do Not Contact segment (left out).
    assert dict(zip(keys, groups, strict=True)) == {"a": CONTROL, "b": CONTACT, "c": CONTACT, "d": CONTROL,
                                                    "e": CONTACT, "f": LEFT_OUT, "g": CONTACT, "h": LEFT_OUT}


def test_difference_of_two_rates_and_its_95_percent_interval():
    difference, low, high = difference_interval([30], [100], [20], [100])
    # 0.30 - 0.20 = 0.10; se = sqrt(0.3 x 0.7 / 100 + 0.2 x 0.8 / 100) = sqrt(0.0037) = 0.0608276;
    # 1.959964 x 0.0608276 = 0.119220, so the interval is 0.10 -/+ 0.119220.
    assert difference[0] == pytest.approx(0.10)
    assert (low[0], high[0]) == pytest.approx((-0.019220, 0.219220), abs=1e-6)
    difference, low, high = difference_interval([3], [10], [0], [0])  # nobody held out: no comparison
    assert np.isnan(difference[0]) and np.isnan(low[0]) and np.isnan(high[0])


def test_responses_count_the_days_after_the_campaign_up_to_the_window():
    orders = pd.DataFrame({"customer_id": ["on the day", "next day", "last day", "too late", "net", "net"],
                           "order_date": pd.to_datetime(["2024-06-01", "2024-06-02", "2024-07-01", "2024-07-02",
                                                         "2024-06-10", "2024-06-12"]),
                           "amount": [10.0, 20.0, 30.0, 40.0, 50.0, -15.0]})
    got = responses(orders, dt.date(2024, 6, 1), 30)
    # The window is 06-02 to 07-01 (06-01 + 30 days); the return of -15 is netted into the revenue.
    assert got["responded"].to_dict() == {"next day": True, "last day": True, "net": True}
    assert got["revenue"].to_dict() == {"next day": 20.0, "last day": 30.0, "net": 35.0}


def test_results_per_segment_and_in_total():
    groups = pd.DataFrame({"segment": ["Gold"] * 6 + ["Silver"] * 2 + ["Gold"],
                           "plan": [CONTACT] * 4 + [CONTROL] * 2 + [CONTACT] * 2 + [LEFT_OUT]},
                          index=list("abcdefghi"))
    answers = pd.DataFrame({"responded": [True, True, True, False, True], "revenue": [100.0, 50.0, 40.0, 0.0, 999.0]},
                           index=["a", "b", "e", "g", "i"])
    table = campaign_results(groups, answers, ["Gold", "Silver", "Bronze"], {"Gold": 1.5, "Silver": 0.5}) \
        .set_index("segment")
    gold = table.loc["Gold"]
    # Gold test a-d: 2 of 4 responded (0.5), revenue 150, 37.50 each; control e, f: 1 of 2 (0.5), revenue 40,
    # 20.00 each. Incremental (37.50 - 20.00) x 4 = 70; cost 4 x 1.50 = 6; net gain 64. i was left out: ignored.
    assert (gold["test_customers"], gold["test_responders"], gold["control_customers"],
            gold["control_responders"]) == (4, 2, 2, 1)
    assert (gold["test_rate"], gold["control_rate"], gold["difference"]) == (0.5, 0.5, 0.0)
    assert (gold["incremental_revenue"], gold["cost"], gold["net_gain"]) == (70.0, 6.0, 64.0)
    silver = table.loc["Silver"]  # no control group: counted, but nothing to compare
    assert (silver["test_customers"], silver["control_customers"]) == (2, 0)
    assert np.isnan(silver["difference"]) and np.isnan(silver["incremental_revenue"])
    assert "Bronze" not in table.index  # nobody in it
    total = table.loc[ALL_SEGMENTS]
    # Counts of everyone; money only where there was a control: Silver's 2 x 0.50 of cost is left out.
    assert (total["test_customers"], total["test_responders"], total["control_customers"]) == (6, 2, 2)
    assert (total["incremental_revenue"], total["cost"], total["net_gain"]) == (70.0, 6.0, 64.0)
    assert np.isnan(total["difference"])


def test_campaign_results_from_the_orders():
    # Eight customers bought on 2024-05-01; the campaign went out on 2024-06-01 with a 65% holdout, seed "rfm":
    # control a, d, f, h (draws below 0.65), test b, c, e, g.
    rows = [(c, f"{c}0", "2024-05-01", 10 + n) for n, c in enumerate("abcdefgh")]
    rows += [("b", "b1", "2024-06-10", 100),   # test, responds
             ("c", "c1", "2024-07-05", 80),    # test, after the 30-day window (06-02 to 07-01): no response
             ("e", "e1", "2024-06-01", 60),    # test, on the campaign day itself: no response
             ("g", "g1", "2024-06-20", 50), ("g", "g2", "2024-06-25", -10),  # test, responds; revenue 40
             ("a", "a1", "2024-06-15", 30)]    # control, responds
    orders = pd.DataFrame(rows, columns=["Customer ID", "Order ID", "Order Date", "Amount"])
    settings = Settings(recent_purchase_days=0, holdout_seed="rfm", campaign_date=dt.date(2024, 6, 1),
                        response_days=30, segments=(SegmentRule("Everyone", holdout=0.65, cost=2.0),))
    result = rfm_excel.score(orders, settings, as_of=dt.date(2024, 7, 15))
    row = result.campaign.table.set_index("segment").loc["Everyone"]
    # Test 2 of 4 (b, g) = 0.50, control 1 of 4 (a) = 0.25: difference 0.25,
    # se = sqrt(0.5 x 0.5 / 4 + 0.25 x 0.75 / 4) = sqrt(0.109375) = 0.330719, x 1.959964 = 0.648198.
    assert (row["test_responders"], row["control_responders"]) == (2, 1)
    assert row["difference"] == pytest.approx(0.25)
    assert (row["low_95"], row["high_95"]) == pytest.approx((0.25 - 0.648198, 0.25 + 0.648198), abs=1e-5)
    # Revenue in the window: test 100 + 40 = 140 (35.00 each), control 30 (7.50 each):
    # (35.00 - 7.50) x 4 = 110 incremental; cost 4 x 2.00 = 8; net gain 102.
    assert (row["incremental_revenue"], row["cost"], row["net_gain"]) == pytest.approx((110.0, 8.0, 102.0))
    # 44 days > 30 have passed
    assert not any("still coming in" in note for note in campaign_notes(result.campaign, result.as_of))


def test_a_campaign_too_recent_says_responses_are_still_coming_in():
    orders = pd.DataFrame([("a", "1", "2024-05-01", 10), ("a", "2", "2024-06-05", 10)],
                          columns=["Customer ID", "Order ID", "Order Date", "Amount"])
    result = rfm_excel.score(orders, Settings(campaign_date=dt.date(2024, 6, 1)))
    # As-of = the day after the last order, 2024-06-06: 5 of the 30 days have passed; nobody was held out.
    notes = campaign_notes(result.campaign, result.as_of)
    assert any(note.startswith("Only 5 of the 30 days had passed") for note in notes)
    assert any(note.startswith("Nobody was held out") for note in notes)
    assert rfm_excel.score(orders).campaign is None  # no campaign date, no results
