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


def _number_texts(values: np.ndarray) -> list[str | None]:
    """Shortest exact text of each number ("3" rather than "3.0"); None for NaN."""
    blank = np.isnan(values)
    known = values[~blank]
    if np.all(known == np.floor(known)) and np.all(np.abs(known) < 2 ** 53):  # whole numbers: fast path
        texts = list(map(str, np.where(blank, 0, values).astype(np.int64).tolist()))
    else:
        texts = [t[:-2] if t.endswith(".0") else t for t in map(repr, values.tolist())]
    if blank.any():
        for i in np.flatnonzero(blank).tolist():
            texts[i] = None
    return texts


def cell_values(series: pd.Series, kind: str) -> tuple[list[str | None], bool]:
    """A column's cells as value texts (None for blank) and whether they are strings."""
    if kind == "date":
        days = (series.to_numpy(dtype="datetime64[D]") - EXCEL_EPOCH).astype(float)
        days[pd.isna(series).to_numpy()] = np.nan
        return _number_texts(days), False
    if series.dtype.kind in "iufb":
        return _number_texts(series.to_numpy(dtype=float)), False
    if kind == "id" and series.map(_plain_integer).all():
        return [None if pd.isna(v) else str(v) for v in series.tolist()], False
    codes, distinct = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)  # escape each text once
    escaped = np.array([escape(str(v)) for v in distinct] + [None], dtype=object)
    return escaped[codes].tolist(), True


def _plain_integer(value) -> bool:
    """True for IDs Excel would show as a number unchanged: digits, no leading zero, at most 15 of them."""
    return isinstance(value, str) and value.isdigit() and len(value) <= 15 and (value == "0" or value[0] != "0")


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
        rows = [str(r) for r in range(self.first_row + 1, self.first_row + 1 + len(self.table))]
        columns = []
        for col, (header, kind, fmt) in enumerate(zip(self.table.columns, self.kinds, self.formats)):
            values, is_text = cell_values(self.table[header], kind)
            letter, style = column_letter(col), xf_map[fmt.xf_index]
            if is_text:
                columns.append([
                    "" if v is None else
                    f'<c r="{letter}{r}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>'
                    for r, v in zip(rows, values)])
            else:
                columns.append(["" if v is None else f'<c r="{letter}{r}" s="{style}"><v>{v}</v></c>'
                                for r, v in zip(rows, values)])
        body = "".join(f'<row r="{r}">{"".join(cells)}</row>' for r, *cells in zip(rows, *columns))
        return body.encode("utf-8")

    @property
    def last_cell(self) -> str:
        return f"{column_letter(len(self.kinds) - 1)}{self.first_row + max(len(self.table), 1)}"
