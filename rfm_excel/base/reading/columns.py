"""Which column is which: headers matched to the columns the tool reads, the header row below a report's
title lines, and the export layout whose headers a source has."""

from __future__ import annotations

import re

import pandas as pd

from ..errors import RfmError
from ..excel import column_letter
from ..exports import EXPORT_LAYOUTS, ExportLayout

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
    "product": ["product", "product code", "product id", "sku", "stockcode", "stock code", "item", "item code",
                "item number", "article", "article number", "lineitem sku", "variant sku"],
    "product_name": ["product name", "description", "item name", "item description", "product description",
                     "lineitem name"],
}
LABELS = {"customer_id": "Customer ID", "order_id": "Order ID", "order_date": "Order Date", "amount": "Amount",
          "quantity": "Quantity", "price": "Price", "customer_name": "Customer Name", "email": "Email",
          "product": "Product", "product_name": "Product Name"}
HEADER_SEARCH_ROWS = 30  # the header row is looked for among the first rows (a report's title lines above it)


def header_key(text) -> str:
    """A header as compared with the known spellings: no case, spaces or punctuation."""
    return re.sub(r"[\s_\-.#:]+", "", str(text)).lower() if text is not None else ""


_BY_KEY = {header_key(spelling): column for column, spellings in SYNONYMS.items() for spelling in spellings}


def blank(value) -> bool:
    """Whether a cell is blank: None, NaN, NA or white space only."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value) or \
        (isinstance(value, str) and not value.strip())


def map_columns(headers: list, chosen: dict[str, str] | None = None) -> dict[str, str]:
    """Canonical column -> the header that supplies it.

    ``chosen`` maps canonical columns to headers named in Settings; they win over detection.
    Otherwise the first header matching a known spelling supplies each column.
    """
    by_key = {header_key(h): h for h in headers if h is not None}
    found: dict[str, str] = {}
    for column, header in (chosen or {}).items():
        if header_key(header) not in by_key:
            raise RfmError(f"Settings name {header!r} as the {LABELS[column]} column, but the orders have no such "
                           f"header (they have: {some_headers(headers)}); fix the setting or the header.")
        found[column] = by_key[header_key(header)]
    for header in headers:
        known = _BY_KEY.get(header_key(header))
        if known and known not in found and header not in found.values():
            found[known] = header
    return found


def some_headers(headers: list, shown: int = 5) -> str:
    """The first few headers for a message, each on one line (a header typed over two lines in its cell too),
    and how many more there are: a wide sheet's full list would make a message of many thousand characters.

    >>> some_headers(["Customer", "Order\\nDate", None, "Total"])
    'Customer, Order Date, Total'
    >>> some_headers([f"Field {n}" for n in range(8)], shown=3)
    'Field 0, Field 1, Field 2 and 5 more'
    """
    named = [" ".join(str(h).split())[:40] for h in headers if h is not None and str(h).strip()]
    if not named:
        return "no headers"
    more = len(named) - shown
    return ", ".join(named[:shown]) + (f" and {more:,} more" if more > 0 else "")


def recognised_layout(headers: list) -> ExportLayout | None:
    """The export layout whose signature headers all appear among ``headers``, if any."""
    present = {header_key(h) for h in headers if h is not None}
    return next((layout for layout in EXPORT_LAYOUTS if all(header_key(h) in present for h in layout.signature)),
                None)


def is_header_row(row: list) -> bool:
    """Whether a row of cells is a header row: it names a customer column, or it is an export layout's."""
    return "customer_id" in map_columns(list(row)) or recognised_layout(list(row)) is not None


def header_below(headers: list, top: pd.DataFrame) -> tuple[int, list[str]] | None:
    """Where the header row is when ``headers`` (the first line, as a reader took it) are not one: how many of
    the ``top`` rows under them are a report's title lines and the header row (a QuickBooks report, as a CSV
    reader hands it over), and that row's cells as headers; None when the first line is the header row, or
    no row of the top ones is."""
    if is_header_row(list(headers)):
        return None
    for r in range(min(HEADER_SEARCH_ROWS, len(top) - 1)):
        row = list(top.iloc[r])
        if is_header_row(row):
            return r + 1, [f"Column {column_letter(c)}" if blank(v) else str(v).strip() for c, v in enumerate(row)]
    return None


def column_roles(headers: list, sheet: str, layout: ExportLayout | None,
                 chosen: dict[str, str] | None) -> tuple[dict[str, str], dict[str, str]]:
    """Canonical column -> header, and the layout's other roles (refunded, kept, reference) -> header;
    refused with one sentence when a needed column is missing. Settings' choices win over a layout's."""
    by_key = {header_key(h): h for h in headers if h is not None}
    wanted = {role: by_key[header_key(h)] for role, h in (layout.columns if layout else {}).items()
              if header_key(h) in by_key}
    columns = map_columns(headers, {**{r: h for r, h in wanted.items() if r in LABELS}, **(chosen or {})})
    missing = [LABELS[c] for c in ("customer_id", "order_date") if c not in columns]
    if "amount" not in columns and not {"quantity", "price"} <= columns.keys():
        missing.append("Amount (or Quantity and Price)")
    if missing:
        raise RfmError(f"The {sheet} sheet has no {' or '.join(missing)} column; add a column with that header "
                       f"(it has: {some_headers(headers)}).")
    return columns, {r: h for r, h in wanted.items() if r not in LABELS}
