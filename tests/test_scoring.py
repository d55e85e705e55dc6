"""The scoring rules of docs/scoring.md, pinned on small hand-made order tables.

Every expected number is worked out by hand from the documented rules; the arithmetic is in
the comment beside it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import rfm_excel
from rfm_excel import RfmError, SegmentRule, Settings
from rfm_excel.base.settings import DEFAULT_SEGMENTS, SETTING_ROWS, UNMATCHED_SEGMENT, parse_settings
from rfm_excel.domain import segments
from rfm_excel.domain.scoring import breakpoint_scores, on_five_point_scale, quantile_scores
from rfm_excel.layout.issue_words import issue_table

D = dt.date
JULY_1 = D(2024, 7, 1)
LINE = ["Customer ID", "Order ID", "Order Date", "Amount"]
ROW = ["Customer ID", "Order Date", "Amount"]


def frame(rows, columns=LINE) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def by_customer(result) -> dict:
    """Scores rows keyed by Customer ID."""
    return {row["customer_id"]: row for row in result.scores.to_dict("records")}


def picks(result, *columns) -> dict:
    """Customer ID -> tuple of the given Scores columns."""
    return {cid: tuple(row[c] for c in columns) for cid, row in by_customer(result).items()}


# ---------------------------------------------------------- quantile_scores: score = 1 + floor(bins x worse / N)


def test_quantile_ten_distinct_values_in_five_bins_pair_up():
    # value i (0 = worst) has i worse values: 1 + floor(5i/10) = 1 + floor(i/2) -> 1,1,2,2,3,3,4,4,5,5
    assert quantile_scores(list(range(10, 110, 10)), 5).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_quantile_scores_follow_the_values_not_the_input_order():
    # same ten values shuffled: 70 has 6 worse -> 1 + 3 = 4; 60 has 5 -> 1 + 2 = 3; 10 -> 1; 100 (9) -> 5
    values = [70, 10, 100, 40, 20, 90, 30, 60, 50, 80]
    assert quantile_scores(values, 5).tolist() == [4, 1, 5, 2, 1, 5, 2, 3, 3, 4]


def test_quantile_ties_take_the_lowest_score_of_their_group():
    # values 1,1,1,2,2,3,3,3,3,3 (N = 10), 5 bins
    # 1s: 0 worse -> 1;  2s: 3 worse -> 1 + floor(15/10) = 2;  3s: 5 worse -> 1 + floor(25/10) = 3
    assert quantile_scores([1, 1, 1, 2, 2, 3, 3, 3, 3, 3], 5).tolist() == [1, 1, 1, 2, 2, 3, 3, 3, 3, 3]


def test_quantile_half_the_customers_tied_at_the_bottom_all_score_one():
    # docs: half ordered once -> F 1 for all of them
    # 5 x 1: 0 worse -> 1;  2..6 have 5..9 worse: 1 + floor(25/10, 30/10, 35/10, 40/10, 45/10) = 3, 4, 4, 5, 5
    assert quantile_scores([1] * 5 + [2, 3, 4, 5, 6], 5).tolist() == [1] * 5 + [3, 4, 4, 5, 5]


def test_quantile_a_lone_customer_scores_one():
    # nobody is worse: 1 + floor(0) = 1 whatever the number of levels
    assert quantile_scores([42.0], 5).tolist() == [1]
    assert quantile_scores([42.0], 3).tolist() == [1]


def test_quantile_two_customers_score_one_and_three_of_five():
    # 0 and 1 worse of 2: 1 + floor(0) = 1 and 1 + floor(5/2) = 3
    assert quantile_scores([5, 9], 5).tolist() == [1, 3]


def test_quantile_all_equal_values_all_score_one():
    assert quantile_scores([3] * 7, 5).tolist() == [1] * 7


def test_quantile_lower_is_better_reverses_the_scores():
    # recency-style: 1 day is best. Worse counts: 1 -> 3, 10 -> 2, 20 -> 1, 50 -> 0
    # 1 + floor(5w/4): 3 -> 1 + 3 = 4, 2 -> 1 + 2 = 3, 1 -> 1 + 1 = 2, 0 -> 1
    assert quantile_scores([1, 10, 20, 50], 5, higher_is_better=False).tolist() == [4, 3, 2, 1]
    assert quantile_scores([1, 10, 20, 50], 5, higher_is_better=True).tolist() == [1, 2, 3, 4]


def test_quantile_four_bins_and_three_bins():
    # 8 distinct, 4 bins: 1 + floor(4i/8) = 1 + floor(i/2) -> 1,1,2,2,3,3,4,4
    assert quantile_scores(range(8), 4).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    # 6 distinct, 3 bins: 1 + floor(3i/6) = 1 + floor(i/2) -> 1,1,2,2,3,3
    assert quantile_scores(range(6), 3).tolist() == [1, 1, 2, 2, 3, 3]


def test_equal_monetary_to_the_cent_gets_equal_m_scores():
    orders = frame([("A", "O1", "2024-06-01", 0.1), ("A", "O1", "2024-06-01", 0.2), ("B", "O2", "2024-06-01", 0.3),
                    ("C", "O3", "2024-06-01", 0.5)])
    result = rfm_excel.score(orders, as_of=JULY_1)
    # A and B both 0.30 (0.1 + 0.2 summed without float noise): nobody worse -> M 1 for both;
    # C: 2 of 3 worse -> 1 + floor(10/3) = 4
    assert picks(result, "monetary", "m") == {"A": (0.3, 1), "B": (0.3, 1), "C": (0.5, 4)}


# ------------------------------------------------------------------ breakpoint_scores


def test_breakpoints_a_value_equal_to_a_limit_is_in_the_band_it_closes():
    # limits 1, 2, 4, 8: 1 -> 1, 2 -> 2, 3 and 4 -> 3, 5 and 8 -> 4, 9 -> 5; 0 is below the first limit -> 1
    values = [0, 1, 2, 3, 4, 5, 8, 9]
    assert breakpoint_scores(values, (1, 2, 4, 8)).tolist() == [1, 1, 2, 3, 3, 4, 4, 5]


def test_breakpoints_recency_runs_the_other_way():
    # limits 30, 90, 180, 365 days, fewer days best: <=30 -> 5, 31..90 -> 4, 91..180 -> 3, 181..365 -> 2, >365 -> 1
    values = [0, 30, 31, 90, 91, 180, 365, 366]
    assert breakpoint_scores(values, (30, 90, 180, 365), higher_is_better=False).tolist() == [5, 5, 4, 4, 3, 3, 2, 1]


def test_recency_breakpoints_in_settings_score_days_since_last_purchase():
    # as-of 07-01: A bought 06-01 (30 days) -> band <=30 -> R 3; B 2024-04-01 (30+31+30 = 91 days) -> R 1;
    # C 2024-05-31 (31 days) -> band 31..90 -> R 2.  Limits 30, 90 -> 3 levels.
    orders = frame([("A", "2024-06-01", 10), ("B", "2024-04-01", 10), ("C", "2024-05-31", 10)], ROW)
    result = rfm_excel.score(orders, Settings(recency_breakpoints=(30.0, 90.0)), as_of=JULY_1)
    assert picks(result, "recency_days", "r") == {"A": (30, 3), "B": (91, 1), "C": (31, 2)}


# ------------------------------------------------------------------ score levels, direction, weights


def four_single_orders() -> pd.DataFrame:
    # one order each; as-of 07-01 -> recency W 1, X 10, Y 20, Z 30; amounts 40, 30, 20, 10
    return frame([("W", "2024-06-30", 40), ("X", "2024-06-21", 30), ("Y", "2024-06-11", 20),
                  ("Z", "2024-06-01", 10)], ROW)


def test_four_levels_score_one_to_four_and_stretch_to_1_2_4_5_for_segments():
    result = rfm_excel.score(four_single_orders(), Settings(recency_bins=4, frequency_bins=4, monetary_bins=4),
                             as_of=JULY_1)
    # R, M: 4 distinct values in 4 bins -> 1 + floor(4w/4) = 1..4 (W best, Z worst)
    # F: all 1 -> nobody worse -> 1
    # five-point scale (4 levels): 1->1, 2->2, 3->4, 4->5
    #   W (5,1,5) New Customers; X (4,1,4) Promising; Y (2,1,2) Hibernating; Z (1,1,1) Lost
    assert picks(result, "rfm_code", "rfm_score", "segment") == {
        "W": ("414", 9, "New Customers"), "X": ("313", 7, "Promising"),
        "Y": ("212", 5, "Hibernating"), "Z": ("111", 3, "Lost")}
    assert list(result.scores["customer_id"]) == ["W", "X", "Y", "Z"]  # by score 11, 9, 7, 5


def three_customers() -> pd.DataFrame:
    # as-of 07-01.  A: 06-30, 06-01 (5 each) -> recency 1, F 2, M 10
    #              B: 06-21, 06-01, 05-01 (30 each) -> recency 10, F 3, M 90
    #              C: 05-02 (500) -> recency 29 + 30 + 1 = 60, F 1, M 500
    return frame([("A", "2024-06-30", 5), ("A", "2024-06-01", 5), ("B", "2024-06-21", 30), ("B", "2024-06-01", 30),
                  ("B", "2024-05-01", 30), ("C", "2024-05-02", 500)], ROW)


def test_three_levels_score_one_to_three():
    result = rfm_excel.score(three_customers(), Settings(recency_bins=3, frequency_bins=3, monetary_bins=3),
                             as_of=JULY_1)
    # 3 distinct values in 3 bins -> (i + 0.5)/3 * 3 = i + 0.5 -> 1, 2, 3
    # R: C 60 -> 1, B 10 -> 2, A 1 -> 3;  F: C 1 -> 1, A 2 -> 2, B 3 -> 3;  M: A 10 -> 1, B 90 -> 2, C 500 -> 3
    # five-point (3 levels): 1->1, 2->3, 3->5.  A (5,3,1) Potential Loyalist; B (3,5,3) Loyal; C (1,1,5) Lost
    assert picks(result, "recency_days", "frequency", "monetary", "rfm_code", "segment") == {
        "A": (1, 2, 10.0, "321", "Potential Loyalist"), "B": (10, 3, 90.0, "232", "Loyal"),
        "C": (60, 1, 500.0, "113", "Lost")}


def test_best_score_lowest_flips_scores_and_code_and_weights_apply_to_shown_scores():
    settings = Settings(recency_bins=3, frequency_bins=3, monetary_bins=3, best_score="Lowest",
                        recency_weight=2, frequency_weight=1, monetary_weight=1)
    result = rfm_excel.score(three_customers(), settings, as_of=JULY_1)
    # internal (as above) A 3,2,1  B 2,3,2  C 1,1,3 -> shown 4 - s: A 1,2,3  B 2,1,2  C 3,3,1
    # RFM Score = 2R + F + M: A 2+2+3 = 7, B 4+1+2 = 7, C 6+3+1 = 10
    # segments use the internal scores, so they do not change: A Potential Loyalist, B Loyal, C Lost
    assert picks(result, "r", "f", "m", "rfm_code", "rfm_score", "segment") == {
        "A": (1, 2, 3, "123", 7, "Potential Loyalist"), "B": (2, 1, 2, "212", 7, "Loyal"),
        "C": (3, 3, 1, "331", 10, "Lost")}
    # best first on internal 2R+F+M: A 6+2+1 = 9, B 4+3+2 = 9 (tie: B has more Monetary), C 2+1+3 = 6
    assert list(result.scores["customer_id"]) == ["B", "A", "C"]


def test_rfm_score_is_the_weighted_sum_with_highest_best():
    result = rfm_excel.score(three_customers(), Settings(recency_bins=3, frequency_bins=3, monetary_bins=3,
                                                         recency_weight=2), as_of=JULY_1)
    # A 2*3+2+1 = 9, B 2*2+3+2 = 9, C 2*1+1+3 = 6
    assert picks(result, "rfm_score") == {"A": (9,), "B": (9,), "C": (6,)}


# ------------------------------------------------------------------ orders


def test_lines_sharing_an_order_id_are_one_order_dated_by_the_earliest_line():
    orders = frame([("A", "O1", "2024-06-20", 10), ("A", "O1", "2024-06-10", 15),  # one order: 06-10, 25
                    ("A", "O2", "2024-05-01", 5),
                    ("B", "O1", "2024-06-30", 7)])  # same Order ID, other customer: its own order
    result = rfm_excel.score(orders, as_of=JULY_1)
    # A: orders O1 (06-10, 25) and O2 (05-01, 5) -> F 2, M 30, last purchase 06-10 -> recency 21 (not 11)
    # B: F 1, M 7, recency 1
    assert picks(result, "frequency", "monetary", "recency_days") == {"A": (2, 30.0, 21), "B": (1, 7.0, 1)}
    assert result.orders == 3


def test_a_line_with_a_blank_order_id_is_an_order_of_its_own():
    orders = frame([("A", "O1", "2024-06-01", 10), ("A", "O1", "2024-06-01", 5),
                    ("A", None, "2024-06-10", 7), ("A", None, "2024-06-10", 8)])
    result = rfm_excel.score(orders, as_of=JULY_1)
    # O1 -> one order (10 + 5); each blank-ID line -> its own order (7, 8): F 3, M 30
    assert picks(result, "frequency", "monetary") == {"A": (3, 30.0)}


def test_without_an_order_id_column_every_row_is_an_order():
    orders = frame([("A", "2024-06-20", 10), ("A", "2024-06-20", 15), ("A", "2024-05-01", 5)], ROW)
    result = rfm_excel.score(orders, as_of=JULY_1)
    # three rows -> three orders: F 3, M 10 + 15 + 5 = 30
    assert picks(result, "frequency", "monetary") == {"A": (3, 30.0)}
    assert result.orders == 3


def test_a_return_is_netted_into_monetary_but_is_no_purchase():
    orders = frame([("A", "O1", "2024-03-01", 100),
                    ("A", "R1", "2024-06-25", -30),                                  # a return
                    ("A", "O2", "2024-06-28", 20), ("A", "O2", "2024-06-28", -20),   # net 0: not a purchase
                    ("B", "O3", "2024-06-01", 50)])
    result = rfm_excel.score(orders, as_of=JULY_1)
    # A: one purchase (O1) -> F 1, last purchase 03-01 -> recency Mar 31 + Apr 30 + May 31 + Jun 30 = 122
    #    Monetary 100 - 30 + 0 = 70
    assert picks(result, "frequency", "monetary", "recency_days", "last_order") == {
        "A": (1, 70.0, 31 + 30 + 31 + 30, pd.Timestamp("2024-03-01")),
        "B": (1, 50.0, 30, pd.Timestamp("2024-06-01"))}


def test_an_order_netting_to_zero_cents_is_not_a_purchase():
    orders = frame([("A", "O1", "2024-06-01", 10),
                    ("A", "O2", "2024-06-21", 0.1), ("A", "O2", "2024-06-21", 0.2), ("A", "O2", "2024-06-21", -0.3)])
    result = rfm_excel.score(orders, as_of=JULY_1)
    # O2 nets to 0.00 -> not a purchase: F 1, last purchase 06-01 -> recency 30, M 10 + 0 = 10
    assert picks(result, "frequency", "recency_days", "monetary") == {"A": (1, 30, 10.0)}


def test_a_customer_with_only_returns_is_not_scored():
    orders = frame([("A", "O1", "2024-06-01", 100), ("B", "R1", "2024-06-10", -40), ("B", "R2", "2024-06-11", 0)])
    result = rfm_excel.score(orders, as_of=JULY_1)
    assert list(result.scores["customer_id"]) == ["A"]
    assert result.customers == 1


# ------------------------------------------------------------------ recency, as-of date, time window


def test_recency_counts_whole_days_ignoring_the_time_of_day():
    orders = frame([("A", dt.datetime(2024, 6, 30, 23, 59), 10), ("B", dt.datetime(2024, 6, 1, 0, 1), 10)], ROW)
    result = rfm_excel.score(orders, as_of=JULY_1)
    # A: 06-30 -> 07-01 = 1 day; B: 06-01 -> 07-01 = 30 days
    assert picks(result, "recency_days") == {"A": (1,), "B": (30,)}


def test_default_as_of_is_the_day_after_the_latest_order_date():
    orders = frame([("A", dt.datetime(2024, 5, 10, 14, 30), 10), ("B", dt.datetime(2024, 5, 1, 9, 0), 10)], ROW)
    result = rfm_excel.score(orders)
    # latest 2024-05-10 -> as-of 2024-05-11; A recency 1, B 05-01 -> 05-11 = 10
    assert result.as_of == D(2024, 5, 11)
    assert picks(result, "recency_days") == {"A": (1,), "B": (10,)}


def test_orders_after_the_as_of_date_are_left_out_and_listed_as_issues():
    orders = frame([("A", "O1", "2024-06-01", 10),   # row 2
                    ("A", "O2", "2024-07-02", 99),   # row 3: after 07-01
                    ("B", "O3", "2024-07-01", 20),   # row 4: on the as-of date is kept (recency 0)
                    ("C", "O4", "2024-08-15", 5)])   # row 5: after; C has nothing else
    result = rfm_excel.score(orders, as_of=JULY_1)
    assert picks(result, "frequency", "monetary", "recency_days") == {"A": (1, 10.0, 30), "B": (1, 20.0, 0)}
    shown = issue_table(result.issues)
    late = shown[shown["Problem"].str.contains("after the as-of date")]
    assert list(late["Row"]) == [3, 5]
    assert list(late["Value"]) == ["2024-07-02", "2024-08-15"]


def test_time_window_limits_frequency_and_monetary_but_not_recency():
    # window 3 months before 07-01 -> orders dated after 2024-04-01 count
    orders = frame([("A", "2024-01-15", 100),   # outside
                    ("A", "2024-04-01", 10),    # on the cut-off day: outside ("after" the cut-off)
                    ("A", "2024-05-01", 50), ("A", "2024-06-15", 25),   # inside
                    ("B", "2024-02-01", 80)], ROW)   # only outside
    result = rfm_excel.score(orders, Settings(window_months=3), as_of=JULY_1)
    # A: F 2, M 50 + 25 = 75, recency 06-15 -> 07-01 = 16, first order still 01-15
    # B: F 0, M 0, recency Feb 1 -> Jul 1 = 29 + 31 + 30 + 31 + 30 = 151 (2024 is a leap year)
    assert picks(result, "frequency", "monetary", "recency_days", "first_order") == {
        "A": (2, 75.0, 16, pd.Timestamp("2024-01-15")), "B": (0, 0.0, 151, pd.Timestamp("2024-02-01"))}


# ------------------------------------------------------------------ columns


def test_amount_is_quantity_times_price_without_an_amount_column():
    orders = frame([("A", "O1", "2024-06-01", 3, 2.5), ("A", "O1", "2024-06-01", 2, 10),
                    ("B", "O2", "2024-06-02", -1, 4), ("B", "O3", "2024-06-03", 4, 4)],
                   ["Customer ID", "Order ID", "Order Date", "Quantity", "Price"])
    result = rfm_excel.score(orders, as_of=JULY_1)
    # A: 3 x 2.5 + 2 x 10 = 27.5 in one order; B: -1 x 4 = -4 (a return) and 4 x 4 = 16 -> F 1, M 12
    assert picks(result, "frequency", "monetary") == {"A": (1, 27.5), "B": (1, 12.0)}


def test_header_synonyms_are_recognised():
    orders = frame([(17850, "536365", "2010-12-01 08:26", 15.3), (17850, "536365", "2010-12-01 08:26", 20.34),
                    (13047, "536367", "2010-12-01 08:34", 54.08)], ["CustomerID", "InvoiceNo", "InvoiceDate", "Total"])
    result = rfm_excel.score(orders)
    # as-of = 2010-12-02; 17850: one invoice 15.30 + 20.34 = 35.64; 13047: 54.08
    assert picks(result, "frequency", "monetary", "recency_days") == {
        "17850": (1, 35.64, 1), "13047": (1, 54.08, 1)}


@pytest.mark.parametrize("columns, named", [
    (["Customer ID", "Amount"], "Order Date"),
    (["Order Date", "Amount"], "Customer ID"),
    (["Customer ID", "Order Date"], "Amount"),
    (["Customer ID", "Order Date", "Quantity"], "Amount"),   # Quantity without Price is not enough
])
def test_a_missing_required_column_raises_an_error_naming_it(columns, named):
    orders = pd.DataFrame([[1] * len(columns)], columns=columns)
    with pytest.raises(RfmError, match=named):
        rfm_excel.score(orders)


# ------------------------------------------------------------------ customer IDs


def test_numeric_and_text_spellings_of_an_id_are_one_customer_and_leading_zeros_stay():
    orders = pd.DataFrame({"Customer ID": pd.Series([12345, 12345.0, "12345", "12345.0", "00123"], dtype=object),
                           "Order Date": ["2024-06-01", "2024-06-02", "2024-06-03", "2024-06-04", "2024-06-05"],
                           "Amount": [1.0, 2.0, 3.0, 4.0, 5.0]})
    result = rfm_excel.score(orders, as_of=JULY_1)
    # 12345: four orders, 1 + 2 + 3 + 4 = 10; "00123" is its own customer and keeps its zeros
    assert picks(result, "frequency", "monetary") == {"12345": (4, 10.0), "00123": (1, 5.0)}


def test_a_true_cell_does_not_swallow_customer_one():
    orders = pd.DataFrame({"Customer ID": pd.Series([True, 1, "C"], dtype=object),
                           "Order Date": ["2024-06-01", "2024-06-02", "2024-06-03"], "Amount": [1.0, 2.0, 3.0]})
    result = rfm_excel.score(orders, as_of=JULY_1)
    # row 2 (TRUE) is no customer ID and is skipped; customer 1 (row 3) spent 2, C spent 3
    assert picks(result, "monetary") == {"1": (2.0,), "C": (3.0,)}


def test_a_true_cell_does_not_make_an_amount_of_one_unreadable():
    orders = pd.DataFrame({"Customer ID": ["A", "B", "C"], "Order Date": ["2024-06-01", "2024-06-02", "2024-06-03"],
                           "Amount": pd.Series([True, 1, 5], dtype=object)})
    result = rfm_excel.score(orders, as_of=JULY_1)
    # row 2 (TRUE) is not a number and is skipped; B's 1 and C's 5 are used
    assert picks(result, "monetary") == {"B": (1.0,), "C": (5.0,)}


def test_ids_differing_only_in_spaces_or_capitals_are_one_customer_shown_as_first_seen():
    orders = frame([("Ab 12", "2024-06-01", 10), ("AB12", "2024-06-02", 20), ("ab12 ", "2024-06-03", 30)], ROW)
    result = rfm_excel.score(orders, as_of=JULY_1)
    assert picks(result, "frequency", "monetary") == {"Ab 12": (3, 60.0)}


def test_blank_customer_rows_are_skipped_and_listed_with_their_sheet_row():
    orders = frame([("A", "2024-06-01", 10),    # row 2
                    (None, "2024-06-02", 20),   # row 3
                    ("  ", "2024-06-03", 30),   # row 4
                    ("B", "2024-06-04", 40)], ROW)  # row 5
    result = rfm_excel.score(orders, as_of=JULY_1)
    assert sorted(result.scores["customer_id"]) == ["A", "B"]
    shown = issue_table(result.issues)
    skipped = shown[shown["Problem"].str.startswith("no customer ID")]
    assert list(skipped["Row"]) == [3, 4]
    assert (result.rows_read, result.lines_used) == (4, 2)


def test_issue_rows_follow_first_row():
    orders = frame([("A", "2024-06-01", 10), (None, "2024-06-02", 20)], ROW)
    result = rfm_excel.score(orders, as_of=JULY_1, first_row=10)
    # data starts on sheet row 10 -> the blank customer is on row 11
    shown = issue_table(result.issues)
    skipped = shown[shown["Problem"].str.startswith("no customer ID")]
    assert list(skipped["Row"]) == [11]


# ------------------------------------------------------------------ segments


def test_every_score_combination_lands_in_a_named_default_segment():
    grid = np.array([(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)])
    names = segments.assign(grid[:, 0], grid[:, 1], grid[:, 2], DEFAULT_SEGMENTS)
    assert len(names) == 125
    assert set(names) <= {rule.name for rule in DEFAULT_SEGMENTS}
    assert UNMATCHED_SEGMENT not in set(names)


@pytest.mark.parametrize("rfm, name", [
    ((5, 5, 5), "Champions"), ((5, 5, 3), "Loyal"), ((3, 4, 1), "Loyal"), ((4, 3, 1), "Potential Loyalist"),
    ((5, 1, 5), "New Customers"), ((4, 1, 5), "Promising"), ((3, 3, 5), "Need Attention"),
    ((3, 2, 5), "About to Sleep"), ((2, 5, 4), "Can't Lose Them"), ((1, 5, 3), "At Risk"),
    ((2, 2, 5), "Hibernating"), ((1, 1, 5), "Lost"),
])
def test_default_segment_table_reads_as_documented(rfm, name):
    r, f, m = (np.array([v]) for v in rfm)
    assert segments.assign(r, f, m, DEFAULT_SEGMENTS).tolist() == [name]


def test_the_first_matching_segment_rule_wins():
    rules = (SegmentRule("Top", r_min=4), SegmentRule("Recent", r_min=3), SegmentRule("Rest"))
    # R 5 matches all three -> Top; R 3 matches Recent and Rest -> Recent; R 1 -> Rest
    assert segments.assign(np.array([5, 3, 1]), np.array([1, 1, 1]), np.array([1, 1, 1]), rules).tolist() == [
        "Top", "Recent", "Rest"]


def test_a_custom_table_with_gaps_leaves_customers_unclassified():
    rules = (SegmentRule("Great", 3, 5, 3, 5, 1, 5),)
    orders = frame([("A", "2024-06-30", 10), ("A", "2024-06-29", 10), ("B", "2024-01-01", 10)], ROW)
    result = rfm_excel.score(orders, Settings(segments=rules), as_of=JULY_1)
    # two customers, distinct values -> 0 or 1 worse of 2 -> scores 1 and 3: A R3 F3 -> Great; B R1 F1 -> no rule
    assert picks(result, "r", "f", "segment") == {"A": (3, 3, "Great"), "B": (1, 1, UNMATCHED_SEGMENT)}
    assert result.segments[["segment", "customers"]].values.tolist() == [["Great", 1], [UNMATCHED_SEGMENT, 1]]


@pytest.mark.parametrize("bins, expected", [
    (3, [1, 3, 5]),            # 1 + (s-1)*4/2 = 1, 3, 5
    (4, [1, 2, 4, 5]),         # 1 + (s-1)*4/3 = 1, 2.33, 3.67, 5 -> 1, 2, 4, 5
    (5, [1, 2, 3, 4, 5]),      # unchanged
    (2, [1, 5]),               # 1 + (s-1)*4 = 1, 5
])
def test_scores_are_stretched_onto_the_five_point_scale(bins, expected):
    assert on_five_point_scale(np.arange(1, bins + 1), bins).tolist() == expected


def test_segment_summary_counts_shares_revenue_and_empty_segments():
    rules = (SegmentRule("Gold", 4, 5), SegmentRule("Empty", 3, 3), SegmentRule("Silver", 1, 2, action="Call"))
    scores = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "recency_days": [10, 20, 30, 100],
                           "frequency": [3, 5, 1, 2], "monetary": [100.0, 200.0, 300.0, 400.0],
                           "segment": ["Gold", "Gold", "Gold", "Silver"]})
    table = segments.summary(scores, rules).set_index("segment")
    assert list(table.index) == ["Gold", "Empty", "Silver"]
    assert list(table["customers"]) == [3, 0, 1]
    assert list(table["customers_percent"]) == pytest.approx([0.75, 0.0, 0.25])          # 3/4, 0, 1/4
    assert list(table["revenue"]) == pytest.approx([600.0, 0.0, 400.0])               # 100+200+300, 0, 400
    assert list(table["revenue_percent"]) == pytest.approx([0.6, 0.0, 0.4])              # 600/1000, 400/1000
    assert table.loc["Gold", "avg_recency_days"] == pytest.approx(20.0)             # (10+20+30)/3
    assert table.loc["Gold", "avg_frequency"] == pytest.approx(3.0)                   # (3+5+1)/3
    assert table.loc["Gold", "avg_monetary"] == pytest.approx(200.0)                  # 600/3
    assert table.loc["Silver", "recommended_action"] == "Call"


# ------------------------------------------------------------------ parse_settings


SEGMENT_TITLE = ["Segment", "R min", "R max", "F min", "F max", "M min", "M max", "Recommended action"]


def settings_grid(values: dict, segment_rows=None) -> list[list]:
    """A Settings sheet: a title, then one row per SETTING_ROWS label (row index 1 + i), then a segment table."""
    rows = [["Setting", "Value"]]
    rows += [[row.label, values.get(row.key)] for row in SETTING_ROWS]
    if segment_rows is not None:
        rows += [[], SEGMENT_TITLE, *segment_rows]
    return rows


def label_row(key: str) -> int:
    """Sheet row (1-based) of a setting in settings_grid: title on row 1, settings from row 2."""
    return 2 + [row.key for row in SETTING_ROWS].index(key)


def test_parse_settings_reads_every_kind_of_value():
    grid = settings_grid({"as_of": dt.datetime(2024, 6, 30), "window_months": 12, "recency_bins": "4",
                          "frequency_bins": 3, "monetary_breakpoints": "30, 90, 180", "best_score": "lowest",
                          "recency_weight": 2, "frequency_weight": "1.5", "currency_symbol": "£"})
    settings = parse_settings(grid)
    assert settings.as_of == D(2024, 6, 30)
    assert settings.window_months == 12
    assert (settings.recency_bins, settings.frequency_bins, settings.monetary_bins) == (4, 3, 5)
    assert settings.monetary_breakpoints == (30.0, 90.0, 180.0)
    assert settings.bins("monetary") == 4          # three limits -> four levels
    assert settings.best_score == "Lowest"
    assert (settings.recency_weight, settings.frequency_weight, settings.monetary_weight) == (2.0, 1.5, 1.0)
    assert settings.currency_symbol == "£"
    assert settings.segments == DEFAULT_SEGMENTS   # no segment table -> the default one


def test_parse_settings_reads_a_text_date():
    assert parse_settings(settings_grid({"as_of": "2024-02-29"})).as_of == D(2024, 2, 29)


def test_parse_settings_blank_values_keep_the_defaults():
    assert parse_settings(settings_grid({"window_months": "  ", "recency_bins": None})) == Settings()


def test_parse_settings_reads_the_segment_table_with_blank_bounds_open():
    grid = settings_grid({}, [["VIP", 4, 5, 4, None, None, None, "Thank them"], ["Everyone else"]])
    assert parse_settings(grid).segments == (SegmentRule("VIP", 4, 5, 4, 5, 1, 5, "Thank them"),
                                             SegmentRule("Everyone else", 1, 5, 1, 5, 1, 5, ""))


@pytest.mark.parametrize("key, value, cell", [
    ("as_of", "31/12/2024", "B2"),
    ("window_months", 0, "B3"),
    ("recency_bins", 10, "B4"),
    ("frequency_bins", 1, "B5"),
    ("monetary_bins", 2.5, "B6"),
    ("recency_breakpoints", "90, 30", "B7"),          # not increasing
    ("frequency_breakpoints", "1, two", "B8"),
    ("monetary_breakpoints", "1 2 3 4 5 6 7 8 9", "B9"),  # 9 limits = 10 levels, above 9
    ("best_score", "Middle", "B10"),
    ("recency_weight", -1, "B11"),
])
def test_parse_settings_bad_value_names_its_cell(key, value, cell):
    assert label_row(key) == int(cell[1:])   # the grid puts this setting on that sheet row
    with pytest.raises(RfmError, match=rf"Settings!{cell}\b"):
        parse_settings(settings_grid({key: value}))


def test_parse_settings_bad_segment_bound_names_its_cell():
    grid = [["Best score is", "Highest"], SEGMENT_TITLE, ["VIP", 4, 5], ["Bad", 1, 6]]
    # "Bad" is on sheet row 4 (grid index 3); R max is column C
    with pytest.raises(RfmError, match=r"Settings!C4\b"):
        parse_settings(grid)


def test_parse_settings_segment_min_above_max_names_its_cell():
    grid = [SEGMENT_TITLE, ["Odd", 1, 5, 4, 2]]   # F min 4 > F max 2 -> column D (F min), sheet row 2
    with pytest.raises(RfmError, match=r"Settings!D2\b"):
        parse_settings(grid)


def test_parse_settings_segment_row_without_a_name_names_its_cell():
    grid = [SEGMENT_TITLE, ["VIP", 4, 5], [None, 1, 2]]   # sheet row 3, column A
    with pytest.raises(RfmError, match=r"Settings!A3\b"):
        parse_settings(grid)


# ------------------------------------------------------------------ Settings made in Python: the same rules


def _need(message: str) -> str:
    """What a message says the value must be: the words between "must be" and the semicolon."""
    return message.split(" must be ", 1)[1].rsplit("; it ", 1)[0]


@pytest.mark.parametrize("key, python, cell", [
    ("as_of", "31/12/2024", "31/12/2024"),
    ("window_months", 0, 0),
    ("recency_bins", 10, 10),
    ("frequency_bins", 1, "1"),
    ("monetary_bins", 2.5, 2.5),
    ("recency_breakpoints", (90, 30), "90, 30"),
    ("frequency_breakpoints", (1, "two"), "1, two"),
    ("monetary_breakpoints", tuple(range(1, 10)), "1 2 3 4 5 6 7 8 9"),
    ("best_score", "Middle", "Middle"),
    ("date_order", "Sideways", "Sideways"),
    ("recency_weight", -1, -1),
    ("response_days", 0, 0),
    ("recent_purchase_days", -3, -3),
    ("watch_return_share", 1.5, "150%"),
    ("watch_complaint_rate", -0.5, -0.5),
    ("campaign_date", 45000, 45000),
])
def test_settings_made_in_python_are_refused_in_the_sheets_words(key, python, cell):
    with pytest.raises(RfmError) as in_python:
        Settings(**{key: python})
    with pytest.raises(RfmError) as on_sheet:
        parse_settings(settings_grid({key: cell}))
    assert str(in_python.value) == f"Settings {key} must be {_need(str(on_sheet.value))}; it is {python!r}."
    assert str(on_sheet.value).startswith(f"Settings!B{label_row(key)} (")


def test_settings_made_in_python_take_what_the_sheet_would_give():
    settings = Settings(recency_bins=4.0, best_score="lowest", monetary_breakpoints=[50, 200], recency_weight=2,
                        as_of=D(2024, 6, 30), holdout_seed=7, segments=list(DEFAULT_SEGMENTS[:2]))
    assert (settings.recency_bins, type(settings.recency_bins)) == (4, int)
    assert settings.best_score == "Lowest" and settings.monetary_breakpoints == (50.0, 200.0)
    assert (settings.recency_weight, settings.as_of, settings.holdout_seed) == (2.0, dt.date(2024, 6, 30), "7")
    assert settings.segments == DEFAULT_SEGMENTS[:2]
    assert settings == parse_settings(settings_grid({
        "recency_bins": "4", "best_score": "lowest", "monetary_breakpoints": "50, 200", "recency_weight": 2,
        "as_of": D(2024, 6, 30), "holdout_seed": 7}, [[rule.name, rule.r_min, rule.r_max, rule.f_min, rule.f_max,
                                                     rule.m_min, rule.m_max, rule.action, rule.channel, rule.cost]
                                                    for rule in DEFAULT_SEGMENTS[:2]]))


@pytest.mark.parametrize("fields, message", [
    ({"r_min": 0}, "Segment 'VIP': r_min must be a whole number from 1 to 5; it is 0."),
    ({"f_min": 4, "f_max": 2}, "Segment 'VIP': f_min is above f_max; swap them."),
    ({"holdout": 10}, "Segment 'VIP': holdout must be a percentage from 0% to 100%, e.g. 10% (0.1); it is 10."),
    ({"cost": -1}, "Segment 'VIP': cost must be a number of 0 or more; it is -1."),
    ({"do_not_contact": "maybe"}, "Segment 'VIP': do_not_contact must be Yes, No or blank; it is 'maybe'."),
])
def test_segment_rules_made_in_python_are_refused_as_on_the_sheet(fields, message):
    with pytest.raises(RfmError) as caught:
        SegmentRule("VIP", **fields)
    assert str(caught.value) == message


def test_settings_without_segments_or_a_segment_without_a_name_are_refused():
    with pytest.raises(RfmError, match=r"^Settings segments must be at least one SegmentRule; it is \(\)\.$"):
        Settings(segments=())
    with pytest.raises(RfmError, match=r"^A segment needs a name; it is ' '\.$"):
        SegmentRule(" ")


# ------------------------------------------------------------------ one full worked example


def test_worked_example_whole_scores_table():
    orders = frame([
        ("P", "P1", "2024-06-25", 60), ("P", "P1", "2024-06-26", 40),   # one order: 06-25, 100
        ("P", "P2", "2024-04-10", 50),
        ("Q", "Q1", "2024-05-01", 200), ("Q", "Q2", "2024-05-20", 300),
        ("Q", "Q3", "2024-06-30", -80),                                 # a return: not Q's last purchase
        ("R", "R1", "2023-12-01", 30),
        ("S", "S1", "2024-06-01", 20), ("S", "S2", "2024-06-15", 20), ("S", "S3", "2024-06-20", 20),
    ])
    result = rfm_excel.score(orders, as_of=JULY_1)
    # Values (as-of 2024-07-01):
    #   P: last 06-25 -> 6 days; F 2; M 100 + 50 = 150
    #   Q: last purchase 05-20 -> 11 + 30 + 1 = 42 days; F 2; M 200 + 300 - 80 = 420
    #   R: 2023-12-01 -> 31 + 31 + 29 + 31 + 30 + 31 + 30 = 213 days; F 1; M 30
    #   S: last 06-20 -> 11 days; F 3; M 60
    # 1 + floor(5 x worse / 4): 0 -> 1, 1 -> 2, 2 -> 3, 3 -> 4
    # R (fewer days best), worst->best R 213, Q 42, S 11, P 6 -> 1, 2, 3, 4
    # F: R 1 -> 1; P, Q 2 (one worse) -> 2; S 3 (three worse) -> 4
    # M: R 30, S 60, P 150, Q 420 -> 1, 2, 3, 4
    # Codes: P 423 (9), Q 224 (8), R 111 (3), S 342 (9)
    # Segments: P (4,2,3) Potential Loyalist; Q (2,2,4) Hibernating (At Risk needs F 3-5);
    #           R (1,1,1) Lost; S (3,4,2) Loyal (Champions needs R 4-5)
    # P and S tie on 9: P first, with more Monetary
    expected = [
        ("P", "2024-04-10", "2024-06-25", 6, 2, 150.0, 4, 2, 3, "423", 9, "Potential Loyalist"),
        ("S", "2024-06-01", "2024-06-20", 11, 3, 60.0, 3, 4, 2, "342", 9, "Loyal"),
        ("Q", "2024-05-01", "2024-05-20", 42, 2, 420.0, 2, 2, 4, "224", 8, "Hibernating"),
        ("R", "2023-12-01", "2023-12-01", 213, 1, 30.0, 1, 1, 1, "111", 3, "Lost"),
    ]
    columns = ["customer_id", "first_order", "last_order", "recency_days", "frequency", "monetary",
               "r", "f", "m", "rfm_code", "rfm_score", "segment"]
    assert list(result.scores.columns) == columns
    got = [tuple(row) for row in result.scores.itertuples(index=False)]
    assert got == [(c, pd.Timestamp(first), pd.Timestamp(last), *rest) for c, first, last, *rest in expected]
    assert (result.customers, result.orders, result.lines_used) == (4, 9, 10)
    counts = result.segments.set_index("segment")["customers"]
    assert counts[["Potential Loyalist", "Loyal", "Hibernating", "Lost", "Champions"]].tolist() == [1, 1, 1, 1, 0]
