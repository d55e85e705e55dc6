"""The rows of a big output table as worksheet XML, built column by column.

Writing 100,000 formatted rows cell by cell through a general-purpose writer costs seconds per
sheet; every cell of one column here shares a style, so each column is turned into cell XML
by Arrow's string kernels in one pass, with no Python object per cell, and the rows are
joined from the columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...base.excel import EPOCH, column_letter, cut_texts, plain_integers

SLICE_ROWS = 20_000  # rows built at a time by a worker thread
# Characters a cell's XML holds as _xHHHH_ escapes, as Excel and XlsxWriter write them (RE2 syntax), and a
# text that reads as such an escape, written with its underscore escaped (_x005F) so that it stays as typed.
_ESCAPED = r"[\x00-\x08\x0b-\x1f\x{FFFE}\x{FFFF}]"
_LOOKS_ESCAPED = r"(_x[0-9a-fA-F]{4}_)"


def _numbers(values: np.ndarray) -> pa.StringArray:
    """Numbers as cell texts: "3" where all are whole, else the shortest text that reads back the
    same float; null for NaN and infinities, which a cell cannot hold."""
    blank = ~np.isfinite(values)
    known = values[~blank]
    if np.all(known == np.floor(known)) and np.all(np.abs(known) < 2 ** 53):
        values = np.where(blank, 0, values).astype(np.int64)
    return pa.array(values, mask=blank).cast(pa.string())


def cell_texts(series: pd.Series, kind: str, epoch: np.datetime64 = EPOCH) -> tuple[pa.StringArray, bool]:
    """A column's cell values as the text that goes into the XML (null for blank) and whether they
    are text cells. ``kind`` "id" means text that is written as numbers where every ID is a plain one
    (``plain_integers``); "id number" that this is already known. Dates are serial numbers counted
    from ``epoch``, the day 0 of the workbook's date system (base.excel.EPOCH or EPOCH_1904)."""
    if kind == "date":
        days = (series.to_numpy(dtype="datetime64[D]") - epoch).astype(float)
        days[pd.isna(series).to_numpy()] = np.nan
        return _numbers(days), False
    if series.dtype.kind in "iufb":
        return _numbers(series.to_numpy(dtype=float)), False
    texts = _texts(series)
    if kind == "id number" or (kind == "id" and plain_integers(texts)):
        return texts, False
    for mark, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        texts = pc.replace_substring(texts, mark, entity)
    return _escaped(texts), True


def _escaped(texts: pa.StringArray) -> pa.StringArray:
    r"""Texts with the characters XML cannot hold as Excel's _xHHHH_ escapes, and a literal _xHHHH_ kept as typed
    (_x005F_xHHHH_): "_x0041_" would otherwise show as "A".

    >>> _escaped(pa.array(["a\x01b", "_x0041_", "tab\tok"])).to_pylist()
    ['a_x0001_b', '_x005F_x0041_', 'tab\tok']
    """
    if pc.any(pc.match_substring_regex(texts, _LOOKS_ESCAPED)).as_py():
        texts = pc.replace_substring_regex(texts, _LOOKS_ESCAPED, r"_x005F\1")
    if pc.any(pc.match_substring_regex(texts, _ESCAPED)).as_py():
        for character in [*map(chr, [*range(0x09), *range(0x0b, 0x20)]), "\ufffe", "\uffff"]:
            texts = pc.replace_substring(texts, character, f"_x{ord(character):04X}_")
    return texts


def _texts(series: pd.Series) -> pa.StringArray:
    """A column as Arrow text (null for blank and for ""): as it is for a text column, else each distinct
    value's str(); a text longer than a cell holds is cut, with a mark (cut_texts)."""
    try:
        texts = pa.array(series, pa.string(), from_pandas=True)
        texts = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # not all text
        codes, distinct = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
        texts = pa.array([str(v) for v in distinct], pa.string()).take(pa.array(codes, mask=codes < 0))
    return cut_texts(pc.if_else(pc.equal(texts, ""), pa.scalar(None, pa.string()), texts))  # "" is a blank cell


@dataclass
class RowBlock:
    """Data rows to put under a header row: one style per column, given as XlsxWriter formats."""

    table: pd.DataFrame
    kinds: list[str]
    formats: list  # XlsxWriter Format per column; its xf_index is known once the workbook is closed
    first_row: int  # zero-based sheet row of the first data row
    epoch: np.datetime64 = EPOCH  # day 0 of the date system of the workbook the rows go into
    texts: dict[str, pd.Series] = field(default_factory=dict)  # per number column: text where its number is blank

    def xml(self, xf_map: list[int]) -> bytes:
        """``<row>`` elements, with style indexes as placed in the target workbook by ``xf_map``."""
        return b"".join(piece() for piece in self.pieces(xf_map))

    def pieces(self, xf_map: list[int], rows: int = SLICE_ROWS) -> list[Callable[[], pa.Buffer]]:
        """Calls that each build the XML of up to ``rows`` rows, to run side by side; every slice
        writes a column the same way (IDs as numbers or text, spaces kept or not)."""
        cells = []
        for col, (header, kind, fmt) in enumerate(zip(self.table.columns, self.kinds, self.formats, strict=True)):
            series = self.table[header]
            numbers = kind == "date" or series.dtype.kind in "iufb"  # as cell_texts has it
            texts = None if numbers else _texts(series)
            if kind == "id":
                kind = "id number" if numbers or plain_integers(texts) else "text"
            text = not numbers and kind != "id number"
            keep = text and pc.any(pc.match_substring_regex(texts, r"^\s|\s$")).as_py()
            style = f'" s="{xf_map[fmt.xf_index]}"'
            space = ' xml:space="preserve"' if keep else ""
            opening = style + (f' t="inlineStr"><is><t{space}>' if text else "><v>")
            cells.append((header, kind, column_letter(col), opening, "</t></is></c>" if text else "</v></c>",
                          style + "/>"))  # a blank cell keeps its column's style
        texts = {header: (self.texts[header], f'" s="{xf_map[fmt.xf_index]}" t="inlineStr"><is><t')
                 for header, fmt in zip(self.table.columns, self.formats, strict=True) if header in self.texts}
        return [partial(_rows, self.table.iloc[start:start + rows], self.first_row + start, cells, self.epoch,
                        {header: (values.iloc[start:start + rows], opening)
                         for header, (values, opening) in texts.items()})
                for start in range(0, len(self.table), rows)]

    @property
    def last_cell(self) -> str:
        return f"{column_letter(len(self.kinds) - 1)}{self.first_row + max(len(self.table), 1)}"


def _rows(table: pd.DataFrame, first_row: int, cells: list[tuple], epoch: np.datetime64,
          texts: dict | None = None) -> pa.Buffer:
    """The ``<row>`` elements of ``table``, built column by column with Arrow's string kernels (no
    Python object per cell); ``cells`` says per column how to write it (see ``RowBlock.pieces``),
    ``epoch`` the day its dates count from, and ``texts`` gives number columns the text cells where
    their number is blank."""
    numbers = pa.array(np.arange(first_row + 1, first_row + 1 + len(table))).cast(pa.string())
    parts = ['<row r="', numbers, '">']
    for header, kind, letter, opening, closing, blank in cells:
        values = cell_texts(table[header], kind, epoch)[0]
        cell = pc.binary_join_element_wise(opening, values, closing, "")
        if texts and header in texts:
            fallback, text_opening = texts[header]
            written = cell_texts(fallback.reset_index(drop=True), "text")[0]
            space = ' xml:space="preserve">' if pc.any(pc.match_substring_regex(written, r"^\s|\s$")).as_py() else ">"
            cell = pc.coalesce(cell, pc.binary_join_element_wise(text_opening + space, written, "</t></is></c>", ""))
        parts += [f'<c r="{letter}', numbers, pc.fill_null(cell, blank)]
    parts.append("</row>")
    joined = pc.binary_join_element_wise(*parts, "")
    _, offsets, data = joined.buffers()
    start, end = np.frombuffer(offsets, dtype=np.int32)[[joined.offset, joined.offset + len(joined)]]
    return data[start:end]  # the rows' texts lie end to end in one buffer
