"""The cleaning rules of docs/cleaning.md, one hand-made case each: dates, amounts, copies,
cancelled invoices, column mapping, and what the Orders sheet itself can hold (formulas, error
values, merged cells)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

from rfm_excel import RfmError
from rfm_excel.base.orders import normalise
from rfm_excel.doors.files import score_file
from rfm_excel.layout.issue_words import issue_table
from rfm_excel.readers.workbook import read_book


def orders(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns, dtype=object)


def issue_rows(clean) -> list[tuple]:
    return [tuple(row) for row in issue_table(clean.issues)[["Row", "Column", "Value", "Problem", "Action"]].values]


def test_every_way_of_writing_5_march_2024_is_read_as_that_date():
    clean = normalise(orders(**{
        "Customer ID": ["A"] * 6,
        "Order Date": [dt.datetime(2024, 3, 5, 14, 0),  # a real date (with a time)
                       45356,                            # Excel serial: 2024-01-01 is 45292, + 31 + 29 + 4 days
                       20240305,                         # YYYYMMDD
                       "2024-03-05",                     # ISO text
                       "05/03/2024",                     # day/month, proven by the next value
                       "13/03/2024"],
        "Amount": [1, 2, 3, 4, 5, 6]}))
    days = clean.lines["order_date"].dt.strftime("%Y-%m-%d %H:%M").tolist()
    assert days == ["2024-03-05 14:00"] + ["2024-03-05 00:00"] * 4 + ["2024-03-13 00:00"]
    assert issue_rows(clean) == [(None, "Order Date", "", "text dates such as 05/03/2024 read as day/month "
                                  "(dd/mm/yyyy), because 13/03/2024 can only be day/month",
                                  "read that way; change 'Dates are written' in Settings if wrong")]


@pytest.mark.parametrize("dates, setting, expected, why", [
    (["03/13/2024", "04/05/2024"], "Auto", ["2024-03-13", "2024-04-05"], "because 03/13/2024 can only be month/day"),
    (["04/05/2024", "06/07/2024"], "Auto", ["2024-05-04", "2024-07-06"],
     "as nothing in the column proves either order"),
    (["04/05/2024", "06/07/2024"], "Month first", ["2024-04-05", "2024-06-07"], "as Settings say"),
    (["13/03/2024", "04/05/2024"], "Month first", [None, "2024-04-05"], "as Settings say"),  # no 13th month
])
def test_day_or_month_first_is_decided_for_the_whole_column(dates, setting, expected, why):
    clean = normalise(orders(**{"Customer ID": ["A", "B"], "Order Date": dates, "Amount": [1, 1]}),
                      date_order=setting)
    read = dict(zip(clean.lines["customer"], clean.lines["order_date"].dt.strftime("%Y-%m-%d"), strict=True))
    assert [read.get(customer) for customer in ("A", "B")] == expected
    shown = issue_table(clean.issues)
    note = shown.loc[shown["Row"].isna(), "Problem"].item()
    assert note.endswith(why)


def test_amounts_written_as_text_are_read_and_what_was_done_is_listed():
    clean = normalise(orders(**{
        "Customer ID": ["A"] * 5, "Order Date": ["2024-03-05"] * 5,
        "Amount": ["£1,234.50", "(12.00)", " 7 ", "GBP 3", "abc"]}))
    assert clean.lines["amount"].tolist() == [1234.5, -12.0, 7.0, 3.0]   # " 7 " needs no repair worth listing
    assert issue_rows(clean) == [
        (2, "Amount", "£1,234.50", "number written as text", "repaired: read as a number"),
        (3, "Amount", "(12.00)", "number written as text", "repaired: read as a number"),
        (3, "Amount", "-12", "negative amount: a return, refund or credit", "netted into Monetary; not a purchase"),
        (5, "Amount", "GBP 3", "number written as text", "repaired: read as a number"),
        (6, "Amount", "abc", "not a number (blank, text, or an error)", "skipped")]


def test_an_exact_copy_of_a_line_counts_once_and_a_near_copy_counts():
    clean = normalise(orders(**{
        "Customer ID": ["A", "A", "A"], "Order ID": ["1", "1", "1"], "Order Date": ["2024-03-05"] * 3,
        "Amount": [10, 10, 11]}))   # row 3 repeats row 2; row 4 differs in its amount
    assert clean.lines["amount"].tolist() == [10.0, 11.0]
    assert issue_rows(clean) == [(3, "Order ID", "same as row 2", "exact copy of an earlier line",
                                  "skipped (counted once)")]


def test_c_invoices_among_numbered_invoices_are_returns_but_letters_in_every_id_are_not():
    numbered = normalise(orders(**{"Customer ID": ["A"] * 3, "Order ID": ["536365", "C536366", "536367"],
                                   "Order Date": ["2024-03-05"] * 3, "Amount": [10, 4, 6]}))
    assert numbered.lines["amount"].tolist() == [10.0, -4.0, 6.0]
    assert issue_rows(numbered)[0] == (3, "Order ID", "C536366", "cancelled invoice with a positive amount",
                                       "counted as a return (amount made negative)")
    lettered = normalise(orders(**{"Customer ID": ["A"] * 3, "Order ID": ["A1", "C1", "B1"],
                                   "Order Date": ["2024-03-05"] * 3, "Amount": [10, 4, 6]}))
    assert lettered.lines["amount"].tolist() == [10.0, 4.0, 6.0] and lettered.issues.empty


def test_settings_can_name_the_column_to_use():
    raw = orders(**{"Customer ID": ["A"], "Order Date": ["2024-03-05"], "Total": [99], "Net": [80]})
    assert normalise(raw).lines["amount"].tolist() == [99.0]                      # found by its name
    assert normalise(raw, chosen={"amount": "Net"}).lines["amount"].tolist() == [80.0]
    with pytest.raises(RfmError, match="Settings name 'Nett' as the Amount column"):
        normalise(raw, chosen={"amount": "Nett"})


def sheet_with_formulas_errors_and_merges(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Orders")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["Customer ID", "Order ID", "Order Date", "Amount"])
    sheet.merge_range(1, 0, 2, 0, "C1")                               # rows 2-3: one customer, merged
    sheet.write_row(1, 1, ["1"]), sheet.write_row(2, 1, ["2"])
    sheet.write_datetime(1, 2, dt.datetime(2024, 3, 1), day)
    sheet.write_datetime(2, 2, dt.datetime(2024, 3, 8), day)
    sheet.write_formula(1, 3, "=2*5", None, 10)                       # a formula: its value counts
    sheet.write_number(2, 3, 20)
    sheet.write_formula(3, 0, "=NA()", None, "#N/A")                  # row 4: an error as customer
    sheet.write_row(3, 1, ["3"]), sheet.write_datetime(3, 2, dt.datetime(2024, 3, 9), day)
    sheet.write_number(3, 3, 5)
    sheet.write_row(4, 0, ["C2", "4"]), sheet.write_datetime(4, 2, dt.datetime(2024, 3, 9), day)
    sheet.write_formula(4, 3, "=1/0", None, "#DIV/0!")                # row 5: an error as amount
    book.close()
    return path


def test_formulas_error_values_and_merged_cells_in_the_orders_sheet(tmp_path):
    path = sheet_with_formulas_errors_and_merges(tmp_path / "shop.xlsx")
    contents = read_book(path)
    assert contents.orders["Customer ID"].tolist()[:2] == ["C1", "C1"]     # the merged value on both rows
    result, _ = score_file(path, as_of=dt.date(2024, 3, 10))
    scores = result.scores.set_index("customer_id")
    assert scores.loc["C1", ["frequency", "monetary", "recency_days"]].tolist() == [2, 30.0, 2]
    assert list(scores.index) == ["C1"]
    shown = issue_table(result.issues).fillna({"Amount": 0})
    rows = [(r, c, p.split(" (")[0], a, m) for r, c, _, p, a, m in shown.values]
    assert rows == [(2, "Customer ID", "merged cell over rows 2-3", "repaired: value used on each row", 10),
                    (4, "Customer ID", "no customer ID", "skipped", 5),
                    (5, "Amount", "not a number", "skipped", 0)]  # 0: no amount could be read


# ------------------------------------------------------------ Data Issues' totals, against an independent count


def test_data_issues_totals_match_an_independent_count_of_the_real_sample():
    """The bundled sample (UCI Online Retail II lines) counted straight from docs/cleaning.md's rules with
    pandas: rows and money per problem, as the block at the top of Data Issues gives them."""
    import rfm_excel
    from rfm_excel.doors.cli import sample_orders
    from rfm_excel.layout.wording import issue_totals

    raw = sample_orders()
    amount = raw["Quantity"].astype(float) * raw["Price"].astype(float)
    blank = raw["Customer ID"].isna()
    copy = ~blank & raw.astype(str).where(~blank).duplicated(keep="first")  # among rows with a customer
    kept = ~blank & ~copy
    cancelled = raw["Invoice"].str.fullmatch(r"[Cc]\d+") & (amount > 0)
    used = amount.where(~(kept & cancelled), -amount)  # a cancellation counts as a return
    returned = kept & (used < 0)
    customer = raw["Customer ID"].str.strip()
    orders = used[kept].groupby([customer[kept], raw["Invoice"][kept]]).sum()
    buyers = set(orders[orders > 0].index.get_level_values(0))
    nets = used[kept].groupby(customer[kept]).sum()
    no_purchase = nets[~nets.index.isin(buyers)]
    free = (used[kept] == 0).groupby([customer[kept], raw["Invoice"][kept]]).all()  # every line of the order at 0
    expected = {"Skipped: no customer ID": (int(blank.sum()), round(amount[blank].sum(), 2)),
                "Skipped: exact copy of an earlier line": (int(copy.sum()), round(amount[copy].sum(), 2)),
                "Returns and refunds netted": (int(returned.sum()), round(used[returned].sum(), 2)),
                "Orders worth nothing": (int(free.sum()), 0.0),
                "Customers with no purchase (only returns)": (len(no_purchase), round(no_purchase.sum(), 2))}
    assert expected["Skipped: no customer ID"][0] == 601 and expected["Returns and refunds netted"][0] == 755

    totals = issue_totals(rfm_excel.score(raw).issues)
    assert {label: (row.Rows, round(row.Amount, 2)) for label, row in totals.iterrows()} == expected
    assert list(totals.index) == list(expected)  # skipped first, most first; then what was done
