"""Products in the workbook: the Contact Plan's Offer, Why, Reorder and Reorder Due, the Products sheet, the
export, and scores within a product line (the computations are checked in test_products.py)."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pandas as pd
import pytest

import rfm_excel
from rfm_excel import RfmError, Settings
from rfm_excel.doors.cli import main
from rfm_excel.doors.files import score_file
from rfm_excel.layout.issue_words import issue_table
from rfm_excel.writers.headless.template import build_template

D = dt.datetime
AS_OF = dt.date(2024, 6, 30)
HEADER = ["Customer ID", "Order ID", "Order Date", "Amount", "SKU", "Product Name", "Category"]
# Bought, returns netted: A {TEA, POT, JAM}, B {TEA, POT}, C {TEA, BAG}, D {JAM} (the pot came back), E {JAM}.
# Customers who bought both, for pairs of 2 or more (Settings: at least 2): TEA-POT (A, B) only.
# Buyers: TEA 3, POT 2, JAM 3, BAG 1; of 5 customers.
ORDERS = [
    ("A", "O1", D(2024, 1, 10), 10, "TEA", "Teacup", "Kitchen"),
    ("A", "O1", D(2024, 1, 10), 20, "POT", "Teapot", "Kitchen"),
    ("A", "O2", D(2024, 3, 5), 5, "JAM", "Jam", "Food"),
    ("B", "O3", D(2024, 2, 1), 10, "TEA", "Teacup", "Kitchen"),
    ("B", "O3", D(2024, 2, 1), 20, "POT", "Teapot", "Kitchen"),
    ("C", "O4", D(2024, 2, 15), 10, "TEA", "Teacup", "Kitchen"),
    ("C", "O5", D(2024, 4, 1), 8, "BAG", None, "Bags"),
    ("D", "O6", D(2024, 5, 1), 20, "POT", "Teapot", "Kitchen"),
    ("D", "O7", D(2024, 5, 2), -20, "POT", "Teapot", "Kitchen"),
    ("D", "O8", D(2024, 5, 3), 5, "JAM", "Jam", "Food"),
    ("E", "O9", D(2024, 4, 1), 5, "JAM", "Jam", "Food"),       # jam every 30 days: reorder due on
    ("E", "O10", D(2024, 5, 1), 5, "JAM", "Jam", "Food"),      # 2024-05-31 + 30 = 2024-06-30
    ("E", "O11", D(2024, 5, 31), 5, "JAM", "Jam", "Food"),
]
SETTINGS = Settings(as_of=AS_OF, pair_min_support=2, recent_purchase_days=0, forecast=False)


def orders(rows=ORDERS, header=HEADER) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=header)


@pytest.fixture(scope="module")
def plan() -> pd.DataFrame:
    return rfm_excel.score(orders(), SETTINGS).plan.set_index("customer_id")


def test_the_offer_is_the_product_bought_with_one_of_theirs(plan):
    # C bought TEA: 2 of TEA's 3 buyers also bought POT (confidence 2/3), the only pair of 2 or more
    assert plan.at["C", "offer"] == "Teapot (POT)"
    assert plan.at["C", "why"] == "bought with Teacup, which you bought in February 2024"


def test_without_a_pair_the_offer_is_a_best_seller_they_have_not_bought(plan):
    # D bought only JAM, which has no pair of 2: the best seller they lack is TEA (3 customers)
    assert plan.at["D", "offer"] == "Teacup (TEA)"
    assert plan.at["D", "why"].startswith("a best seller among")
    assert plan.at["B", "offer"] == "Jam (JAM)"  # B has TEA and POT: next best seller, JAM (3 customers)


def test_a_product_marked_do_not_recommend_is_never_offered():
    plan = rfm_excel.score(orders(), Settings(as_of=AS_OF, pair_min_support=2, recent_purchase_days=0,
                                              forecast=False, do_not_recommend=("POT",))).plan.set_index("customer_id")
    assert "POT" not in " ".join(plan["offer"].dropna())
    assert plan.at["C", "offer"] == "Jam (JAM)"  # the pair is gone: C gets the best seller they lack


def test_a_regular_product_is_due_again_after_its_usual_gap(plan):
    assert plan.at["E", "reorder"] == "Jam (JAM)"
    assert plan.at["E", "reorder_due"] == pd.Timestamp(2024, 6, 30)
    assert plan.loc[["A", "B", "C", "D"], "reorder_due"].isna().all()  # nobody else bought one thing 3 times


def test_a_reorder_long_overdue_is_not_shown():
    late = rfm_excel.score(orders(), Settings(as_of=dt.date(2024, 9, 1), pair_min_support=2, recent_purchase_days=0,
                                              forecast=False)).plan.set_index("customer_id")
    # due 2024-06-30, 63 days before 2024-09-01: more than two usual gaps (60 days) late
    assert pd.isna(late.at["E", "reorder_due"]) and late.at["E", "reorder"] is None


def test_without_a_product_column_nothing_changes():
    without = orders().drop(columns=["SKU", "Product Name"])
    result = rfm_excel.score(without, SETTINGS)
    assert result.offers is None
    assert not {"offer", "why", "reorder", "reorder_due"} & set(result.plan.columns)
    plain = rfm_excel.score(orders(), SETTINGS)
    pd.testing.assert_frame_equal(result.scores, plain.scores)


def test_the_products_sheet_and_the_export_carry_the_offers(tmp_path, capsys):
    book = build_template(tmp_path / "shop.xlsx", orders=orders(), settings=SETTINGS)
    score_file(book)
    sheets = openpyxl.load_workbook(book)
    assert "Products" in sheets.sheetnames
    rows = list(sheets["Products"].iter_rows(values_only=True))
    assert rows[0][0] == "Products"
    assert rows[1][0].startswith("4 products bought; 1 pair of products bought by the same 2 or more customers")
    header = next(r for r, row in enumerate(rows) if row[0] == "Product" and row[2] == "Also Bought")
    pairs = {(row[0], row[2]): row[4:8] for row in rows[header + 1:] if row[0]}
    # the pair once, from the product with fewer buyers: both of POT's 2 buyers bought TEA, 2 of TEA's 3 bought
    # POT; lift = 1 / (3 of 5 customers bought TEA)
    assert list(pairs) == [("POT", "TEA")]
    assert pairs[("POT", "TEA")] == pytest.approx((2, 1.0, 2 / 3, 5 / 3))
    best = next(r for r, row in enumerate(rows) if row[0] == "Best products by revenue")
    assert [row[:5] for row in rows[best + 2:best + 6]] == [  # POT: 20 + 20 + 20 - 20 returned
        ("POT", "Teapot", 2, 0.4, 40), ("TEA", "Teacup", 3, 0.6, 30), ("JAM", "Jam", 3, 0.6, 25),
        ("BAG", None, 1, 0.2, 8)]
    assert main(["export", str(book)]) == 0
    exported = list(csv.DictReader((tmp_path / "shop contact plan.csv").open(encoding="utf-8-sig")))
    by_id = {row["Customer ID"]: row for row in exported}
    assert by_id["C"]["Offer"] == "Teapot (POT)" and by_id["E"]["Reorder Due"] == "2024-06-30"
    capsys.readouterr()


# ------------------------------------------------------------------ scores within a product line


def test_a_filter_scores_only_the_orders_it_keeps_and_says_so():
    kitchen = Settings(as_of=AS_OF, forecast=False, filter_column="category", filter_values=("kitchen",))
    result = rfm_excel.score(orders(), kitchen)
    # Kitchen lines: A O1, B O3, C O4, D O6 and its return O7; E bought only jam
    assert sorted(result.scores["customer_id"]) == ["A", "B", "C", "D"]
    monetary = dict(zip(result.scores["customer_id"], result.scores["monetary"], strict=True))
    assert monetary == {"A": 30.0, "B": 30.0, "C": 10.0, "D": 0.0}  # D's pot: one purchase, then returned
    shown = issue_table(result.issues)
    note = shown[shown["Row"].isna()]["Problem"].tolist()
    assert "6 order lines are outside the filter category: kitchen and were not scored" in note


def test_a_filtered_run_keeps_its_snapshots_apart_in_score_history(tmp_path):
    book = build_template(tmp_path / "shop.xlsx", orders=orders(),
                          settings=Settings(pair_min_support=2, forecast=False))
    score_file(book, as_of=AS_OF)
    filtered = tmp_path / "kitchen.xlsx"
    book2 = build_template(filtered, orders=orders(),
                           settings=Settings(forecast=False, filter_column="Category", filter_values=("Kitchen",)))
    score_file(book2, as_of=AS_OF)
    score_file(book2, as_of=dt.date(2024, 7, 31))
    sheets = openpyxl.load_workbook(book2)
    history = list(sheets["Score History"].iter_rows(values_only=True))
    header = next(row for row in history if row[0] == "Customer ID")
    assert [h.split("\n")[0] for h in header[1:]] == ["2024-06-30 Category: Kitchen", "2024-07-31 Category: Kitchen"]
    assert sheets["Segments"]["A1"].value == "Customer segments (Category: Kitchen)"
    assert "Only orders where Category is Kitchen were scored" in " ".join(
        str(sheets["Segments"].cell(r, 1).value) for r in range(1, 5))


def test_a_filter_on_a_missing_column_or_without_values_is_one_sentence():
    with pytest.raises(RfmError, match="the orders have no such column"):
        rfm_excel.score(orders(), Settings(filter_column="Channel", filter_values=("Web",)))
    with pytest.raises(RfmError, match="name none"):
        rfm_excel.score(orders(), Settings(filter_column="Category"))
    with pytest.raises(RfmError, match="No order line has Category Garden"):
        rfm_excel.score(orders(), Settings(filter_column="Category", filter_values=("Garden",)))


def test_postage_and_other_lines_that_are_not_goods_are_never_offered():
    """On the real sample (Online Retail II's StockCode and Description) postage is among the most bought
    lines; neither it nor carriage, manual lines or discounts are offered or reminded of."""
    from rfm_excel.doors.cli import sample_orders

    result = rfm_excel.score(sample_orders())
    offered = " ".join(result.plan["offer"].dropna()) + " " + " ".join(result.plan["reorder"].dropna())
    for code in ("(POST)", "(C2)", "(M)", "(D)", "(DOT)"):
        assert code not in offered
    assert result.plan["offer"].notna().sum() > 200  # everyone else is still offered something
    assert "POSTAGE" not in " ".join(result.offers.summary.best_by_customers["product_name"].dropna())
