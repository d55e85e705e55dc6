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

    ``lines`` has columns customer_id, customer, order_id (None where absent), order_date
    (datetime64, day precision kept), amount (float), source_row, and customer_name/email when
    the orders carry them. ``issues`` has ISSUE_COLUMNS. ``rows_read`` counts input rows.
    """

    lines: pd.DataFrame
    issues: pd.DataFrame
    rows_read: int
    columns: dict[str, str]


def map_columns(headers: list) -> dict[str, str]:
    """Canonical column -> the header that supplies it; the first match wins."""
    found: dict[str, str] = {}
    for header in headers:
        column = _BY_KEY.get(_header_key(header))
        if column and column not in found:
            found[column] = header
    return found


def normalise(raw: pd.DataFrame, first_row: int = 2, sheet: str = "Orders") -> CleanOrders:
    """Clean raw order rows whose columns are the sheet's headers.

    Parameters
    ----------
    raw : DataFrame of cell values as read (numbers, text, datetimes, None).
    first_row : sheet row number of ``raw``'s first row, for the issues list.
    sheet : sheet name, for messages.
    """
    columns = map_columns(list(raw.columns))
    missing = [LABELS[c] for c in ("customer_id", "order_date") if c not in columns]
    if "amount" not in columns and not {"quantity", "price"} <= columns.keys():
        missing.append("Amount (or Quantity and Price)")
    if missing:
        raise RfmError(f"The {sheet} sheet has no {' or '.join(missing)} column; add a column with that header "
                       f"(it has: {', '.join(str(h) for h in raw.columns if h is not None) or 'no headers'}).")
    rows = pd.Series(np.arange(first_row, first_row + len(raw)), index=raw.index)
    issues: list[pd.DataFrame] = []

    def report(mask, column, values, problem, action):
        if mask.any():
            issues.append(pd.DataFrame({"Row": rows[mask], "Column": columns.get(column, LABELS[column]),
                                        "Value": values[mask].map(_shown), "Problem": problem, "Action": action}))

    customer_raw = raw[columns["customer_id"]]
    customer = _id_text(customer_raw)
    order_date = parse_dates(raw[columns["order_date"]])
    if "amount" in columns:
        amount_raw = raw[columns["amount"]]
        amount = parse_numbers(amount_raw)
    else:
        quantity, price = parse_numbers(raw[columns["quantity"]]), parse_numbers(raw[columns["price"]])
        amount = quantity * price
        amount_raw = raw[columns["quantity"]].where(quantity.isna(), raw[columns["price"]])

    no_customer = customer.isna()
    report(no_customer, "customer_id", customer_raw, "no customer ID", "skipped")
    bad_date = ~no_customer & order_date.isna()
    report(bad_date, "order_date", raw[columns["order_date"]], "not a date", "skipped")
    bad_amount = ~no_customer & ~bad_date & amount.isna()
    report(bad_amount, "amount" if "amount" in columns else "quantity", amount_raw, "not a number", "skipped")
    keep = ~(no_customer | bad_date | bad_amount)

    key = _customer_key(customer)
    lines = pd.DataFrame({"customer_id": key, "customer": customer, "order_date": order_date, "amount": amount,
                          "source_row": rows})
    lines["order_id"] = _id_text(raw[columns["order_id"]]) if "order_id" in columns else None
    for extra in ("customer_name", "email"):
        if extra in columns:
            lines[extra] = _text(raw[columns[extra]])
    table = pd.concat(issues, ignore_index=True) if issues else pd.DataFrame(columns=ISSUE_COLUMNS)
    return CleanOrders(lines[keep].reset_index(drop=True), table.sort_values("Row", kind="stable"),
                       len(raw), columns)


def _shown(value) -> str:
    """A raw value as text for the issues list (never starting a formula)."""
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return text[:200]


def _per_distinct(convert, missing):
    """Make a column cleaner work on distinct values only, then spread the results back.

    A million order lines hold far fewer distinct IDs, dates and amounts, so the per-value
    Python work is done once per distinct value.
    """
    def cleaner(values: pd.Series) -> pd.Series:
        codes, distinct = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
        if not len(distinct):
            return convert(pd.Series([missing] * len(values), index=values.index, dtype=object))
        converted = convert(pd.Series(distinct, dtype=object))
        spread = converted.to_numpy().take(codes)
        result = pd.Series(spread, index=values.index, dtype=converted.dtype)
        result[codes < 0] = missing
        return result
    cleaner.__doc__ = convert.__doc__
    return cleaner


def _id_text_each(values: pd.Series) -> pd.Series:
    """IDs as text: 12345, 12345.0 and '12345' are one ID; '00123' keeps its zeros; blanks become None."""
    def one(value):
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, float):
            if np.isnan(value):
                return None
            return str(int(value)) if value.is_integer() else repr(value)
        if isinstance(value, int):
            return str(value)
        text = str(value).strip()
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
        return text or None
    return values.map(one).astype(object)


_MONEY_JUNK = re.compile(r"[\s,£$€¥₹]|^[A-Z]{3}\s*|\s*[A-Z]{3}$")


def _numbers_each(values: pd.Series) -> pd.Series:
    """Numbers, or NaN; text such as '£1,234.50', '(12.00)' and ' 7 ' is read as a number."""
    def one(value):
        if value is None or isinstance(value, bool):
            return np.nan
        if isinstance(value, (int, float)):
            return float(value)
        text = str(value).strip()
        negative = text.startswith("(") and text.endswith(")")
        text = _MONEY_JUNK.sub("", text.strip("()"))
        try:
            number = float(text)
        except ValueError:
            return np.nan
        return -number if negative else number
    return values.map(one).astype(float)


def _dates_each(values: pd.Series) -> pd.Series:
    """Dates from datetimes, Excel serial numbers, YYYYMMDD numbers and ISO or day/month text."""
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    is_date = values.map(lambda v: hasattr(v, "year"))
    if is_date.any():
        result[is_date] = pd.to_datetime(values[is_date].astype(object), errors="coerce")
    numbers = pd.to_numeric(values.where(~is_date & values.map(lambda v: isinstance(v, (int, float)))),
                            errors="coerce")
    yyyymmdd = numbers.between(19000101, 21001231)
    if yyyymmdd.any():
        result[yyyymmdd] = pd.to_datetime(numbers[yyyymmdd].astype("int64").astype(str), format="%Y%m%d",
                                          errors="coerce")
    serial = numbers.between(1, 2958465) & ~yyyymmdd
    if serial.any():
        result[serial] = EXCEL_EPOCH + pd.to_timedelta(numbers[serial], unit="D")
    text = values.map(lambda v: isinstance(v, str) and bool(v.strip()))
    if text.any():
        result[text] = _text_dates(values[text].str.strip())
    return result


def _text_dates(text: pd.Series) -> pd.Series:
    iso = pd.to_datetime(text, format="ISO8601", errors="coerce")
    rest = iso.isna()
    if rest.any():
        parts = text[rest].str.extract(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}")
        first, second = pd.to_numeric(parts[0]), pd.to_numeric(parts[1])
        day_first = not (second > 12).any() or (first > 12).any()
        iso[rest] = pd.to_datetime(text[rest], dayfirst=day_first, format="mixed", errors="coerce")
    return iso


_id_text = _per_distinct(_id_text_each, None)
parse_numbers = _per_distinct(_numbers_each, np.nan)
parse_dates = _per_distinct(_dates_each, pd.NaT)
_customer_key = _per_distinct(lambda ids: ids.str.replace(r"\s+", "", regex=True).str.casefold(), None)
_text = _per_distinct(lambda values: values.map(lambda v: str(v).strip() or None).astype(object), None)
