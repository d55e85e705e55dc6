"""Facts of Excel's file format that every reader and writer shares: dates, limits and cell names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = np.datetime64("1899-12-30", "D")  # day 0 of Excel's 1900 date system, as its serial numbers count
EPOCH_1904 = np.datetime64("1904-01-01", "D")  # day 0 of the 1904 date system (workbookPr date1904="1")
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # the most a sheet holds
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
