"""The Contact Plan: who is left out and why, suggested dates, channels and costs, and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from rfm_excel.base.errors import RfmError
from rfm_excel.base.orders import customer_keys
from rfm_excel.base.settings import SEGMENT_HEADER, SEGMENT_PLAN_HEADER, SegmentRule, Settings, parse_settings
from rfm_excel.domain.contact import CONTACT, LEFT_OUT, UNMATCHED_ACTION, contact_plan, neutralise_formulas
from rfm_excel.doors.cli import main
from rfm_excel.layout.wording import plan_summary

AS_OF = dt.date(2024, 7, 1)
RULES = (SegmentRule("Gold", 4, 5, action="Thank them", channel="Phone", cost=4.0),
         SegmentRule("Silver", action="Offer a discount"),
         SegmentRule("Gone", action="Nothing", do_not_contact=True))
SETTINGS = Settings(as_of=AS_OF, recent_purchase_days=7, contact_lead_days=7, segments=RULES)
NaN = np.nan

# Customer, segment, recency, frequency, usual gap, usual month. Last order = as-of - recency;
# next due = last order + gap; days overdue = as-of - next due.
CUSTOMERS = [
    ("P", "Gold", 7, 3, 20, 0),         # bought exactly 7 days ago: left out (7 is within 7)
    ("Q", "Gold", 8, 4, 30, 0),         # last 06-23, due 07-23: contact 7 days before, on 07-16
    ("R", "Silver", 94, 5, 30, 0),      # last 03-29, due 04-28, 64 days overdue: contact now
    ("S", "Silver", 200, 1, NaN, 0),    # one order: nothing says when, contact now
    ("T", "Gone", 3, 2, 10, 0),         # Do Not Contact (it wins over "bought recently")
    ("U", "Silver", 234, 3, 365, 11),   # buys in November: 7 days before 2024-11-01 = 10-25
    ("V", "Silver", 300, 2, 365, 7),    # buys in July, the as-of month: contact now
    ("W", "Silver", 120, 2, 365, 3),    # buys in March, passed this year: 7 days before 2025-03-01 = 02-22
    ("X", "Mystery", 50, 2, NaN, 0),    # a segment the table does not have
    ("Y", "Silver", 20, 6, 30, 9),      # September is usual, but the next order (06-11 + 30 = 07-11) comes first
]


def scores_and_timing(customers=CUSTOMERS):
    scores = pd.DataFrame({
        "customer_id": [c[0] for c in customers], "segment": [c[1] for c in customers],
        "recency_days": [c[2] for c in customers], "frequency": [c[3] for c in customers],
        "last_order": [pd.Timestamp(AS_OF) - pd.Timedelta(days=c[2]) for c in customers]})
    gap = np.array([c[4] for c in customers], dtype=float)
    due = scores["last_order"] + pd.to_timedelta(gap, unit="D")
    overdue = (pd.Timestamp(AS_OF) - due).dt.days.to_numpy(dtype=float)
    timing = pd.DataFrame({"typical_gap": gap, "next_due": due.to_numpy(), "days_overdue": overdue,
                           "overdue_gaps": overdue / gap,
                           "usual_month": [c[5] for c in customers]},
                          index=customer_keys(scores["customer_id"]))
    return scores, customer_keys(scores["customer_id"]), timing


@pytest.fixture
def plan() -> pd.DataFrame:
    return contact_plan(*scores_and_timing(), SETTINGS).set_index("customer_id")


def test_recent_buyers_and_do_not_contact_segments_are_left_out_with_the_reason(plan):
    left_out = plan[plan["plan"] == LEFT_OUT]
    assert list(left_out.index) == ["P", "T"]
    assert left_out.loc["P", "reason"] == "bought 7 days ago (within 7 days)"
    assert left_out.loc["T", "reason"] == "Gone is marked Do Not Contact"
    assert left_out["contact_on"].isna().all() and left_out["cost"].isna().all()
    assert left_out["channel"].isna().all()


def test_nobody_is_left_out_for_recency_when_the_setting_is_zero():
    settings = Settings(as_of=AS_OF, recent_purchase_days=0, segments=RULES)
    plan = contact_plan(*scores_and_timing(), settings).set_index("customer_id")
    assert plan.loc["P", "plan"] == CONTACT and plan.loc["T", "plan"] == LEFT_OUT


def test_suggested_contact_dates(plan):
    on = plan["contact_on"].dt.date.to_dict()
    assert on["Q"] == dt.date(2024, 7, 16)    # due 06-23 + 30 = 07-23, less 7 days
    assert on["R"] == on["S"] == on["V"] == on["X"] == AS_OF  # overdue, unknown, or in their month: now
    assert on["U"] == dt.date(2024, 10, 25)   # 2024-11-01 less 7 days
    assert on["W"] == dt.date(2025, 2, 22)    # March has passed: 2025-03-01 less 7 days
    assert on["Y"] == dt.date(2024, 7, 4)     # due 07-11 (before 09-01) less 7 days


def test_reasons_say_when_they_last_bought_and_how_often(plan):
    assert plan.loc["R", "reason"] == "last order 94 days ago, usually orders every 30 days (64 days overdue)"
    assert plan.loc["Q", "reason"] == "last order 8 days ago, usually orders every 30 days"
    assert plan.loc["S", "reason"] == "bought once, 200 days ago"
    assert plan.loc["U", "reason"] == "last order 234 days ago, usually orders in November"
    assert plan.loc["U", "usual_month"] == "November" and pd.isna(plan.loc["R", "usual_month"])
    assert plan.loc["Y", "reason"] == "last order 20 days ago, usually orders every 30 days"


def test_channel_cost_and_action_come_from_the_segment_table(plan):
    assert (plan.loc["Q", "channel"], plan.loc["Q", "cost"], plan.loc["Q", "action"]) == ("Phone", 4.0, "Thank them")
    assert (plan.loc["R", "channel"], plan.loc["R", "cost"]) == ("Email", 0.0)
    assert (plan.loc["X", "channel"], plan.loc["X", "action"]) == ("Email", UNMATCHED_ACTION)


def test_contact_rows_come_first_by_date_then_the_left_out(plan):
    # Contact on 07-01: R, S, V, X (in the Scores order); then Y 07-04, Q 07-16, U 10-25, W 2025-02-22;
    # then the left out, P and T.
    assert list(plan.index) == ["R", "S", "V", "X", "Y", "Q", "U", "W", "P", "T"]
    assert plan_summary(plan, "£") == ("8 customers to contact (7 by email, 1 by phone), costing £4.00; 0 held out "
                                       "as control; 2 left out (1 bought recently, 1 in segments marked Do Not "
                                       "Contact).")


def test_text_a_spreadsheet_would_run_is_neutralised():
    table = pd.DataFrame({"Name": ["=SUM(A1)", "+1", "-2", "@x", "\tcmd", "plain", None, "a=b"],
                          "cost": [-5.0, 1, 2, 3, 4, 5, 6, 7]})
    safe = neutralise_formulas(table)
    names = safe["Name"].tolist()
    assert names[:6] + names[7:] == ["'=SUM(A1)", "'+1", "'-2", "'@x", "'\tcmd", "plain", "a=b"]
    assert pd.isna(names[6])  # a blank stays blank
    assert safe["cost"].tolist() == table["cost"].tolist()  # numbers stay numbers, even negative ones


def test_export_writes_only_the_contact_rows_to_csv_safely(tmp_path, capsys):
    source = tmp_path / "orders.csv"
    source.write_text("Customer ID,Order ID,Order Date,Amount,Customer Name\n"
                      "A,1,2024-01-05,10,=HYPERLINK(\"http://x\")\n"
                      "A,2,2024-03-05,10,=HYPERLINK(\"http://x\")\n"
                      "B,3,2024-03-04,40,Bob\n", encoding="utf-8")
    assert main(["export", str(source), "--output", str(tmp_path / "plan.csv")]) == 0
    with open(tmp_path / "plan.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # As-of 2024-03-06 (the day after the last order): A bought 1 day ago and B 2 days ago, both within
    # the default 7 days, so nobody is to contact yet.
    assert rows == []
    assert main(["export", str(source), "--output", str(tmp_path / "plan.csv"), "--as-of", "2024-03-31"]) == 0
    with open(tmp_path / "plan.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {row["Customer ID"]: row for row in csv.DictReader(handle)}
    # A scores 331 (Need Attention); B, 113, is Lost, which the default table marks Do Not Contact.
    assert set(rows) == {"A"}
    assert rows["A"]["Customer Name"] == "'=HYPERLINK(\"http://x\")"
    # A: purchase days 01-05 and 03-05, a 60-day gap; last order 26 days before 03-31.
    assert rows["A"]["Reason"] == "last order 26 days ago, usually orders every 60 days"
    assert rows["A"]["Usual Gap (days)"] == "60" and "Plan" not in rows["A"]
    out = capsys.readouterr().out
    assert "Wrote 1 customer to contact" in out and "1 customer to contact (1 by email)" in out


def test_the_plan_settings_and_segment_columns_are_read_from_the_settings_sheet():
    grid = [["Settings"], ["Leave out buyers of the last (days)", 14], ["Holdout seed", 2026.0],
            ["Campaign date", dt.datetime(2024, 6, 1)], ["Watch: returns share at least", "30%"], [],
            list(SEGMENT_HEADER + SEGMENT_PLAN_HEADER),
            ["VIP", 4, 5, 4, 5, 1, 5, "Thank them", "Phone", 3, 10, None],      # row 8: Holdout 10 = 10%
            ["Rest", 1, 5, 1, 5, 1, 5, None, None, None, "0.5", "yes"]]          # blank channel and cost: defaults
    settings = parse_settings(grid)
    assert (settings.recent_purchase_days, settings.holdout_seed, settings.campaign_date,
            settings.watch_return_share) == (14, "2026", dt.date(2024, 6, 1), 0.3)
    assert settings.segments == (SegmentRule("VIP", 4, 5, 4, 5, 1, 5, "Thank them", "Phone", 3.0, 0.1, False),
                                 SegmentRule("Rest", 1, 5, 1, 5, 1, 5, "", "Email", 0.0, 0.5, True))
    grid[7][10] = "lots"
    with pytest.raises(RfmError, match=r"Settings!K8 \(VIP: Holdout %\) must be a percentage from 0% to 100%"):
        parse_settings(grid)
    grid[7][10], grid[7][11] = None, "perhaps"
    with pytest.raises(RfmError, match=r"Settings!L8 \(VIP: Do Not Contact\) must be Yes, No or blank"):
        parse_settings(grid)
