"""Typed settings: defaults, the Settings sheet's rows, and parsing with errors that name the cell."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

import numpy as np

from .errors import RfmError
from .excel import cell_name
from .orders import DECIMAL_AUTO, DECIMAL_COMMA, DECIMAL_POINT, number_value

DATE_AUTO, DATE_DAY_FIRST, DATE_MONTH_FIRST = "Auto", "Day first", "Month first"
BEST_HIGHEST = "Highest"
BEST_LOWEST = "Lowest"
MAX_BINS = 9  # one digit per letter in the RFM code


@dataclass(frozen=True)
class SegmentRule:
    """One row of the segment table; bounds are on a 1-5 scale where 5 is best."""

    name: str
    r_min: int = 1
    r_max: int = 5
    f_min: int = 1
    f_max: int = 5
    m_min: int = 1
    m_max: int = 5
    action: str = ""
    channel: str = "Email"
    cost: float = 0.0  # per contact
    holdout: float = 0.0  # share of the segment kept back as a control group, 0 to 1
    do_not_contact: bool = False


DEFAULT_SEGMENTS = (
    SegmentRule("Champions", 4, 5, 4, 5, 4, 5,
                "Reward them: early access, loyalty perks; ask for reviews and referrals. No discount needed.",
                "Direct mail", 1.5),
    SegmentRule("Loyal", 3, 5, 4, 5, 1, 5,
                "Upsell higher-value products; invite them to a loyalty programme."),
    SegmentRule("Potential Loyalist", 4, 5, 2, 3, 1, 5,
                "Recommend related products; offer a membership to build the habit."),
    SegmentRule("New Customers", 5, 5, 1, 1, 1, 5,
                "Welcome them and help them to a second order soon."),
    SegmentRule("Promising", 4, 4, 1, 1, 1, 5,
                "Build awareness: a useful guide or a small offer on a second order."),
    SegmentRule("Need Attention", 3, 3, 3, 3, 1, 5,
                "Reconnect with a personal, limited-time offer based on past purchases."),
    SegmentRule("About to Sleep", 3, 3, 1, 2, 1, 5,
                "Share bestsellers and a modest discount before they go quiet."),
    SegmentRule("Can't Lose Them", 1, 2, 4, 5, 4, 5,
                "Call or write personally; make a strong win-back offer.", "Phone", 4.0),
    SegmentRule("At Risk", 1, 2, 3, 5, 1, 5,
                "Send a personalised win-back offer; ask what went wrong.", "Direct mail", 1.5),
    SegmentRule("Hibernating", 2, 2, 1, 2, 1, 5,
                "Low-cost reminders only, such as a seasonal email."),
    SegmentRule("Lost", 1, 1, 1, 2, 1, 5,
                "Spend nothing on them beyond an occasional automated email.", do_not_contact=True),
)
UNMATCHED_SEGMENT = "Unclassified"


@dataclass(frozen=True)
class Settings:
    """Everything a run can be told; every field has a default."""

    as_of: dt.date | None = None
    window_months: int | None = None
    recency_bins: int = 5
    frequency_bins: int = 5
    monetary_bins: int = 5
    recency_breakpoints: tuple[float, ...] | None = None
    frequency_breakpoints: tuple[float, ...] | None = None
    monetary_breakpoints: tuple[float, ...] | None = None
    best_score: str = BEST_HIGHEST
    recency_weight: float = 1.0
    frequency_weight: float = 1.0
    monetary_weight: float = 1.0
    currency_symbol: str = ""
    date_order: str = DATE_AUTO
    decimal_mark: str = DECIMAL_AUTO
    customer_column: str | None = None
    order_column: str | None = None
    date_column: str | None = None
    amount_column: str | None = None
    recent_purchase_days: int = 7
    contact_lead_days: int = 7
    holdout_seed: str = "rfm"
    campaign_date: dt.date | None = None
    response_days: int = 30
    watch_return_share: float = 0.25
    watch_complaint_rate: float = 0.5
    segments: tuple[SegmentRule, ...] = field(default=DEFAULT_SEGMENTS)

    def chosen_columns(self) -> dict[str, str]:
        """Order columns named in Settings: canonical name -> header."""
        named = {"customer_id": self.customer_column, "order_id": self.order_column,
                 "order_date": self.date_column, "amount": self.amount_column}
        return {column: header for column, header in named.items() if header}

    def bins(self, dimension: str) -> int:
        """Number of score levels for 'recency', 'frequency' or 'monetary'."""
        breakpoints = getattr(self, f"{dimension}_breakpoints")
        return len(breakpoints) + 1 if breakpoints else getattr(self, f"{dimension}_bins")

    def with_as_of(self, as_of: dt.date | None) -> Settings:
        return self if as_of is None else replace(self, as_of=as_of)


@dataclass(frozen=True)
class SettingRow:
    """How one setting appears on the Settings sheet."""

    key: str
    label: str
    help: str
    choices: tuple[str, ...] = ()


SETTING_ROWS = (
    SettingRow("as_of", "As-of date",
               "Date the scores are worked out for. Leave blank for the day after the latest order."),
    SettingRow("window_months", "Time window (months)",
               "Count Frequency and Monetary over only the last N months (e.g. 12). Blank = all history."),
    SettingRow("recency_bins", "Recency score levels",
               "How many score levels: 5 = quintiles, 4 = quartiles, 3 = low/mid/high.",
               ("5", "4", "3")),
    SettingRow("frequency_bins", "Frequency score levels", "As above, for Frequency.", ("5", "4", "3")),
    SettingRow("monetary_bins", "Monetary score levels", "As above, for Monetary.", ("5", "4", "3")),
    SettingRow("recency_breakpoints", "Recency breakpoints (days)",
               "Optional fixed limits instead of levels, e.g. 30, 90, 180, 365 (most recent scores best)."),
    SettingRow("frequency_breakpoints", "Frequency breakpoints (orders)",
               "Optional fixed limits, e.g. 1, 2, 4, 8: 1 order scores lowest, more than 8 highest."),
    SettingRow("monetary_breakpoints", "Monetary breakpoints (revenue)",
               "Optional fixed limits, e.g. 50, 200, 500, 2000."),
    SettingRow("best_score", "Best score is",
               "Highest: 5 is best (usual). Lowest: 1 is best.", (BEST_HIGHEST, BEST_LOWEST)),
    SettingRow("recency_weight", "Recency weight", "Weight of R in the RFM Score (the weighted sum of R, F and M)."),
    SettingRow("frequency_weight", "Frequency weight", "Weight of F in the RFM Score."),
    SettingRow("monetary_weight", "Monetary weight", "Weight of M in the RFM Score."),
    SettingRow("currency_symbol", "Currency symbol", "Shown before money amounts, e.g. £, $ or €. Blank = none."),
    SettingRow("date_order", "Dates are written",
               "For text dates such as 03/04/2024. Auto: decided from the whole column (see Data Issues).",
               (DATE_AUTO, DATE_DAY_FIRST, DATE_MONTH_FIRST)),
    SettingRow("decimal_mark", "Decimal mark",
               "For amounts written as text such as 1.234,50. Automatic: decided from each column (see Data Issues).",
               (DECIMAL_AUTO, DECIMAL_POINT, DECIMAL_COMMA)),
    SettingRow("customer_column", "Customer ID column",
               "Header of the column holding customer IDs, if it is not found by itself. Blank = detect."),
    SettingRow("order_column", "Order ID column", "Header of the order or invoice number column. Blank = detect."),
    SettingRow("date_column", "Order Date column", "Header of the order date column. Blank = detect."),
    SettingRow("amount_column", "Amount column", "Header of the order amount column. Blank = detect."),
    SettingRow("recent_purchase_days", "Leave out buyers of the last (days)",
               "Customers who bought within this many days of the as-of date are left out of the Contact Plan. "
               "0 = nobody."),
    SettingRow("contact_lead_days", "Contact ahead of the due date (days)",
               "The Contact Plan suggests contacting a customer this many days before their next order is due."),
    SettingRow("holdout_seed", "Holdout seed",
               "Any word or number. With a Holdout % in the segment table it decides who is held out; "
               "keep it to keep the groups."),
    SettingRow("campaign_date", "Campaign date",
               "Date a campaign went out. Campaign Results then compares orders after it: contacted vs held out."),
    SettingRow("response_days", "Campaign response window (days)",
               "Orders within this many days after the campaign date count as responses."),
    SettingRow("watch_return_share", "Watch: returns share at least",
               "With a Returned column in the orders: flag customers who return this share of what they buy."),
    SettingRow("watch_complaint_rate", "Watch: complaints per order at least",
               "With a Complaint column in the orders: flag customers with this many complaints per order."),
)
SEGMENT_HEADER = ("Segment", "R min", "R max", "F min", "F max", "M min", "M max", "Recommended Action")
SEGMENT_PLAN_HEADER = ("Channel", "Cost per Contact", "Holdout %", "Do Not Contact")  # beside SEGMENT_HEADER
CHANNELS = ("Email", "Direct mail", "Phone", "SMS")
PERCENT_SETTINGS = ("watch_return_share",)
YES, NO = "Yes", "No"


def setting_value_for_sheet(settings: Settings, key: str):
    """The value a Settings sheet shows for one setting (blank as None)."""
    value = getattr(settings, key)
    if value is None:
        return None
    if key.endswith("_breakpoints"):
        return ", ".join(_number_text(v) for v in value)
    return value


def segment_plan_values(rule: SegmentRule) -> list:
    """The values a Settings sheet shows beside a segment row, under SEGMENT_PLAN_HEADER."""
    return [rule.channel, rule.cost, rule.holdout, YES if rule.do_not_contact else ""]


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _label(value) -> str:
    return re.sub(r"\s+", " ", str(value)).strip().lower() if isinstance(value, str) else ""


class _Cell:
    """A value from the Settings sheet that knows where it came from, for error messages."""

    def __init__(self, sheet: str, row: int, col: int, label: str, value):
        self.where = f"{sheet}!{cell_name(row, col)} ({label})"
        self.value = value.strip() if isinstance(value, str) else value

    def fail(self, need: str):
        raise RfmError(f"{self.where} must be {need}; it says {self.value!r}.")

    def whole(self, low: int, high: int | None = None) -> int:
        number = _to_number(self.value)
        if number is None or not float(number).is_integer() or number < low or (high and number > high):
            self.fail(f"a whole number from {low} to {high}" if high else f"a whole number of at least {low}")
        return int(number)

    def number(self) -> float:
        number = _to_number(self.value)
        if number is None or number < 0:
            self.fail("a number of 0 or more")
        return float(number)

    def date(self) -> dt.date:
        if isinstance(self.value, dt.datetime):
            return self.value.date()
        if isinstance(self.value, dt.date):
            return self.value
        try:
            return dt.date.fromisoformat(str(self.value))
        except ValueError:
            self.fail("a date such as 2024-12-31")

    def share(self) -> float:
        """A percentage: 10%, 0.1 and 10 all mean ten per cent (a number above 1 counts as per cent)."""
        text = str(self.value).strip()
        number = _to_number(text[:-1] if text.endswith("%") else self.value)
        if number is not None and (text.endswith("%") or number > 1):
            number /= 100
        if number is None or not 0 <= number <= 1:
            self.fail("a percentage from 0% to 100%, e.g. 10%")
        return float(number)

    def text(self) -> str:
        """Text as typed; a whole number read as 7.0 is 7."""
        if isinstance(self.value, float) and self.value.is_integer():
            return str(int(self.value))
        return str(self.value)

    def yes_no(self) -> bool:
        answer = _label(self.value) if isinstance(self.value, str) else str(self.value).lower()
        if answer in ("yes", "y", "x", "true", "1", "1.0"):
            return True
        if answer in ("no", "n", "false", "0", "0.0"):
            return False
        self.fail("Yes, No or blank")

    def breakpoints(self) -> tuple[float, ...]:
        parts = [p for p in re.split(r"[;,\s]+", str(self.value)) if p] if isinstance(self.value, str) else [self.value]
        numbers = [_to_number(p) for p in parts]
        if any(n is None for n in numbers) or numbers != sorted(set(numbers)) or len(numbers) + 1 > MAX_BINS:
            self.fail(f"increasing numbers separated by commas (at most {MAX_BINS - 1}), e.g. 30, 90, 180")
        return tuple(float(n) for n in numbers)

    def choice(self, choices: tuple[str, ...]) -> str:
        for choice in choices:
            if _label(self.value) == choice.lower():
                return choice
        self.fail("one of " + ", ".join(choices))


def _to_number(value) -> float | None:
    number = number_value(value)[0]
    return None if np.isnan(number) else number


def parse_settings(rows: list[list], sheet: str = "Settings") -> Settings:
    """Read a Settings sheet given as a grid of values (row 0 = sheet row 1).

    Labels are looked up in column A, their values in column B; the segment table is the
    block under the row whose first cell is "Segment". Blank values keep the defaults.
    """
    by_label = {row.label.lower(): row for row in SETTING_ROWS}
    values: dict = {}
    segments = None
    for r, line in enumerate(rows):
        label = _label(line[0]) if line else ""
        if label == "segment":
            segments = _parse_segments(rows, r, sheet)
            break
        row = by_label.get(label)
        if row is None or len(line) < 2 or _blank(line[1]):
            continue
        cell = _Cell(sheet, r, 1, row.label, line[1])
        values[row.key] = _parse_value(row, cell)
    if segments is not None:
        values["segments"] = segments
    return Settings(**values)


def _parse_value(row: SettingRow, cell: _Cell):
    key = row.key
    if key in ("as_of", "campaign_date"):
        return cell.date()
    if key in ("window_months", "response_days"):
        return cell.whole(1)
    if key in ("recent_purchase_days", "contact_lead_days"):
        return cell.whole(0)
    if key == "holdout_seed":
        return cell.text()
    if key in PERCENT_SETTINGS:
        return cell.share()
    if key == "watch_complaint_rate":
        return cell.number()
    if key.endswith("_bins"):
        return cell.whole(2, MAX_BINS)
    if key.endswith("_breakpoints"):
        return cell.breakpoints()
    if key.endswith("_weight"):
        return cell.number()
    if row.choices:
        return cell.choice(row.choices)
    return str(cell.value)


def _parse_segments(rows: list[list], header_row: int, sheet: str) -> tuple[SegmentRule, ...]:
    rules = []
    for r in range(header_row + 1, len(rows)):
        line = list(rows[r]) + [None] * (len(SEGMENT_HEADER) + len(SEGMENT_PLAN_HEADER))
        if all(_blank(v) for v in line[: len(SEGMENT_HEADER)]):
            break
        name = str(line[0]).strip() if not _blank(line[0]) else None
        if name is None:
            raise RfmError(f"{sheet}!{cell_name(r, 0)} needs a segment name, or clear the whole row.")
        bounds = []
        for c in range(1, 7):
            cell = _Cell(sheet, r, c, f"{name}: {SEGMENT_HEADER[c]}", line[c])
            bounds.append((1 if c % 2 else 5) if _blank(line[c]) else cell.whole(1, 5))
        for c in (1, 3, 5):
            if bounds[c - 1] > bounds[c]:
                raise RfmError(
                    f"{sheet}!{cell_name(r, c)} ({name}): {SEGMENT_HEADER[c]} is above {SEGMENT_HEADER[c + 1]}; "
                    "swap them.")
        action = "" if _blank(line[7]) else str(line[7]).strip()
        rules.append(SegmentRule(name, *bounds, action, **_segment_plan(line, r, name, sheet)))
    if not rules:
        raise RfmError(f"{sheet}: the segment table under {cell_name(header_row, 0)} is empty; add at least one segment.")
    return tuple(rules)


def _segment_plan(line: list, r: int, name: str, sheet: str) -> dict:
    """Channel, cost per contact, holdout share and do-not-contact mark of one segment row (blank = default)."""
    first = len(SEGMENT_HEADER)
    cells = {key: _Cell(sheet, r, first + i, f"{name}: {SEGMENT_PLAN_HEADER[i]}", line[first + i])
             for i, key in enumerate(("channel", "cost", "holdout", "do_not_contact")) if not _blank(line[first + i])}
    read = {"channel": _Cell.text, "cost": _Cell.number, "holdout": _Cell.share, "do_not_contact": _Cell.yes_no}
    return {key: read[key](cell) for key, cell in cells.items()}
