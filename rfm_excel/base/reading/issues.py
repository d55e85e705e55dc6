"""Data Issues as coded records: each issue has a kind (a code), and this table gives every kind its Problem and
Action words and what the run summary counts it as, so that counts come from the codes, never from the words.

A record is a row of the issues table: Row (the sheet row; blank for a note on a whole column), Column, Value,
Problem, Action, Amount and Kind. The pandas reading, the engines and the scoring all word their issues here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .columns import LABELS
from .values import shown_value

ISSUE_COLUMNS = ["Row", "Column", "Value", "Problem", "Action"]


@dataclass(frozen=True)
class IssueKind:
    """The words of one kind of issue.

    problem : the Problem words; fields in braces ({as_of}) are filled per issue, and a note's own sentence
        (how a column was read) replaces them where the problem is None.
    action : the Action words.
    summary : what the run's one-line summary and the Data Issues totals count it as; None for the problem's
        own words (a skipped row's reason that names a date), and for a note, which is not counted.
    skipped : the row was not used.
    note : a note about a whole column or the whole sheet, with no row.
    """

    problem: str | None
    action: str
    summary: str | None = None
    skipped: bool = False
    note: bool = False


REPAIRED, AS_RETURNS, NETTED = "values repaired", "cancelled invoices counted as returns", "returns and refunds netted"
KINDS = {
    # rows skipped
    "no_customer": IssueKind("no customer ID (blank, or an error such as #N/A)", "skipped", "no customer ID", True),
    "not_purchase": IssueKind("cancelled, voided or unpaid: not a purchase", "skipped", "cancelled, voided or unpaid",
                              True),
    "copy": IssueKind("exact copy of an earlier line", "skipped (counted once)", "exact copy of an earlier line", True),
    "no_date": IssueKind("not a date (blank, text, or an error such as #N/A)", "skipped", "not a date", True),
    "no_amount": IssueKind("not a number (blank, text, or an error)", "skipped", "not a number", True),
    "paid_out": IssueKind("money paid out (a withdrawal or a payment to a supplier), not a sale", "skipped",
                          "money paid out", True),
    "late": IssueKind("after the as-of date {as_of}", "skipped", None, True),
    # rows used, something done
    "repaired": IssueKind("number written as text", "repaired: read as a number", REPAIRED),
    "merged_cell": IssueKind("merged cell over rows {top}-{bottom}", "repaired: value used on each row", REPAIRED),
    "cancelled": IssueKind("cancelled invoice with a positive amount", "counted as a return (amount made negative)",
                           AS_RETURNS),
    "credit_note": IssueKind("a credit note or refund", "counted as a return (amount made negative)", AS_RETURNS),
    "negative": IssueKind("negative amount: a return, refund or credit", "netted into Monetary; not a purchase",
                          NETTED),
    "refunded": IssueKind("refunded", "netted into Monetary", NETTED),
    "spelling": IssueKind("same customer as {first} apart from spaces or capitals", "merged", "ID spellings merged"),
    "zero_order": IssueKind("order worth nothing (free, or refunded in full)", "not counted as a purchase",
                            "orders worth nothing"),
    "unscored": IssueKind("no purchase: only returns or zero-value orders (net {net})", "customer not scored",
                          "customers with no purchase (only returns)"),
    # notes on a whole column
    "export": IssueKind(None, "recognised by its headers; name the columns in Settings to read it otherwise",
                        note=True),
    "no_order_ids": IssueKind("the Order ID column is empty, so each row is an order of its own",
                              "equal rows all counted: without an Order ID they may be two orders on one day",
                              note=True),
    "date_order": IssueKind(None, "read that way; change 'Dates are written' in Settings if wrong", note=True),
    "zones": IssueKind(None, "read that way: an order keeps the day the shop's export gives it", note=True),
    "decimal_mark": IssueKind(None, "read that way; change 'Decimal mark' in Settings if wrong", note=True),
    "filtered": IssueKind("{lines} order lines are outside the filter {label} and were not scored",
                          "left out by the filter", note=True),
}
Note = tuple[str, str]  # (kind, the note's own sentence) about a whole column


def issue_rows(kind: str, rows, column, values, amounts=None, **fields) -> pd.DataFrame:
    """Issue records of one ``kind`` at these sheet ``rows`` (a scalar or one per row) of ``column``, showing
    ``values``; ``fields`` fill the kind's Problem words (a sequence gives each row its own)."""
    words = KINDS[kind]
    assert words.problem is not None  # rows carry the table's words; only notes bring their own
    if any(isinstance(v, (list, np.ndarray, pd.Series)) for v in fields.values()):
        count = len(next(v for v in fields.values() if isinstance(v, (list, np.ndarray, pd.Series))))
        each = {k: v if isinstance(v, (list, np.ndarray, pd.Series)) else [v] * count for k, v in fields.items()}
        problem: object = [words.problem.format(**dict(zip(each, row, strict=True)))
                           for row in zip(*each.values(), strict=True)]
    else:
        problem = words.problem.format(**fields)
    table = pd.DataFrame({"Row": rows, "Column": column, "Value": values, "Problem": problem, "Action": words.action})
    if amounts is not None:
        table["Amount"] = amounts
    return table.assign(Kind=kind)


def note_row(kind: str, column: str, sentence: str | None = None, **fields) -> pd.DataFrame:
    """A note of ``kind`` about a whole column (no row): its own ``sentence``, or the kind's words."""
    words = KINDS[kind]
    problem = sentence if sentence is not None else (words.problem or "").format(**fields)
    return pd.DataFrame({"Row": [None], "Column": [column], "Value": [""], "Problem": [problem],
                         "Action": [words.action], "Kind": [kind]})


def summary_kinds(issues: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per issue: what the run summary counts it as (None for a note) and whether its row was skipped, from its
    Kind; a kind the table gives no summary is counted by its Problem words (a skipped row's reason that names
    a date). Worked out once per kind: a run has few, however many rows."""
    codes, names = pd.factorize(issues["Kind"].to_numpy(dtype=object))
    words = [KINDS[name] for name in names]
    counted = np.array([None if w.note else w.summary for w in words], dtype=object)[codes]
    own = np.array([not w.note and w.summary is None for w in words], dtype=bool)[codes]
    counted[own] = issues["Problem"].to_numpy(dtype=object)[own]
    return counted, np.array([w.skipped for w in words], dtype=bool)[codes]


class IssueList:
    """Collects the issue records of one reading, for the Data Issues sheet: ``rows`` are the sheet rows of the
    lines, ``columns`` the header each canonical column's issues name."""

    def __init__(self, rows: np.ndarray, columns: dict[str, str]):
        self.rows, self.columns = rows, dict(columns)
        self.parts: list[pd.DataFrame] = []

    def add(self, mask: np.ndarray, column: str, values, kind: str) -> None:
        """Issues of ``kind`` at the rows of ``mask``, showing their ``values``."""
        if mask.any():
            shown = values[mask] if isinstance(values, (np.ndarray, pd.Series)) else np.asarray(values)[mask]
            self.parts.append(issue_rows(kind, self.rows[mask], self.label(column), [shown_value(v) for v in shown]))

    def note(self, column: str | None, kind: str, sentence: str | None = None) -> None:
        """A note of ``kind`` about a whole column (None: about the whole sheet), with no row number."""
        self.parts.append(note_row(kind, "" if column is None else self.label(column), sentence))

    def extend(self, records: pd.DataFrame) -> None:
        """Issue records made elsewhere (issue_rows), with the others."""
        self.parts.append(records)

    def label(self, column: str) -> str:
        """The header an issue names for a canonical column (or a header)."""
        return self.columns.get(column, LABELS.get(column, column))

    def table(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in [*ISSUE_COLUMNS, "Kind"]})
        table = pd.concat(self.parts, ignore_index=True)
        return table.sort_values("Row", kind="stable", na_position="first", ignore_index=True)
