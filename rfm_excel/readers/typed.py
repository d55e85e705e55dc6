"""A big, tidy Orders sheet read straight into typed columns (fastexcel), without a Python object per cell.

The cell-by-cell reader (python-calamine, then one Python object per cell) copes with anything
an owner can type, but spends most of a million-line run turning cells into objects. Most big
sheets are exports: one header row in row 1, real dates and numbers in their columns, no
merged cells. Those are read here in about half the time; any other sheet returns None and is
read cell by cell, so both ways give the same orders. ID and text columns are read as text
whatever their cells hold (exports mix 489434 and C489434 in one column).
"""

from __future__ import annotations

import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal, TypedDict

import numpy as np
import pandas as pd
import pyarrow as pa
from lxml import etree

from ..base.errors import RfmError
from ..base.excel import column_letter
from ..base.ooxml import MAIN, Package, parse_xml
from ..base.orders import as_frame
from ..base.reading.columns import map_columns

try:
    import fastexcel
except ImportError:  # no build for WebAssembly (xlwings Lite): every sheet is read cell by cell
    fastexcel = None  # type: ignore[assignment]

FAST_FROM_BYTES = 8 << 20  # smaller sheets read quickly enough cell by cell
TYPED = {"float", "int", "string", "datetime", "date"}
READ_AS_TYPED = ("order_date", "amount", "quantity", "price")  # every other column is read as text
_MERGE_CELL = re.compile(rb"<(?:\w+:)?mergeCell\s")  # <mergeCell ref=...>, or <x:mergeCell> (ClosedXML)


def typed_orders(path: Path, part: str, sheet: str, source: str | bytes | None = None) -> pd.DataFrame | None:
    """The orders block under the header in row 1 of ``sheet`` (stored in the package as ``part``),
    one typed column per header; None where the sheet needs reading cell by cell (merged cells,
    a column mixing types, repeated or missing headers...). ``source`` is what fastexcel reads
    (a copy in memory for a workbook with sheets it refuses), the file itself by default."""
    if fastexcel is None:
        return None
    header = header_names(path, part)
    mapped = map_columns(header) if header is not None else {}
    if header is None or "customer_id" not in mapped:
        return None
    typed = [mapped.get(column) for column in READ_AS_TYPED]
    as_text: fastexcel.DTypeMap = {i: "string" for i, name in enumerate(header) if name not in typed}
    customer = header.index(mapped["customer_id"])
    with ThreadPoolExecutor(1) as pool:  # both release the GIL: the scan costs no extra time on two cores
        merged = pool.submit(_has_merged_cells, path, part)
        loaded = _load(source or str(path), sheet, as_text, customer, header[customer])
        if loaded is None or merged.result():
            return None
    columns = loaded.available_columns()
    names = [c.name for c in columns]
    if names != header or _renamed(names) or any(
            c.dtype not in TYPED or (c.dtype == "string" and i not in as_text)
            or (i == customer and c.dtype not in ("string", "float", "int")) for i, c in enumerate(columns)):
        return None  # dates or amounts written as text are left to the cell-by-cell read
    batch = loaded.to_arrow()
    values: list[np.ndarray | pd.Categorical] = []
    blank = np.ones(batch.num_rows, dtype=bool)
    for column, kind in zip(batch.columns, (c.dtype for c in columns), strict=False):
        if kind == "string":
            text = coded_text(column)
            values.append(text)
            blank &= text.codes < 0
        else:
            values.append(column.to_numpy(zero_copy_only=False))
            blank &= column.is_null().to_numpy(zero_copy_only=False)
    end = int(np.argmax(blank)) if blank.any() else len(blank)
    if end == 0:
        return None
    frame = as_frame(dict(enumerate(values)), slice(0, end))
    frame.columns = [name.strip() for name in names]
    return frame


def coded_text(column: pa.Array | pa.ChunkedArray) -> pd.Categorical:
    """A text column as codes into its distinct texts, "" counted as blank like an empty cell, so that the
    cleaning converts each distinct text once."""
    encoded = (column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column).dictionary_encode()
    texts = encoded.dictionary.to_numpy(zero_copy_only=False)
    codes = encoded.indices.fill_null(-1).to_numpy().astype(np.int64)
    codes[np.isin(codes, np.flatnonzero(texts == ""))] = -1
    return pd.Categorical.from_codes(codes, categories=pd.Index(texts, dtype=object))


class _LoadOptions(TypedDict):
    header_row: int
    dtype_coercion: Literal["coerce", "strict"]
    schema_sample_rows: int | None


def _load(source: str | bytes, sheet: str, as_text: fastexcel.DTypeMap, customer: int, customer_header: str):
    """The sheet loaded by fastexcel with the ``as_text`` columns read as text, except the customer
    column while it holds only numbers (numbers are handed over in a quarter of the time of texts);
    None if a column mixes types (other than customer IDs such as 12345 and C12345)."""
    options: _LoadOptions = {"header_row": 0, "dtype_coercion": "strict", "schema_sample_rows": None}
    try:
        book = fastexcel.read_excel(source)
        return book.load_sheet(sheet, dtypes={i: t for i, t in as_text.items() if i != customer}, **options)
    except Exception as error:  # a column mixing types, or anything else fastexcel cannot type
        if f"column {customer_header}" not in str(error):
            return None
    try:
        return book.load_sheet(sheet, dtypes=as_text, **options)
    except Exception:
        return None


def _renamed(names: list[str]) -> bool:
    """fastexcel tells repeated headers apart as Amount, Amount_1: such sheets are read cell by cell."""
    return any((m := re.fullmatch(r"(.+)_\d+", name)) and m[1] in names for name in names)


def header_names(path: Path, part: str) -> list[str] | None:
    """The texts of row 1, read from the start of the sheet's XML; None unless row 1 holds a text or
    a number in every cell from A to its last one."""
    with zipfile.ZipFile(path) as archive, archive.open(part) as stream:
        head = stream.read(1 << 16)
    row = re.search(rb"<(?:(\w+):)?row\b([^>]*)>(.*?)</(?:\w+:)?row>", head, re.S)
    if row is None or not re.search(rb'\br="1"', row[2]):
        return None
    prefix = b":" + row[1] if row[1] else b""  # <x:row>: the cells' prefix is declared on the wrapper too
    try:
        cells = parse_xml(b'<row xmlns%s="%s">%s</row>' % (prefix, MAIN.encode(), row[3]), part)
    except RfmError:
        return None
    texts: list[str | int] = []  # an int is an index into the shared strings
    for number, cell in enumerate(cells.iter(f"{{{MAIN}}}c")):
        value, kind = cell.findtext(f"{{{MAIN}}}v"), cell.get("t")
        if cell.get("r") != f"{column_letter(number)}1" or kind in ("b", "e"):
            return None
        if kind == "inlineStr":
            texts.append("".join(cell.itertext()))
        elif value is None or (kind == "s" and not value.isdigit()):
            return None
        else:
            texts.append(int(value) if kind == "s" else value)
    shared = _shared_strings(path, {t for t in texts if isinstance(t, int)})
    names = [shared.get(t) if isinstance(t, int) else t for t in texts]
    known = [name for name in names if name is not None]
    return known if known and len(known) == len(names) else None


def _shared_strings(path: Path, wanted: set[int]) -> dict[int, str]:
    """The shared strings numbered in ``wanted``, reading the table only as far as the last of them."""
    if not wanted:
        return {}
    package = Package(path)
    table = next((r.target for r in package.relationships(package.main_part())[1]
                  if r.type.endswith("/sharedStrings")), None)
    found: dict[int, str] = {}
    if table is None:
        return found
    with package.zip.open(table) as stream:
        for number, (_, item) in enumerate(etree.iterparse(stream, tag=f"{{{MAIN}}}si", resolve_entities=False,
                                                           no_network=True, load_dtd=False)):
            if number in wanted:
                found[number] = "".join(item.itertext())
                if len(found) == len(wanted):
                    break
            item.clear()
    return found


def _has_merged_cells(path: Path, part: str) -> bool:
    with zipfile.ZipFile(path) as archive, archive.open(part) as stream:
        tail = b""
        for chunk in iter(lambda: stream.read(1 << 22), b""):
            if b"mergeCell" in tail + chunk and _MERGE_CELL.search(tail + chunk):  # the plain search is fast
                return True
            tail = chunk[-64:]
    return False
