"""Orders as the owner typed or exported them -> clean order lines, plus the list of what was wrong: the
reading rules as pandas applies them, by the reading plan (base/reading/plan.py).

``normalise`` never drops a row silently: every row it does not use, and every value it
repairs, is one row of the returned issues table. The rules for values live in base/reading
(values, numbers, dates), an export layout's line rules in base/reading/layouts.py; this module
is also where the other layers take the reading rules from (``__all__``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from .reading.columns import HEADER_SEARCH_ROWS, LABELS, header_key
from .reading.dates import column_dates, parse_dates
from .reading.issues import ISSUE_FIELDS, IssueList, issue_rows, no_issues
from .reading.layouts import as_orders, layout_amounts, layout_facts, not_purchases, paid_out_rows
from .reading.numbers import (
    column_numbers,
    currency_symbol,
    decimal_mark,
    noted_numbers,
    number_value,
    parse_numbers,
)
from .reading.plan import (
    AUTOMATIC,
    DATE_AUTO,
    DATE_DAY_FIRST,
    DATE_MONTH_FIRST,
    DECIMAL_AUTO,
    DECIMAL_COMMA,
    DECIMAL_POINT,
    Dialect,
    ReadingPlan,
    plan_reading,
    under_header,
)
from .reading.values import (
    Coded,
    as_frame,
    cancelled_invoices,
    customer_keys,
    distinct_id_texts,
    id_text,
    id_texts,
    matching_keys,
    shown_value,
    stripped_texts,
)

__all__ = [  # the reading rules other layers use, by their names here
    "AUTOMATIC", "DATE_AUTO", "DATE_DAY_FIRST", "DATE_MONTH_FIRST", "DECIMAL_AUTO", "DECIMAL_COMMA", "DECIMAL_POINT",
    "ISSUE_FIELDS", "LABELS", "CleanOrders", "Coded", "Dialect",
    "as_frame", "cancelled_invoices", "column_dates", "column_numbers", "currency_symbol", "customer_keys",
    "decimal_mark", "distinct_id_texts", "header_key", "id_text", "id_texts", "matching_keys", "normalise",
    "number_value", "parse_dates", "parse_numbers", "reading_plan", "shown_value", "stripped_texts",
    "zero_order_issues", "zero_orders"]


@dataclass
class CleanOrders:
    """Usable order lines and what was done to get them.

    ``lines`` has columns customer_id (the matching key), customer (as first spelled),
    order_id (None where absent), order_date (datetime64), amount (float), source_row, and
    customer_name/email when the orders carry them, and product (its code as text, or its name where the
    orders name products only) and product_name. ``issues`` has ISSUE_FIELDS, one record per
    row skipped or repaired (row None for a note about a whole column). ``rows_read`` counts
    input rows; ``amounts`` holds each input row's amount as used (a cancellation's made
    negative; NaN where none could be read), used or not, so the issues can say what they were worth.
    ``currency`` is the symbol the amounts written as text carry ("" when none does). ``raw`` is the
    rows as read under their header row (a report's title lines left out), ``first_row`` the sheet
    row of its first row; ``plan`` how they were read, with what the values decided.
    """

    lines: pd.DataFrame
    issues: pd.DataFrame
    rows_read: int
    columns: dict[str, str]
    amounts: np.ndarray | None = None
    currency: str = ""
    raw: pd.DataFrame | None = None
    first_row: int = 2
    plan: ReadingPlan | None = None


def normalise(raw: pd.DataFrame, first_row: int = 2, sheet: str = "Orders", date_order: str = DATE_AUTO,
              chosen: dict[str, str] | None = None, decimal: str = DECIMAL_AUTO,
              dialect: Dialect | None = None, plan: ReadingPlan | None = None) -> CleanOrders:
    """Clean raw order rows whose columns are the sheet's headers.

    Parameters
    ----------
    raw : DataFrame of cell values as read (numbers, text, datetimes, None).
    first_row : sheet row number of ``raw``'s first row, for the issues list.
    sheet : sheet name, for messages.
    date_order : "Auto", "Day first" or "Month first", for text dates such as 03/04/2024.
    chosen : canonical column -> header, from Settings, where detection is not enough.
    decimal : DECIMAL_AUTO, DECIMAL_POINT or DECIMAL_COMMA, for numbers written as text such as 100,50.
    dialect : what the file says of itself (CSV delimiter, locale, 1904 date system).
    plan : the reading plan (``reading_plan``), where it is made already; it replaces all of the above.
    """
    plan = plan or reading_plan(raw, first_row, sheet, date_order, chosen, decimal, dialect)
    raw, first_row, dialect, decimal = under_header(raw, plan), plan.first_row, plan.dialect, plan.decimal
    headed, layout, columns = raw, plan.layout, dict(plan.columns)
    issues = IssueList(np.arange(first_row, first_row + len(raw)), {**columns, "amount": plan.amount_header})
    if layout:
        issues.note(None, "export", **layout_facts(plan))
        raw = as_orders(raw, plan)
    column = {name: raw[header] for name, header in columns.items()}  # as read, for the issues list
    coded = [Coded(raw.iloc[:, i].array) for i in range(raw.shape[1])]
    code = {name: coded[list(raw.columns).index(header)] for name, header in columns.items()}

    customer_text = distinct_id_texts(code["customer_id"])
    keys = matching_keys(pa.array(customer_text, pa.string())).to_numpy(zero_copy_only=False)
    customer = code["customer_id"].spread(customer_text, None)
    no_customer = pd.isna(customer)
    issues.add(no_customer, "customer_id", column["customer_id"], "no_customer")
    skipped = no_customer | (not_purchases(raw, plan, ~no_customer, issues) if layout else False)
    order_text = distinct_id_texts(code["order_id"]) if "order_id" in columns else np.array([], dtype=object)
    order_id = code["order_id"].spread(order_text, None) if "order_id" in columns else \
        np.full(len(raw), None, dtype=object)
    has_order = pd.notna(order_id)
    if "order_id" in columns and not has_order.any():
        issues.note("order_id", "no_order_ids")
    # Only lines of one order can be copies of each other: without an Order ID two equal rows may be two orders.
    duplicate = _duplicates(coded, skipped | ~has_order, issues) if has_order.any() else \
        np.zeros(len(raw), dtype=bool)
    skipped = skipped | duplicate
    # Only the rows still in play are evidence for how the column writes dates and numbers (not a
    # report's total line or its timestamp at the foot).
    order_date, date_notes, day_first = column_dates(code["order_date"].only(~skipped), plan.date_order, dialect)
    for kind, facts in date_notes:
        issues.note("order_date", kind, **facts)
    bad_date = ~skipped & pd.isna(order_date)
    issues.add(bad_date, "order_date", column["order_date"], "no_date")
    skipped = skipped | bad_date
    amount, amount_shown, cleaned, marks = _amounts(column, code, ~skipped, issues, decimal, dialect)
    bad_amount = ~skipped & np.isnan(amount)
    issues.add(bad_amount, "amount", amount_shown, "no_amount")
    keep = ~(skipped | bad_amount)
    if layout and layout.paid_out:
        keep &= ~paid_out_rows(raw, plan, amount, keep, issues)
    issues.add(keep & cleaned, "amount", amount_shown, "repaired")

    if has_order.any():
        cancelled = keep & (amount > 0) & code["order_id"].spread(cancelled_invoices(order_text), False)
    else:
        cancelled = np.zeros(len(raw), dtype=bool)
    issues.add(cancelled, "order_id", order_id, "cancelled")
    amount = np.where(cancelled, -amount, amount)
    if layout:
        key = code["customer_id"].spread(keys, None)
        amount, refund_marks = layout_amounts(raw, plan, amount, keep, key, order_id, issues)
        marks = {**marks, **refund_marks}
    issues.add(keep & (amount < 0), "amount", amount, "negative")

    key = code["customer_id"].spread(keys, None)
    extras: dict[str, np.ndarray] = {extra: code[extra].spread(stripped_texts(code[extra].distinct), None)
              for extra in ("customer_name", "email", "product_name") if extra in columns}
    if "product" in columns:  # a code as the ID rules read it: 85123 and 85123.0 are one product, 00042 keeps its zeros
        extras["product"] = code["product"].spread(distinct_id_texts(code["product"]), None)
    if "product_name" in columns:  # an order line named but not coded is the product of that name
        extras["product"] = extras["product_name"] if "product" not in columns else \
            np.where(pd.isna(extras["product"]), extras["product_name"], extras["product"])
    lines = as_frame({"customer_id": key, "customer": customer, "order_id": order_id, "order_date": order_date,
                      "amount": amount, "source_row": issues.rows, **extras}, keep)
    if len(set(customer_text)) > len(set(keys)):  # some spellings differ only by spaces or case
        _report_merged_spellings(lines, issues)
    money = code["amount"] if "amount" in columns else code["price"]
    return CleanOrders(lines, issues.table(), len(raw), columns, amount, currency_symbol(money.distinct), headed,
                       first_row, plan.decided(marks, day_first))


def reading_plan(raw: pd.DataFrame, first_row: int = 2, sheet: str = "Orders", date_order: str = DATE_AUTO,
                 chosen: dict[str, str] | None = None, decimal: str = DECIMAL_AUTO,
                 dialect: Dialect | None = None) -> ReadingPlan:
    """The reading plan of raw order rows (``normalise`` takes the same parameters)."""
    return plan_reading(list(raw.columns), raw.head(HEADER_SEARCH_ROWS + 1), first_row, sheet, chosen, date_order,
                        decimal, dialect)


def zero_orders(lines: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Orders worth nothing (free samples, every line at 0; or refunded in full), listed on the first line
    of each: they are not purchases, so the list makes Frequency agree with a hand count. ``lines`` as
    ``normalise`` gives them; lines of one customer and Order ID are one order, a line without one is alone."""
    free = lines["amount"].to_numpy() == 0
    if not free.any():
        return no_issues()
    with_id = lines["order_id"].notna().to_numpy()
    worthless = free & ~with_id  # a line without an Order ID is an order of its own
    # Only an order with a line at 0 can be worth nothing: the others are left out before grouping.
    candidates = with_id & lines["order_id"].isin(set(lines["order_id"].to_numpy()[free & with_id])).to_numpy()
    if candidates.any():
        rows = np.flatnonzero(candidates)
        orders = pd.DataFrame({"c": lines["customer_id"].to_numpy()[rows], "o": lines["order_id"].to_numpy()[rows]})
        every_line_free = pd.Series(free[rows]).groupby([orders["c"], orders["o"]]).transform("all").to_numpy()
        worthless[rows[every_line_free & ~orders.duplicated().to_numpy()]] = True
    order_ids = lines["order_id"].to_numpy()[worthless]
    return zero_order_issues(lines["source_row"].to_numpy()[worthless], order_ids, columns)


def zero_order_issues(rows: np.ndarray, order_ids: np.ndarray, columns: Mapping[str, str]) -> pd.DataFrame:
    """The issues listing orders worth nothing at the first line of each (``rows``), by their Order ID (None for
    a line without one: its amount is named instead); every executor words them here."""
    with_id = pd.notna(order_ids)
    return issue_rows("zero_order", rows, np.where(with_id, columns.get("order_id", LABELS["order_id"]),
                                                   columns.get("amount", LABELS["amount"])),
                      np.where(with_id, order_ids, "0"))


def _duplicates(coded: list[Coded], skipped: np.ndarray, issues: IssueList) -> np.ndarray:
    """Exact copies of an earlier line (every cell equal): reported and counted once.

    Rows already ``skipped`` for another reason are left to that reason.
    """
    candidates = np.flatnonzero(~skipped)
    line, size = np.zeros(len(candidates), dtype=np.int64), 1  # one number per distinct line, from the codes
    for column in coded:
        width = len(column.typed) + 1
        if size * width >= 1 << 62:  # renumber before the next column would overflow
            line, distinct = pd.factorize(line)
            size = len(distinct)
        line, size = line * width + column.codes[candidates] + 1, size * width
    line = pd.factorize(line)[0]  # numbered in order of first appearance, so a line is new where the top rises
    top = np.maximum.accumulate(line)
    new = np.concatenate(([True], top[1:] > top[:-1]))[:len(line)]
    copies = ~new
    duplicate = np.zeros(len(skipped), dtype=bool)
    if not copies.any():
        return duplicate
    duplicate[candidates[copies]] = True
    first = np.flatnonzero(new)  # where each distinct line first appears
    issues.add(duplicate, "order_id", np.full(len(skipped), "", dtype=object), "copy",
               first_row=issues.rows[candidates[first[line[copies]]]].tolist())
    return duplicate


def _report_merged_spellings(lines: pd.DataFrame, issues: IssueList) -> None:
    first = lines.groupby("customer_id", sort=False)["customer"].transform("first")
    differs = (lines["customer"] != first).to_numpy()
    if differs.any():
        issues.extend(issue_rows("spelling", lines.loc[differs, "source_row"].to_numpy(),
                                       issues.columns["customer_id"], lines.loc[differs, "customer"].to_numpy(),
                                       first=first[differs].tolist()))


def _amounts(column: dict[str, pd.Series], code: dict[str, Coded], in_play: np.ndarray, issues: IssueList,
             setting: str, dialect: Dialect) -> tuple[np.ndarray, pd.Series | np.ndarray, np.ndarray, dict[str, str]]:
    """Line amounts of every row, the raw values to show for them, which were numbers written as text, and the
    decimal mark of each column of numbers written as text (by header), decided from the values of the rows
    ``in_play`` (``decimal_mark``) and noted where it needed deciding.

    Without an Amount column the amount is Quantity x Price, reported under both headers.
    """
    marks: dict[str, str] = {}

    def numbers(name: str) -> tuple[np.ndarray, np.ndarray]:
        read, cleaned, mark = noted_numbers(code[name], name, issues, setting, dialect, code[name].only(in_play))
        if mark is not None:
            marks[issues.label(name)] = mark
        return read, cleaned

    if "amount" in column:
        amount, cleaned = numbers("amount")
        return amount, column["amount"], cleaned, marks
    quantity, cleaned_quantity = numbers("quantity")
    price, cleaned_price = numbers("price")
    shown = np.array([f"{shown_value(q)} × {shown_value(p)}"
                      for q, p in zip(column["quantity"], column["price"], strict=True)], dtype=object)
    return quantity * price, shown, cleaned_quantity | cleaned_price, marks

