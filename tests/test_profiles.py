"""Customer Profile and Prospect Scores: hand-computed indexes, weights and scores; a planted shop where one
combination of attributes drives spending; a shop where attributes are noise."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import rfm_excel
from rfm_excel import core
from rfm_excel.base.settings import Settings
from rfm_excel.domain import profiles
from rfm_excel.doors.cli import main
from rfm_excel.doors.files import score_file
from rfm_excel.layout.sheets import profile_sheet, prospects_sheet
from rfm_excel.layout.wording import reasons_text
from rfm_excel.readers.engine import duckdb_lines

# 20 customers, 5 of them best. Country: NL 5 customers (3 best), FR 15 (2 best).
# Channel: Referral 5 (2 best), Web 10 (2 best), Shop 5 (1 best).
BEST = np.array([True] * 3 + [False] * 2 + [True] * 2 + [False] * 13)
ATTRIBUTES = pd.DataFrame({
    "Country": ["NL"] * 5 + ["FR"] * 15,
    "Channel": ["Referral", "Referral", "Web", "Web", "Shop",  # NL: best, best, best, other, other
                "Shop", "Web", "Referral", "Referral", "Referral", *["Web"] * 6, *["Shop"] * 3, "Web"]})


def _said(layout) -> str:
    """A layout's lines as one text (they are wrapped to the sheet's width)."""
    return " ".join(layout.lines)


def _index(table: pd.DataFrame, value: str, column: str = "index") -> float:
    return float(table.loc[table["value"] == value, column].iloc[0])


def test_the_fixture_is_as_described():
    counts = pd.crosstab(ATTRIBUTES["Channel"], BEST)
    assert counts.loc["Referral"].tolist() == [3, 2]  # [other, best]
    assert counts.loc["Web"].tolist() == [8, 2]
    assert counts.loc["Shop"].tolist() == [4, 1]


def test_indexes_by_hand():
    table = profiles.profile(ATTRIBUTES, BEST, min_customers=10)
    # NL: share of best 3/5 = 60%, share of all 5/20 = 25%: raw index 240; smoothed with m = 10 and the
    # rate among all p = 5/20: (3 + 10 x 0.25) / (5 + 10) = 0.3667, / 0.25 = 146.7 (a small count pulled to 100).
    nl = table[table["value"] == "NL"].iloc[0]
    assert (nl["customers"], nl["best_customers"]) == (5, 3)
    assert nl["best_share"] == pytest.approx(0.6)
    assert nl["all_share"] == pytest.approx(0.25)
    assert nl["raw_index"] == 240.0
    assert nl["index"] == 146.7
    assert bool(nl["few"]) is True  # 5 customers, fewer than 10
    # FR: 40% / 75% = 53.3; smoothed (2 + 2.5) / 25 = 0.18 -> 72.
    assert (_index(table, "FR", "raw_index"), _index(table, "FR")) == (53.3, 72.0)
    assert bool(table.loc[table["value"] == "FR", "few"].iloc[0]) is False
    # Referral 160 -> (2 + 2.5) / 15 = 0.3 -> 120; Web 80 -> 4.5 / 20 -> 90; Shop 80 -> 3.5 / 15 -> 93.3.
    assert (_index(table, "Referral", "raw_index"), _index(table, "Referral")) == (160.0, 120.0)
    assert (_index(table, "Web", "raw_index"), _index(table, "Web")) == (80.0, 90.0)
    assert (_index(table, "Shop", "raw_index"), _index(table, "Shop")) == (80.0, 93.3)
    # Highest index first among the values with at least 10 customers behind them (Web, FR), then the others.
    assert table["value"].tolist() == ["Web", "FR", "NL", "Referral", "Shop"]


def test_weights_of_evidence_by_hand():
    fitted = profiles.weights(ATTRIBUTES, BEST)
    assert fitted.prior == pytest.approx(math.log(5 / 15))
    # Laplace: (b + 1) / (B + K) against (r + 1) / (R + K), with B = 5, R = 15 and K values of the attribute.
    assert fitted.values["Country"]["NL"] == pytest.approx(math.log((3 + 1) / (5 + 2) / ((2 + 1) / (15 + 2))))
    assert fitted.values["Country"]["FR"] == pytest.approx(math.log((2 + 1) / 7 / ((13 + 1) / 17)))
    assert fitted.values["Channel"]["Referral"] == pytest.approx(math.log((2 + 1) / 8 / ((3 + 1) / 18)))
    assert fitted.values["Channel"]["Web"] == pytest.approx(math.log(3 / 8 / (9 / 18)))
    assert fitted.values["Channel"]["Shop"] == pytest.approx(math.log(2 / 8 / (5 / 18)))


def test_prospect_scores_by_hand_and_a_value_seen_only_among_prospects():
    fitted = profiles.weights(ATTRIBUTES, BEST)
    table = profiles.profile(ATTRIBUTES, BEST, min_customers=20)
    prospects = pd.DataFrame({"Name": ["A", "B", "C"]})
    given = pd.DataFrame({"Country": ["nl", "Germany", None], "Channel": ["Referral", "Web", None]})
    scores, reasons = profiles.score_prospects(prospects, given, fitted, table)
    # A: ln(5/15) + ln(68/21) + ln(54/32) = 0.5995 -> 1 / (1 + e^-0.5995) = 64.6% -> 65; 64.6 / 25 = index 258.
    a = 1 / (1 + math.exp(-(math.log(1 / 3) + math.log(68 / 21) + math.log(54 / 32))))
    # B: Germany was never seen among the customers, so it adds nothing: ln(1/3) + ln(3/4) -> odds 1/4 -> 20%.
    # C: nothing known: the prior, 25%, exactly the share of best customers (index 100, tier B).
    assert scores["score"].tolist() == [round(100 * a), 20, 25] == [65, 20, 25]
    assert scores["index"].tolist() == [round(100 * a / 0.25, 1), 80.0, 100.0]
    assert scores["tier"].tolist() == ["A", "C", "B"]
    assert reasons_text(reasons, prospects.index) == ["Country NL: index 147; Channel Referral: index 120",
                                                      "Channel Web: index 90", None]


def test_a_rare_value_counts_as_other():
    attributes = pd.DataFrame({"Country": ["NL"] * 6 + ["FR"] * 6 + ["BE"] * 2})
    best = np.array([True] * 4 + [False] * 2 + [False] * 5 + [True] + [True, False])
    table = profiles.profile(attributes, best, min_customers=1)
    assert table.set_index("value")["customers"].to_dict() == {"NL": 6, "Other": 2, "FR": 6}
    fitted = profiles.weights(attributes, best)
    other = fitted.values["Country"]["Other"]
    assert other == pytest.approx(math.log((1 + 1) / (6 + 3) / ((1 + 1) / (8 + 3))))
    given = pd.DataFrame({"Country": ["be", "LU"]})  # BE pooled among the customers, LU never seen
    assert profiles.evidence(given, fitted)["Country"].tolist() == [pytest.approx(other), 0.0]


def test_auc_and_lift_by_hand():
    # Two best among six: scores 6 and 3; the others 5, 2, 1, 1. Pairs (best above other): 6 beats all 4,
    # 3 beats 3 of 4: 7 / 8.
    scores = np.array([6.0, 5, 3, 2, 1, 1])
    best = np.array([True, False, True, False, False, False])
    assert profiles.auc(scores, best) == 7 / 8
    # The top half (3 places): 2 best of 3 against 2 of 6: lift 2.
    assert profiles.top_lift(scores, best, share=0.5) == pytest.approx(2.0)


# ---------------------------------------------------------------- a planted shop and a noise shop


AS_OF = dt.date(2024, 12, 31)
SETTINGS = Settings(forecast=False, frequency_breakpoints=(1, 2, 3, 5))  # F 4 or 5 (best) from 4 orders
COUNTRIES = ("UK", "FR", "DE", "NL", "ES")
CHANNELS = ("Web", "Referral", "Shop")


def _shop(planted: bool, customers: int = 600, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Order lines of a shop whose customers have a Country and a Channel. A keen customer buys often (6 to 11
    orders), recently and much; the others 1 to 3 times in two years. Planted: 80% of the customers in NL who
    came by Referral are keen, 5% of the others. Noise: 10% of everybody."""
    rng = np.random.default_rng(seed)
    country = rng.choice(COUNTRIES, customers)
    channel = rng.choice(CHANNELS, customers)
    rows = []
    for n in range(customers):
        planted_here = planted and country[n] == "NL" and channel[n] == "Referral"
        keen = rng.random() < (0.8 if planted_here else 0.05 if planted else 0.1)
        orders = rng.integers(6, 12) if keen else rng.integers(1, 4)
        for k in range(orders):
            days = rng.integers(0, 60) if keen else rng.integers(0, 720)
            rows.append({"Customer ID": f"C{n:04d}", "Order ID": f"O{n:04d}-{k}",
                         "Order Date": (pd.Timestamp(AS_OF) - pd.Timedelta(days=int(days) + 1)).strftime("%Y-%m-%d"),
                         "Amount": float(rng.integers(80, 200) if keen else rng.integers(5, 100)),
                         "Country": country[n], "Channel": channel[n]})
    prospects = pd.DataFrame({"Prospect": [f"P{n:02d}" for n in range(30)],
                              "Country": ["NL"] * 5 + list(rng.choice(["UK", "FR", "DE", "ES"], 25)),
                              "How they found us": ["Referral"] * 5 + list(rng.choice(["Web", "Shop"], 25))})
    return pd.DataFrame(rows), prospects


@pytest.fixture(scope="module")
def planted():
    orders, prospects = _shop(planted=True)
    return rfm_excel.score(orders, SETTINGS, as_of=AS_OF, prospects=prospects)


@pytest.fixture(scope="module")
def noise():
    orders, prospects = _shop(planted=False)
    return rfm_excel.score(orders, SETTINGS, as_of=AS_OF, prospects=prospects)


def test_the_profile_finds_what_was_planted(planted):
    found = planted.profile
    assert found.attributes == {"Country": "Country", "Channel": "Channel"}
    table = found.table.set_index("value")
    assert table.index[:2].tolist() in (["NL", "Referral"], ["Referral", "NL"])
    assert table.loc["NL", "index"] > 200 and table.loc["Referral", "index"] > 150
    assert all(table.loc[["UK", "FR", "DE", "ES", "Web", "Shop"], "index"] < 100)
    assert found.check.auc > 0.65 and found.check.lift > 3
    assert found.trusted


def test_the_planted_prospects_rank_first(planted):
    found = planted.profile
    # "How they found us" is not a known spelling of Channel: only Country is matched, so the prospects are
    # told apart by Country alone; those in NL first.
    assert found.scores is not None
    top = found.scores.sort_values("score", ascending=False, kind="stable").index[:5]
    assert sorted(found.prospects.loc[top, "Prospect"]) == ["P00", "P01", "P02", "P03", "P04"]
    layout = prospects_sheet(planted)
    assert layout.table.frame["Prospect"].tolist()[:5] == ["P00", "P01", "P02", "P03", "P04"]
    assert layout.table.frame["Tier"].tolist()[:5] == ["A"] * 5
    assert layout.table.frame["Reasons"].iloc[0].startswith("Country NL: index ")


def test_prospects_matched_by_a_known_spelling_use_both_attributes():
    orders, prospects = _shop(planted=True)
    prospects = prospects.rename(columns={"How they found us": "Sales Channel"})
    result = rfm_excel.score(orders, SETTINGS, as_of=AS_OF, prospects=prospects)
    scores = result.profile.scores
    assert scores["score"].iloc[:5].min() > scores["score"].iloc[5:].max()
    assert "; Channel Referral: index " in reasons_text(result.profile.reasons, prospects.index)[0]


def test_a_noise_shop_is_not_trusted(noise):
    found = noise.profile
    assert abs(found.check.auc - 0.5) < 0.06
    assert not found.trusted
    assert found.scores is None
    assert "no better than chance" in _said(prospects_sheet(noise))
    assert "Score" not in prospects_sheet(noise).table.frame
    assert "do not trust scores from these attributes, and prospects are not scored" in _said(profile_sheet(noise))


def test_no_attribute_column_means_no_profile_unless_prospects_are_given():
    orders, prospects = _shop(planted=True, customers=60)
    orders = orders.drop(columns=["Country", "Channel"])
    assert rfm_excel.score(orders, SETTINGS, as_of=AS_OF).profile is None
    result = rfm_excel.score(orders, SETTINGS, as_of=AS_OF, prospects=prospects)
    assert result.profile.attributes == {} and result.profile.scores is None
    assert "have no column describing customers" in _said(prospects_sheet(result))


def test_a_customers_table_gives_attributes_and_wins_over_the_orders():
    orders, _ = _shop(planted=True, customers=60)
    customers = pd.DataFrame({"customer id": ["c0000", *[f"C{n:04d}" for n in range(1, 10)]],
                              "Country": ["Atlantis", *[None] * 9], "Industry": ["Retail", "Wholesale"] * 5,
                              "E-mail": ["a@example.com", *[None] * 9]})
    result = rfm_excel.score(orders, SETTINGS, as_of=AS_OF, customers=customers)
    assert set(result.profile.attributes) == {"Country", "Channel", "Industry"}
    contacts = result.contacts.set_index(result.scores["customer_id"])
    assert contacts.loc["C0000", "email"] == "a@example.com"
    assert contacts.loc["C0000", "country"] == "Atlantis"  # the customers table wins
    assert contacts.loc["C0001", "country"] == orders.loc[orders["Customer ID"] == "C0001", "Country"].iloc[0]


def test_best_segments_not_in_the_segment_table_are_said_not_fatal():
    orders, prospects = _shop(planted=True, customers=60)
    result = rfm_excel.score(orders, replace(SETTINGS, best_segments=("Champs",)), as_of=AS_OF, prospects=prospects)
    assert result.profile.best == 0 and result.profile.check is None and result.profile.scores is None
    said = _said(profile_sheet(result))
    assert "Settings name Champs among the best customers' segments (Best customers are), but the segment table " \
        "has no such segment" in said
    assert "Too few best customers (0 of 60)" in said


def test_an_engine_takes_its_attributes_from_the_customers_table():
    orders, prospects = _shop(planted=True)
    people = orders.groupby("Customer ID", as_index=False)[["Country", "Channel"]].last()
    lines = orders.drop(columns=["Country", "Channel"]).astype(str)
    in_memory = rfm_excel.score(lines, SETTINGS, as_of=AS_OF, customers=people, prospects=prospects)
    engine = core.score_lines(duckdb_lines(pa.Table.from_pandas(lines, preserve_index=False)), SETTINGS, AS_OF,
                              customers=people, prospects=prospects)
    pd.testing.assert_frame_equal(engine.profile.table, in_memory.profile.table)
    pd.testing.assert_frame_equal(engine.profile.scores, in_memory.profile.scores)
    assert engine.profile.check == in_memory.profile.check and engine.profile.trusted


def test_parquet_orders_with_a_customers_file_get_a_profile(tmp_path):
    orders, _ = _shop(planted=True, customers=200)
    lines = orders.drop(columns=["Country", "Channel"]).assign(**{"Order Date": pd.to_datetime(orders["Order Date"])})
    (tmp_path / "orders").mkdir()
    pq.write_table(pa.Table.from_pandas(lines, preserve_index=False), tmp_path / "orders" / "part-1.parquet")
    orders.groupby("Customer ID", as_index=False)[["Country", "Channel"]].last().to_csv(tmp_path / "people.csv",
                                                                                         index=False)
    assert main(["score", "--source", f"parquet:{tmp_path}/orders/*.parquet", "--output", str(tmp_path / "out.xlsx"),
                 "--customers", str(tmp_path / "people.csv")]) == 0
    book = openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)
    assert book.sheetnames[-1] == "Customer Profile"
    values = [row[1] for row in book["Customer Profile"].iter_rows(values_only=True) if row and len(row) > 1]
    assert {"NL", "Referral", "Web"} <= set(values)


def test_the_owners_sheets_are_read_never_written(tmp_path):
    """Customers and Prospects are read; an owner's Customer Profile and Prospect Scores are left alone, the
    tool's take names of their own, and a second run replaces the tool's rather than adding more."""
    orders, prospects = _shop(planted=True, customers=80)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Orders"
    sheet.append(list(orders.columns))
    for row in orders.itertuples(index=False):
        sheet.append(list(row))
    owner = {"Customers": [["Customer ID", "Industry", "Email"], *[[f"C{n:04d}", ("Retail", "Wholesale")[n % 2],
                                                                     f"c{n}@example.com"] for n in range(80)]],
             "Prospects": [list(prospects.columns), *prospects.astype(object).values.tolist()],
             "Customer Profile": [["My own notes on customers"], ["=1+1"]],
             "Prospect Scores": [["Lead scoring from the fair"], ["Acme", 7]]}
    for name, rows in owner.items():
        added = book.create_sheet(name)
        for row in rows:
            added.append(row)
    path = tmp_path / "shop.xlsx"
    book.save(path)

    def contents(name: str) -> list[list]:
        return [list(row) for row in openpyxl.load_workbook(path)[name].iter_rows(values_only=True)]
    before = {name: contents(name) for name in owner}
    result, _ = score_file(path)
    first = openpyxl.load_workbook(path, read_only=True).sheetnames
    assert first[-2:] == ["RFM Customer Profile", "RFM Prospect Scores"]
    assert {name: contents(name) for name in owner} == before
    assert set(result.profile.attributes) == {"Country", "Channel", "Industry"}  # Industry from Customers
    assert contents("RFM Prospect Scores")[0][0] == "Prospect scores"
    score_file(path)
    assert openpyxl.load_workbook(path, read_only=True).sheetnames == first
    assert {name: contents(name) for name in owner} == before
