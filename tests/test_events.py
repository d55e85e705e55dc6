"""More than three letters (returns, complaints, enquiries, tenure, Watch) and the R x F grid, by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd

import rfm_excel
from rfm_excel.domain.events import event_columns
from rfm_excel.doors.files import score_file
from rfm_excel.layout.headers import headers

AS_OF = dt.date(2024, 7, 1)
EVENTS = pd.DataFrame(
    [("A", "A1", "2024-06-01", 100, None, "yes", None),   # A1: two lines, a complaint marked on each
     ("A", "A1", "2024-06-01", 50, None, "yes", None),
     ("A", "A2", "2024-06-10", 50, "yes", None, None),    # returned: the whole line, 50
     ("B", "B1", "2024-05-01", 200, None, None, 2),       # an enquiry (a number above 0 marks the order)
     ("B", "B2", "2024-06-20", 100, 60, None, None),      # 60 of it returned
     ("C", "C1", "2024-01-01", 30, None, None, None)],
    columns=["Customer ID", "Order ID", "Order Date", "Amount", "Returned", "Complaint", "Enquiry"])
EXTRA = ["returns", "return_share", "complaints", "enquiries", "tenure_days", "returns_score", "complaints_score",
         "enquiries_score", "tenure_score", "watch"]


def test_optional_columns_are_found_by_their_headers():
    assert event_columns(["Customer ID", "Returned Amount", "Complaints", "Inquiry", "Amount"]) == {
        "returned": "Returned Amount", "complaint": "Complaints", "enquiry": "Inquiry"}
    assert event_columns(["Customer ID", "Order Date", "Amount"]) == {}


def test_returns_complaints_enquiries_tenure_and_their_scores():
    scores = rfm_excel.score(EVENTS, as_of=AS_OF).scores.set_index("customer_id")
    assert list(scores.columns[-len(EXTRA):]) == EXTRA
    # The Returned column holds amounts (60 is neither 0 nor 1), so "yes" returns its whole line.
    # A: bought 100 + 50 + 50 = 200, returned 50 -> 25%; B: bought 300, returned 60 -> 20%; C: nothing.
    # Orders with a mark: A 1 return (A2), 1 complaint (A1, marked on both its lines); B 1 return, 1 enquiry.
    # Tenure to 2024-07-01: A from 06-01 30 days, B from 05-01 61, C from 01-01 182 (31+29+31+30+31+30).
    assert scores[EXTRA[:5]].to_dict("index") == {
        "A": {"returns": 1, "return_share": 0.25, "complaints": 1, "enquiries": 0, "tenure_days": 30},
        "B": {"returns": 1, "return_share": 0.2, "complaints": 0, "enquiries": 1, "tenure_days": 61},
        "C": {"returns": 0, "return_share": 0.0, "complaints": 0, "enquiries": 0, "tenure_days": 182}}
    # Scores 1 + floor(5 x customers with a worse value / 3): fewer returns and complaints are better,
    # more enquiries and a longer tenure are better.
    # Return share A .25 (beats 0) 1, B .20 (beats 1) 2, C 0 (beats 2) 4; complaints A 1, B and C 2;
    # enquiries A and C 1, B 4; tenure A 1, B 2, C 4.
    assert scores[EXTRA[5:9]].values.tolist() == [[2, 2, 4, 2], [1, 1, 1, 1], [4, 2, 1, 4]]  # B, A, C (best first)
    assert list(scores.index) == ["B", "A", "C"]


def test_watch_flags_high_returns_and_complaints():
    scores = rfm_excel.score(EVENTS, as_of=AS_OF).scores.set_index("customer_id")
    # A returns 25% (at least the default 25%) and has 1 complaint in 2 orders (at least 0.5 per order).
    assert scores.loc["A", "watch"] == "returns 25% of purchases; 1 complaint in 2 orders"
    assert pd.isna(scores.loc["B", "watch"]) and pd.isna(scores.loc["C", "watch"])
    stricter = rfm_excel.Settings(watch_return_share=0.2, watch_complaint_rate=1.0)
    scores = rfm_excel.score(EVENTS, stricter, as_of=AS_OF).scores.set_index("customer_id")
    assert scores.loc["A", "watch"] == "returns 25% of purchases" and scores.loc["B", "watch"] == \
        "returns 20% of purchases"


def test_a_column_of_flags_returns_whole_lines_and_only_present_events_add_columns():
    orders = EVENTS.drop(columns=["Complaint", "Enquiry"]).assign(Returned=[None, None, 1, None, 1, 0])
    scores = rfm_excel.score(orders, as_of=AS_OF).scores.set_index("customer_id")
    # 0/1 flags: A2's 50 of 200 returned (25%), B2's 100 of 300 (33.3%).
    assert list(scores.columns[-6:]) == ["returns", "return_share", "tenure_days", "returns_score", "tenure_score",
                                         "watch"]
    assert scores["return_share"].to_dict() == {"B": 0.3333, "A": 0.25, "C": 0.0}


def test_the_scores_sheet_shows_the_extra_columns_with_colour_scales(tmp_path):
    source = tmp_path / "orders.csv"
    EVENTS.to_csv(source, index=False)
    score_file(source, tmp_path / "out.xlsx", as_of=AS_OF)
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["Scores"]
    header = [c.value for c in sheet[1]]
    assert header[-len(EXTRA):] == headers(EXTRA) == ["Returns", "Return Share", "Complaints", "Enquiries",
        "Tenure (days)", "Returns Score", "Complaints Score", "Enquiries Score", "Tenure Score", "Watch"]
    scaled = {str(f.sqref).split(":")[0] for f in sheet.conditional_formatting}
    letter = {h: c.column_letter for h, c in zip(header, sheet[1], strict=True)}
    assert {f"{letter[h]}2" for h in headers(EXTRA[5:9])} <= scaled


# ------------------------------------------------------------------ the R x F grid
# The worked example of docs/scoring.md: A 453, C 235, E 334, B 512, D 111 (R, F, M).
WORKED = pd.DataFrame(
    [("A", "A1", "2024-06-20", 100), ("A", "A1", "2024-06-20", 20), ("A", "A2", "2024-05-02", 80),
     ("A", "A3", "2024-03-15", 60), ("B", "B1", "2024-06-28", 40), ("C", "C1", "2024-01-10", 500),
     ("C", "C2", "2024-02-11", 300), ("C", "C3", "2024-02-20", -100), ("D", "D1", "2023-11-05", 25),
     ("E", "E1", "2024-06-01", 150), ("E", "E2", "2024-04-01", 150)],
    columns=["Customer ID", "Order ID", "Order Date", "Amount"])


def test_rf_grid_counts_and_average_monetary():
    result = rfm_excel.score(WORKED, as_of=AS_OF)
    customers, monetary = result.rf_customers, result.rf_monetary
    assert list(customers.index) == ["R 5", "R 4", "R 3", "R 2", "R 1"]  # best recency at the top
    assert list(customers.columns) == ["F 1", "F 2", "F 3", "F 4", "F 5"]  # best frequency at the right
    # One customer per cell: B (R5 F1, 40), A (R4 F5, 260), E (R3 F3, 300), C (R2 F3, 700), D (R1 F1, 25).
    assert customers.values.tolist() == [[1, 0, 0, 0, 0], [0, 0, 0, 0, 1], [0, 0, 1, 0, 0], [0, 0, 1, 0, 0],
                                         [1, 0, 0, 0, 0]]
    assert monetary.loc["R 2", "F 3"] == 700 and monetary.loc["R 4", "F 5"] == 260
    assert np.isnan(monetary.loc["R 5", "F 5"])  # nobody there


def test_the_segments_sheet_has_the_grids_under_its_chart(tmp_path):
    source = tmp_path / "orders.csv"
    WORKED.to_csv(source, index=False)
    score_file(source, tmp_path / "out.xlsx", as_of=AS_OF)
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["Segments"]
    rows = list(sheet.iter_rows(values_only=True))
    head = next(i for i, row in enumerate(rows) if row[0] == "Segment")  # under the title and the run note
    assert rows[head] == ("Segment", "Customers", "% of Customers", "% of Revenue", "Revenue", "Avg Recency (days)",
                      "Avg Frequency", "Avg Monetary", "What it means", "Recommended Action")
    assert [row[0] for row in rows[head + 1:head + 12]][:2] == ["Champions", "Loyal"]  # the table, a blank row
    assert rows[head + 12][0] is None
    # Under the chart (11 segments: 32 x 11 + 100 = 452 pixels, 23 rows from the row after the blank one), in the
    # table's columns:
    # customers, then average Monetary, each a title, a header row and five rows of R scores.
    top = next(i for i, row in enumerate(rows) if row[0] == "Customers by Recency and Frequency score")
    assert top == head + 13 + 23 + 1
    assert rows[top + 1][:6] == (None, "Frequency 1", "Frequency 2", "Frequency 3", "Frequency 4", "Frequency 5")
    assert rows[top + 3][:6] == ("Recency 4", 0, 0, 0, 0, 1)
    assert rows[top + 8][0] == "Average Monetary by Recency and Frequency score"
    assert rows[top + 11][:6] == ("Recency 4", None, None, None, None, 260)
    grids = (f"B{top + 3}:F{top + 7}", f"B{top + 11}:F{top + 15}")
    heat = [f for f in sheet.conditional_formatting if str(f.sqref) in grids]
    assert len(heat) == 2 and all(f.rules[0].type == "colorScale" for f in heat)
