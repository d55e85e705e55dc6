"""The reading plan: everything about how a source's order lines are read, decided once and frozen.

From the headers (and the top rows, for a report's title lines above the header row) the plan takes the
header row, each column's role (the export layout's roles too) and what the file says of itself
(delimiter, encoding, locale, date system); the value rules then add what only the values can say (each
amount column's decimal mark, the order of day and month in text dates). Every executor (pandas for a
sheet's worth of lines, DuckDB or Spark beyond) reads by the same plan, and the run note reports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..excel import EPOCH, EPOCH_1904
from ..exports import ExportLayout
from .columns import column_roles, header_below, header_key, recognised_layout

POINT, COMMA = ".", ","
AUTOMATIC = "Automatic"  # the Settings word for "decided from the data"
DECIMAL_AUTO, DECIMAL_POINT, DECIMAL_COMMA = AUTOMATIC, "Point", "Comma"  # the Settings choice "Decimal mark"
DATE_AUTO, DATE_DAY_FIRST, DATE_MONTH_FIRST = "Auto", "Day first", "Month first"  # the choice "Dates are written"


DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}  # a CSV's delimiters, by name


@dataclass(frozen=True)
class Dialect:
    """What the file says about how its values are written, where its reader knows it.

    delimiter : a CSV's field separator (a semicolon is how decimal-comma countries write CSV).
    locale : a language tag such as "de-DE", from the CSV reader or the workbook's number formats.
    date1904 : the workbook counts its serial numbers from 1904 (older Mac Excel), not 1900.
    encoding : a text file's encoding, as Python names it ("utf-8", "cp1252").
    """

    delimiter: str | None = None
    locale: str | None = None
    date1904: bool = False
    encoding: str | None = None

    @property
    def epoch(self) -> np.datetime64:
        return EPOCH_1904 if self.date1904 else EPOCH


def _frozen(mapping: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class ReadingPlan:
    """How one source's order lines are read.

    sheet : the sheet or file the lines come from, for messages.
    headers : the header row's cells as headers.
    first_row : the sheet row (or file line) of the first order line, under the header row.
    title_rows : rows under the first line left out above the header row (a report's title lines).
    columns : canonical column (customer_id, order_id, order_date, amount...) -> header.
    roles : an export layout's other roles (refunded, kept, reference) -> header.
    layout : the export layout the headers are, if any.
    dialect : what the file says of itself.
    date_order, decimal : the Settings' choices ("Auto", "Day first", "Month first"; "Automatic", "Point",
        "Comma").
    marks : the decimal mark each column of numbers written as text is read with, as decided.
    day_first : whether text dates such as 05/03/2024 were read day first (None: no such dates).
    by_key : each header by its columns.header_key, the lookup built once.
    """

    sheet: str
    headers: tuple[str, ...]
    first_row: int
    columns: Mapping[str, str]
    roles: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    layout: ExportLayout | None = None
    dialect: Dialect = Dialect()
    date_order: str = DATE_AUTO
    decimal: str = DECIMAL_AUTO
    title_rows: int = 0
    marks: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    day_first: bool | None = None
    by_key: Mapping[str, str] = field(default_factory=lambda: _frozen(None))

    def header(self, name: str) -> str | None:
        """The source's header spelled ``name`` (without case, spaces or punctuation: columns.header_key)."""
        return self.by_key.get(header_key(name))

    def decided(self, marks: Mapping[str, str], day_first: bool | None) -> ReadingPlan:
        """The plan with what the values decided: decimal marks by canonical column, the order of day and month."""
        return replace(self, marks=_frozen(marks), day_first=day_first)

    @property
    def amount_header(self) -> str:
        """The header issues about amounts name: Quantity × Price where the amount is their product."""
        if "amount" in self.columns:
            return self.columns["amount"]
        return f"{self.columns['quantity']} × {self.columns['price']}"


def plan_reading(headers: list, top: pd.DataFrame, first_row: int = 2, sheet: str = "Orders",
                 chosen: dict[str, str] | None = None, date_order: str = DATE_AUTO, decimal: str = DECIMAL_AUTO,
                 dialect: Dialect | None = None) -> ReadingPlan:
    """The plan for lines under ``headers`` (the first line, as the reader took it), ``top`` being the first
    rows under it (to find a header row below a report's title lines); refused with one sentence when a
    needed column is missing. ``chosen`` maps canonical columns to headers named in Settings."""
    title_rows = 0
    below = header_below(headers, top)
    if below is not None:
        title_rows, headers = below
    layout = recognised_layout(list(headers))
    columns, roles = column_roles(list(headers), sheet, layout, chosen)
    return ReadingPlan(sheet, tuple(headers), first_row + title_rows, _frozen(columns), _frozen(roles), layout,
                       dialect or Dialect(), date_order, decimal, title_rows,
                       by_key=_frozen({header_key(h): h for h in headers if h is not None}))


def under_header(raw: pd.DataFrame, plan: ReadingPlan) -> pd.DataFrame:
    """The rows of ``raw`` under the plan's header row, headed by its headers."""
    if not plan.title_rows:
        return raw
    body = raw.iloc[plan.title_rows:].reset_index(drop=True)
    body.columns = list(plan.headers)
    return body
