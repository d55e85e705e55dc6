"""Values as the reading rules read them, each distinct value once: a column as codes into its distinct values,
ID texts and customer keys, a value as shown in the issues list, cancelled-invoice marks."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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

    @classmethod
    def of_codes(cls, codes: np.ndarray, typed: np.ndarray) -> Coded:
        """A column already coded: ``codes`` (-1 for blank) into the distinct values ``typed``, taken as they are."""
        coded = cls.__new__(cls)
        coded.codes, coded.typed = codes, typed
        return coded

    def only(self, rows: np.ndarray) -> Coded:
        """The column with every row outside ``rows`` blank and only the values left among its distinct ones,
        where those values are evidence (text); a column of real numbers or dates is the same either way."""
        if rows.all() or self.typed.dtype.kind != "O" or not len(self.typed):
            return self
        codes = np.where(rows, self.codes, -1)
        used = np.bincount(codes[codes >= 0], minlength=len(self.typed)) > 0
        renumbered = np.cumsum(used) - 1
        return Coded.of_codes(np.where(codes >= 0, renumbered[np.maximum(codes, 0)], -1), self.typed[used])

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


def cancelled_invoices(order_ids: np.ndarray) -> np.ndarray:
    """Order IDs such as C489449 where the other IDs are plain numbers: the usual mark of a
    cancelled invoice in order exports. IDs that carry letters anyway (A1, C1) mark nothing."""
    texts = pa.array(order_ids, pa.string())
    known, numbers = len(texts) - texts.null_count, pc.sum(pc.match_substring_regex(texts, "^[0-9]+$")).as_py()
    if not known or numbers < known / 2:
        return np.zeros(len(order_ids), dtype=bool)
    return pc.fill_null(pc.match_substring_regex(texts, r"^[Cc][0-9]+$"), False).to_numpy(zero_copy_only=False)
