"""More than three letters: returns, complaints and enquiries from optional order columns.

When the orders carry a Returned, Complaint or Enquiry column, the Scores table gains, per
customer: returns (orders with a return) and their share of what the customer bought,
complaints, enquiries and tenure (days since the first purchase), each with a 1-5 score, and a
Watch note for customers who cost more than they bring.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..base.orders import header_key, parse_numbers
from ..base.settings import Settings
from . import scoring

EVENT_HEADERS = {  # event -> header spellings (compared without case, spaces or punctuation)
    "returned": ["returned", "return", "returns", "returned amount", "return amount", "returned value"],
    "complaint": ["complaint", "complaints", "complained"],
    "enquiry": ["enquiry", "enquiries", "inquiry", "inquiries"],
}
COUNT_COLUMNS = {"returned": "returns", "complaint": "complaints", "enquiry": "enquiries"}
MARKS = {"yes", "y", "x", "true", "returned"}  # text meaning "this line has one"
LEVELS = 5


def event_columns(headers: list) -> dict[str, str]:
    """Event -> the order header that carries it, for the events whose column is present."""
    found = {}
    for header in headers:
        for event, spellings in EVENT_HEADERS.items():
            if event not in found and header_key(header) in {header_key(s) for s in spellings}:
                found[event] = header
    return found


def customer_events(raw: pd.DataFrame, lines: pd.DataFrame, first_row: int, found: dict[str, str],
                    purchases: pd.Series) -> pd.DataFrame:
    """Per customer key: counts of orders with a return, complaint or enquiry, the returned value, the
    gross value bought (positive lines) and the number of purchases.

    A cell counts when it holds a number above 0 or a mark such as Yes or x. A Returned column of
    amounts (any number other than 0 or 1) gives the returned value; a column of marks returns the
    whole line. Several lines of one order count as one order. ``purchases``: per customer key, as the
    per-customer table counts them.
    """
    rows = lines["source_row"].to_numpy() - first_row
    customer = lines["customer_id"].to_numpy()
    order = lines["order_id"].where(lines["order_id"].notna(), "row " + lines["source_row"].astype(str)).to_numpy()
    amount = lines["amount"].to_numpy()
    table = pd.DataFrame(index=pd.Index(pd.unique(customer), name="customer_id"))
    for event, header in found.items():
        values = raw[header].to_numpy(dtype=object)[rows]
        numbers = parse_numbers(values)
        text_mark = pd.Series(values, dtype=object).astype(str).str.strip().str.lower().isin(MARKS).to_numpy()
        marked = (np.nan_to_num(numbers) > 0) | text_mark
        table[COUNT_COLUMNS[event]] = pd.DataFrame({"customer": customer[marked], "order": order[marked]}) \
            .drop_duplicates().groupby("customer").size()
        if event == "returned":
            amounts = np.isin(numbers[~np.isnan(numbers)], (0.0, 1.0), invert=True).any()
            whole_line = text_mark | (marked & ~amounts)
            value = np.where(whole_line, np.abs(amount), np.abs(np.nan_to_num(numbers)) if amounts else 0.0)
            table["returned"] = pd.Series(value).groupby(customer).sum()
    table["gross"] = pd.Series(np.clip(amount, 0, None)).groupby(customer).sum()
    table["purchases"] = purchases
    return table.fillna(0)


def add_event_scores(scores: pd.DataFrame, keys, events: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The Scores table with the event columns, their 1-5 scores (5 best), tenure and Watch added.

    Fewer returns (as a share of revenue) and fewer complaints score higher; more enquiries and a
    longer tenure score higher. Watch notes returns of at least ``watch_return_share`` of what was
    bought, or at least ``watch_complaint_rate`` complaints per order.
    """
    events = events.reindex(keys).fillna(0)
    table = scores.copy()
    measures = {}  # field -> (values, higher is better)
    if "returns" in events:
        table["returns"] = events["returns"].to_numpy(dtype=int)
        share = np.where(events["gross"] > 0, events["returned"] / events["gross"].where(events["gross"] > 0, 1), 0.0)
        table["return_share"] = np.round(share, 4)
        measures["returns_score"] = (share, False)
    if "complaints" in events:
        table["complaints"] = events["complaints"].to_numpy(dtype=int)
        measures["complaints_score"] = (table["complaints"].to_numpy(), False)
    if "enquiries" in events:
        table["enquiries"] = events["enquiries"].to_numpy(dtype=int)
        measures["enquiries_score"] = (table["enquiries"].to_numpy(), True)
    assert settings.as_of is not None  # set before scoring
    table["tenure_days"] = (pd.Timestamp(settings.as_of) - table["first_order"]).dt.days
    measures["tenure_score"] = (table["tenure_days"].to_numpy(), True)
    for field, (values, higher_is_better) in measures.items():
        internal = scoring.quantile_scores(values, LEVELS, higher_is_better)
        table[field] = scoring.shown_scores(internal, LEVELS, settings).astype(int)
    table["watch"] = _watch(table, events, settings)
    return table


def _watch(table: pd.DataFrame, events: pd.DataFrame, settings: Settings) -> np.ndarray:
    notes = pd.Series("", index=table.index)
    if "return_share" in table:
        high = (table["return_share"] >= settings.watch_return_share) & (table["return_share"] > 0)
        notes[high] = "returns " + (table["return_share"][high] * 100).round().astype(int).astype(str) + \
            "% of purchases"
    if "complaints" in table:
        purchases = events["purchases"].to_numpy(dtype=int)
        rate = table["complaints"] / np.maximum(purchases, 1)
        many = (table["complaints"] > 0) & (rate >= settings.watch_complaint_rate)
        text = _count(table["complaints"], "complaint") + " in " + _count(pd.Series(purchases, index=table.index),
                                                                           "order")
        notes[many] = np.where(notes[many] != "", notes[many] + "; ", "") + text[many]
    cells = notes.to_numpy(dtype=object)
    cells[cells == ""] = None  # a blank cell, not an empty text
    return cells


def _count(numbers: pd.Series, noun: str) -> pd.Series:
    """'1 complaint', '3 complaints'."""
    return numbers.astype(str) + " " + noun + np.where(numbers == 1, "", "s")
