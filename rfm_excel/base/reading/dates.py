"""Dates as the reading rules read them: real dates, Excel serials in the book's date system, YYYYMMDD numbers,
ISO text with or without a zone (the date as written), day/month text with the order decided for the column."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .numbers import locale_convention
from .plan import DATE_AUTO, DATE_DAY_FIRST, DATE_MONTH_FIRST, Dialect
from .values import Coded

Note = tuple[str, dict]  # (kind, its facts): how a whole column was read, for the Data Issues (layout/issue_words.py)

SERIAL_YEARS = (1990, 2100)  # serial numbers are taken for dates only from 1990-01-01 to 2100-01-01
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})\b")
# A time of day followed by its zone: Z, UTC, GMT, an offset (+02:00, +0200, -05) or an abbreviation (PDT).
_ZONE = re.compile(r"^(.*\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?)"
                   r"\s*(?:Z|(?:UTC|GMT)?\s*[+-]\d\d(?::?\d\d)?|UTC|GMT|\s[A-Z]{3,5})$")
_PLAIN_ISO = r"^\d{4}-\d\d-\d\d([ T]\d\d:\d\d(:\d\d(\.\d+)?)?)?$"  # 2024-03-05, 2024-03-05 14:30:00


def parse_dates(values, date_order: str = DATE_AUTO, dialect: Dialect | None = None) -> tuple[np.ndarray, list[Note]]:
    """Dates (datetime64, NaT where unreadable) and notes (their facts) on how the column's text dates were read.

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
    if pd.api.types.is_datetime64_any_dtype(coded.typed.dtype):  # a column of real dates
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
            notes.append(("zones", {"sample": text[zoned.notna()].iloc[0]}))
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
    why: dict = {}
    if date_order in (DATE_DAY_FIRST, DATE_MONTH_FIRST):
        day_first, why["why"] = date_order == DATE_DAY_FIRST, "settings"
    elif proves_month.any() and not proves_day.any():
        day_first, why = False, {"why": "proof", "proof": text[slashed][proves_month].iloc[0]}
    elif proves_day.any() and not proves_month.any():
        day_first, why = True, {"why": "proof", "proof": text[slashed][proves_day].iloc[0]}
    elif proves_day.any():
        day_first, why["why"] = proves_day.sum() >= proves_month.sum(), "mixed"
    elif convention:
        day_first, why = convention[1], {"why": "locale", "locale": dialect.locale}
    else:
        day_first, why["why"] = True, "default"
    day, month = (first, second) if day_first else (second, first)
    year = parts[2][slashed].astype(int)
    year = year.where(year >= 100, year + 2000)
    clock = text[slashed].str.extract(r"(\d{1,2}):(\d{2})(?::(\d{2}))?").astype(float).fillna(0).astype(int)
    dates[slashed] = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day, "hour": clock[0],
                                                  "minute": clock[1], "second": clock[2]}), errors="coerce")
    sample = text[slashed].iloc[0]
    notes.insert(0, ("date_order", {"sample": sample, "day_first": bool(day_first), **why}))
    return dates, notes, bool(day_first)
