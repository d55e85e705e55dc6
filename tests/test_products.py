"""Product offers: bought together, next best product, reorder due, the summary and the hold-out check.

Every figure below is worked out by hand in the comments, or compared with a plain-Python
count written independently of the sparse matrices.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfm_excel.base.errors import RfmError
from rfm_excel.base.orders import id_text, normalise
from rfm_excel.domain import products
from rfm_excel.doors.cli import sample_orders

COLUMNS = ["customer_id", "order_id", "order_date", "amount", "product", "product_name"]


def lines(*rows) -> pd.DataFrame:
    """Clean order lines from (customer, order, date, amount, product, name) tuples."""
    table = pd.DataFrame(rows, columns=COLUMNS).astype({"order_date": "datetime64[ns]", "amount": float})
    return table.astype(dict.fromkeys(("customer_id", "order_id", "product", "product_name"), object))


TEACUP, SAUCER, CAKESTAND = "REGENCY TEACUP", "REGENCY SAUCER", "CAKESTAND"
# 85123A, 85123 and 00042 are three products (00042 has no name). 22423 is a cakestand.
SHOP = lines(
    ("a", "A1", "2024-01-10", 10.0, "85123A", TEACUP),
    ("a", "A1", "2024-01-10", 5.0, "85123", SAUCER),
    ("a", "A2", "2024-02-03", 3.0, "00042", None),
    ("b", "B1", "2024-01-10", 10.0, "85123A", TEACUP),
    ("b", "B1", "2024-01-10", 2.0, "85123", SAUCER),
    ("b", "B2", "2024-03-15", 3.0, "85123", SAUCER),        # b's latest purchase of 85123: March
    ("b", "B3", "2024-04-01", -1.0, "85123", SAUCER),       # a partial refund: still bought, still March
    ("c", "C1", "2024-02-01", 10.0, "85123A", "Regency teacup "),
    ("c", "C1", "2024-02-01", 3.0, "00042", None),
    ("c", "C2", "2024-02-01", 5.0, "85123", SAUCER),
    ("c", "C3", "2024-02-20", -5.0, "85123", SAUCER),       # returned in full: c did not buy 85123
    ("d", "D1", "2024-03-10", 5.0, "85123", SAUCER),
    ("d", "D2", "2024-05-02", 3.0, "00042", None),
    ("e", "E1", "2024-01-20", 10.0, "85123A", TEACUP),
    ("e", "E1", "2024-01-20", 20.0, "22423", CAKESTAND),
    ("e", "E2", "2024-02-11", -8.0, "22423", CAKESTAND),    # part returned: still bought (net 12)
    ("f", "F1", "2024-02-11", -3.0, "00042", None),         # only a return: f bought nothing
    ("f", "F2", "2024-02-12", 25.0, None, None),            # a line without a product
)
# Bought (net amount above 0):  a: 85123A 85123 00042 | b: 85123A 85123 | c: 85123A 00042 |
# d: 85123 00042 | e: 85123A 22423 | f: nothing. Five customers bought a product.
# Buyers: 85123A 4 (a b c e), 85123 3 (a b d), 00042 3 (a c d), 22423 1 (e).
# Revenue: 85123A 40; 85123 5+2+3-1+5-5+5 = 14; 00042 3+3+3-3 = 6; 22423 20-8 = 12.
# Best sellers (customers, then revenue): 85123A, 85123 (3, 14), 00042 (3, 6), 22423.


def test_net_purchases_net_out_returns_and_keep_codes_as_text():
    bought = products.net_purchases(SHOP)
    assert list(bought.products) == ["85123A", "85123", "00042", "22423"]
    assert list(bought.customers) == list("abcdef")
    assert bought.bought.toarray().tolist() == [[1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 1, 0],
                                                [1, 0, 0, 1], [0, 0, 0, 0]]
    assert bought.buyers.tolist() == [4, 3, 3, 1]
    assert bought.revenue.tolist() == pytest.approx([40.0, 14.0, 6.0, 12.0])
    # TEACUP is on 3 lines of 85123A, "Regency teacup " on one; 00042 is never named.
    assert list(bought.names) == [TEACUP, SAUCER, None, CAKESTAND]


def test_a_full_return_nets_to_nothing_despite_floating_point():
    got = products.net_purchases(lines(("a", "1", "2024-01-01", 3 * 1.10, "X", None),
                                       ("a", "2", "2024-01-05", -3.30, "X", None)))
    assert 3 * 1.10 - 3.30 > 0  # 4.4e-16: the sum a plain "> 0" would call a purchase
    assert got.bought.nnz == 0


def test_support_confidence_and_lift_by_hand():
    pairs = products.bought_together(products.net_purchases(SHOP), min_support=2)
    table = pairs.table().set_index(["product", "bought_with"])
    # Both bought: 85123A+85123 a b; 85123A+00042 a c; 85123+00042 a d (2 each); 85123A+22423 e only (1: dropped).
    assert sorted(table.index) == sorted([("85123A", "85123"), ("85123", "85123A"), ("85123A", "00042"),
                                          ("00042", "85123A"), ("85123", "00042"), ("00042", "85123")])
    assert set(table["support"]) == {2}
    # Confidence: 2 of 85123A's 4 buyers bought 85123 (0.5); 2 of 85123's 3 bought 85123A (2/3).
    # Lift: confidence / share of the 5 customers buying the other: 0.5 / (3/5) = 5/6, both ways.
    assert table.loc[("85123A", "85123"), ["confidence", "lift"]].tolist() == pytest.approx([1 / 2, 5 / 6])
    assert table.loc[("85123", "85123A"), ["confidence", "lift"]].tolist() == pytest.approx([2 / 3, 5 / 6])
    # 85123 and 00042: 3 buyers each, 2 both: confidence 2/3, lift (2/3) / (3/5) = 10/9.
    assert table.loc[("85123", "00042"), ["confidence", "lift"]].tolist() == pytest.approx([2 / 3, 10 / 9])
    assert table.loc[("00042", "85123A"), "product_name"] is None
    assert table.loc[("00042", "85123A"), "bought_with_name"] == TEACUP
    # With support 1 the cakestand pair counts: 1 of 4 (0.25) one way, 1 of 1 the other, lift 1 x 5 / (4 x 1).
    loose = products.bought_together(products.net_purchases(SHOP), min_support=1).table()
    cake = loose[(loose["product"] == "22423") & (loose["bought_with"] == "85123A")]
    assert cake[["support", "confidence", "lift"]].values.tolist() == [[1, 1.0, 1.25]]


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True])
def test_a_minimum_support_that_is_not_a_whole_number_of_customers_is_refused(bad):
    with pytest.raises(RfmError, match="whole number of customers"):
        products.bought_together(products.net_purchases(SHOP), min_support=bad)


def test_lines_without_a_product_column_are_refused_in_a_sentence():
    with pytest.raises(RfmError, match="no product column"):
        products.net_purchases(SHOP.drop(columns="product"))


def offers(do_not_recommend=(), segments=None, min_support=2) -> pd.DataFrame:
    pairs = products.bought_together(products.net_purchases(SHOP), min_support=min_support)
    return products.next_best_products(pairs, segments, do_not_recommend)


def test_next_best_product_is_the_best_confidence_from_what_they_bought():
    got = offers().to_dict("index")
    # b bought 85123A and 85123: 00042 scores 0.5 from 85123A, 2/3 from 85123; the best is 2/3, from 85123,
    # last bought (a purchase, not the refund) in March.
    assert got["b"] == {"product": "00042", "product_name": None, "basis": "bought together",
                        "confidence": pytest.approx(2 / 3), "bought_with": "85123", "bought_with_name": SAUCER,
                        "reason": "bought with REGENCY SAUCER, which you bought in March 2024"}
    # c bought 85123A and 00042 (not 85123: returned): 85123 scores 0.5 from 85123A, 2/3 from 00042,
    # which has no name, so the reason gives its code.
    assert (got["c"]["product"], got["c"]["bought_with"], got["c"]["reason"]) == (
        "85123", "00042", "bought with 00042, which you bought in February 2024")
    # d: 85123A scores 2/3 from both 85123 (March) and 00042 (May), each pair with 2 customers: the
    # product bought more recently is named.
    assert (got["d"]["product"], got["d"]["reason"]) == ("85123A", "bought with 00042, which you bought in May 2024")
    # e: 85123 and 00042 both score 0.5 from 85123A with 2 customers: the better seller, 85123.
    assert (got["e"]["product"], got["e"]["bought_with_name"]) == ("85123", TEACUP)
    # a bought every paired product: the best seller left, the cakestand. f bought nothing: the best seller.
    assert (got["a"]["product"], got["a"]["basis"], got["a"]["reason"]) == (
        "22423", "best seller", "a best seller among all customers")
    assert np.isnan(got["a"]["confidence"]) and got["a"]["bought_with"] is None
    assert (got["f"]["product"], got["f"]["product_name"]) == ("85123A", TEACUP)


def test_do_not_recommend_and_the_segment_fallback():
    segments = pd.Series({"d": "New", "f": "New", "a": "Champions"})
    got = offers(do_not_recommend=["22423", "00042"], segments=segments).to_dict("index")
    # b's only pair offer (00042) is excluded; b has no segment: best sellers overall, 85123A and 85123
    # bought, 00042 and 22423 excluded: nothing left to offer.
    assert got["b"] == {"product": None, "product_name": None, "basis": None, "confidence": pytest.approx(np.nan,
                        nan_ok=True), "bought_with": None, "bought_with_name": None, "reason": None}
    # f (New) bought nothing: New's best seller is what d bought, 85123 before 00042 (excluded).
    assert (got["f"]["product"], got["f"]["basis"], got["f"]["reason"]) == (
        "85123", "best seller in segment", "a best seller among New")
    # a (Champions) bought 85123A, 85123, 00042; 22423 is excluded: nothing.
    assert got["a"]["product"] is None
    # Codes are compared as text: "42" does not exclude 00042.
    assert offers(do_not_recommend=["42", 42])["product"]["b"] == "00042"


def test_no_product_on_any_line_gives_every_customer_no_offer():
    bare = SHOP.assign(product=None, product_name=None)
    got = products.next_best_products(products.bought_together(products.net_purchases(bare)))
    assert list(got.index) == list("abcdef") and got["product"].isna().all()
    assert products.reorders(bare, dt.date(2024, 6, 1)).empty
    summary = products.products_summary(products.bought_together(products.net_purchases(bare)))
    assert summary.best_by_revenue.empty and summary.pairs.empty


def test_products_summary_tables():
    pairs = products.bought_together(products.net_purchases(SHOP), min_support=2)
    summary = products.products_summary(pairs, pd.Series({"b": "Loyal", "d": "Loyal", "e": "New"}), top=3,
                                        per_segment=2)
    revenue = summary.best_by_revenue
    assert revenue["product"].tolist() == ["85123A", "85123", "22423"]  # 40, 14, 12 (00042's 6 is fourth)
    assert revenue["revenue_share"].tolist() == pytest.approx([40 / 72, 14 / 72, 12 / 72])
    assert summary.best_by_customers[["product", "customers"]].values.tolist() == [
        ["85123A", 4], ["85123", 3], ["00042", 3]]
    assert summary.best_by_customers["customers_share"].tolist() == pytest.approx([4 / 5, 3 / 5, 3 / 5])
    top = summary.segment_top
    # Loyal is b and d: 85123 bought by both (2 + 3 - 1 + 5 = 9), then 85123A (b) and 00042 (d) once each:
    # 85123A is the better seller overall.
    assert top[top["segment"] == "Loyal"][["rank", "product", "customers", "segment_share", "revenue"]
                                          ].values.tolist() == [[1, "85123", 2, 1.0, 9.0], [2, "85123A", 1, 0.5, 10.0]]
    assert top[top["segment"] == "New"]["product"].tolist() == ["85123A", "22423"]
    # Each pair once, from the product with fewer buyers; highest lift first: 85123-00042 (10/9; 3 buyers
    # each, so from the better seller, 85123), then the two pairs with 85123A (5/6), 85123's before 00042's.
    assert summary.pairs[["product", "also_bought", "bought_both"]].values.tolist() == [
        ["85123", "00042", 2], ["85123", "85123A", 2], ["00042", "85123A", 2]]
    assert summary.pairs["product_buyers_share"].tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3])
    assert summary.pairs["also_bought_buyers_share"].tolist() == pytest.approx([2 / 3, 1 / 2, 1 / 2])
    assert summary.pairs["lift"].tolist() == pytest.approx([10 / 9, 5 / 6, 5 / 6])


def test_products_summary_leaves_out_what_is_never_offered():
    pairs = products.bought_together(products.net_purchases(SHOP), min_support=2)
    summary = products.products_summary(pairs, pd.Series({"b": "Loyal", "d": "Loyal"}), do_not_recommend=["85123"])
    assert summary.best_by_revenue["product"].tolist() == ["85123A", "22423", "00042"]
    assert summary.best_by_customers["product"].tolist() == ["85123A", "00042", "22423"]
    assert summary.segment_top["product"].tolist() == ["85123A", "00042"]  # Loyal's 85123 left out
    assert summary.pairs[["product", "also_bought"]].values.tolist() == [["00042", "85123A"]]


# ---------------------------------------------------------------- reorder due

AS_OF = dt.date(2024, 4, 10)


def bought_on(customer, product, *days, amount=1.0):
    return [(customer, None, day, amount, product, None) for day in days]


def test_reorder_due_regular_irregular_and_too_few_days():
    table = products.reorders(lines(
        # Gaps 30 and 30: median 30, spread 0: regular. Due 03-01 + 30 = 03-31, 10 days before the as-of date.
        *bought_on("r", "TEA", "2024-01-01", "2024-01-31", "2024-03-01"),
        # Gaps 10 and 40: median 25, spread (deviations 15, 15) 15, not below 12.5: irregular.
        *bought_on("i", "TEA", "2024-01-01", "2024-01-11", "2024-02-20"),
        # Gaps 10 and 29: median 19.5, spread 9.5 < 9.75: regular (29 < 3 x 10); due 03-10 + 20 (19.5 rounded up).
        *bought_on("b", "TEA", "2024-01-01", "2024-01-11", "2024-02-09"),
        # Gaps 10 and 30: median 20, spread 10, not below 10: irregular (30 is three times 10).
        *bought_on("b", "JAM", "2024-01-01", "2024-01-11", "2024-02-10"),
        # Three lines on two days: two purchase days, one gap: not enough.
        *bought_on("t", "TEA", "2024-01-01", "2024-01-01", "2024-02-01"),
        # Gaps 30, 30 and 90: median 30, deviations 0, 0, 60, spread 0: one late reorder keeps it regular.
        *bought_on("l", "TEA", "2024-01-01", "2024-01-31", "2024-03-01", "2024-05-30"),
    ), AS_OF).set_index(["customer_id", "product"])
    assert sorted(table.index) == [("b", "TEA"), ("l", "TEA"), ("r", "TEA")]
    r = table.loc[("r", "TEA")]
    assert (r["purchase_days"], r["usual_gap"], r["gap_spread"]) == (3, 30, 0)
    assert (r["last_bought"], r["reorder_date"]) == (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-31"))
    assert (r["days_overdue"], r["passed"]) == (10, True)
    b = table.loc[("b", "TEA")]
    assert (b["usual_gap"], b["gap_spread"], b["reorder_date"]) == (20, 9.5, pd.Timestamp("2024-02-29"))
    late = table.loc[("l", "TEA")]
    # Due 05-30 + 30 = 06-29: 80 days after the as-of date (20 in April, 31 in May, 29 in June).
    assert (late["reorder_date"], late["days_overdue"], late["passed"]) == (pd.Timestamp("2024-06-29"), -80, False)


def test_a_reorder_due_on_the_as_of_date_has_not_passed_and_the_day_before_has():
    got = products.reorder_due(lines(*bought_on("on", "TEA", "2024-03-11", "2024-03-21", "2024-03-31"),
                                     *bought_on("by", "TEA", "2024-03-10", "2024-03-20", "2024-03-30")), AS_OF)
    # Gaps of 10: due 03-31 + 10 = 04-10, the as-of date; and 03-30 + 10 = 04-09, one day before it.
    assert got[["reorder_date", "days_overdue", "passed"]].to_dict("index") == {
        "on": {"reorder_date": pd.Timestamp("2024-04-10"), "days_overdue": 0, "passed": False},
        "by": {"reorder_date": pd.Timestamp("2024-04-09"), "days_overdue": 1, "passed": True}}


def test_returns_and_exclusions_in_reorders_and_the_earliest_per_customer():
    table = products.reorder_due(lines(
        # TEA every 7 days, due 01-22 + 7 = 01-29; COFFEE every 14 days, due 02-12 + 14 = 02-26: TEA first.
        *bought_on("m", "COFFEE", "2024-01-15", "2024-01-29", "2024-02-12"),
        *bought_on("m", "TEA", "2024-01-08", "2024-01-15", "2024-01-22"),
        # n bought MILK on three days but returned it all: not bought, no reorder.
        *bought_on("n", "MILK", "2024-01-01", "2024-01-08", "2024-01-15"),
        ("n", None, "2024-01-20", -3.0, "MILK", None),
        # n's SUGAR: bought and returned on 01-08 (a day netting 0 is no purchase day): two days only.
        *bought_on("n", "SUGAR", "2024-01-01", "2024-01-08", "2024-01-15"),
        ("n", None, "2024-01-08", -1.0, "SUGAR", None),
        # POST is never suggested.
        *bought_on("p", "POST", "2024-01-01", "2024-01-08", "2024-01-15"),
    ), AS_OF, do_not_recommend=["POST"])
    assert list(table.index) == ["m"]
    assert (table.loc["m", "product"], table.loc["m", "reorder_date"]) == ("TEA", pd.Timestamp("2024-01-29"))


# ---------------------------------------------------------------- the hold-out check

HOLDOUT = lines(
    ("p1", "O1", "2024-01-01", 1.0, "A", None), ("p1", "O1", "2024-01-01", 1.0, "B", None),
    ("p1", "O2", "2024-02-01", 1.0, "C", None),                                   # hidden: C
    ("p2", "O3", "2024-01-05", 1.0, "A", None), ("p2", "O3", "2024-01-05", 1.0, "C", None),
    ("p2", "O4", "2024-03-01", 1.0, "B", None),                                   # hidden: B
    ("p3", "O5", "2024-01-07", 1.0, "A", None), ("p3", "O5", "2024-01-07", 1.0, "C", None),  # one order: kept
    ("p4", "O6", "2024-01-08", 1.0, "B", None), ("p4", "O6", "2024-01-08", 1.0, "D", None),
    ("p5", "O7", "2024-01-09", 5.0, "E", None), ("p6", "O8", "2024-01-09", 5.0, "E", None),
    ("p7", "O9", "2024-01-09", 5.0, "E", None),
    ("p8", None, "2024-01-10", 1.0, "D", None), ("p8", None, "2024-02-10", 1.0, "A", None),  # two orders; hidden: A
    ("p9", "O12", "2024-01-02", 1.0, "A", None), ("p9", "O12", "2024-01-02", 1.0, "C", None),
    ("p9", "O13", "2024-02-02", 1.0, "B", None),                                  # hidden: B (last worth > 0)
    ("p9", "C14", "2024-02-05", -1.0, "B", None),                                 # later, a cancellation: hidden too
)
# Left after hiding: p1 A B | p2 A C | p3 A C | p4 B D | p5-p7 E | p8 D | p9 A C.
# Buyers A 4, E 3 (revenue 15), C 3 (3), B 2, D 2: best sellers A, E, C, B, D.
# Pairs: A+C 3 (p2 p3 p9), A+B 1 (p1), B+D 1 (p4). Confidence A->C 3/4, A->B 1/4, B->D 1/2, D->B 1/2, C->A 1.
# Next best: p1 (A B) C (3/4, hit); p2 (A C) B (1/4, hit); p8 (D) B (miss; then A, a hit at 5); p9 (A C) B (hit).
# Best seller not bought: p1 E (miss; C 3rd), p2 E (miss; B 2nd), p8 A (hit), p9 E (miss; B 2nd).


def test_holdout_check_on_a_hand_made_shop():
    got = products.holdout_check(HOLDOUT, min_support=1)
    assert got.loc["Next best product"].tolist() == [4, 3, 0.75, 4, 1.0]
    assert got.loc["Best seller"].tolist() == [4, 1, 0.25, 4, 1.0]
    assert list(got.columns) == ["customers_checked", "hits_at_1", "hit_rate_at_1", "hits_at_5", "hit_rate_at_5"]
    # Excluding C, p1's hidden C cannot be hit: the next best product offers D (from B), a miss at 1 and
    # at 5; the best seller loses its hit at 5 for p1 (E, D). Everyone else as before.
    excluded = products.holdout_check(HOLDOUT, min_support=1, do_not_recommend=["C"])
    assert excluded.loc["Next best product", ["hits_at_1", "hits_at_5"]].tolist() == [2, 3]
    assert excluded.loc["Best seller", ["hits_at_1", "hits_at_5"]].tolist() == [1, 3]


# ---------------------------------------------------------------- properties, against a plain-Python count

line = st.tuples(st.sampled_from(list("abcdefg")), st.sampled_from(["85123", "85123A", "00042", "42", "POST"]),
                 st.integers(0, 40), st.sampled_from([5.0, 2.5, -2.5, -5.0, 0.0]))


def plain_bought(rows) -> dict[str, set[str]]:
    net = defaultdict(float)
    for customer, product, _, amount in rows:
        net[customer, product] += amount
    bought = defaultdict(set)
    for (customer, product), amount in net.items():
        if amount > 1e-6:
            bought[customer].add(product)
    return bought


def frame(rows) -> pd.DataFrame:
    return lines(*[(c, None, pd.Timestamp("2024-01-01") + pd.Timedelta(days=d), a, p, None) for c, p, d, a in rows])


@settings(max_examples=150, deadline=None)
@given(st.lists(line, min_size=1, max_size=40), st.integers(1, 3))
def test_pairs_agree_with_a_plain_count(rows, min_support):
    bought = plain_bought(rows)
    pairs = products.bought_together(products.net_purchases(frame(rows)), min_support)
    table = pairs.table()
    customers = len([c for c in bought if bought[c]])
    buyers = defaultdict(int)
    for items in bought.values():
        for item in items:
            buyers[item] += 1
    expected = {}
    for first in buyers:
        for second in buyers:
            both = sum(1 for items in bought.values() if first in items and second in items)
            if first != second and both >= min_support:
                lift = both * customers / (buyers[first] * buyers[second])
                expected[first, second] = (both, both / buyers[first], lift)
    got = {(p, q): (s, c, lift)
           for p, q, s, c, lift in table[["product", "bought_with", "support", "confidence", "lift"]]
           .itertuples(index=False)}
    assert got.keys() == expected.keys()
    for key, (support, confidence, lift) in got.items():
        assert got[key[1], key[0]][0] == support  # support is symmetric
        assert 0 < confidence <= 1
        assert (support, confidence, lift) == pytest.approx(expected[key])
        assert lift == pytest.approx(confidence / (buyers[key[1]] / customers))  # confidence / base rate


@settings(max_examples=150, deadline=None)
@given(st.lists(line, min_size=1, max_size=40), st.integers(1, 2), st.sets(st.sampled_from(["85123", "POST"])))
def test_next_best_product_is_new_allowed_and_scored_as_the_best_confidence(rows, min_support, excluded):
    bought = plain_bought(rows)
    pairs = products.bought_together(products.net_purchases(frame(rows)), min_support)
    got = products.next_best_products(pairs, do_not_recommend=excluded)
    table = pairs.table()
    for customer, offer in got.iterrows():
        mine = bought.get(customer, set())
        candidates = table[table["product"].isin(mine) & ~table["bought_with"].isin(mine)
                           & ~table["bought_with"].isin(excluded)]
        if len(candidates):
            assert offer["basis"] == "bought together"
            assert offer["confidence"] == pytest.approx(candidates["confidence"].max())
            assert offer["bought_with"] in mine
        elif offer["product"] is not None:
            assert offer["basis"] == "best seller"
        else:  # nothing left: every product bought by anyone is theirs or excluded
            assert set(pairs.purchases.products[pairs.buyers > 0]) <= mine | excluded
        assert offer["product"] not in mine and offer["product"] not in excluded


# ---------------------------------------------------------------- the real sample (Online Retail II)

NOT_PRODUCTS = ["POST", "M", "ADJUST", "D", "C2"]  # postage, manual, adjustment, discount, carriage


@pytest.fixture(scope="module")
def sample_lines() -> pd.DataFrame:
    """The bundled sample, cleaned by the project's own cleaning, with StockCode and Description
    attached by sheet row (source_row 2 is the first data row)."""
    raw = sample_orders()
    clean = normalise(raw).lines
    source = raw.iloc[clean["source_row"].to_numpy() - 2]
    return clean.assign(product=np.array([id_text(v) for v in source["StockCode"]], dtype=object),
                        product_name=np.array([None if v is None else v.strip() for v in source["Description"]],
                                              dtype=object))


def test_sample_pairs_match_a_count_with_pandas(sample_lines):
    pairs = products.bought_together(products.net_purchases(sample_lines))
    net = sample_lines.groupby(["customer_id", "product"])["amount"].sum()
    bought = net[net > 1e-6].reset_index()[["customer_id", "product"]]
    both = bought.merge(bought, on="customer_id").query("product_x != product_y")
    support = both.groupby(["product_x", "product_y"]).size()
    support = support[support >= 10]
    table = pairs.table().set_index(["product", "bought_with"])["support"]
    assert len(table) == len(support) and table.sort_index().tolist() == support.sort_index().tolist()
    assert "85123A" in pairs.purchases.products and "85123" not in pairs.purchases.products  # codes stay text


def test_sample_holdout_figures_in_the_docs(sample_lines):
    got = products.holdout_check(sample_lines, do_not_recommend=NOT_PRODUCTS)
    # docs/actions.md, "What to offer": 187 repeat buyers; 15 against 9 hits at 1, 35 against 36 at 5.
    assert got[["customers_checked", "hits_at_1", "hits_at_5"]].values.tolist() == [[187, 15, 35], [187, 9, 36]]
