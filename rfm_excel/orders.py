"""Orders as the owner typed or exported them -> clean order lines, plus the list of what was wrong.

``normalise`` never drops a row silently: every row it does not use, and every value it
repairs, is one row of the returned issues table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import RfmError

# Canonical column -> header spellings that mean it (compared without case, spaces or punctuation).
SYNONYMS = {
    "customer_id": ["customer id", "customerid", "customer", "customer no", "customer number", "customer code",
                    "client", "client id", "cust id", "account", "account id", "buyer id"],
    "order_id": ["order id", "orderid", "order", "order no", "order number", "invoice", "invoiceno", "invoice no",
                 "invoice number", "invoice id", "transaction id", "receipt", "receipt no"],
    "order_date": ["order date", "orderdate", "date", "invoice date", "invoicedate", "purchase date",
                   "transaction date", "sale date", "order time", "created at"],
    "amount": ["amount", "total", "revenue", "sales", "order total", "order value", "value", "net amount",
               "line total", "total amount", "sale amount"],
    "quantity": ["quantity", "qty", "units", "quantity ordered"],
    "price": ["price", "unit price", "unitprice", "price each", "unit cost"],
    "customer_name": ["customer name", "name", "client name", "full name"],
    "email": ["email", "e-mail", "email address", "e-mail address"],
}
LABELS = {"customer_id": "Customer ID", "order_id": "Order ID", "order_date": "Order Date", "amount": "Amount",
          "quantity": "Quantity", "price": "Price", "customer_name": "Customer Name", "email": "Email"}
ISSUE_COLUMNS = ["Row", "Column", "Value", "Problem", "Action"]
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _header_key(text) -> str:
    return re.sub(r"[\s_\-.#:]+", "", str(text)).lower() if text is not None else ""


_BY_KEY = {_header_key(spelling): column for column, spellings in SYNONYMS.items() for spelling in spellings}


@dataclass
class CleanOrders:
    """Usable order lines and what was done to get them.

    ``lines`` has columns customer_id (the matching key), customer (as first spelled),
    order_id (None where absent), order_date (datetime64), amount (float), source_row, and
    customer_name/email when the orders carry them. ``issues`` has ISSUE_COLUMNS, one row per
    row skipped or repaired (Row blank for a note about a whole column). ``rows_read`` counts
    input rows.
    """

    lines: pd.DataFrame
    issues: pd.DataFrame
    rows_read: int
    columns: dict[str, str]


def map_columns(headers: list, chosen: dict[str, str] | None = None) -> dict[str, str]:
    """Canonical column -> the header that supplies it.

    ``chosen`` maps canonical columns to headers named in Settings; they win over detection.
    Otherwise the first header matching a known spelling supplies each column.
    """
    by_key = {_header_key(h): h for h in headers if h is not None}
    found: dict[str, str] = {}
    for column, header in (chosen or {}).items():
        if _header_key(header) not in by_key:
            raise RfmError(f"Settings name {header!r} as the {LABELS[column]} column, but the orders have no such "
                           f"header (they have: {', '.join(str(h) for h in headers if h is not None)}); "
                           "fix the setting or the header.")
        found[column] = by_key[_header_key(header)]
    for header in headers:
        column = _BY_KEY.get(_header_key(header))
        if column and column not in found and header not in found.values():
            found[column] = header
    return found


class _Issues:
    """Collects issue rows for the Data Issues sheet."""

    def __init__(self, rows: np.ndarray, columns: dict[str, str]):
        self.rows, self.columns, self.parts = rows, dict(columns), []

    def add(self, mask: np.ndarray, column: str, values, problem, action) -> None:
        if mask.any():
            shown = values[mask] if isinstance(values, np.ndarray) else pd.Series(values).to_numpy()[mask]
            self.parts.append(pd.DataFrame({
                "Row": self.rows[mask], "Column": self.columns.get(column, LABELS.get(column, column)),
                "Value": [_shown(v) for v in shown], "Problem": problem, "Action": action}))

    def note(self, column: str, text: str, action: str) -> None:
        self.parts.append(pd.DataFrame({"Row": [None], "Column": [self.columns.get(column, LABELS[column])],
                                        "Value": [""], "Problem": [text], "Action": [action]}))

    def table(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in ISSUE_COLUMNS})
        table = pd.concat(self.parts, ignore_index=True)
        return table.sort_values("Row", kind="stable", na_position="first", ignore_index=True)


def normalise(raw: pd.DataFrame, first_row: int = 2, sheet: str = "Orders", date_order: str = "Auto",
              chosen: dict[str, str] | None = None) -> CleanOrders:
    """Clean raw order rows whose columns are the sheet's headers.

    Parameters
    ----------
    raw : DataFrame of cell values as read (numbers, text, datetimes, None).
    first_row : sheet row number of ``raw``'s first row, for the issues list.
    sheet : sheet name, for messages.
    date_order : "Auto", "Day first" or "Month first", for text dates such as 03/04/2024.
    chosen : canonical column -> header, from Settings, where detection is not enough.
    """
    columns = map_columns(list(raw.columns), chosen)
    missing = [LABELS[c] for c in ("customer_id", "order_date") if c not in columns]
    if "amount" not in columns and not {"quantity", "price"} <= columns.keys():
        missing.append("Amount (or Quantity and Price)")
    if missing:
        raise RfmError(f"The {sheet} sheet has no {' or '.join(missing)} column; add a column with that header "
                       f"(it has: {', '.join(str(h) for h in raw.columns if h is not None) or 'no headers'}).")
    issues = _Issues(np.arange(first_row, first_row + len(raw)), columns)
    column = {name: raw[header].to_numpy(dtype=object) for name, header in columns.items()}

    customer = _id_text(column["customer_id"])
    no_customer = pd.isna(customer)
    issues.add(no_customer, "customer_id", column["customer_id"], "no customer ID (blank, or an error such as #N/A)",
               "skipped")
    duplicate = _duplicates(raw, no_customer, issues) if "order_id" in columns else np.zeros(len(raw), dtype=bool)
    order_date, date_note = parse_dates(column["order_date"], date_order)
    if date_note:
        issues.note("order_date", date_note, "read that way; change 'Dates are written' in Settings if wrong")
    bad_date = ~no_customer & ~duplicate & pd.isna(order_date)
    issues.add(bad_date, "order_date", column["order_date"], "not a date (blank, text, or an error such as #N/A)",
               "skipped")
    amount, amount_shown, cleaned = _amounts(column, issues)
    bad_amount = ~duplicate & ~no_customer & ~bad_date & np.isnan(amount)
    issues.add(bad_amount, "amount", amount_shown, "not a number (blank, text, or an error)", "skipped")
    keep = ~(duplicate | no_customer | bad_date | bad_amount)
    issues.add(keep & cleaned, "amount", amount_shown, "number written as text", "repaired: read as a number")

    order_id = _id_text(column["order_id"]) if "order_id" in columns else np.full(len(raw), None, dtype=object)
    cancelled = keep & (amount > 0) & _is_cancellation(order_id)
    issues.add(cancelled, "order_id", order_id, "cancelled invoice with a positive amount",
               "counted as a return (amount made negative)")
    amount = np.where(cancelled, -amount, amount)
    issues.add(keep & (amount < 0), "amount", amount, "negative amount: a return, refund or credit",
               "netted into Monetary; not a purchase")

    key = _customer_key(customer)
    lines = pd.DataFrame({"customer_id": key, "customer": customer, "order_id": order_id,
                          "order_date": order_date, "amount": amount, "source_row": issues.rows})
    for extra in ("customer_name", "email"):
        if extra in columns:
            lines[extra] = _text(column[extra])
    lines = lines[keep].reset_index(drop=True)
    _report_merged_spellings(lines, issues)
    return CleanOrders(lines, issues.table(), len(raw), columns)


def _shown(value) -> str:
    """A raw value as text for the issues list."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)[:200]


def _duplicates(raw: pd.DataFrame, skipped: np.ndarray, issues: _Issues) -> np.ndarray:
    """Exact copies of an earlier line (every cell equal): reported and counted once.

    Rows already ``skipped`` for another reason are left to that reason.
    """
    candidates = np.flatnonzero(~skipped)
    hashes = pd.util.hash_pandas_object(raw.iloc[candidates], index=False).to_numpy()
    codes, distinct = pd.factorize(hashes)
    duplicate = np.zeros(len(raw), dtype=bool)
    if len(distinct) == len(hashes):
        return duplicate
    first = np.empty(len(distinct), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    copies = first[codes] != np.arange(len(codes))
    duplicate[candidates[copies]] = True
    shown = np.full(len(raw), "", dtype=object)
    shown[candidates[copies]] = [f"same as row {r}" for r in issues.rows[candidates[first[codes[copies]]]]]
    issues.add(duplicate, "order_id", shown, "exact copy of an earlier line", "skipped (counted once)")
    return duplicate


def _report_merged_spellings(lines: pd.DataFrame, issues: _Issues) -> None:
    first = lines.groupby("customer_id", sort=False)["customer"].transform("first")
    differs = (lines["customer"] != first).to_numpy()
    if differs.any():
        issues.parts.append(pd.DataFrame({
            "Row": lines.loc[differs, "source_row"].to_numpy(), "Column": issues.columns["customer_id"],
            "Value": lines.loc[differs, "customer"].to_numpy(),
            "Problem": ["same customer as " + repr(v) + " apart from spaces or capitals" for v in first[differs]],
            "Action": "merged"}))


_CANCELLATION = re.compile(r"^[Cc]\d+$")


def _is_cancellation(order_id: np.ndarray) -> np.ndarray:
    """Order IDs such as C489449 where the other IDs are plain numbers: the usual mark of a
    cancelled invoice in order exports. IDs that carry letters anyway (A1, C1) mark nothing."""
    codes, distinct = _distinct(order_id)
    numeric = np.array([v.isdigit() for v in distinct], dtype=bool)
    if not len(distinct) or numeric.mean() < 0.5:
        return np.zeros(len(order_id), dtype=bool)
    marked = np.array([bool(_CANCELLATION.match(v)) for v in distinct], dtype=bool)
    return _spread(marked, codes, False)


def _amounts(column: dict[str, np.ndarray], issues: _Issues) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Line amounts, the raw values to show for them, and which were numbers written as text.

    Without an Amount column the amount is Quantity x Price, reported under both headers.
    """
    if "amount" in column:
        amount, cleaned = _numbers(column["amount"])
        return amount, column["amount"], cleaned
    quantity, cleaned_quantity = _numbers(column["quantity"])
    price, cleaned_price = _numbers(column["price"])
    issues.columns["amount"] = f"{issues.columns['quantity']} × {issues.columns['price']}"
    shown = np.array([f"{_shown(q)} × {_shown(p)}" for q, p in zip(column["quantity"], column["price"])],
                     dtype=object)
    return quantity * price, shown, cleaned_quantity | cleaned_price


# ---------------------------------------------------------------- per-distinct cleaners
# A million order lines hold far fewer distinct IDs, dates and amounts, so each cleaner
# converts the distinct values once and spreads the results back by their codes.


def _distinct(values: np.ndarray) -> tuple[np.ndarray, pd.Series]:
    """Codes and distinct values; TRUE/FALSE cells count as blank (hashing would make TRUE equal 1)."""
    values = np.asarray(values, dtype=object)
    logical = np.fromiter((v.__class__ is bool for v in values), dtype=bool, count=len(values))
    if logical.any():
        values = np.where(logical, None, values)
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    return codes, pd.Series(distinct, dtype=object)


def _spread(converted: np.ndarray, codes: np.ndarray, missing) -> np.ndarray:
    if not len(converted):
        return np.full(len(codes), missing, dtype=converted.dtype)
    result = converted.take(codes)
    result[codes < 0] = missing
    return result


def _id_text(values: np.ndarray) -> np.ndarray:
    """IDs as text: 12345, 12345.0 and '12345' are one ID; '00123' keeps its zeros; blanks become None."""
    def one(value):
        if isinstance(value, bool):
            return None
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else repr(value)
        if isinstance(value, int):
            return str(value)
        text = str(value).strip()
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
        return text or None
    codes, distinct = _distinct(values)
    return _spread(np.array([one(v) for v in distinct], dtype=object), codes, None)


def _customer_key(customer: np.ndarray) -> np.ndarray:
    """The matching key of a customer ID: no spaces, no case."""
    codes, distinct = _distinct(customer)
    return _spread(np.array([re.sub(r"\s+", "", v).casefold() for v in distinct], dtype=object), codes, None)


def _text(values: np.ndarray) -> np.ndarray:
    codes, distinct = _distinct(values)
    return _spread(np.array([str(v).strip() or None for v in distinct], dtype=object), codes, None)


_MONEY_MARKS = re.compile(r"[\s,'£$€¥₹]|^[A-Z]{3}|[A-Z]{3}$")


def _numbers(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numbers (NaN where unreadable) and which were text needing more than a plain read.

    '£1,234.50', '(12.00)' (negative), 'GBP 7' and ' 7 ' are read as numbers.
    """
    def one(value):
        if value is None or isinstance(value, bool):
            return np.nan, False
        if isinstance(value, (int, float)):
            return float(value), False
        text = str(value).strip()
        try:
            return float(text), False
        except ValueError:
            pass
        negative = text.startswith("(") and text.endswith(")")
        core = _MONEY_MARKS.sub("", text.strip("()").upper())
        if core.startswith("-") and negative:
            return np.nan, False
        try:
            number = float(core)
        except ValueError:
            return np.nan, False
        return (-number if negative else number), True
    codes, distinct = _distinct(values)
    pairs = [one(v) for v in distinct]
    numbers = _spread(np.array([p[0] for p in pairs], dtype=float), codes, np.nan)
    cleaned = _spread(np.array([p[1] for p in pairs], dtype=bool), codes, False)
    return numbers, cleaned


def parse_numbers(values) -> np.ndarray:
    """Numbers from cell values or text (NaN where unreadable)."""
    return _numbers(np.asarray(values, dtype=object))[0]


SERIAL_RANGE = (32874, 73051)  # Excel date serials from 1990-01-01 to 2100-01-01
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})\b")


def parse_dates(values, date_order: str = "Auto") -> tuple[np.ndarray, str | None]:
    """Dates (datetime64, NaT where unreadable) and a note on how ambiguous text dates were read.

    Real dates, Excel serial numbers, YYYYMMDD numbers, ISO text (2024-03-05) and day/month
    text (05/03/2024) are read. Whether 05/03/2024 is 5 March or 3 May is decided for the
    whole column: a value such as 13/03/2024 proves day first, 03/13/2024 month first;
    with no proof, day first. ``date_order`` ("Day first", "Month first") forces the choice.
    """
    codes, distinct = _distinct(np.asarray(values, dtype=object))
    result = pd.Series(pd.NaT, index=distinct.index, dtype="datetime64[ns]")
    is_date = distinct.map(lambda v: hasattr(v, "year")).astype(bool)
    if is_date.any():
        result[is_date] = pd.to_datetime(distinct[is_date].map(pd.Timestamp), errors="coerce")
    is_number = distinct.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).astype(bool)
    numbers = pd.to_numeric(distinct.where(is_number), errors="coerce")
    yyyymmdd = numbers.between(19000101, 21001231) & (numbers % 1 == 0)
    if yyyymmdd.any():
        result[yyyymmdd] = pd.to_datetime(numbers[yyyymmdd].astype("int64").astype(str), format="%Y%m%d",
                                          errors="coerce")
    serial = numbers.between(*SERIAL_RANGE) & ~yyyymmdd
    if serial.any():
        result[serial] = EXCEL_EPOCH + pd.to_timedelta(numbers[serial], unit="D")
    is_text = distinct.map(lambda v: isinstance(v, str) and bool(v.strip())).astype(bool)
    note = None
    if is_text.any():
        result[is_text], note = _text_dates(distinct[is_text].str.strip(), date_order)
    return _spread(result.to_numpy(dtype="datetime64[ns]"), codes, np.datetime64("NaT")), note


def _text_dates(text: pd.Series, date_order: str) -> tuple[pd.Series, str | None]:
    parts = text.str.extract(_DAY_MONTH)
    slashed = parts[0].notna()
    dates = pd.to_datetime(text.where(~slashed), format="ISO8601", errors="coerce")
    if not slashed.any():
        rest = dates.isna()
        dates[rest] = pd.to_datetime(text[rest], format="mixed", errors="coerce")
        return dates, None
    first, second = parts[0][slashed].astype(int), parts[1][slashed].astype(int)
    proves_day, proves_month = (first > 12) & (second <= 12), (second > 12) & (first <= 12)
    if date_order in ("Day first", "Month first"):
        day_first, why = date_order == "Day first", "as Settings say"
    elif proves_month.any() and not proves_day.any():
        day_first, why = False, f"because {text[slashed][proves_month].iloc[0]} can only be month/day"
    elif proves_day.any() and not proves_month.any():
        day_first, why = True, f"because {text[slashed][proves_day].iloc[0]} can only be day/month"
    elif proves_day.any():
        day_first = proves_day.sum() >= proves_month.sum()
        why = "because the column mixes both; values that fit only the other order were skipped"
    else:
        day_first, why = True, "as nothing in the column proves either order"
    order = "dd/mm" if day_first else "mm/dd"
    day, month = (first, second) if day_first else (second, first)
    year = parts[2][slashed].astype(int)
    year = year.where(year >= 100, year + 2000)
    clock = text[slashed].str.extract(r"(\d{1,2}):(\d{2})(?::(\d{2}))?").fillna(0).astype(int)
    dates[slashed] = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day, "hour": clock[0],
                                                  "minute": clock[1], "second": clock[2]}), errors="coerce")
    sample = text[slashed].iloc[0]
    note = f"text dates such as {sample} read as {'day/month' if day_first else 'month/day'} ({order}/yyyy), {why}"
    return dates, note
