"""The forecast in the workbook: its settings, the Scores and Segments columns, the Contact Plan's rules and the
Forecast sheet (the models themselves are checked against the published figures in test_forecast.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

import rfm_excel
from rfm_excel import Settings
from rfm_excel.base.errors import RfmError
from rfm_excel.base.orders import customer_keys, normalise
from rfm_excel.base.settings import SegmentRule, parse_settings
from rfm_excel.domain import forecast as fc
from rfm_excel.domain.contact import CONTACT, LEFT_OUT, contact_plan
from rfm_excel.domain.scoring import group_orders
from rfm_excel.doors.cli import sample_orders
from rfm_excel.doors.files import score_file
from rfm_excel.layout.template import settings_grid
from rfm_excel.layout.wording import forecast_notes
from rfm_excel.writers.headless.template import build_template

AS_OF = dt.date(2024, 7, 1)
FORECAST_COLUMNS = ["p_active", "expected_orders", "predicted_value", "expected_next_order"]


@pytest.fixture(scope="module")
def sample_result():
    return rfm_excel.score(sample_orders())


def grid_with(values: dict) -> list[list]:
    """The Settings sheet's grid with some values typed in (by label)."""
    rows = settings_grid()
    for row in rows:
        if row and row[0] in values:
            row[1] = values[row[0]]
    return rows


# ------------------------------------------------------------------ settings


def test_forecast_settings_default_to_on_a_year_and_the_modified_model():
    settings = parse_settings(settings_grid())
    assert (settings.forecast, settings.forecast_horizon_days, settings.forecast_model,
            settings.monthly_discount_rate, settings.slipping_below) == (True, 365, "Modified BG/NBD", 0.0, 0.3)


def test_forecast_settings_are_read_from_the_sheet():
    settings = parse_settings(grid_with({"Forecast": "off", "Forecast horizon (days)": 90,
                                         "Forecast model": "bg/nbd", "Monthly discount rate": "1%",
                                         "Slipping away below P(Active)": 0.25}))
    assert (settings.forecast, settings.forecast_horizon_days, settings.forecast_model,
            settings.monthly_discount_rate, settings.slipping_below) == (False, 90, "BG/NBD", 0.01, 0.25)


@pytest.mark.parametrize("label, value, words", [
    ("Forecast", "maybe", "must be On or Off"),
    ("Forecast horizon (days)", 0, "must be a whole number of at least 1"),
    ("Forecast model", "Pareto/NBD", "must be one of Modified BG/NBD, BG/NBD"),
])
def test_a_bad_forecast_setting_names_its_cell(label, value, words):
    with pytest.raises(RfmError, match=words):
        parse_settings(grid_with({label: value}))


# ------------------------------------------------------------------ Scores and Segments


def test_scores_carry_the_forecast_of_each_customer(sample_result):
    scores, outlook = sample_result.scores, sample_result.forecast
    assert outlook.available and list(scores.columns[-4:]) == FORECAST_COLUMNS
    figures = outlook.customers.reindex(customer_keys(scores["customer_id"]))
    assert np.allclose(scores["p_active"], figures["p_active"], atol=5e-5)
    assert np.allclose(scores["predicted_value"], figures["predicted_value"], atol=0.005)
    assert scores["p_active"].between(0, 1).all() and scores[FORECAST_COLUMNS[:3]].notna().all().all()
    blank = scores["expected_next_order"].isna()
    assert (scores.loc[~blank, "p_active"] >= 0.2).all()  # a date only for customers likely still active
    assert (scores.loc[~blank, "expected_next_order"] > pd.Timestamp(sample_result.as_of)).all()


def test_segments_average_p_active_and_add_up_predicted_value(sample_result):
    scores, segments = sample_result.scores, sample_result.segments.set_index("segment")
    for name, group in scores.groupby("segment"):
        assert segments.at[name, "avg_p_active"] == pytest.approx(group["p_active"].mean())
        assert segments.at[name, "total_predicted_value"] == pytest.approx(group["predicted_value"].sum(), abs=0.01)


def test_a_longer_horizon_expects_more_orders():
    orders = sample_orders()
    year = rfm_excel.score(orders).scores.set_index("customer_id")
    quarter = rfm_excel.score(orders, Settings(forecast_horizon_days=90)).scores.set_index("customer_id")
    assert (quarter["expected_orders"] <= year["expected_orders"]).all()
    assert (quarter["expected_orders"] < year["expected_orders"]).sum() > 200
    assert (quarter["p_active"] == year["p_active"]).all()  # the chance of being active today does not change


def test_forecast_off_leaves_scores_segments_and_sheets_as_before():
    result = rfm_excel.score(sample_orders(), Settings(forecast=False))
    assert result.forecast is None
    assert not set(FORECAST_COLUMNS) & set(result.scores.columns)
    assert "avg_p_active" not in result.segments


def test_too_few_repeat_buyers_give_no_forecast_and_say_why(helpers):
    orders = pd.DataFrame(helpers.hand_orders, columns=["Customer ID", "Order ID", "Order Date", "Amount",
                                                        "Customer Name", "Email"])
    result = rfm_excel.score(orders)
    assert result.forecast.reason == "Only 4 customers have bought on two different days; a forecast needs at least 20."
    assert not set(FORECAST_COLUMNS) & set(result.scores.columns)


# ------------------------------------------------------------------ the Contact Plan's rules

# Customer, segment, P(Active), days to the Expected Next Order (None = blank), Monetary.
# Monetary ranks (share who spent as much or less): A 0.2, B 0.4, C 0.6, D 0.8, E 1.0.
OUTLOOK = [("A", "Silver", 0.03, None, 10.0),   # 3% and the lowest spender: not worth a paid contact
           ("B", "Silver", 0.90, 5, 20.0),      # likely active, next order in 5 days (within the 7-day lead): due
           ("C", "Silver", 0.90, 30, 30.0),     # likely active, next order in 30 days: nothing to add
           ("D", "Silver", 0.20, None, 40.0),   # 20% < 30%, in the top 40% by spend: slipping away
           ("E", "Free", 0.02, None, 50.0)]     # 2% but the top spender, on a free channel: slipping away


def outlook_plan() -> pd.DataFrame:
    rules = (SegmentRule("Silver", action="Offer", channel="Direct mail", cost=1.5),
             SegmentRule("Free", action="Email them", channel="Email", cost=0.0))
    settings = Settings(as_of=AS_OF, recent_purchase_days=0, contact_lead_days=7, segments=rules)
    scores = pd.DataFrame({
        "customer_id": [c[0] for c in OUTLOOK], "segment": [c[1] for c in OUTLOOK],
        "recency_days": 100, "frequency": 2, "monetary": [c[4] for c in OUTLOOK],
        "last_order": pd.Timestamp(AS_OF) - pd.Timedelta(days=100), "p_active": [c[2] for c in OUTLOOK],
        "expected_next_order": [pd.NaT if c[3] is None else pd.Timestamp(AS_OF) + pd.Timedelta(days=c[3])
                                for c in OUTLOOK]})
    keys = customer_keys(scores["customer_id"])
    timing = pd.DataFrame({"typical_gap": np.nan, "next_due": pd.NaT, "days_overdue": np.nan,
                           "overdue_gaps": np.nan, "usual_month": 0}, index=keys)
    return contact_plan(scores, keys, timing, settings).set_index("customer_id")


def test_the_forecast_says_who_is_due_slipping_away_or_not_worth_a_paid_contact():
    plan = outlook_plan()
    assert plan.at["A", "plan"] == LEFT_OUT
    assert plan.at["A", "reason"] == ("not worth a paid contact: unlikely to buy again (P(Active) 3%) and among the "
                                      "lowest spenders")
    assert plan.at["B", "reason"].startswith("due: likely still buying (P(Active) 90%), next order expected by "
                                             "2024-07-06; ")
    assert not plan.at["C", "reason"].startswith(("due", "slipping"))
    assert plan.at["D", "reason"].startswith("slipping away, act now: a valuable customer whose chance of buying "
                                             "again is 20% (below 30%); ")
    assert plan.at["E", "reason"].startswith("slipping away")
    assert (plan.loc[["B", "C", "D", "E"], "plan"] == CONTACT).all()
    # due and slipping customers are contacted now; C's date comes from the usual timing (nothing known: now too)
    assert (plan.loc[["B", "D", "E"], "contact_on"] == pd.Timestamp(AS_OF)).all()


# ------------------------------------------------------------------ the Forecast sheet


def test_the_forecast_sheet_shows_parameters_the_holdout_check_and_a_chart(tmp_path):
    book = build_template(tmp_path / "demo.xlsx", orders=sample_orders())
    result, _ = score_file(book)
    sheet = openpyxl.load_workbook(book)["Forecast"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(r for r, row in enumerate(rows) if row[0] == "Parameter")
    assert list(rows[header][:3]) == ["Parameter", "BG/NBD", "Modified BG/NBD"]
    assert [row[0] for row in rows[header + 1:header + 9]] == ["r", "alpha", "a", "b", "p", "q", "v", "time unit"]
    outlook = result.forecast
    assert rows[header + 1][1] == pytest.approx(outlook.bgnbd.r, rel=1e-3)
    assert rows[header + 2][2] == pytest.approx(outlook.modified_bgnbd.alpha, rel=1e-3)
    assert rows[header + 7][1] == pytest.approx(outlook.gamma_gamma.v, rel=1e-3)
    check = outlook.holdout
    words = " ".join(str(row[0]) for row in rows[:header])
    assert (f"predicted {check.predicted['Modified BG/NBD']:,.0f} repeat orders in the {check.holdout_days:,} days "
            f"after; {check.actual:,} happened") in words
    table = next(r for r, row in enumerate(rows) if row[0] == "Repeat orders before the check")
    assert [row[0] for row in rows[table + 1:table + 9]] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert sum(row[1] for row in rows[table + 1:table + 9]) == check.table["customers"].sum()
    with zipfile.ZipFile(book) as archive:  # openpyxl does not read charts back: the chart's own XML
        charts = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/")]
    assert any("Orders per customer in the check period" in c and c.count("<c:ser>") == 2 for c in charts)


def test_fitted_on_its_own_the_forecast_gives_the_scores_figures(sample_result):
    orders = group_orders(normalise(sample_orders()).lines)
    alone = fc.forecast(orders, sample_result.as_of)
    # The same fit; the run sums its summary per customer in another order, so the last digit may differ.
    assert dataclasses.asdict(alone.modified_bgnbd) == pytest.approx(
        dataclasses.asdict(sample_result.forecast.modified_bgnbd), rel=1e-12)


def test_orders_that_show_no_one_leaving_are_said_to_on_the_forecast_sheet(sample_result):
    """A fit whose chance of dropping out is about 0 puts everyone near 100% active: the sheet says why."""
    outlook = sample_result.forecast
    sentence = "These orders show no sign yet of customers leaving for good"
    assert outlook.modified_bgnbd.a / (outlook.modified_bgnbd.a + outlook.modified_bgnbd.b) > 0.01
    assert not any(line.startswith(sentence) for line in forecast_notes(outlook))
    stays = dataclasses.replace(outlook, modified_bgnbd=dataclasses.replace(outlook.modified_bgnbd, a=6e-6, b=430.0))
    assert any(line.startswith(sentence) for line in forecast_notes(stays))
    assert not any(line.startswith(sentence) for line in forecast_notes(dataclasses.replace(stays, model="BG/NBD")))
