"""Data Issues as coded records: below the layout an issue is a kind, a sheet row, a column, a value, an amount and
the facts its words need; the layout words it (layout/issue_words.py) and counts it by its code."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

import rfm_excel
from rfm_excel.base.reading.issues import ISSUE_FIELDS
from rfm_excel.layout import issue_words
from rfm_excel.layout.issue_words import issue_table
from rfm_excel.layout.wording import issue_totals, rows_summary

ORDERS = pd.DataFrame({  # by hand: row 3 has no customer, row 5 copies row 4, row 6 is dated after the as-of date
    "Customer ID": ["A", None, "B", "B", "C", "a"],
    "Order ID": ["1", "2", "3", "3", "4", "5"],
    "Order Date": ["05/03/2024", "06/03/2024", "13/03/2024", "13/03/2024", "2024-07-02", "2024-04-01"],
    "Amount": ["12,50", 4, 5, 5, 6, "7,25"]})


def test_the_records_hold_codes_and_facts_not_words():
    result = rfm_excel.score(ORDERS, as_of=dt.date(2024, 6, 30))
    issues = result.issues
    assert list(issues.columns) == ISSUE_FIELDS
    records = issues.drop(columns="amount").to_dict("records")
    assert records == [
        {"row": None, "column": "Order Date", "value": "", "kind": "date_order",
         "detail": {"sample": "05/03/2024", "day_first": True, "why": "proof", "proof": "13/03/2024"}},
        {"row": None, "column": "Amount", "value": "", "kind": "decimal_mark",
         "detail": {"sample": "12,50", "mark": ",", "read": 12.5, "decimals": 2, "why": "only"}},
        {"row": 2, "column": "Amount", "value": "12,50", "kind": "repaired", "detail": None},
        {"row": 3, "column": "Customer ID", "value": "", "kind": "no_customer", "detail": None},
        {"row": 5, "column": "Order ID", "value": "", "kind": "copy", "detail": {"first_row": 4}},
        {"row": 6, "column": "Order Date", "value": "2024-07-02", "kind": "late",
         "detail": {"as_of": dt.date(2024, 6, 30)}},
        {"row": 7, "column": "Amount", "value": "7,25", "kind": "repaired", "detail": None},
        {"row": 7, "column": "Customer ID", "value": "a", "kind": "spelling", "detail": {"first": "A"}}]
    assert issues["amount"].fillna(-1).tolist() == [-1, -1, 12.5, 4.0, 5.0, 6.0, 7.25, 7.25]  # notes: none
    shown = issue_table(issues)
    assert list(shown.columns) == issue_words.ISSUE_HEADERS
    assert shown[["Row", "Value", "Problem"]].values.tolist()[4:6] == [
        [5, "same as row 4", "exact copy of an earlier line"], [6, "2024-07-02", "after the as-of date 2024-06-30"]]
    assert shown["Problem"].iloc[0] == ("text dates such as 05/03/2024 read as day/month (dd/mm/yyyy), because "
                                        "13/03/2024 can only be day/month")
    assert shown["Problem"].iloc[-1] == "same customer as 'A' apart from spaces or capitals"


def test_counts_come_from_the_codes_so_rewording_a_kind_changes_no_count(monkeypatch):
    result = rfm_excel.score(ORDERS, as_of=dt.date(2024, 6, 30))
    before = issue_totals(result.issues)
    assert before.to_dict("index") == {
        "Skipped: no customer ID": {"Rows": 1, "Amount": 4.0},
        "Skipped: exact copy of an earlier line": {"Rows": 1, "Amount": 5.0},
        "Skipped: after the as-of date 2024-06-30": {"Rows": 1, "Amount": 6.0},
        "Values repaired": {"Rows": 2, "Amount": 19.75}, "ID spellings merged": {"Rows": 1, "Amount": 7.25}}
    reworded = {kind: dataclasses.replace(words, problem="something else", action="done otherwise")
                for kind, words in issue_words.KINDS.items()}
    monkeypatch.setattr(issue_words, "KINDS", reworded)
    assert issue_totals(result.issues).equals(before)
    assert rows_summary(result).startswith("6 order rows read, 3 used, 3 skipped (1 no customer ID, 1 exact copy of "
                                           "an earlier line, 1 after the as-of date 2024-06-30); 2 values repaired, "
                                           "1 ID spellings merged. Something else. Something else.")
