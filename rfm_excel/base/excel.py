"""Facts of Excel's file format that every reader and writer shares: dates, limits and cell names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = np.datetime64("1899-12-30", "D")  # day 0 of Excel's 1900 date system, as its serial numbers count
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # the most a sheet holds
MAX_TEXT = 32_767  # the most characters (UTF-16 code units) a cell holds
CUT_MARK = " … [cut: a cell holds 32,767 characters]"
PLAIN_INTEGER = "^(0|[1-9][0-9]{0,14})$"  # digits Excel shows unchanged as a number: not 007, 1e5 or " 7"


def column_letter(col: int) -> str:
    """The letters of a zero-based column: 0 -> A, 26 -> AA."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """The one-based number of a column's letters: A -> 1, AA -> 27."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def cell_name(row: int, col: int) -> str:
    """A1-style name of a zero-based (row, col)."""
    return f"{column_letter(col)}{row + 1}"


def plain_integers(ids) -> bool:
    """Whether every ID (blanks aside) is a number Excel would show unchanged, so that it can be
    written as a number. ``ids``: Arrow text, or any sequence of values (taken as their str())."""
    if not isinstance(ids, pa.Array):
        ids = pa.array([None if v is None or v is pd.NA or v != v else str(v) for v in ids], pa.string())
    return pc.all(pc.match_substring_regex(ids, PLAIN_INTEGER)).as_py() is not False


def cut_text(text: str) -> str:
    """``text`` as a cell can hold it: cut, ending with CUT_MARK, where it is longer than Excel allows.

    Examples
    --------
    >>> cut_text("short") == "short", len(cut_text("x" * 40_000)), cut_text("x" * 40_000).endswith(CUT_MARK)
    (True, 32767, True)
    """
    if len(text) <= MAX_TEXT // 2:  # even if every character took two code units
        return text
    if _units(text) <= MAX_TEXT:
        return text
    room = 2 * (MAX_TEXT - len(CUT_MARK))  # bytes of UTF-16; a half character left at the end is dropped
    return text.encode("utf-16-le")[:room].decode("utf-16-le", errors="ignore") + CUT_MARK


def _units(text: str) -> int:
    """UTF-16 code units, as Excel counts a cell's characters."""
    return len(text.encode("utf-16-le")) // 2


def cut_texts(texts: pa.StringArray) -> pa.StringArray:
    """``cut_text`` on every text of an Arrow column; a glance at the lengths when none is too long."""
    too_long = pc.greater(pc.binary_length(texts), MAX_TEXT)  # UTF-8 bytes are never fewer than UTF-16 units
    if not pc.any(too_long).as_py():
        return texts
    return pa.array([None if v is None else cut_text(v) for v in texts.to_pylist()], pa.string())
