"""What a workbook's cell formats (styles.xml) change about the values a reader sees.

A cell holding 123 formatted ``00000`` shows 00123: an ID column is read as the owner sees it, so its
numbers are shown through their cells' number formats (``ids_as_shown``). Both reads of the Orders
sheet (cell by cell and typed) take their ID columns through here, so they agree. The number
formats also name a locale now and then (``[$€-407]``: German), the workbook's only word on the
language its text numbers and dates were written in.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from ..base.excel import LOCALES, column_number, id_format, shown_whole_number
from ..base.ooxml import MAIN, STYLES, Package, qname

_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>")
_REFERENCE = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_LCID = re.compile(r"\[\$[^\]-]*-([0-9A-Fa-f]{3,8})\]")


class Styles:
    """The cell formats of a workbook: which style indexes show IDs differently, and the locale named."""

    def __init__(self, package: Package):
        styles = next((r.target for r in package.relationships(package.main_part())[1] if r.type == STYLES), None)
        root = package.xml(styles) if styles and package.has(styles) else None
        codes = {} if root is None else {int(f.get("numFmtId", -1)): f.get("formatCode", "")
                                         for f in root.iter(qname(MAIN, "numFmt"))}
        cells = [] if root is None or root.find(qname(MAIN, "cellXfs")) is None else \
            root.find(qname(MAIN, "cellXfs")).findall(qname(MAIN, "xf"))
        formats = [codes.get(int(xf.get("numFmtId", 0) or 0)) for xf in cells]
        self.id_formats = {index: pieces for index, code in enumerate(formats)
                           if code and (pieces := id_format(code))}
        named = Counter(int(lcid, 16) & 0xFFFF for code in codes.values() for lcid in _LCID.findall(code))
        self.locale = next((LOCALES[lcid] for lcid, _ in named.most_common() if lcid in LOCALES), None)


def ids_as_shown(path: Path, part: str, styles: Styles, orders: pd.DataFrame, first_row: int,
                 headers: list[str]) -> pd.DataFrame:
    """``orders`` (read from sheet ``part``, its first row at sheet row ``first_row``, its columns those
    of the sheet from A) with the whole numbers of the ``headers`` columns as their cells' ID formats
    show them: 123 formatted 00000 becomes the text 00123. Unchanged where no cell has such a format."""
    columns = {list(orders.columns).index(h): h for h in headers if h in orders.columns}
    if not styles.id_formats or not columns:
        return orders
    found = _formatted_cells(path, part, set(styles.id_formats), set(columns))
    for col, header in columns.items():
        cells = [(row - first_row, xf) for (row, c), xf in found.items() if c == col
                 and 0 <= row - first_row < len(orders)]
        if not cells:
            continue
        values = np.asarray(orders[header], dtype=object).copy()
        for row, xf in cells:
            number = values[row]
            if isinstance(number, str):  # the typed read hands text such as "123" over
                number = float(number) if re.fullmatch(r"[0-9]+(?:\.0+)?", number) else None
            if isinstance(number, (int, float)) and not isinstance(number, bool) and number >= 0 and \
                    float(number).is_integer():
                values[row] = shown_whole_number(styles.id_formats[xf], int(number))
        orders = orders.assign(**{header: values})
    return orders


def _formatted_cells(path: Path, part: str, wanted: set[int], columns: set[int]) -> dict[tuple[int, int], int]:
    """(sheet row, zero-based column) -> style index of every cell in ``columns`` whose style is in
    ``wanted``, read from the sheet's XML a chunk at a time (every loop ends with the part)."""
    style = re.compile(rb'\bs="(' + b"|".join(str(s).encode() for s in sorted(wanted)) + rb')"')
    found = {}
    with zipfile.ZipFile(path) as archive, archive.open(part) as stream:
        rest = b""
        while True:
            chunk = stream.read(1 << 22)
            text = rest + chunk
            cut = text.rfind(b">") + 1 if chunk else len(text)
            for attributes in _CELL.findall(text[:cut]):
                styled = style.search(attributes)
                reference = styled and _REFERENCE.search(attributes)
                if styled and reference:
                    col = column_number(reference[1].decode()) - 1
                    if col in columns:
                        found[(int(reference[2]), col)] = int(styled[1])
            if not chunk:
                return found
            rest = text[cut:]
