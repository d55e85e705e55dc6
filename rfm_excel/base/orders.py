"""Orders as the owner typed or exported them -> clean order lines, plus the list of what was wrong.

``normalise`` never drops a row silently: every row it does not use, and every value it
repairs, is one row of the returned issues table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import RfmError
from .exports import ExportLayout
from .reading.columns import HEADER_SEARCH_ROWS, LABELS, blank, header_key
from .reading.issues import ISSUE_COLUMNS, Note, issue_rows, note_row
from .reading.plan import (
    COMMA,
    DECIMAL_AUTO,
    DECIMAL_COMMA,
    DECIMAL_POINT,
    POINT,
    Dialect,
    ReadingPlan,
    plan_reading,
    under_header,
)


@dataclass
class CleanOrders:
    """Usable order lines and what was done to get them.

    ``lines`` has columns customer_id (the matching key), customer (as first spelled),
    order_id (None where absent), order_date (datetime64), amount (float), source_row, and
    customer_name/email when the orders carry them, and product (its code as text, or its name where the
    orders name products only) and product_name. ``issues`` has ISSUE_COLUMNS, one row per
    row skipped or repaired (Row blank for a note about a whole column). ``rows_read`` counts
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


class _Issues:
    """Collects issue rows for the Data Issues sheet."""

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

    def label(self, column: str) -> str:
        """The header an issue names for a canonical column (or a header)."""
        return self.columns.get(column, LABELS.get(column, column))

    def table(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in [*ISSUE_COLUMNS, "Kind"]})
        table = pd.concat(self.parts, ignore_index=True)
        return table.sort_values("Row", kind="stable", na_position="first", ignore_index=True)


def normalise(raw: pd.DataFrame, first_row: int = 2, sheet: str = "Orders", date_order: str = "Auto",
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
    headed, layout, columns, roles = raw, plan.layout, dict(plan.columns), dict(plan.roles)
    issues = _Issues(np.arange(first_row, first_row + len(raw)), {**columns, "amount": plan.amount_header})
    if layout:
        issues.note(None, "export", layout_note(plan))
        raw = _as_orders(raw, layout, columns, roles)
    column = {name: raw[header] for name, header in columns.items()}  # as read, for the issues list
    coded = [Coded(raw.iloc[:, i].array) for i in range(raw.shape[1])]
    code = {name: coded[list(raw.columns).index(header)] for name, header in columns.items()}

    customer_text = distinct_id_texts(code["customer_id"])
    keys = matching_keys(pa.array(customer_text, pa.string())).to_numpy(zero_copy_only=False)
    customer = code["customer_id"].spread(customer_text, None)
    no_customer = pd.isna(customer)
    issues.add(no_customer, "customer_id", column["customer_id"], "no_customer")
    skipped = no_customer | (_not_purchases(raw, layout, ~no_customer, issues) if layout else False)
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
    for kind, sentence in date_notes:
        issues.note("order_date", kind, sentence)
    bad_date = ~skipped & pd.isna(order_date)
    issues.add(bad_date, "order_date", column["order_date"], "no_date")
    skipped = skipped | bad_date
    marks: dict[str, str] = {}
    amount, amount_shown, cleaned = _amounts(column, code, ~skipped, issues, decimal, dialect, marks)
    bad_amount = ~skipped & np.isnan(amount)
    issues.add(bad_amount, "amount", amount_shown, "no_amount")
    keep = ~(skipped | bad_amount)
    if layout and layout.paid_out:
        keep &= ~_paid_out(raw, roles, amount, keep, issues)
    issues.add(keep & cleaned, "amount", amount_shown, "repaired")

    if has_order.any():
        cancelled = keep & (amount > 0) & code["order_id"].spread(cancelled_invoices(order_text), False)
    else:
        cancelled = np.zeros(len(raw), dtype=bool)
    issues.add(cancelled, "order_id", order_id, "cancelled")
    amount = np.where(cancelled, -amount, amount)
    if layout:
        key = code["customer_id"].spread(keys, None)
        amount = _layout_amounts(raw, layout, roles, amount, keep, key, order_id, issues, decimal, dialect, marks)
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


def reading_plan(raw: pd.DataFrame, first_row: int = 2, sheet: str = "Orders", date_order: str = "Auto",
                 chosen: dict[str, str] | None = None, decimal: str = DECIMAL_AUTO,
                 dialect: Dialect | None = None) -> ReadingPlan:
    """The reading plan of raw order rows (``normalise`` takes the same parameters)."""
    return plan_reading(list(raw.columns), raw.head(HEADER_SEARCH_ROWS + 1), first_row, sheet, chosen, date_order,
                        decimal, dialect)


def layout_note(plan: ReadingPlan) -> str:
    """How an export was read, in a sentence of the run note."""
    layout, columns, roles = plan.layout, plan.columns, plan.roles
    assert layout is not None  # said of exports only
    amount = columns.get("amount", "")
    if "kept" in roles:
        amount += f" (or {roles['kept']} where an order was partly refunded)"
    if "refunded" in roles:
        amount += f" less {roles['refunded']}"
    if layout.amount_per_order:
        amount += ", once per order"
    rules = [f"{h} {', '.join(v.capitalize() for v in values)}" for h, values in layout.not_purchase.items()]
    rules += [f"a filled {h}" for h in layout.filled_not_purchase]
    not_purchase = f"; no purchase: {', '.join(rules)}" if rules else ""
    return (f"read as {layout.name}: customer {columns['customer_id']}, order {columns.get('order_id', 'none')}, "
            f"date {columns['order_date']}, amount {amount}{not_purchase}")


def _as_orders(raw: pd.DataFrame, layout: ExportLayout, columns: dict[str, str], roles: dict[str, str]) -> pd.DataFrame:
    """An export's rows as order lines: a refund row belongs to the order its reference names (its customer
    and Order ID taken from that order), and the fields written on an order's first line only are taken
    for all its lines."""
    frame = raw.copy()
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
    by_key = {header_key(h): h for h in frame.columns if h is not None}
    present = [by_key[header_key(h)] for h in layout.first_line_only if header_key(h) in by_key]
    if present:
        group = pd.Series(frame[order].to_numpy(dtype=object)).where(lambda v: ~v.map(blank))
        for header in present:
            values = pd.Series(frame[header].to_numpy(dtype=object))
            filled = values.where(~values.map(blank)).groupby(group).transform("first")
            frame[header] = values.where(~values.map(blank), filled).to_numpy(dtype=object)
    return frame


def _not_purchases(raw: pd.DataFrame, layout: ExportLayout, candidates: np.ndarray, issues: _Issues) -> np.ndarray:
    """Rows the export marks as no purchase (cancelled, voided, failed, unpaid), reported and skipped."""
    by_key = {header_key(h): h for h in raw.columns if h is not None}
    marked = np.zeros(len(raw), dtype=bool)
    for header, values in layout.not_purchase.items():
        if header_key(header) not in by_key:
            continue
        cells = raw[by_key[header_key(header)]].to_numpy(dtype=object)
        hit = candidates & ~marked & np.array([not blank(v) and str(v).strip().casefold() in values for v in cells])
        issues.add(hit, by_key[header_key(header)], cells, "not_purchase")
        marked |= hit
    for header in layout.filled_not_purchase:
        if header_key(header) not in by_key:
            continue
        cells = raw[by_key[header_key(header)]].to_numpy(dtype=object)
        hit = candidates & ~marked & ~np.array([blank(v) for v in cells])
        issues.add(hit, by_key[header_key(header)], cells, "not_purchase")
        marked |= hit
    return marked


def _paid_out(raw: pd.DataFrame, roles: dict[str, str], amount: np.ndarray, keep: np.ndarray,
              issues: _Issues) -> np.ndarray:
    """Rows of money the business paid out (a negative amount that refunds no order of the export), skipped."""
    reference = raw[roles["reference"]].to_numpy(dtype=object) if "reference" in roles else \
        np.full(len(raw), None, dtype=object)
    paid_out = keep & (amount < 0) & np.array([blank(v) for v in reference])
    issues.add(paid_out, "amount", amount, "paid_out")
    return paid_out


def _layout_amounts(raw: pd.DataFrame, layout: ExportLayout, roles: dict[str, str], amount: np.ndarray,
                    keep: np.ndarray, key: np.ndarray, order_id: np.ndarray, issues: _Issues, decimal: str,
                    dialect: Dialect, marks: dict[str, str]) -> np.ndarray:
    """The amounts as an export means them: returns made negative, an order's total counted once, refunds
    netted (what a partly refunded order kept, where the export gives that instead)."""
    by_key = {header_key(h): h for h in raw.columns if h is not None}
    for header, values in layout.returns.items():
        if header_key(header) in by_key:
            cells = raw[by_key[header_key(header)]].to_numpy(dtype=object)
            hit = keep & (amount > 0) & np.array([not blank(v) and str(v).strip().casefold() in values
                                                  for v in cells])
            issues.add(hit, by_key[header_key(header)], cells, "credit_note")
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
        numbers = np.nan_to_num(_column_numbers(Coded(raw[roles[role]].array), roles[role], issues, decimal,
                                                dialect, marks)[0])
        if role == "kept":
            numbers = np.where((numbers > 0) & (numbers < amount), amount - numbers, 0.0)
        refund += np.where(first & (numbers > 0), numbers, 0.0)
    refunded = roles.get("refunded", roles.get("kept"))
    if refunded is not None:  # else nothing was refunded
        issues.add(refund > 0, refunded, refund, "refunded")
    return amount - refund


def zero_orders(lines: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Orders worth nothing (free samples, every line at 0; or refunded in full), listed on the first line
    of each: they are not purchases, so the list makes Frequency agree with a hand count. ``lines`` as
    ``normalise`` gives them; lines of one customer and Order ID are one order, a line without one is alone."""
    free = lines["amount"].to_numpy() == 0
    if not free.any():
        return pd.DataFrame(columns=ISSUE_COLUMNS)
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
                                                   columns.get("amount", "Amount")),
                      np.where(with_id, order_ids, "0"))


def as_frame(columns: Mapping[str, np.ndarray | pd.Categorical] | Mapping[int, np.ndarray | pd.Categorical],
             rows=slice(None)) -> pd.DataFrame:
    """A DataFrame of the given ``rows`` of numpy columns, each keeping its dtype (pandas would
    otherwise copy object columns of text into its own string type, a second per million rows)."""
    return pd.DataFrame({name: pd.Series(values[rows], dtype=values.dtype, copy=False)
                         for name, values in columns.items()}, copy=False)


def shown_value(value) -> str:
    """A raw value as text for the issues list."""
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)[:200]


def _duplicates(coded: list[Coded], skipped: np.ndarray, issues: _Issues) -> np.ndarray:
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
    shown = np.full(len(skipped), "", dtype=object)
    first = np.flatnonzero(new)  # where each distinct line first appears
    shown[candidates[copies]] = [f"same as row {r}" for r in issues.rows[candidates[first[line[copies]]]]]
    issues.add(duplicate, "order_id", shown, "copy")
    return duplicate


def _report_merged_spellings(lines: pd.DataFrame, issues: _Issues) -> None:
    first = lines.groupby("customer_id", sort=False)["customer"].transform("first")
    differs = (lines["customer"] != first).to_numpy()
    if differs.any():
        issues.parts.append(issue_rows("spelling", lines.loc[differs, "source_row"].to_numpy(),
                                       issues.columns["customer_id"], lines.loc[differs, "customer"].to_numpy(),
                                       first=[repr(v) for v in first[differs]]))


def cancelled_invoices(order_ids: np.ndarray) -> np.ndarray:
    """Order IDs such as C489449 where the other IDs are plain numbers: the usual mark of a
    cancelled invoice in order exports. IDs that carry letters anyway (A1, C1) mark nothing."""
    texts = pa.array(order_ids, pa.string())
    known, numbers = len(texts) - texts.null_count, pc.sum(pc.match_substring_regex(texts, "^[0-9]+$")).as_py()
    if not known or numbers < known / 2:
        return np.zeros(len(order_ids), dtype=bool)
    return pc.fill_null(pc.match_substring_regex(texts, r"^[Cc][0-9]+$"), False).to_numpy(zero_copy_only=False)


def _amounts(column: dict[str, pd.Series], code: dict[str, Coded], in_play: np.ndarray, issues: _Issues,
             setting: str, dialect: Dialect,
             marks: dict[str, str]) -> tuple[np.ndarray, pd.Series | np.ndarray, np.ndarray]:
    """Line amounts of every row, the raw values to show for them, and which were numbers written as text;
    each column's decimal mark decided from the values of the rows ``in_play`` (``decimal_mark``), put in
    ``marks`` and noted where it needed deciding.

    Without an Amount column the amount is Quantity x Price, reported under both headers.
    """
    def numbers(name: str) -> tuple[np.ndarray, np.ndarray]:
        return _column_numbers(code[name], name, issues, setting, dialect, marks, code[name].only(in_play))

    if "amount" in column:
        amount, cleaned = numbers("amount")
        return amount, column["amount"], cleaned
    quantity, cleaned_quantity = numbers("quantity")
    price, cleaned_price = numbers("price")
    shown = np.array([f"{shown_value(q)} × {shown_value(p)}"
                      for q, p in zip(column["quantity"], column["price"], strict=True)], dtype=object)
    return quantity * price, shown, cleaned_quantity | cleaned_price


# ---------------------------------------------------------------- per-distinct cleaners
# A million order lines hold far fewer distinct IDs, dates and amounts, so each cleaner
# converts the distinct values once and spreads the results back by their codes.


class Coded:
    """A column as codes into its distinct values (-1 for blank); TRUE/FALSE cells count as blank.

    ``distinct`` holds the values as Python objects, ``typed`` as numpy read them (floats, dates...).
    """

    def __init__(self, values):
        if isinstance(values, pd.Categorical):  # already coded (the typed read gives text columns so)
            self.codes, self.typed = values.codes.astype(np.int64), np.asarray(values.categories, dtype=object)
            return
        values = np.asarray(values)
        codes, distinct = pd.factorize(values, use_na_sentinel=True)
        # Hashing makes TRUE equal 1 and FALSE equal 0: look at the cells behind those two codes only.
        suspect = [] if values.dtype != object else [
            i for i, v in enumerate(distinct) if v.__class__ is bool or (isinstance(v, (int, float)) and v in (0, 1))]
        if suspect:
            rows = np.flatnonzero(np.isin(codes, suspect))
            logical = np.fromiter((values[r].__class__ is bool for r in rows), dtype=bool, count=len(rows))
            if logical.any():
                values = values.copy()
                values[rows[logical]] = None
                codes, distinct = pd.factorize(values, use_na_sentinel=True)
        self.codes, self.typed = codes, distinct

    def only(self, rows: np.ndarray) -> Coded:
        """The column with every row outside ``rows`` blank and only the values left among its distinct ones,
        where those values are evidence (text); a column of real numbers or dates is the same either way."""
        if rows.all() or self.typed.dtype.kind != "O" or not len(self.typed):
            return self
        codes = np.where(rows, self.codes, -1)
        used = np.bincount(codes[codes >= 0], minlength=len(self.typed)) > 0
        renumbered = np.cumsum(used) - 1
        narrowed = Coded.__new__(Coded)
        narrowed.typed = self.typed[used]
        narrowed.codes = np.where(codes >= 0, renumbered[np.maximum(codes, 0)], -1)
        return narrowed

    @cached_property
    def distinct(self) -> pd.Series:
        return pd.Series(self.typed, dtype=object)

    def spread(self, converted, missing) -> np.ndarray:
        """Per-row values from one converted value per distinct value; ``missing`` for blanks."""
        converted = np.asarray(converted)
        if not len(converted):
            return np.full(len(self.codes), missing, dtype=converted.dtype)
        result = converted.take(self.codes)
        result[self.codes < 0] = missing
        return result


def _column_numbers(coded: Coded, column: str, issues: _Issues, setting: str, dialect: Dialect,
                    marks: dict[str, str], evidence: Coded | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A column's numbers read with the decimal mark decided for it (``decimal_mark``) from its values, or those
    of ``evidence`` (the rows that count), put in ``marks`` (text columns only) and noted where it needed
    deciding; and which rows were numbers written as text."""
    if coded.typed.dtype.kind != "O":
        return column_numbers(coded)
    decided = decimal_mark((evidence or coded).distinct, setting, dialect, issues.columns.get(column, column))
    marks[issues.columns.get(column, column)] = decided.mark
    if decided.note:
        issues.note(column, "decimal_mark", decided.note)
    return column_numbers(coded, decided.mark)


# A text that starts and ends with a letter or digit and does not end in ".0" is its own ID text (id_text
# only trims white space and a trailing ".0"); one of printable ASCII without spaces is its own matching key
# but for capitals (customer_keys removes white space and folds case). tests/test_engines.py checks both
# against id_text and customer_keys; only the other texts go through them one by one.
_OWN_ID_TEXT = r"^[0-9A-Za-z](.*[0-9A-Za-z])?$"
_OWN_KEY = r"^[!-~]+$"


def id_texts(texts: pa.Array) -> pa.Array:
    """base/orders' id_text of each distinct text (null for none), as Arrow text."""
    own = pc.and_(pc.match_substring_regex(texts, _OWN_ID_TEXT),
                  pc.invert(pc.ends_with(texts, ".0"))).to_numpy(zero_copy_only=False)
    if own.all():
        return texts
    changed = np.flatnonzero(~own)
    result = texts.to_numpy(zero_copy_only=False).copy()
    result[changed] = [id_text(v) for v in result[changed]]
    return pa.array(result, pa.string())


def matching_keys(texts: pa.Array) -> pa.Array:
    """base/orders' customer_keys of ID texts (null stays null), as Arrow text."""
    own = pc.fill_null(pc.match_substring_regex(texts, _OWN_KEY), True).to_numpy(zero_copy_only=False)
    keys = pc.ascii_lower(texts)
    if own.all():
        return keys
    changed = np.flatnonzero(~own)
    result = keys.to_numpy(zero_copy_only=False).copy()
    result[changed] = customer_keys(texts.take(pa.array(changed)).to_pylist())
    return pa.array(result, pa.string())


def distinct_id_texts(coded: Coded) -> np.ndarray:
    """``id_text`` of each distinct value (a column of whole numbers, or of texts, at once)."""
    if coded.typed.dtype.kind == "f" and np.all(coded.typed % 1 == 0) and np.all(abs(coded.typed) < 2 ** 53):
        return coded.typed.astype(np.int64).astype(str).astype(object)
    if all(v.__class__ is str for v in coded.typed):
        return id_texts(pa.array(coded.typed, pa.string())).to_numpy(zero_copy_only=False)
    return np.array([id_text(v) for v in coded.distinct], dtype=object)


def id_text(value) -> str | None:
    """A cell's value as the text of an ID: 12345, 12345.0, '12345.0' and ' 12345 ' are '12345';
    '00123' keeps its zeros; a blank, NaN or TRUE/FALSE is None."""
    if value is None or isinstance(value, bool) or value != value:  # value != value: NaN
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text or None


def customer_keys(customers) -> np.ndarray:
    """The matching key of each customer ID text: no spaces, no capitals (None stays None)."""
    texts = customers.tolist() if hasattr(customers, "tolist") else customers  # not one Arrow scalar per element
    return np.array([None if v is None else "".join(v.split()).casefold() for v in texts], dtype=object)


def stripped_texts(values) -> np.ndarray:
    """Each value as text without surrounding spaces; a blank is None."""
    return np.array([str(v).strip() or None for v in values], dtype=object)


_MONEY_MARKS = re.compile(r"[\s'’£$€¥₹]|^[A-Z]{3}|[A-Z]{3}$")  # spaces and apostrophes: thousands marks too
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")  # what float() reads, less nan and inf


def number_value(value, decimal_mark: str | None = None) -> tuple[float, bool]:
    """A cell's value as a number (NaN where unreadable) and whether it was text needing more than
    a plain read: '£1,234.50', '(12.00)' (negative), 'GBP 7', '12,50 €' are read as numbers.

    ``decimal_mark`` is POINT or COMMA, as ``decimal_mark`` decided for the column; None reads
    each value with the mark it proves itself ('12,50' a comma, '1,234.50' a point), else a point.

    >>> number_value("1.120,00 €", COMMA), number_value("1,120.00"), number_value("0,5")
    ((1120.0, True), (1120.0, True), (0.5, True))
    """
    if value is None or isinstance(value, bool):
        return np.nan, False
    if isinstance(value, (int, float)):
        return float(value), False
    text = str(value).strip()
    if _PLAIN_NUMBER.match(text) and (decimal_mark != COMMA or "." not in text):
        return float(text), False
    negative = text.startswith("(") and text.endswith(")")
    core = _MONEY_MARKS.sub("", text.strip("()").upper())
    if core.startswith("-") and negative:
        return np.nan, False
    number = _read_number(core, decimal_mark or _proven_mark(core) or POINT)
    if np.isnan(number):
        return np.nan, False
    return (-number if negative else number), True


def _read_number(core: str, mark: str) -> float:
    """``core`` (signs and digits, money marks gone) read with ``mark`` as the decimal mark; the other
    mark may only group digits (1,234,567 or 12,34,567), with three digits in its last group."""
    thousands = COMMA if mark == POINT else POINT
    sign = -1.0 if core.startswith("-") else 1.0
    whole, _, fraction = core.lstrip("+-").partition(mark)
    groups = whole.split(thousands)
    if not (fraction.isdigit() or fraction == "") or not all(g.isdigit() for g in groups) or (
            len(groups) > 1 and not (len(groups[0]) <= 3 and len(groups[-1]) == 3
                                     and all(len(g) in (2, 3) for g in groups[1:]))):
        return np.nan
    digits = "".join(groups)
    return sign * float(f"{digits or 0}.{fraction or 0}") if digits or fraction else np.nan


def _proven_mark(core: str) -> str | None:
    """POINT or COMMA where only that mark reads ``core`` ('12.50', '100,50', '1.120,00'); None where
    either reads it the same (no mark at all) or differently ('1,234': 1234 or 1.234), or neither does."""
    point, comma = _read_number(core, POINT), _read_number(core, COMMA)
    if np.isnan(point) != np.isnan(comma):
        return COMMA if np.isnan(point) else POINT
    return None


def _ambiguous(core: str) -> bool:
    point, comma = _read_number(core, POINT), _read_number(core, COMMA)
    return not np.isnan(point) and not np.isnan(comma) and point != comma


# A locale's decimal mark and whether it writes the day before the month, for the languages and regions
# most exports come from (Unicode CLDR); a region listed wins over its language.
LOCALE_CONVENTIONS = {
    "en": (POINT, True), "en-us": (POINT, False), "en-ph": (POINT, False), "en-za": (COMMA, True),
    "zh": (POINT, False), "ja": (POINT, False), "ko": (POINT, False), "he": (POINT, True), "th": (POINT, True),
    "hi": (POINT, True), "ga": (POINT, True), "mt": (POINT, True),
    "de": (COMMA, True), "de-ch": (POINT, True), "de-li": (POINT, True), "fr": (COMMA, True),
    "it": (COMMA, True), "it-ch": (POINT, True), "es": (COMMA, True), "es-mx": (POINT, True),
    "es-us": (POINT, False), "pt": (COMMA, True), "nl": (COMMA, True), "sv": (COMMA, True), "da": (COMMA, True),
    "nb": (COMMA, True), "no": (COMMA, True), "fi": (COMMA, True), "pl": (COMMA, True), "cs": (COMMA, True),
    "sk": (COMMA, True), "hu": (COMMA, True), "ro": (COMMA, True), "ru": (COMMA, True), "uk": (COMMA, True),
    "tr": (COMMA, True), "el": (COMMA, True), "id": (COMMA, True), "vi": (COMMA, True), "sl": (COMMA, True),
    "hr": (COMMA, True), "bg": (COMMA, True), "lt": (COMMA, True), "lv": (COMMA, True), "et": (COMMA, True),
}


def locale_convention(locale: str | None) -> tuple[str, bool] | None:
    """(decimal mark, day first) of a language tag such as "de-DE" or "en_US", None if not known."""
    if not locale:
        return None
    tag = locale.replace("_", "-").lower()
    return LOCALE_CONVENTIONS.get(tag) or LOCALE_CONVENTIONS.get(tag.split("-")[0])


@dataclass
class DecimalMark:
    """The decimal mark a column's numbers are read with, and the note saying why (None: nothing to say)."""

    mark: str
    note: str | None = None


def decimal_mark(values, setting: str = DECIMAL_AUTO, dialect: Dialect = Dialect(),
                 column: str = "Amount") -> DecimalMark:
    """The decimal mark of a column of numbers written as text, decided from the whole column.

    A value only one mark reads proves it: 100,50 and 1.120,00 a comma, 12.50 and 1,234.50 a point.
    Values either mark reads differently (1,234 is 1234 or 1.234) follow the proof; without one, the
    file's hint decides (a semicolon-separated CSV, or the locale: ``dialect``), and without a hint the
    column is refused. A column with proofs of both follows the more common; the others are unreadable
    in it. ``setting`` (DECIMAL_POINT or DECIMAL_COMMA) decides instead.
    """
    cores = {v: _MONEY_MARKS.sub("", v.strip().strip("()").upper()) for v in values if isinstance(v, str)}
    proofs: dict[str, list[str]] = {POINT: [], COMMA: []}
    ambiguous: list[str] = []
    mark: str | None
    for text, core in cores.items():
        proven = _proven_mark(core)
        if proven:
            proofs[proven].append(text)
        elif _ambiguous(core):
            ambiguous.append(text)
    if setting in (DECIMAL_POINT, DECIMAL_COMMA):
        mark, why = (POINT if setting == DECIMAL_POINT else COMMA), "as Settings say"
    elif proofs[COMMA] and proofs[POINT]:
        mark = COMMA if len(proofs[COMMA]) > len(proofs[POINT]) else POINT
        why = "because the column mixes both; values that fit only the other mark were skipped"
    elif proofs[COMMA] or proofs[POINT]:
        mark = COMMA if proofs[COMMA] else POINT
        why = f"because {proofs[mark][0]} can only have a decimal {'comma' if mark == COMMA else 'point'}"
    elif ambiguous:
        mark, why = _hinted_mark(dialect)
        if mark is None:
            sample = ambiguous[0]
            raise RfmError(f"The {column} column's numbers such as {sample} could be read with a decimal point "
                           f"({_read_number(cores[sample], POINT):g}) or a decimal comma "
                           f"({_read_number(cores[sample], COMMA):g}) and nothing in the column says which; "
                           "set 'Decimal mark' in Settings to Point or Comma.")
    else:
        return DecimalMark(POINT)
    if mark == POINT and not ambiguous and not proofs[COMMA]:
        return DecimalMark(POINT)  # the usual reading, and nothing it could be mistaken for
    name = "comma" if mark == COMMA else "point"
    if not ambiguous and proofs[mark] and not proofs[COMMA if mark == POINT else POINT] and setting == DECIMAL_AUTO:
        why = "the only reading that fits them"
    sample = (ambiguous or proofs[mark] or proofs[COMMA if mark == POINT else POINT])[0]
    core = cores[sample]
    read = _read_number(core, mark)
    shown = "unreadable" if np.isnan(read) else f"{read:.{len(core.rpartition(mark)[2]) if mark in core else 0}f}"
    return DecimalMark(mark, f"numbers such as {sample} read with a decimal {name} (as {shown}), {why}")


def _hinted_mark(dialect: Dialect) -> tuple[str | None, str]:
    """The decimal mark the file suggests, and why; (None, "") where it suggests none."""
    if dialect.delimiter == ";":
        return COMMA, "as the file is separated by semicolons, as decimal-comma countries write CSV files"
    convention = locale_convention(dialect.locale)
    if convention:
        return convention[0], f"as the file's language ({dialect.locale}) writes numbers so"
    if dialect.delimiter == ",":
        return POINT, "as the file is separated by commas, which rules out decimal commas left unquoted"
    return None, ""


def column_numbers(coded: Coded, mark: str | None = POINT) -> tuple[np.ndarray, np.ndarray]:
    """``number_value`` of every row with the column's decimal ``mark``, converting each distinct value once."""
    if coded.typed.dtype.kind in "iuf":  # real numbers: nothing to read
        return coded.spread(coded.typed.astype(float), np.nan), np.zeros(len(coded.codes), dtype=bool)
    pairs = [number_value(v, mark) for v in coded.distinct]
    numbers = coded.spread(np.array([p[0] for p in pairs], dtype=float), np.nan)
    cleaned = coded.spread(np.array([p[1] for p in pairs], dtype=bool), False)
    return numbers, cleaned


def parse_numbers(values, setting: str = DECIMAL_AUTO, dialect: Dialect = Dialect()) -> np.ndarray:
    """Numbers from cell values or text (NaN where unreadable), the decimal mark decided as
    ``decimal_mark`` decides it for the column; a column it would refuse is read with a point."""
    coded = Coded(np.asarray(values, dtype=object))
    try:
        mark = decimal_mark(coded.distinct, setting, dialect).mark
    except RfmError:
        mark = POINT
    return column_numbers(coded, mark)[0]


SERIAL_YEARS = (1990, 2100)  # serial numbers are taken for dates only from 1990-01-01 to 2100-01-01
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})\b")
# A time of day followed by its zone: Z, UTC, GMT, an offset (+02:00, +0200, -05) or an abbreviation (PDT).
_ZONE = re.compile(r"^(.*\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?)"
                   r"\s*(?:Z|(?:UTC|GMT)?\s*[+-]\d\d(?::?\d\d)?|UTC|GMT|\s[A-Z]{3,5})$")
_PLAIN_ISO = r"^\d{4}-\d\d-\d\d([ T]\d\d:\d\d(:\d\d(\.\d+)?)?)?$"  # 2024-03-05, 2024-03-05 14:30:00


def parse_dates(values, date_order: str = "Auto", dialect: Dialect | None = None) -> tuple[np.ndarray, list[Note]]:
    """Dates (datetime64, NaT where unreadable) and notes on how the column's text dates were read.

    Real dates, Excel serial numbers (in the workbook's date system, ``dialect.date1904``), YYYYMMDD
    numbers, ISO text (2024-03-05, with or without a time and a zone) and day/month text (05/03/2024)
    are read. Whether 05/03/2024 is 5 March or 3 May is decided for the whole column: a value such as
    13/03/2024 proves day first, 03/13/2024 month first; with no proof, the file's locale decides, else
    day first. ``date_order`` ("Day first", "Month first") forces the choice. A time's zone is left out:
    the date is the calendar date as written, never moved to another day by converting it.
    """
    return column_dates(Coded(np.asarray(values, dtype=object)), date_order, dialect or Dialect())[:2]


def column_dates(coded: Coded, date_order: str, dialect: Dialect) -> tuple[np.ndarray, list[Note], bool | None]:
    """The date of every row of a coded column, each distinct value read once, the notes on the whole column,
    and whether text dates such as 05/03/2024 were read day first (None: the column has none)."""
    if coded.typed.dtype.kind == "M":  # a column of real dates
        return coded.spread(coded.typed.astype("datetime64[ns]"), np.datetime64("NaT")), [], None
    distinct = coded.distinct
    result = pd.Series(pd.NaT, index=distinct.index, dtype="datetime64[ns]")
    values = distinct.to_numpy()
    is_date = _each(values, lambda v: hasattr(v, "year") and 1900 <= v.year <= 2200)
    if is_date.any():  # a zone on a date object is left out as on text: the wall-clock date stays
        naive = [v.replace(tzinfo=None) if getattr(v, "tzinfo", None) else v for v in values[is_date]]
        result[is_date] = pd.to_datetime(pd.Series(naive, dtype=object), errors="coerce").to_numpy("datetime64[ns]")
    is_number = _each(values, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    numbers = pd.to_numeric(distinct.where(is_number), errors="coerce")
    yyyymmdd = numbers.between(19000101, 21001231) & (numbers % 1 == 0)
    if yyyymmdd.any():
        result[yyyymmdd] = pd.to_datetime(numbers[yyyymmdd].astype("int64").astype(str), format="%Y%m%d",
                                          errors="coerce")
    first, last = (int((np.datetime64(f"{year}-01-01") - dialect.epoch).astype(int)) for year in SERIAL_YEARS)
    serial = numbers.between(first, last) & ~yyyymmdd
    if serial.any():
        result[serial] = pd.Timestamp(dialect.epoch) + pd.to_timedelta(numbers[serial], unit="D")
    is_text = _each(values, lambda v: isinstance(v, str) and bool(v.strip()))
    notes: list[Note] = []
    day_first = None
    if is_text.any():
        result[is_text], notes, day_first = _text_dates(distinct[is_text].str.strip(), date_order, dialect)
    return coded.spread(result.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT")), notes, day_first


def _each(values: np.ndarray, test) -> np.ndarray:
    return np.fromiter(map(test, values), dtype=bool, count=len(values))


def _wall_clock(text: pd.Series, format: str) -> pd.Series:
    """Text parsed as dates and times (NaT where unreadable), any zone left out as written: the zones the
    zone rule does not know (or a column mixing them) are dropped value by value, never converted."""
    try:
        parsed = pd.to_datetime(text, format=format, errors="coerce")
        return parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed.astype("datetime64[ns]")
    except (ValueError, TypeError, AttributeError):
        one = [pd.to_datetime(v, format=format, errors="coerce") if isinstance(v, str) else pd.NaT for v in text]
        return pd.Series([pd.NaT if pd.isna(v) else v.tz_localize(None) if v.tzinfo else v for v in one],
                         index=text.index, dtype="datetime64[ns]")


def _text_dates(text: pd.Series, date_order: str, dialect: Dialect) -> tuple[pd.Series, list[Note], bool | None]:
    notes = []
    if pc.all(pc.match_substring_regex(pa.array(text.to_numpy(dtype=object), pa.string()), _PLAIN_ISO)).as_py():
        slashed = pd.Series(False, index=text.index)  # the usual export form: no zone, no day/month order to find
    else:
        zoned = text.str.extract(_ZONE)[0]
        if zoned.notna().any():
            notes.append(("zones", f"times with a time zone, such as {text[zoned.notna()].iloc[0]}: the date is "
                                   "taken as written, the zone left out"))
            text = zoned.fillna(text)
        parts = text.str.extract(_DAY_MONTH)
        slashed = parts[0].notna()
    dates = _wall_clock(text.where(~slashed), format="ISO8601")
    rest = dates.isna() & ~slashed
    if rest.any():
        dates[rest] = _wall_clock(text[rest], format="mixed")
    if not slashed.any():
        return dates, notes, None
    first, second = parts[0][slashed].astype(int), parts[1][slashed].astype(int)
    proves_day, proves_month = (first > 12) & (second <= 12), (second > 12) & (first <= 12)
    convention = locale_convention(dialect.locale)
    if date_order in ("Day first", "Month first"):
        day_first, why = date_order == "Day first", "as Settings say"
    elif proves_month.any() and not proves_day.any():
        day_first, why = False, f"because {text[slashed][proves_month].iloc[0]} can only be month/day"
    elif proves_day.any() and not proves_month.any():
        day_first, why = True, f"because {text[slashed][proves_day].iloc[0]} can only be day/month"
    elif proves_day.any():
        day_first = proves_day.sum() >= proves_month.sum()
        why = "because the column mixes both; values that fit only the other order were skipped"
    elif convention:
        day_first, why = convention[1], f"as the file's language ({dialect.locale}) writes dates so"
    else:
        day_first, why = True, "as nothing in the column proves either order"
    order = "dd/mm" if day_first else "mm/dd"
    day, month = (first, second) if day_first else (second, first)
    year = parts[2][slashed].astype(int)
    year = year.where(year >= 100, year + 2000)
    clock = text[slashed].str.extract(r"(\d{1,2}):(\d{2})(?::(\d{2}))?").astype(float).fillna(0).astype(int)
    dates[slashed] = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day, "hour": clock[0],
                                                  "minute": clock[1], "second": clock[2]}), errors="coerce")
    sample = text[slashed].iloc[0]
    notes.insert(0, ("date_order", f"text dates such as {sample} read as {'day/month' if day_first else 'month/day'} "
                                   f"({order}/yyyy), {why}"))
    return dates, notes, bool(day_first)


# ---------------------------------------------------------------- the currency of the amounts
# Apart from the number reading above on purpose: it only looks at the marks that reading strips.

CURRENCIES = {"£": "£", "€": "€", "$": "$", "GBP": "£", "EUR": "€", "USD": "$"}
_CURRENCY = re.compile(r"^[\s(+-]*(£|€|\$|GBP|EUR|USD)|(£|€|\$|GBP|EUR|USD)[\s)]*$")


def currency_symbol(values) -> str:
    """The currency symbol most of the amounts written as text carry ("" when none carries one).

    >>> currency_symbol(["£12.50", "GBP 7", "$3", 4.5])
    '£'
    """
    found = pd.Series([CURRENCIES[m[1] or m[2]] for v in values if isinstance(v, str)
                       and (m := _CURRENCY.search(v.strip().upper()))], dtype=object)
    return found.value_counts().index[0] if len(found) else ""
