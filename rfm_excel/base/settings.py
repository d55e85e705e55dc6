"""Typed settings: defaults, the Settings sheet's rows, and parsing with errors that name the cell."""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from .errors import RfmError
from .excel import cell_name
from .reading.numbers import number_value
from .reading.plan import (
    AUTOMATIC,
    DATE_AUTO,
    DATE_DAY_FIRST,
    DATE_MONTH_FIRST,
    DECIMAL_AUTO,
    DECIMAL_COMMA,
    DECIMAL_POINT,
)

DATE_SYSTEM_AUTO, DATE_1900, DATE_1904 = AUTOMATIC, "1900 dates", "1904 dates"  # the date system
FORECAST_MODIFIED, FORECAST_PLAIN = "Modified BG/NBD", "BG/NBD"  # the forecast models (domain/forecast.py)
ON, OFF = "On", "Off"
BEST_HIGHEST = "Highest"
BEST_LOWEST = "Lowest"
MAX_BINS = 9  # one digit per letter in the RFM code


# ---------------------------------------------------------------- what each setting may be, said once


@dataclass(frozen=True)
class Rule:
    """What one setting may be, for the Settings sheet and for ``Settings`` made in Python alike.

    ``need`` says it in words (a message reads "... must be <need>"); ``typed`` gives a value in its
    type, or None where it is not acceptable; ``read`` first turns a Settings sheet cell into such a
    value (text into a number, 10% into 0.1), and ``show`` turns a value back into what the cell shows.
    ``choices`` is the cell's drop-down, ``number_format`` its format.
    """

    need: str
    typed: Callable[[Any], Any]
    read: Callable[[Any], Any] = lambda value: value
    show: Callable[[Any], Any] = lambda value: value
    choices: tuple[str, ...] = ()
    number_format: str | None = None


def _real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def whole(low: int, high: int | None = None) -> Rule:
    """A whole number from ``low`` (to ``high``).

    Examples
    --------
    >>> levels = whole(2, 9)
    >>> levels.typed(5.0), levels.typed(12), levels.typed(levels.read("4")), levels.need
    (5, None, 4, 'a whole number from 2 to 9')
    """
    def typed(value):
        fits = _real(value) and float(value).is_integer() and value >= low and (high is None or value <= high)
        return int(value) if fits else None
    need = f"a whole number from {low} to {high}" if high is not None else f"a whole number of at least {low}"
    return Rule(need, typed, lambda value: _to_number(value))


def levels(high: int) -> Rule:
    """A number of score levels from 2 to ``high``, chosen from a drop-down."""
    return replace(whole(2, high), choices=tuple(str(n) for n in range(2, high + 1)))


def _share_read(value):
    """10%, 0.1 and 10 all mean ten per cent (a number above 1 counts as per cent)."""
    text = str(value).strip()
    number = _to_number(text[:-1] if text.endswith("%") else value)
    if number is not None and (text.endswith("%") or number > 1):
        number /= 100
    return number


def _date_typed(value):
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _date_read(value):
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _breakpoints_typed(value):
    if not isinstance(value, (tuple, list)) or not all(_real(v) for v in value):
        return None
    limits = tuple(float(v) for v in value)
    return limits if limits and list(limits) == sorted(set(limits)) and len(limits) < MAX_BINS else None


def _breakpoints_read(value):
    parts = [p for p in re.split(r"[;,\s]+", value) if p] if isinstance(value, str) else [value]
    numbers = [_to_number(p) for p in parts]
    return None if None in numbers else numbers


def _text_typed(value):
    """Text as typed; a whole number read as 7.0 is 7."""
    if isinstance(value, str):
        return value
    if _real(value):
        return str(int(value)) if float(value).is_integer() else str(value)
    return None


def _yes_no_read(value):
    answer = _label(value) if isinstance(value, str) else str(value).lower()
    return True if answer in ("yes", "y", "x", "true", "1", "1.0") else \
        False if answer in ("no", "n", "false", "0", "0.0") else None


def choice(choices: tuple[str, ...]) -> Rule:
    """One of ``choices``, written in any case."""
    return Rule("one of " + ", ".join(choices),
                lambda value: next((c for c in choices if _label(value) == c.lower()), None), choices=choices)


NUMBER = Rule("a number of 0 or more", lambda value: float(value) if _real(value) and value >= 0 else None,
              lambda value: _to_number(value))
SHARE = Rule("a percentage from 0% to 100%, e.g. 10% (0.1)", lambda value: float(value) if _real(value) and
             0 <= value <= 1 else None, _share_read, number_format="0%")
DATE = Rule("a date such as 2024-12-31", _date_typed, _date_read)
BREAKPOINTS = Rule(f"increasing numbers separated by commas (at most {MAX_BINS - 1}), e.g. 30, 90, 180",
                   _breakpoints_typed, _breakpoints_read, lambda value: ", ".join(_number_text(v) for v in value))
TEXT = Rule("a word or a number", _text_typed)
WORDS = Rule("words or codes separated by commas", lambda value: tuple(str(v).strip() for v in value)
             if isinstance(value, (tuple, list)) and all(isinstance(v, (str, int)) for v in value) else None,
             lambda value: [part.strip() for part in re.split(r"[,;]", _text_typed(value) or "") if part.strip()],
             lambda value: ", ".join(value) or None)
ON_OFF = Rule("On or Off", lambda value: value if isinstance(value, bool) else None,
              lambda value: {"on": True, "off": False}.get(_label(value)), lambda value: ON if value else OFF,
              (ON, OFF))
DISCOUNT = Rule("a percentage from 0% to 99%, e.g. 1%", lambda value: float(value) if _real(value) and
                0 <= value < 1 else None, _share_read, number_format="0%")
YES_NO = Rule("Yes, No or blank", lambda value: value if isinstance(value, bool) else None, _yes_no_read)
SEGMENT_BOUND = whole(1, 5)


def unordered_bound(bounds: list[int]) -> int | None:
    """The index (0, 2 or 4) of the first minimum above its maximum in R, F and M bounds, if any."""
    return next((i for i in (0, 2, 4) if bounds[i] > bounds[i + 1]), None)


def checked(value, rule: Rule, name: str):
    """``value`` in its type by ``rule``, or an RfmError naming ``name`` (a setting made in Python, a function's
    argument)."""
    typed = rule.typed(value)
    if typed is None:
        raise RfmError(f"{name} must be {rule.need}; it is {value!r}.")
    return typed


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

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise RfmError(f"A segment needs a name; it is {self.name!r}.")
        where = f"Segment {self.name!r}:"
        bounds = ("r_min", "r_max", "f_min", "f_max", "m_min", "m_max")
        for key in bounds:
            object.__setattr__(self, key, checked(getattr(self, key), SEGMENT_BOUND, f"{where} {key}"))
        wrong = unordered_bound([getattr(self, key) for key in bounds])
        if wrong is not None:
            raise RfmError(f"{where} {bounds[wrong]} is above {bounds[wrong + 1]}; swap them.")
        for key, rule in (("action", TEXT), ("channel", TEXT), ("cost", NUMBER), ("holdout", SHARE),
                          ("do_not_contact", YES_NO)):
            object.__setattr__(self, key, checked(getattr(self, key), rule, f"{where} {key}"))


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
class Setting:
    """One setting as its Settings field declares it: the row on the Settings sheet, the rule and the default.

    The key is the field's name. Blank (None) is allowed exactly where the default is None (work it out, or
    none); the drop-down is the rule's choices.
    """

    label: str
    rule: Rule
    help: str
    key: str = ""
    default: Any = None

    @property
    def choices(self) -> tuple[str, ...]:
        return self.rule.choices

    @property
    def blank_allowed(self) -> bool:
        return self.default is None

    def on_sheet(self, settings: Settings):
        """The value a Settings sheet shows for this setting of ``settings`` (blank as None)."""
        value = getattr(settings, self.key)
        return None if value is None else self.rule.show(value)


def setting(default, label: str, rule: Rule, help: str) -> Any:
    """A field of Settings: its default, its label and help text on the Settings sheet, and its rule."""
    return field(default=default, metadata={Setting: Setting(label, rule, help)})


@dataclass(frozen=True)
class Settings:
    """Everything a run can be told; every field has a default. Each field but ``segments`` is declared with
    ``setting`` and is one row of the Settings sheet (SETTING_ROWS)."""

    as_of: dt.date | None = setting(
        None, "As-of date", DATE,
        "Date the scores are worked out for. Leave blank for the day after the latest order.")
    window_months: int | None = setting(
        None, "Time window (months)", whole(1),
        "Count Frequency and Monetary over only the last N months (e.g. 12). Blank = all history.")
    recency_bins: int = setting(
        5, "Recency score levels", levels(MAX_BINS),
        f"How many score levels, 2 to {MAX_BINS}: 5 = quintiles, 4 = quartiles, 3 = low/mid/high.")
    frequency_bins: int = setting(5, "Frequency score levels", levels(MAX_BINS), "As above, for Frequency.")
    monetary_bins: int = setting(5, "Monetary score levels", levels(MAX_BINS), "As above, for Monetary.")
    recency_breakpoints: tuple[float, ...] | None = setting(
        None, "Recency breakpoints (days)", BREAKPOINTS,
        "Optional fixed limits instead of levels, e.g. 30, 90, 180, 365 (most recent scores best).")
    frequency_breakpoints: tuple[float, ...] | None = setting(
        None, "Frequency breakpoints (orders)", BREAKPOINTS,
        "Optional fixed limits, e.g. 1, 2, 4, 8: 1 order scores lowest, more than 8 highest.")
    monetary_breakpoints: tuple[float, ...] | None = setting(
        None, "Monetary breakpoints (revenue)", BREAKPOINTS, "Optional fixed limits, e.g. 50, 200, 500, 2000.")
    best_score: str = setting(
        BEST_HIGHEST, "Best score is", choice((BEST_HIGHEST, BEST_LOWEST)),
        "Highest: 5 is best (usual). Lowest: 1 is best.")
    recency_weight: float = setting(
        1.0, "Recency weight", NUMBER, "Weight of R in the RFM Score (the weighted sum of R, F and M).")
    frequency_weight: float = setting(1.0, "Frequency weight", NUMBER, "Weight of F in the RFM Score.")
    monetary_weight: float = setting(1.0, "Monetary weight", NUMBER, "Weight of M in the RFM Score.")
    currency_symbol: str = setting(
        "", "Currency symbol", TEXT, "Shown before money amounts, e.g. £, $ or €. Blank = none.")
    date_order: str = setting(
        DATE_AUTO, "Dates are written", choice((DATE_AUTO, DATE_DAY_FIRST, DATE_MONTH_FIRST)),
        "For text dates such as 03/04/2024. Auto: decided from the whole column (see Data Issues).")
    decimal_mark: str = setting(
        DECIMAL_AUTO, "Decimal mark", choice((DECIMAL_AUTO, DECIMAL_POINT, DECIMAL_COMMA)),
        "For amounts written as text such as 1.234,50. Automatic: decided from each column (see Data Issues).")
    date_system: str = setting(
        DATE_SYSTEM_AUTO, "Date system", choice((DATE_SYSTEM_AUTO, DATE_1900, DATE_1904)),
        "Automatic: read from the workbook. Only xlwings Lite cannot read it: there, choose 1904 dates for a "
        "workbook set to Excel's \"Use 1904 date system\" (some older Mac workbooks).")
    customer_column: str | None = setting(
        None, "Customer ID column", TEXT,
        "Header of the column holding customer IDs, if it is not found by itself. Blank = detect.")
    order_column: str | None = setting(
        None, "Order ID column", TEXT, "Header of the order or invoice number column. Blank = detect.")
    date_column: str | None = setting(
        None, "Order Date column", TEXT, "Header of the order date column. Blank = detect.")
    amount_column: str | None = setting(
        None, "Amount column", TEXT, "Header of the order amount column. Blank = detect.")
    product_column: str | None = setting(
        None, "Product column", TEXT,
        "Header of the product code (or product name) column, for the offers. Blank = detect.")
    do_not_recommend: tuple[str, ...] = setting(
        (), "Do not recommend (products)", WORDS,
        "Product codes never to offer, separated by commas, e.g. postage, gift cards, discontinued lines.")
    pair_min_support: int = setting(
        10, "Bought together: at least (customers)", whole(1),
        "A product is offered for another only when at least this many customers bought both.")
    filter_column: str | None = setting(
        None, "Score only orders where", TEXT,
        "Header of a column such as Category, Product or Channel, to score only some orders. Blank = all.")
    filter_values: tuple[str, ...] = setting(
        (), "... is one of", WORDS,
        "The values of that column to keep, separated by commas, e.g. Furniture, Lighting.")
    recent_purchase_days: int = setting(
        7, "Leave out buyers of the last (days)", whole(0),
        "Customers who bought within this many days of the as-of date are left out of the Contact Plan. "
        "0 = nobody.")
    contact_lead_days: int = setting(
        7, "Contact ahead of the due date (days)", whole(0),
        "The Contact Plan suggests contacting a customer this many days before their next order is due.")
    holdout_seed: str = setting(
        "rfm", "Holdout seed", TEXT,
        "Any word or number. With a Holdout % in the segment table it decides who is held out; "
        "keep it to keep the groups.")
    campaign_date: dt.date | None = setting(
        None, "Campaign date", DATE,
        "Date a campaign went out. Campaign Results then compares orders after it: contacted vs held out.")
    response_days: int = setting(
        30, "Campaign response window (days)", whole(1),
        "Orders within this many days after the campaign date count as responses.")
    watch_return_share: float = setting(
        0.25, "Watch: returns share at least", SHARE,
        "With a Returned column in the orders: flag customers who return this share of what they buy.")
    watch_complaint_rate: float = setting(
        0.5, "Watch: complaints per order at least", NUMBER,
        "With a Complaint column in the orders: flag customers with this many complaints per order.")
    forecast: bool = setting(
        True, "Forecast", ON_OFF,
        "On: forecast each customer's chance of buying again and their value "
        "(the Forecast sheet explains it). Off: leave it out.")
    forecast_horizon_days: int = setting(
        365, "Forecast horizon (days)", whole(1),
        "Expected Orders and Predicted Value count what a customer buys in this many days from the as-of date.")
    forecast_model: str = setting(
        FORECAST_MODIFIED, "Forecast model", choice((FORECAST_MODIFIED, FORECAST_PLAIN)),
        "Modified BG/NBD (usual) lets a customer drop out after one order too; BG/NBD is the original model. "
        "The Forecast sheet shows which predicted your shop better.")
    monthly_discount_rate: float = setting(
        0.0, "Monthly discount rate", DISCOUNT,
        "Counts money expected later as worth less today, e.g. 1% a month. 0 = no discounting.")
    slipping_below: float = setting(
        0.3, "Slipping away below P(Active)", SHARE,
        "A valuable customer whose chance of still buying falls below this is flagged: act now.")
    best_segments: tuple[str, ...] = setting(
        ("Champions", "Loyal"), "Best customers are (segments)", WORDS,
        "The segments whose customers are the best, separated by commas: the Customer Profile compares them "
        "with all customers, and they seed the look-alike audiences.")
    profile_columns: tuple[str, ...] = setting(
        (), "Profile columns", WORDS,
        "Headers of the columns that describe a customer (e.g. Country, Channel, Industry), separated by "
        "commas. Blank = detect.")
    profile_ignore: tuple[str, ...] = setting(
        (), "Leave out of the profile", WORDS, "Headers never to use as customer attributes.")
    profile_min_customers: int = setting(
        20, "Profile: at least (customers)", whole(1),
        "A value held by fewer customers is marked on the Customer Profile as resting on few customers.")
    default_country: str = setting(
        "", "Default country (phones)", TEXT,
        "For ad audiences: the country of phone numbers written without a country code, for customers "
        "whose Country is blank, e.g. GB or United Kingdom.")
    segments: tuple[SegmentRule, ...] = field(default=DEFAULT_SEGMENTS)

    def __post_init__(self):
        """Check every setting by the rule the Settings sheet is read by, with the same words."""
        for row in SETTING_ROWS:
            value = getattr(self, row.key)
            if value is not None or not row.blank_allowed:
                object.__setattr__(self, row.key, checked(value, row.rule, f"Settings {row.key}"))
        segments = self.segments
        if not isinstance(segments, (tuple, list)) or not segments or \
                not all(isinstance(rule, SegmentRule) for rule in segments):
            raise RfmError(f"Settings segments must be at least one SegmentRule; it is {segments!r}.")
        object.__setattr__(self, "segments", tuple(segments))

    @property
    def filter_label(self) -> str:
        """The filter of the orders in words, "Category: Furniture, Lighting"; "" when all orders are scored."""
        return f"{self.filter_column}: {', '.join(self.filter_values)}" if self.filter_column else ""

    def chosen_columns(self) -> dict[str, str]:
        """Order columns named in Settings: canonical name -> header."""
        named = {"customer_id": self.customer_column, "order_id": self.order_column,
                 "order_date": self.date_column, "amount": self.amount_column, "product": self.product_column}
        return {column: header for column, header in named.items() if header}

    def bins(self, dimension: str) -> int:
        """Number of score levels for 'recency', 'frequency' or 'monetary'."""
        breakpoints = getattr(self, f"{dimension}_breakpoints")
        return len(breakpoints) + 1 if breakpoints else getattr(self, f"{dimension}_bins")

    def with_as_of(self, as_of: dt.date | None) -> Settings:
        return self if as_of is None else replace(self, as_of=as_of)


SETTING_ROWS = tuple(replace(f.metadata[Setting], key=f.name, default=f.default)
                     for f in fields(Settings) if Setting in f.metadata)  # the Settings sheet's rows, in order
SEGMENT_HEADER = ("Segment", "R min", "R max", "F min", "F max", "M min", "M max", "Recommended Action")
SEGMENT_PLAN_HEADER = ("Channel", "Cost per Contact", "Holdout %", "Do Not Contact")  # beside SEGMENT_HEADER
CHANNELS = ("Email", "Direct mail", "Phone", "SMS")
YES, NO = "Yes", "No"


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

    def by(self, rule: Rule):
        """The cell's value read and checked by ``rule``."""
        typed = rule.typed(rule.read(self.value))
        if typed is None:
            self.fail(rule.need)
        return typed


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
        values[row.key] = cell.by(row.rule)
    if segments is not None:
        values["segments"] = segments
    return Settings(**values)


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
            bounds.append((1 if c % 2 else 5) if _blank(line[c]) else cell.by(SEGMENT_BOUND))
        wrong = unordered_bound(bounds)
        if wrong is not None:
            c = wrong + 1
            raise RfmError(f"{sheet}!{cell_name(r, c)} ({name}): {SEGMENT_HEADER[c]} is above "
                           f"{SEGMENT_HEADER[c + 1]}; swap them.")
        action = "" if _blank(line[7]) else str(line[7]).strip()
        r_min, r_max, f_min, f_max, m_min, m_max = bounds
        rules.append(SegmentRule(name, r_min, r_max, f_min, f_max, m_min, m_max, action,
                                 **_segment_plan(line, r, name, sheet)))
    if not rules:
        raise RfmError(f"{sheet}: the segment table under {cell_name(header_row, 0)} is empty; add at least "
                       "one segment.")
    return tuple(rules)


def _segment_plan(line: list, r: int, name: str, sheet: str) -> dict:
    """Channel, cost per contact, holdout share and do-not-contact mark of one segment row (blank = default)."""
    first = len(SEGMENT_HEADER)
    cells = {key: _Cell(sheet, r, first + i, f"{name}: {SEGMENT_PLAN_HEADER[i]}", line[first + i])
             for i, key in enumerate(("channel", "cost", "holdout", "do_not_contact")) if not _blank(line[first + i])}
    rules = {"channel": TEXT, "cost": NUMBER, "holdout": SHARE, "do_not_contact": YES_NO}
    return {key: cell.by(rules[key]) for key, cell in cells.items()}
