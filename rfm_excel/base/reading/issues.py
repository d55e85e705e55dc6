"""Data Issues as coded records: what was skipped or changed on which sheet row, as data; the words an owner
reads for each kind of issue are the layout's (layout/issue_words.py), so that counts come from the codes.

A record is a row of the issues table, with these fields (ISSUE_FIELDS):

row : the sheet row (None for a note about a whole column or the whole sheet).
column : the header of the column it is about, as the source spells it.
value : the cell's value as shown (shown_value).
kind : its code (e.g. "no_customer", "copy", "date_order"): the layout's table of words is keyed by it.
amount : the row's amount as used (for a customer not scored, what their orders net to); NaN where unknown.
detail : the facts that fill the kind's words (a dict, e.g. {"as_of": "2024-06-30"} or, for a note on how a
    column was read, the sample, the reading and the reason it was chosen), or None where the kind needs none.

``detail`` is one column of small dicts rather than a column per fact: the kinds' facts have little in common
(a merged cell's top and bottom row, a first spelling, a filter's label...), and the few rows that carry
them would leave a dozen sparse columns empty on every other row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import LABELS
from .values import shown_value

ISSUE_FIELDS = ["row", "column", "value", "kind", "amount", "detail"]


def _each(value) -> bool:
    return isinstance(value, (list, np.ndarray, pd.Series))


def issue_rows(kind: str, rows, column, values, amounts=None, **facts) -> pd.DataFrame:
    """Issue records of one ``kind`` at these sheet ``rows`` (a scalar or one per row) of ``column``, showing
    ``values``; ``facts`` fill the kind's words (a sequence gives each row its own)."""
    table = pd.DataFrame({"row": rows, "column": column, "value": values, "kind": kind})
    table["amount"] = np.nan if amounts is None else amounts
    table["amount"] = table["amount"].astype(float)
    if any(_each(v) for v in facts.values()):
        each = {k: v if _each(v) else [v] * len(table) for k, v in facts.items()}
        details: list[dict | None] = [dict(zip(each, row, strict=True)) for row in zip(*each.values(), strict=True)]
    else:
        details = [facts or None] * len(table)  # one dict for every row: the same facts
    table["detail"] = pd.Series(details, index=table.index, dtype=object)
    return table[ISSUE_FIELDS]


def note_row(kind: str, column: str, **facts) -> pd.DataFrame:
    """A note of ``kind`` about a whole ``column`` (no row), with the ``facts`` its words need."""
    return pd.DataFrame({"row": [None], "column": [column], "value": [""], "kind": [kind], "amount": [np.nan],
                         "detail": pd.Series([facts or None], dtype=object)})


def no_issues() -> pd.DataFrame:
    """An issues table without a record."""
    return pd.DataFrame({field: pd.Series(dtype=float if field == "amount" else object) for field in ISSUE_FIELDS})


def merged_issues(*parts: pd.DataFrame | None) -> pd.DataFrame:
    """Issue records from several places (None: none from there), in sheet row order (notes first)."""
    found = [part for part in parts if part is not None and len(part)]
    if not found:
        return no_issues()
    table = pd.concat(found, ignore_index=True) if len(found) > 1 else found[0]
    return table[ISSUE_FIELDS].sort_values("row", kind="stable", na_position="first", ignore_index=True)


class IssueList:
    """Collects the issue records of one reading, for the Data Issues sheet: ``rows`` are the sheet rows of the
    lines, ``columns`` the header each canonical column's issues name."""

    def __init__(self, rows: np.ndarray, columns: dict[str, str]):
        self.rows, self.columns = rows, dict(columns)
        self.parts: list[pd.DataFrame] = []

    def add(self, mask: np.ndarray, column: str, values, kind: str, **facts) -> None:
        """Issues of ``kind`` at the rows of ``mask``, showing their ``values``; ``facts`` as issue_rows takes
        them, a sequence giving each row of ``mask`` its own."""
        if mask.any():
            shown = values[mask] if isinstance(values, (np.ndarray, pd.Series)) else np.asarray(values)[mask]
            self.parts.append(issue_rows(kind, self.rows[mask], self.label(column), [shown_value(v) for v in shown],
                                         **facts))

    def note(self, column: str | None, kind: str, **facts) -> None:
        """A note of ``kind`` about a whole column (None: about the whole sheet), with no row number."""
        self.parts.append(note_row(kind, "" if column is None else self.label(column), **facts))

    def extend(self, records: pd.DataFrame) -> None:
        """Issue records made elsewhere (issue_rows), with the others."""
        self.parts.append(records)

    def label(self, column: str) -> str:
        """The header an issue names for a canonical column (or a header)."""
        return self.columns.get(column, LABELS.get(column, column))

    def table(self) -> pd.DataFrame:
        return merged_issues(*self.parts)
