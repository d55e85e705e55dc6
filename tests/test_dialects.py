"""A differential test of the reading rules: generated orders, written out as real exports write them, must
score as the orders themselves say.

Each example draws orders (customers, orders of one to three lines, amounts to the penny, now and then an
order worth nothing) and one dialect from DIALECTS: how an export writes numbers, dates, Order IDs and
workbooks. The file is read and scored as the owner's would be, and every customer's Recency, Frequency
and Monetary must equal those computed from the generated orders directly; every row must be used or
reported, and the revenue written must all be accounted for. A dialect is one entry in DIALECTS (a name,
a file suffix and a writer), so a new way of writing files is one more entry.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rfm_excel import core
from rfm_excel.base.settings import Settings, parse_settings
from rfm_excel.layout.issue_words import issue_table
from rfm_excel.readers.engine import duckdb_lines
from rfm_excel.readers.workbook import read_book

HEADER = ["Customer ID", "Order ID", "Order Date", "Amount", "Product"]
START = dt.date(2023, 1, 1)


@dataclass(frozen=True)
class Line:
    customer: str
    order: str
    when: dt.datetime
    cents: int  # the line's amount in pennies
    product: str


# ------------------------------------------------------------ the orders


@st.composite
def order_lines(draw) -> list[Line]:
    """Orders of up to five customers: one to three lines each, on one day and time; some worth nothing, and
    now and then the same purchase twice on one day (two orders, equal in every cell but the Order ID)."""
    customers = draw(st.lists(st.sampled_from(["C1", "C2", "K-77", "00123", "ab 9"]), min_size=1, max_size=5,
                              unique=True))
    lines = []
    for number in range(draw(st.integers(1, 12))):
        if lines and draw(st.integers(0, 7)) == 0:  # the same purchase again that day: an order of its own
            previous = [line for line in lines if line.order == lines[-1].order]
            lines += [Line(line.customer, f"{5000 + number}", line.when, line.cents, line.product) for line in previous]
            continue
        customer = draw(st.sampled_from(customers))
        when = dt.datetime.combine(START + dt.timedelta(days=draw(st.integers(0, 700))),
                                   dt.time(draw(st.integers(0, 23)), draw(st.integers(0, 59))))
        free = draw(st.integers(0, 9)) == 0  # a free sample now and then: every line at 0
        for item in range(draw(st.integers(1, 3))):
            cents = 0 if free else draw(st.one_of(st.integers(1, 9_999), st.integers(10_000, 250_000_00)))
            lines.append(Line(customer, f"{5000 + number}", when, cents, f"Item {number}-{item}"))
    return lines


def one_line_per_order(lines: list[Line]) -> list[Line]:
    """The orders as an export without Order IDs writes them: each order as one line of its total."""
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.order] = totals.get(line.order, 0) + line.cents
    firsts = {line.order: line for line in reversed(lines)}
    return [Line(first.customer, order, first.when, totals[order], first.product) for order, first in
            sorted(firsts.items(), key=lambda item: lines.index(item[1]))]


def truth(lines: list[Line], one_line_orders: bool) -> tuple[dict, dt.date]:
    """Each customer's (recency, frequency, monetary) straight from the orders, and the as-of date (the day
    after the latest order). Lines of one order are one order; an order worth nothing is no purchase."""
    orders: dict[tuple, list[Line]] = {}
    for n, line in enumerate(lines):
        orders.setdefault((line.customer, n if one_line_orders else line.order), []).append(line)
    as_of = max(line.when.date() for line in lines) + dt.timedelta(days=1)
    expected = {}
    for (customer, _), parts in orders.items():
        recency, frequency, monetary = expected.get(customer, (None, 0, 0))
        cents = sum(part.cents for part in parts)
        if cents > 0:
            days = (as_of - parts[0].when.date()).days
            recency, frequency = days if recency is None else min(recency, days), frequency + 1
        expected[customer] = (recency, frequency, monetary + cents)
    return {c: (r, f, round(m / 100, 2)) for c, (r, f, m) in expected.items() if f}, as_of


# ------------------------------------------------------------ the ways exports write them


def _amount_text(cents: int, decimal: str, thousands: str, symbol: str = "", after: bool = False) -> str:
    whole, pennies = divmod(cents, 100)
    grouped = f"{whole:,}".replace(",", thousands)
    number = f"{grouped}{decimal}{pennies:02d}"
    return f"{number} {symbol}" if after else f"{symbol}{number}"


def _workbook(path: Path, lines: list[Line], cell, date_1904: bool = False, blank_order_id: bool = False,
              locale_format: str | None = None) -> Path:
    """An Orders sheet of ``lines`` written by XlsxWriter; ``cell(sheet, row, col, value, formats)`` writes
    each date and amount as the dialect does."""
    book = xlsxwriter.Workbook(str(path), {"date_1904": date_1904})
    sheet = book.add_worksheet("Orders")
    formats = {"date": book.add_format({"num_format": "yyyy-mm-dd hh:mm"})}
    sheet.write_row(0, 0, HEADER)
    for row, line in enumerate(lines, start=1):
        sheet.write_string(row, 0, line.customer)
        if not blank_order_id:
            sheet.write_string(row, 1, line.order)
        cell(sheet, row, 2, line.when, formats, date_1904)
        cell(sheet, row, 3, line.cents, formats, date_1904)
        sheet.write_string(row, 4, line.product)
    if locale_format:  # a formatted cell naming the book's language, as Excel writes one
        sheet.write_number(len(lines) + 3, 6, 1, book.add_format({"num_format": locale_format}))
    book.close()
    return path


def _real(sheet, row, col, value, formats, date_1904):
    if isinstance(value, dt.datetime):
        sheet.write_datetime(row, col, value, formats["date"])
    else:
        sheet.write_number(row, col, value / 100)


def _serial(sheet, row, col, value, formats, date_1904):
    """Dates as serial numbers in General cells, as a paste of values leaves them, in the book's system."""
    if isinstance(value, dt.datetime):
        epoch = dt.datetime(1904, 1, 1) if date_1904 else dt.datetime(1899, 12, 30)
        sheet.write_number(row, col, (value - epoch) / dt.timedelta(days=1))
    else:
        sheet.write_number(row, col, value / 100)


def _texts(date_text: Callable[[dt.datetime], str], amount_text: Callable[[int], str]):
    """Dates and amounts as text cells, as a CSV opened as text or pasted from a web page leaves them."""
    def write(sheet, row, col, value, formats, date_1904):
        sheet.write_string(row, col, date_text(value) if isinstance(value, dt.datetime) else amount_text(value))
    return write


ZONES = ["Z", "+00:00", "+0200", " -0500", "-07:00", " +0530", " UTC"]


def _zoned(when: dt.datetime) -> str:
    zone = ZONES[(when.toordinal() + when.minute) % len(ZONES)]  # mixed offsets across the column
    separator = "T" if when.minute % 2 else " "
    return f"{when:%Y-%m-%d}{separator}{when:%H:%M:%S}{zone}"


def _shopify(lines: list[Line], folder: Path) -> Path:
    """A Shopify orders export: one row per line item, the order's fields (Email, Financial Status, Total)
    on its first row only, Created at with its zone on every row, Name such as #5001 as the order."""
    path = folder / "orders_export.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Orders")
    sheet.write_row(0, 0, ["Name", "Email", "Financial Status", "Total", "Created at", "Lineitem quantity",
                           "Lineitem name", "Lineitem price"])
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.order] = totals.get(line.order, 0) + line.cents
    for row, line in enumerate(lines, start=1):
        first = row == 1 or lines[row - 2].order != line.order
        sheet.write_row(row, 0, [f"#{line.order}"] + ([line.customer, "paid", f"{totals[line.order] / 100:.2f}"]
                                                      if first else ["", "", ""]))
        sheet.write_row(row, 4, [f"{line.when:%Y-%m-%d %H:%M:%S} +0100", 1, line.product, f"{line.cents / 100:.2f}"])
    book.close()
    return path


@dataclass(frozen=True)
class Dialect:
    """One way an export writes orders: ``write(lines, folder) -> file``; ``one_line_orders`` when it has
    no Order ID, so every line is an order of its own."""

    name: str
    write: Callable[[list[Line], Path], Path]
    one_line_orders: bool = False


DIALECTS = [
    Dialect("xlsx, real dates and numbers", lambda lines, folder: _workbook(folder / "book.xlsx", lines, _real)),
    Dialect("xlsx in the 1904 date system, real dates",
            lambda lines, folder: _workbook(folder / "book.xlsx", lines, _real, date_1904=True)),
    Dialect("xlsx in the 1904 date system, serial numbers",
            lambda lines, folder: _workbook(folder / "book.xlsx", lines, _serial, date_1904=True)),
    Dialect("xlsx, serial numbers", lambda lines, folder: _workbook(folder / "book.xlsx", lines, _serial)),
    Dialect("German text: 1.234,50 and 31.12.2024", lambda lines, folder: _workbook(
        folder / "book.xlsx", lines, _texts(lambda d: f"{d:%d.%m.%Y}", lambda c: _amount_text(c, ",", ".")))),
    Dialect("French text: 1 234,50 € and 31/12/2024 23:59", lambda lines, folder: _workbook(
        folder / "book.xlsx", lines, _texts(lambda d: f"{d:%d/%m/%Y %H:%M}",
                                            lambda c: _amount_text(c, ",", "\u202f", "€", after=True)))),
    Dialect("US text: $1,234.50 and 12/31/2024 in a US English book", lambda lines, folder: _workbook(
        folder / "book.xlsx", lines, _texts(lambda d: f"{d:%m/%d/%Y}", lambda c: _amount_text(c, ".", ",", "$")),
        locale_format="[$-409]mm/dd/yyyy")),
    Dialect("Swiss text: 1'234.50 and 2024-12-31", lambda lines, folder: _workbook(
        folder / "book.xlsx", lines, _texts(lambda d: f"{d:%Y-%m-%d}", lambda c: _amount_text(c, ".", "'")))),
    Dialect("ISO timestamps with mixed zones", lambda lines, folder: _workbook(
        folder / "book.xlsx", lines, _texts(_zoned, lambda c: _amount_text(c, ".", "")))),
    Dialect("a blank Order ID column, one line per order", lambda lines, folder: _workbook(
        folder / "book.xlsx", lines, _real, blank_order_id=True), one_line_orders=True),
    Dialect("a Shopify line-item export, the order's fields on its first row", _shopify),
]


def score_file(path: Path) -> core.Result:
    """Read and score a written file as the headless door does (without writing the result back)."""
    contents = read_book(path)
    settings = parse_settings(contents.settings_rows) if contents.settings_rows is not None else Settings()
    return core.score(contents.orders, settings, first_row=contents.first_row, sheet=contents.orders_sheet,
                      read_issues=contents.issues, dialect=contents.dialect)


def score_in_engine(path: Path) -> core.Result:
    """Read a written file as the headless door does, and clean and sum its lines in DuckDB, as lines beyond a
    sheet are (each column handed over as Arrow reads it: text, numbers or dates)."""
    contents = read_book(path)
    settings = parse_settings(contents.settings_rows) if contents.settings_rows is not None else Settings()
    orders = contents.orders.apply(lambda column: column.map(  # a date at midnight is read as a date: a time too
        lambda v: dt.datetime.combine(v, dt.time()) if type(v) is dt.date else v))
    table = pa.Table.from_pandas(orders, preserve_index=False)
    return core.score_lines(duckdb_lines(table, contents.first_row, contents.orders_sheet, settings.date_order,
                                         settings.chosen_columns(), settings.decimal_mark, contents.dialect), settings)


# ------------------------------------------------------------ the test


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=order_lines(), dialect=st.sampled_from(DIALECTS))
def test_every_dialect_scores_as_the_orders_say(lines, dialect):
    scores_as_the_orders_say(lines, dialect, score_file)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=order_lines(), dialect=st.sampled_from(DIALECTS))
def test_every_dialect_scores_as_the_orders_say_through_the_engine(lines, dialect):
    scores_as_the_orders_say(lines, dialect, score_in_engine)


def scores_as_the_orders_say(lines: list[Line], dialect: Dialect, score: Callable[[Path], core.Result]) -> None:
    if dialect.one_line_orders:
        lines = one_line_per_order(lines)
    expected, as_of = truth(lines, dialect.one_line_orders)
    if not expected:
        return  # nobody bought anything: a run refuses that with its own message (tested elsewhere)
    with tempfile.TemporaryDirectory(prefix="rfm-dialect-") as folder:
        result = score(dialect.write(lines, Path(folder)))
    table = result.scores
    scored = {c: (r, f, m) for c, r, f, m in zip(table["customer_id"], table["recency_days"], table["frequency"],
                                                  table["monetary"], strict=True)}
    assert result.as_of == as_of
    assert scored == expected, dialect.name
    issues = issue_table(result.issues)
    skipped = issues["Action"].str.startswith("skipped")
    assert result.lines_used + skipped.sum() == result.rows_read == len(lines)  # every row used or reported
    assert not skipped.any(), issues[skipped].to_dict("records")                 # and none lost to a misreading
    unscored = issues["Action"] == "customer not scored"
    assert set(issues.loc[unscored, "Value"]) == {line.customer for line in lines} - set(expected)
    revenue_in = round(sum(line.cents for line in lines) / 100, 2)
    assert round(table["monetary"].sum(), 2) == pytest.approx(revenue_in)  # nothing unscored here holds money


def test_the_dialects_cover_the_ways_the_issue_names():
    names = " ".join(d.name for d in DIALECTS)
    for way in ("1904", "serial", "1.234,50", "$1,234.50", "zones", "blank Order ID", "31.12.2024", "12/31/2024",
                "first row"):
        assert way in names
