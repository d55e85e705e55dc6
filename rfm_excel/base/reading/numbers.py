"""Numbers as the reading rules read them: amounts written as text (currency marks, thousands marks, a decimal
point or comma decided for the whole column), and the currency the amounts carry."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import RfmError
from .columns import LABELS
from .issues import IssueList
from .plan import COMMA, DECIMAL_AUTO, DECIMAL_COMMA, DECIMAL_POINT, POINT, Dialect
from .values import Coded

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
    """The decimal mark a column's numbers are read with, and the facts of the note saying why (None: nothing to
    say): a sample, what it was read as (None: unreadable) with how many decimals, and why the mark was chosen."""

    mark: str
    facts: dict | None = None


def decimal_mark(values, setting: str = DECIMAL_AUTO, dialect: Dialect = Dialect(),
                 column: str = LABELS["amount"]) -> DecimalMark:
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
    why: dict
    for text, core in cores.items():
        proven = _proven_mark(core)
        if proven:
            proofs[proven].append(text)
        elif _ambiguous(core):
            ambiguous.append(text)
    if setting in (DECIMAL_POINT, DECIMAL_COMMA):
        mark, why = (POINT if setting == DECIMAL_POINT else COMMA), {"why": "settings"}
    elif proofs[COMMA] and proofs[POINT]:
        mark, why = COMMA if len(proofs[COMMA]) > len(proofs[POINT]) else POINT, {"why": "mixed"}
    elif proofs[COMMA] or proofs[POINT]:
        mark = COMMA if proofs[COMMA] else POINT
        why = {"why": "proof", "proof": proofs[mark][0]}
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
    if not ambiguous and proofs[mark] and not proofs[COMMA if mark == POINT else POINT] and setting == DECIMAL_AUTO:
        why = {"why": "only"}
    sample = (ambiguous or proofs[mark] or proofs[COMMA if mark == POINT else POINT])[0]
    core = cores[sample]
    read = _read_number(core, mark)
    return DecimalMark(mark, {"sample": sample, "mark": mark, "read": None if np.isnan(read) else read,
                              "decimals": len(core.rpartition(mark)[2]) if mark in core else 0, **why})


def _hinted_mark(dialect: Dialect) -> tuple[str | None, dict]:
    """The decimal mark the file suggests, and why (the hint); (None, {}) where it suggests none."""
    if dialect.delimiter == ";":
        return COMMA, {"why": "semicolons"}
    convention = locale_convention(dialect.locale)
    if convention:
        return convention[0], {"why": "locale", "locale": dialect.locale}
    if dialect.delimiter == ",":
        return POINT, {"why": "commas"}
    return None, {}


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


def noted_numbers(coded: Coded, column: str, issues: IssueList, setting: str, dialect: Dialect,
                  evidence: Coded | None = None) -> tuple[np.ndarray, np.ndarray, str | None]:
    """A column's numbers read with the decimal mark decided for it (``decimal_mark``) from its values, or those
    of ``evidence`` (the rows that count), noted in ``issues`` where it needed deciding; which rows were numbers
    written as text; and the mark decided (None for a column of real numbers)."""
    if coded.typed.dtype.kind != "O":
        return *column_numbers(coded), None
    decided = decimal_mark((evidence or coded).distinct, setting, dialect, issues.label(column))
    if decided.facts:
        issues.note(column, "decimal_mark", **decided.facts)
    return *column_numbers(coded, decided.mark), decided.mark


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
