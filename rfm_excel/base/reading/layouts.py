"""The export layouts' line rules (base/exports.py says which apply to which system): an order's fields taken
from its first line, refunds joined to their order, rows that are no purchase, money paid out, credit notes,
an order's total counted once and refunds netted. They work on the lines in their order, in pandas; every
executor reads an export through them (readers/engine.py hands an export's lines to orders.normalise)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import blank
from .issues import IssueList
from .numbers import noted_numbers
from .plan import ReadingPlan
from .values import Coded


def layout_facts(plan: ReadingPlan) -> dict:
    """How an export was read, as the facts of its note (layout/issue_words.py words them): the layout's name,
    the header of each column it reads, whether an order's total is on each of its lines, and what marks a row
    as no purchase."""
    layout, columns, roles = plan.layout, plan.columns, plan.roles
    assert layout is not None  # said of exports only
    return {"layout": layout.name, "customer": columns["customer_id"], "order": columns.get("order_id"),
            "date": columns["order_date"], "amount": columns.get("amount"), "kept": roles.get("kept"),
            "refunded": roles.get("refunded"), "per_order": layout.amount_per_order,
            "not_purchase": tuple((header, tuple(values)) for header, values in layout.not_purchase.items()),
            "filled": tuple(layout.filled_not_purchase)}


def as_orders(raw: pd.DataFrame, plan: ReadingPlan) -> pd.DataFrame:
    """An export's rows as order lines: a refund row belongs to the order its reference names (its customer
    and Order ID taken from that order), and the fields written on an order's first line only are taken
    for all its lines."""
    assert plan.layout is not None  # an export's rows only
    frame, columns, roles = raw.copy(), plan.columns, plan.roles
    order = columns.get("order_id")
    if order is None:
        return frame
    if "reference" in roles:
        orders = pd.Series(frame[order].to_numpy(dtype=object))
        reference = pd.Series(frame[roles["reference"]].to_numpy(dtype=object))
        first_row_of = {v: r for r, v in reversed(list(enumerate(orders))) if not blank(v)}
        refers = np.array([not blank(v) and v in first_row_of for v in reference])
        if refers.any():
            source = np.array([first_row_of[v] for v in reference[refers]])
            for header in {order, columns["customer_id"]}:
                copied = frame[header].to_numpy(dtype=object).copy()
                copied[refers] = copied[source]
                frame[header] = copied
    present = [found for name in plan.layout.first_line_only if (found := plan.header(name)) is not None]
    if present:
        group = pd.Series(frame[order].to_numpy(dtype=object)).where(lambda v: ~v.map(blank))
        for header in present:
            values = pd.Series(frame[header].to_numpy(dtype=object))
            filled = values.where(~values.map(blank)).groupby(group).transform("first")
            frame[header] = values.where(~values.map(blank), filled).to_numpy(dtype=object)
    return frame


def not_purchases(raw: pd.DataFrame, plan: ReadingPlan, candidates: np.ndarray, issues: IssueList) -> np.ndarray:
    """Rows the export marks as no purchase (cancelled, voided, failed, unpaid), reported and skipped."""
    assert plan.layout is not None  # an export's rows only
    marked = np.zeros(len(raw), dtype=bool)
    for name, values in plan.layout.not_purchase.items():
        if (header := plan.header(name)) is None:
            continue
        cells = raw[header].to_numpy(dtype=object)
        hit = candidates & ~marked & np.array([not blank(v) and str(v).strip().casefold() in values for v in cells])
        issues.add(hit, header, cells, "not_purchase")
        marked |= hit
    for name in plan.layout.filled_not_purchase:
        if (header := plan.header(name)) is None:
            continue
        cells = raw[header].to_numpy(dtype=object)
        hit = candidates & ~marked & ~np.array([blank(v) for v in cells])
        issues.add(hit, header, cells, "not_purchase")
        marked |= hit
    return marked


def paid_out_rows(raw: pd.DataFrame, plan: ReadingPlan, amount: np.ndarray, keep: np.ndarray,
                  issues: IssueList) -> np.ndarray:
    """Rows of money the business paid out (a negative amount that refunds no order of the export), skipped."""
    roles = plan.roles
    reference = raw[roles["reference"]].to_numpy(dtype=object) if "reference" in roles else \
        np.full(len(raw), None, dtype=object)
    paid_out = keep & (amount < 0) & np.array([blank(v) for v in reference])
    issues.add(paid_out, "amount", amount, "paid_out")
    return paid_out


def layout_amounts(raw: pd.DataFrame, plan: ReadingPlan, amount: np.ndarray, keep: np.ndarray, key: np.ndarray,
                   order_id: np.ndarray, issues: IssueList) -> tuple[np.ndarray, dict[str, str]]:
    """The amounts as an export means them: returns made negative, an order's total counted once, refunds
    netted (what a partly refunded order kept, where the export gives that instead); and the decimal mark each
    refund column was read with, by header."""
    layout, roles, marks = plan.layout, plan.roles, {}
    assert layout is not None  # an export's rows only
    for name, values in layout.returns.items():
        if (header := plan.header(name)) is not None:
            cells = raw[header].to_numpy(dtype=object)
            hit = keep & (amount > 0) & np.array([not blank(v) and str(v).strip().casefold() in values
                                                  for v in cells])
            issues.add(hit, header, cells, "credit_note")
            amount = np.where(hit, -amount, amount)
    first = keep.copy()
    if layout.amount_per_order:  # the order's total on each of its lines: counted on the first
        kept = np.flatnonzero(keep)
        again = pd.DataFrame({"c": key[kept], "o": order_id[kept]}).duplicated().to_numpy()
        first[kept[again]] = False
        amount = np.where(keep & ~first, 0.0, amount)
    refund = np.zeros(len(raw))
    for role in ("kept", "refunded"):
        if role not in roles:
            continue
        read, _, mark = noted_numbers(Coded(raw[roles[role]].array), roles[role], issues, plan.decimal, plan.dialect)
        if mark is not None:
            marks[roles[role]] = mark
        numbers = np.nan_to_num(read)
        if role == "kept":
            numbers = np.where((numbers > 0) & (numbers < amount), amount - numbers, 0.0)
        refund += np.where(first & (numbers > 0), numbers, 0.0)
    refunded = roles.get("refunded", roles.get("kept"))
    if refunded is not None:  # else nothing was refunded
        issues.add(refund > 0, refunded, refund, "refunded")
    return amount - refund, marks
