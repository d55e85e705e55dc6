"""The one computation every door calls: raw orders + settings -> result tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import scoring, segments
from .errors import RfmError
from .orders import ISSUE_COLUMNS, CleanOrders, normalise
from .settings import Settings

DIMENSIONS = ("recency", "frequency", "monetary")
SUMMARY_PHRASES = {  # issue Action -> how the summary counts it
    "repaired": "values repaired", "counted as a return": "cancelled invoices counted as returns",
    "netted": "return lines netted", "merged": "ID spellings merged",
    "customer not scored": "customers with no purchase (only returns)"}


def counted(number: int, noun: str) -> str:
    """'1 customer', '2,000 customers'."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


@dataclass
class Result:
    """What a run produces.

    scores : one row per customer, best customers first.
    segments : one row per segment of the segment table.
    issues : rows of the orders that were skipped or repaired, and why.
    settings : the settings used (as_of filled in).
    rows_read, lines_used, orders, customers : counts for the run note.
    source : where the orders came from (a sheet or file name), for the issues list.
    """

    scores: pd.DataFrame
    segments: pd.DataFrame
    issues: pd.DataFrame
    settings: Settings
    rows_read: int
    lines_used: int
    orders: int
    customers: int
    source: str = "Orders"

    @property
    def as_of(self) -> dt.date:
        return self.settings.as_of

    def rows_summary(self) -> str:
        """One line accounting for every row read: used, skipped (and why), and what else was done."""
        table = self.issues
        line = f"{self.rows_read:,} order rows read, {self.lines_used:,} used"
        skipped = table["Action"].str.startswith("skipped")
        if skipped.any():
            reasons = table.loc[skipped, "Problem"].str.split(" [(:]", regex=True).str[0].value_counts()
            line += f", {skipped.sum():,} skipped (" + ", ".join(f"{n:,} {why}" for why, n in reasons.items()) + ")"
        done = []
        for start, phrase in SUMMARY_PHRASES.items():
            count = (table["Row"].notna() & table["Action"].str.startswith(start)).sum()
            if count:
                done.append(f"{count:,} {phrase}")
        notes = [f"{text[0].upper()}{text[1:]}." for text in table.loc[table["Row"].isna(), "Problem"]]
        return " ".join([line + ("; " + ", ".join(done) if done else "") + "."] + notes)

    def summary(self) -> str:
        """Two lines for a terminal or a status bar."""
        return (f"{self.rows_summary()}\n{counted(self.customers, 'customer')} scored from "
                f"{counted(self.orders, 'order')} "
                f"as of {self.as_of:%Y-%m-%d}.")


def score(orders: pd.DataFrame, settings: Settings | None = None, as_of: dt.date | None = None,
          first_row: int = 2, sheet: str = "Orders", read_issues: pd.DataFrame | None = None) -> Result:
    """Score every customer in a table of orders.

    Parameters
    ----------
    orders : DataFrame whose columns are the order sheet's headers (any of the recognised
        spellings, e.g. "Customer ID", "Invoice", "InvoiceDate", "Quantity", "Price").
    settings : Settings; defaults when None.
    as_of : overrides ``settings.as_of``.
    first_row, sheet : where ``orders`` came from, so the issues list names sheet rows.
    read_issues : what reading the sheet repaired, added to the issues list.

    Examples
    --------
    >>> import pandas as pd, rfm_excel
    >>> orders = pd.DataFrame({"Customer ID": ["A", "A", "B"], "Order Date": ["2024-01-05", "2024-03-01",
    ...                        "2024-02-10"], "Amount": [20.0, 30.0, 15.0]})
    >>> result = rfm_excel.score(orders)
    >>> result.scores[["Customer ID", "Recency (days)", "Frequency", "Monetary", "RFM Code"]].to_dict("records")
    [{'Customer ID': 'A', 'Recency (days)': 1, 'Frequency': 2, 'Monetary': 50.0, 'RFM Code': '444'}, \
{'Customer ID': 'B', 'Recency (days)': 21, 'Frequency': 1, 'Monetary': 15.0, 'RFM Code': '222'}]
    """
    settings = (settings or Settings()).with_as_of(as_of)
    clean = normalise(orders, first_row=first_row, sheet=sheet, date_order=settings.date_order,
                      chosen=settings.chosen_columns())
    if clean.lines.empty:
        raise RfmError(f"The {sheet} sheet has no usable orders: every row lacks a customer ID, a date or an amount.")
    if settings.as_of is None:
        settings = settings.with_as_of(scoring.default_as_of(clean.lines["order_date"]))
    lines, issues = _drop_after_as_of(clean, settings.as_of)
    if read_issues is not None:
        issues = _merge_issues(issues, read_issues)
    none_before = RfmError(f"No customer has a purchase on or before the as-of date {settings.as_of:%Y-%m-%d}; "
                           "check the As-of date in Settings.")
    if lines.empty:
        raise none_before
    orders_table = scoring.group_orders(lines)
    values = scoring.customer_values(orders_table, settings.as_of, settings.window_months)
    if values.empty:
        raise none_before
    table = _score_table(values, lines, settings)
    issues = _unscored(lines, values, issues, clean.columns["customer_id"])
    return Result(scores=table, segments=segments.summary(table, settings.segments), issues=issues,
                  settings=settings, rows_read=clean.rows_read, lines_used=len(lines),
                  orders=len(orders_table), customers=len(table), source=sheet)


def _drop_after_as_of(clean: CleanOrders, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    lines = clean.lines
    late = lines["order_date"].dt.normalize() > pd.Timestamp(as_of)
    if not late.any():
        return lines, clean.issues
    late_issues = pd.DataFrame({
        "Row": lines.loc[late, "source_row"], "Column": clean.columns["order_date"],
        "Value": lines.loc[late, "order_date"].dt.strftime("%Y-%m-%d"),
        "Problem": f"after the as-of date {as_of:%Y-%m-%d}", "Action": "skipped"})
    return lines[~late].reset_index(drop=True), _merge_issues(clean.issues, late_issues)


def _unscored(lines: pd.DataFrame, values: pd.DataFrame, issues: pd.DataFrame, column: str) -> pd.DataFrame:
    """Customers whose orders are all returns or worth nothing: listed, not scored."""
    left_out = lines[~lines["customer_id"].isin(values.index)]
    if left_out.empty:
        return issues
    per_customer = left_out.groupby("customer_id", sort=False).agg(
        row=("source_row", "min"), customer=("customer", "first"), net=("amount", "sum"))
    return _merge_issues(issues, pd.DataFrame({
        "Row": per_customer["row"].to_numpy(), "Column": column, "Value": per_customer["customer"].to_numpy(),
        "Problem": [f"no purchase: only returns or zero-value orders (net {net:,.2f})" for net in per_customer["net"]],
        "Action": "customer not scored"}))


def _merge_issues(*tables: pd.DataFrame) -> pd.DataFrame:
    merged = pd.concat([t for t in tables if len(t)], ignore_index=True) if any(len(t) for t in tables) else tables[0]
    return merged[ISSUE_COLUMNS].sort_values("Row", kind="stable", na_position="first", ignore_index=True)


def _score_table(values: pd.DataFrame, lines: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    columns = {"recency": "Recency (days)", "frequency": "Frequency", "monetary": "Monetary"}
    internal, shown, five_point = {}, {}, {}
    for dimension in DIMENSIONS:
        bins = settings.bins(dimension)
        internal[dimension] = scoring.dimension_scores(values[dimension], dimension, settings)
        shown[dimension] = scoring.shown_scores(internal[dimension], bins, settings)
        five_point[dimension] = scoring.on_five_point_scale(internal[dimension], bins)
    weights = [settings.recency_weight, settings.frequency_weight, settings.monetary_weight]
    total = sum(w * shown[d] for w, d in zip(weights, DIMENSIONS))
    best_first = -sum(w * internal[d] for w, d in zip(weights, DIMENSIONS))
    if all(float(w).is_integer() for w in weights):
        total = total.astype(int)
    first_seen = lines.drop_duplicates("customer_id").set_index("customer_id")
    table = pd.DataFrame({"Customer ID": first_seen["customer"].reindex(values.index).to_numpy()})
    for extra, header in (("customer_name", "Customer Name"), ("email", "Email")):
        if extra in lines and lines[extra].notna().any():
            latest = lines.dropna(subset=[extra]).sort_values("order_date").drop_duplicates("customer_id", keep="last")
            table[header] = latest.set_index("customer_id")[extra].reindex(values.index).to_numpy()
    table["First Order"] = values["first_order"].to_numpy()
    table["Last Order"] = values["last_order"].to_numpy()
    for dimension, header in columns.items():
        table[header] = values[dimension].to_numpy()
    table["Frequency"] = table["Frequency"].astype(int)
    table["Monetary"] = table["Monetary"].round(2)
    for dimension, letter in zip(DIMENSIONS, "RFM"):
        table[letter] = shown[dimension].astype(int)
    table["RFM Code"] = table["R"].astype(str) + table["F"].astype(str) + table["M"].astype(str)
    table["RFM Score"] = total
    table["Segment"] = segments.assign(five_point["recency"], five_point["frequency"], five_point["monetary"],
                                       settings.segments)
    order = np.lexsort((table["Customer ID"].to_numpy(), -table["Monetary"].to_numpy(), best_first))
    return table.iloc[order].reset_index(drop=True)
