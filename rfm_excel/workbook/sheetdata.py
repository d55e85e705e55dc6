"""The rows of a big output table as worksheet XML, built column by column.

Writing 100,000 formatted rows cell by cell through a general-purpose writer costs seconds per
sheet; every cell of one column here shares a style, so each column is turned into XML text
in one pass and the rows are joined at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def column_letter(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def escape(text: str) -> str:
    """Text as XML character data: markup escaped, characters XML cannot hold dropped."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _NOT_XML.sub("", text) if _NOT_XML.search(text) else text


def _numbers(values: np.ndarray) -> list[int | float | None]:
    """Numbers as Python ints where all are whole (written "3", not "3.0") or floats (written as
    repr writes them, exactly); None for NaN and infinities."""
    blank = ~np.isfinite(values)  # NaN, and infinities, which a cell cannot hold
    known = values[~blank]
    if np.all(known == np.floor(known)) and np.all(np.abs(known) < 2 ** 53):
        numbers = np.where(blank, 0, values).astype(np.int64).tolist()
    else:
        numbers = values.tolist()
    if blank.any():
        for i in np.flatnonzero(blank).tolist():
            numbers[i] = None
    return numbers


def cell_values(series: pd.Series, kind: str) -> tuple[list, bool]:
    """A column's cell values as they go into the XML (None for blank) and whether they are strings."""
    if kind == "date":
        days = (series.to_numpy(dtype="datetime64[D]") - EXCEL_EPOCH).astype(float)
        days[pd.isna(series).to_numpy()] = np.nan
        return _numbers(days), False
    if series.dtype.kind in "iufb":
        return _numbers(series.to_numpy(dtype=float)), False
    if kind == "id":
        numbers = _plain_integers(series)
        if numbers is not None:
            return numbers, False
    codes, distinct = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)  # escape each text once
    escaped = np.array([escape(str(v)) for v in distinct] + [None], dtype=object)
    return escaped[codes].tolist(), True


def _plain_integers(series: pd.Series) -> list[str | None] | None:
    """IDs as number texts if every one is a number Excel would show unchanged (digits, no leading
    zero, at most 15 of them); else None."""
    texts = series.to_numpy(dtype=object)
    known = pd.notna(texts)
    if not all(isinstance(v, str) for v in texts[known][:1]):
        return None
    numbers = pd.to_numeric(pd.Series(texts[known], dtype=object), errors="coerce").to_numpy(dtype=float)
    if np.isnan(numbers).any() or (numbers < 0).any() or (numbers >= 1e15).any() or (numbers % 1).any():
        return None
    if not (numbers.astype(np.int64).astype(str).astype(object) == texts[known]).all():  # no 007, 1e5, " 7"
        return None
    return np.where(known, texts, None).tolist()


@dataclass
class RowBlock:
    """Data rows to put under a header row: one style per column, given as XlsxWriter formats."""

    table: pd.DataFrame
    kinds: list[str]
    formats: list  # XlsxWriter Format per column; its xf_index is known once the workbook is closed
    first_row: int  # zero-based sheet row of the first data row

    def xml(self, xf_map: list[int]) -> bytes:
        """``<row>`` elements, with style indexes as placed in the target workbook by ``xf_map``."""
        if self.table.empty:
            return b""
        cells, columns, blanks = [], [], []
        for col, (header, kind, fmt) in enumerate(zip(self.table.columns, self.kinds, self.formats)):
            values, is_text = cell_values(self.table[header], kind)
            start = f'<c r="{column_letter(col)}{{0}}" s="{xf_map[fmt.xf_index]}"'
            cells.append(start + (f' t="inlineStr"><is><t xml:space="preserve">{{{col + 1}}}</t></is></c>' if is_text
                                  else f"><v>{{{col + 1}}}</v></c>"))
            columns.append(np.array(values, dtype=object))
            blanks.append(np.equal(columns[-1], None))
        numbers = np.arange(self.first_row + 1, self.first_row + 1 + len(self.table))
        # Rows with the same blank cells share one template, filled in a single format call per row.
        pattern = np.zeros(len(self.table), dtype=object)
        for col, blank in enumerate(blanks):
            pattern = pattern + blank.astype(object) * (1 << col)
        rows = np.empty(len(self.table), dtype=object)
        for shape in set(pattern.tolist()):
            where = np.flatnonzero(pattern == shape)
            template = "<row r=\"{0}\">" + "".join(c for col, c in enumerate(cells) if not shape >> col & 1) + "</row>"
            rows[where] = [template.format(*row) for row in zip(numbers[where].tolist(),
                                                                *(column[where].tolist() for column in columns))]
        return "".join(rows.tolist()).encode("utf-8")

    @property
    def last_cell(self) -> str:
        return f"{column_letter(len(self.kinds) - 1)}{self.first_row + max(len(self.table), 1)}"
