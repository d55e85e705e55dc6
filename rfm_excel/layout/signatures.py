"""How the tool tells its own sheets from the owner's: by its mark, or, on a workbook scored before there were
marks (rfm-excel 0.1.0), by what those sheets looked like then.

A sheet written by 0.1.0 carries no mark. Its signature is the text of its cell A1 (the title, or the first
header of a sheet without one; a title may be followed by the orders scored, "Scores (Country is UK)") and the
cells its top rows must hold (the headers of its table). These are a
record of what that version wrote, kept as it was: the layouts of today may change, the files already out
there do not. tests/data/legacy holds a workbook that version wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..base import sheet_names as names
from ..base.settings import SETTING_ROWS

SIGNATURE_ROWS = 60  # the top rows read to recognise a sheet


@dataclass(frozen=True)
class Signature:
    """Cell A1 is one of ``titles`` (any, when there are none), each of ``texts`` is a cell of the top rows, and,
    when there are ``labels``, one of them stands in column A (any case)."""

    titles: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    labels: frozenset[str] = frozenset()


SIGNATURES = {
    names.START_HERE: Signature(("Score your customers in five steps", "Your customers")),
    # Any sheet of settings the tool reads: its own, or one an owner typed by docs/workbook.md.
    names.SETTINGS: Signature(labels=frozenset(row.label.casefold() for row in SETTING_ROWS)),
    names.SCORES: Signature(("Customer ID",), ("Recency (days)", "Frequency", "Monetary", "RFM Code", "Segment")),
    names.SEGMENTS: Signature(("Customer segments",), ("Segment", "Customers", "% of Customers", "Recommended Action")),
    names.DATA_ISSUES: Signature(("Data issues",), ("Row", "Column", "Value", "Problem", "Action")),
    names.CONTACT_PLAN: Signature(("Contact plan",), ("Customer ID", "Segment", "Plan", "Contact On", "Reason")),
    names.MOVEMENT: Signature(("Movement between segments",), ("Customer ID", "Segment Then", "Segment Now")),
    names.CAMPAIGN_RESULTS: Signature(("Campaign results",), ("Segment", "Test Customers", "Control Customers")),
    names.SCORE_HISTORY: Signature(("Score history",), ("Customer ID",)),
    names.FORECAST: Signature(("Forecast",), ("Repeat orders before the check",)),
    names.PRODUCTS: Signature(("Products",), ("Product", "Product Name")),
}


def looks_like(sheet: str, rows: list[list]) -> bool:
    """Whether ``rows`` (the top rows of a sheet's values) are laid out as the tool's sheet ``sheet`` was.

    Examples
    --------
    >>> looks_like("Data Issues", [["Data issues"], ["3 rows read"], ["Row", "Column", "Value", "Problem", "Action"]])
    True
    >>> looks_like("Data Issues", [["Data issues"], ["Problem", "Since", "Action"]])
    False
    """
    signature = SIGNATURES.get(sheet)
    if signature is None or not rows or not rows[0]:
        return False
    top = rows[:SIGNATURE_ROWS]
    texts = {value.strip() for row in top for value in row if isinstance(value, str)}
    first = rows[0][0].strip() if isinstance(rows[0][0], str) else ""
    titled = not signature.titles or any(first == title or first.startswith(title + " (") for title in signature.titles)
    labelled = not signature.labels or any(row and isinstance(row[0], str) and row[0].strip().casefold()
                                           in signature.labels for row in top)
    return titled and labelled and texts.issuperset(signature.texts)


def placement(sheets: list[str], defined_names: Iterable[tuple[str, str]],
              top_rows: Callable[[list[str]], dict[str, list[list]]],
              recognise: Iterable[str] = names.TOOL_SHEETS) -> names.Placement:
    """Where the tool's sheets stand in a workbook with ``sheets`` and ``defined_names`` (name, reference):
    marked sheets are the tool's; an unmarked one named as one of the tool's sheets ``recognise`` lists (all, by
    default) is, when its top rows (``top_rows`` of a list of sheet names gives them, asked only for those)
    are laid out as that sheet was; every other sheet is the owner's."""
    marks = names.read_marks(defined_names, sheets)
    candidates = {found: sheet for sheet in recognise if sheet not in marks and sheet != names.ORDERS
                  and (found := names.find(sheets, sheet)) is not None and found not in marks.values()}
    rows = top_rows(list(candidates)) if candidates else {}
    return names.place(sheets, marks, [found for found, sheet in candidates.items()
                                       if looks_like(sheet, rows.get(found, []))])
