"""The words of the Data Issues: one table gives each kind of issue (base/reading/issues.py's codes) its Problem
and Action words and what the run summary counts it as; the records' facts fill them in. The Data Issues sheet,
the run note and the summaries all word the records here, and count them by their codes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..base.reading.plan import COMMA
from .headers import headers

ISSUE_HEADERS = headers(["row", "column", "value", "problem", "action", "amount"])  # Data Issues, left to right


def _dates_read(facts: Mapping) -> str:
    """How a column's text dates were read (base/reading/dates.py's facts)."""
    order = "day/month" if facts["day_first"] else "month/day"
    why = {"settings": "as Settings say",
           "proof": f"because {facts.get('proof')} can only be {order}",
           "mixed": "because the column mixes both; values that fit only the other order were skipped",
           "locale": f"as the file's language ({facts.get('locale')}) writes dates so",
           "default": "as nothing in the column proves either order"}[facts["why"]]
    return (f"text dates such as {facts['sample']} read as {order} ({'dd/mm' if facts['day_first'] else 'mm/dd'}"
            f"/yyyy), {why}")


def _numbers_read(facts: Mapping) -> str:
    """How a column's numbers written as text were read (base/reading/numbers.py's facts)."""
    name = "comma" if facts["mark"] == COMMA else "point"
    why = {"settings": "as Settings say",
           "mixed": "because the column mixes both; values that fit only the other mark were skipped",
           "proof": f"because {facts.get('proof')} can only have a decimal {name}",
           "only": "the only reading that fits them",
           "semicolons": "as the file is separated by semicolons, as decimal-comma countries write CSV files",
           "locale": f"as the file's language ({facts.get('locale')}) writes numbers so",
           "commas": "as the file is separated by commas, which rules out decimal commas left unquoted"}[facts["why"]]
    shown = "unreadable" if facts["read"] is None else f"{facts['read']:.{facts['decimals']}f}"
    return f"numbers such as {facts['sample']} read with a decimal {name} (as {shown}), {why}"


def _export_read(facts: Mapping) -> str:
    """How an export was read (base/reading/layouts.py's facts), in a sentence of the run note."""
    amount = facts["amount"] or ""
    if facts["kept"]:
        amount += f" (or {facts['kept']} where an order was partly refunded)"
    if facts["refunded"]:
        amount += f" less {facts['refunded']}"
    if facts["per_order"]:
        amount += ", once per order"
    rules = [f"{header} {', '.join(v.capitalize() for v in values)}" for header, values in facts["not_purchase"]]
    rules += [f"a filled {header}" for header in facts["filled"]]
    not_purchase = f"; no purchase: {', '.join(rules)}" if rules else ""
    return (f"read as {facts['layout']}: customer {facts['customer']}, order {facts['order'] or 'none'}, "
            f"date {facts['date']}, amount {amount}{not_purchase}")


@dataclass(frozen=True)
class IssueKind:
    """The words of one kind of issue.

    problem : the Problem words; fields in braces ({as_of}) are filled from each record's facts (its detail),
        or a function of those facts makes them (how a column was read).
    action : the Action words.
    summary : what the run's one-line summary and the Data Issues totals count it as (braces filled as the
        problem's); None for a note, which is not counted.
    skipped : the row was not used.
    note : a note about a whole column or the whole sheet, with no row.
    value : the Value words, where the record's facts make them (a copy names the row it copies).
    """

    problem: str | Callable[[Mapping], str]
    action: str
    summary: str | None = None
    skipped: bool = False
    note: bool = False
    value: str | None = None


REPAIRED, AS_RETURNS, NETTED = "values repaired", "cancelled invoices counted as returns", "returns and refunds netted"
KINDS = {
    # rows skipped
    "no_customer": IssueKind("no customer ID (blank, or an error such as #N/A)", "skipped", "no customer ID", True),
    "not_purchase": IssueKind("cancelled, voided or unpaid: not a purchase", "skipped", "cancelled, voided or unpaid",
                              True),
    "copy": IssueKind("exact copy of an earlier line", "skipped (counted once)", "exact copy of an earlier line", True,
                      value="same as row {first_row}"),
    "no_date": IssueKind("not a date (blank, text, or an error such as #N/A)", "skipped", "not a date", True),
    "no_amount": IssueKind("not a number (blank, text, or an error)", "skipped", "not a number", True),
    "paid_out": IssueKind("money paid out (a withdrawal or a payment to a supplier), not a sale", "skipped",
                          "money paid out", True),
    "late": IssueKind("after the as-of date {as_of:%Y-%m-%d}", "skipped", "after the as-of date {as_of:%Y-%m-%d}",
                      True),
    # rows used, something done
    "repaired": IssueKind("number written as text", "repaired: read as a number", REPAIRED),
    "merged_cell": IssueKind("merged cell over rows {top}-{bottom}", "repaired: value used on each row", REPAIRED),
    "cancelled": IssueKind("cancelled invoice with a positive amount", "counted as a return (amount made negative)",
                           AS_RETURNS),
    "credit_note": IssueKind("a credit note or refund", "counted as a return (amount made negative)", AS_RETURNS),
    "negative": IssueKind("negative amount: a return, refund or credit", "netted into Monetary; not a purchase",
                          NETTED),
    "refunded": IssueKind("refunded", "netted into Monetary", NETTED),
    "spelling": IssueKind("same customer as {first!r} apart from spaces or capitals", "merged", "ID spellings merged"),
    "zero_order": IssueKind("order worth nothing (free, or refunded in full)", "not counted as a purchase",
                            "orders worth nothing"),
    "unscored": IssueKind("no purchase: only returns or zero-value orders (net {net:,.2f})", "customer not scored",
                          "customers with no purchase (only returns)"),
    # notes on a whole column
    "export": IssueKind(_export_read, "recognised by its headers; name the columns in Settings to read it otherwise",
                        note=True),
    "no_order_ids": IssueKind("the Order ID column is empty, so each row is an order of its own",
                              "equal rows all counted: without an Order ID they may be two orders on one day",
                              note=True),
    "date_order": IssueKind(_dates_read, "read that way; change 'Dates are written' in Settings if wrong", note=True),
    "zones": IssueKind("times with a time zone, such as {sample}: the date is taken as written, the zone left out",
                       "read that way: an order keeps the day the shop's export gives it", note=True),
    "decimal_mark": IssueKind(_numbers_read, "read that way; change 'Decimal mark' in Settings if wrong", note=True),
    "filtered": IssueKind("{lines:,} order lines are outside the filter {label} and were not scored",
                          "left out by the filter", note=True),
}
# What the summaries count the rows used but changed as, in the order they list them
SUMMARY_PHRASES = tuple(dict.fromkeys(kind.summary for kind in KINDS.values()
                                      if kind.summary and not kind.skipped and not kind.note))


def _filled(words: str | Callable[[Mapping], str], details: np.ndarray) -> np.ndarray:
    """``words`` filled with each record's facts; records sharing one dict of facts are worded once."""
    shared = pd.factorize(np.fromiter(map(id, details), dtype=np.int64, count=len(details)))[0]
    first = np.unique(shared, return_index=True)[1]  # the first record of each dict of facts
    said = [words(details[i]) if callable(words) else words.format(**details[i]) for i in first]
    return np.array(said, dtype=object)[shared]


def _worded(issues: pd.DataFrame, *parts: Callable[[IssueKind], str | Callable[[Mapping], str] | None],
            ) -> list[np.ndarray]:
    """Per record, each of these parts of its kind's words (None where the kind has none), filled with its facts:
    the words of a kind without facts are taken by its code, the others filled row by row."""
    codes, names = pd.factorize(issues["kind"])
    details = issues["detail"].to_numpy(dtype=object)
    found = []
    for part in parts:
        words = [part(KINDS[name]) for name in names]
        fixed = np.array([None if callable(w) or (w and "{" in w) else w for w in words] + [None], dtype=object)
        said = fixed[codes]  # a code of -1 (none) takes the None at the end
        for code, each in enumerate(words):
            if each is not None and fixed[code] is None:
                these = codes == code
                said[these] = _filled(each, details[these])
        found.append(said)
    return found


def issue_table(issues: pd.DataFrame) -> pd.DataFrame:
    """The Data Issues table as the owner reads it (ISSUE_HEADERS), one row per record, in its order.

    >>> from rfm_excel.base.reading.issues import issue_rows, merged_issues, note_row
    >>> issues = merged_issues(issue_rows("copy", [4], "Order ID", "", first_row=[3]),
    ...                        note_row("zones", "Order Date", sample="2024-03-05 10:00 PDT"))
    >>> issue_table(issues)[["Row", "Value", "Problem"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [[None, '', 'times with a time zone, such as 2024-03-05 10:00 PDT: the date is taken as written, the zone
      left out'], [4, 'same as row 3', 'exact copy of an earlier line']]
    """
    value, problem, action = _worded(issues, lambda kind: kind.value, lambda kind: kind.problem,
                                     lambda kind: kind.action)
    shown = np.where(pd.isna(value), issues["value"].to_numpy(dtype=object), value)
    return pd.DataFrame(dict(zip(ISSUE_HEADERS, (issues["row"].to_numpy(), issues["column"].to_numpy(), shown, problem,
                                                 action, issues["amount"].to_numpy(dtype=float)), strict=True)))


def summary_kinds(issues: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per record, what the run summary counts it as (None for a note) and whether its row was skipped: from
    its kind (and, for a kind whose phrase names a fact, such as the as-of date, that fact)."""
    counted, = _worded(issues, lambda kind: None if kind.note else kind.summary)
    codes, names = pd.factorize(issues["kind"])
    return counted, np.array([KINDS[name].skipped for name in names], dtype=bool)[codes]


def notes_said(issues: pd.DataFrame) -> list[str]:
    """The notes about whole columns (records without a row), as sentences of the run summary."""
    notes = issues[issues["row"].isna().to_numpy()]
    said, = _worded(notes, lambda kind: kind.problem)
    return [f"{text[0].upper()}{text[1:]}." for text in said]
