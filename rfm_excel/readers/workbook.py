"""Read just the Orders, Settings and Score History sheets of a workbook as raw values, and the owner's
Customers and Prospects tables when there are such sheets."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine

from ..base import sheet_names
from ..base.errors import RfmError
from ..base.excel import cell_name, column_number
from ..base.ooxml import DOC_REL, MAIN, Package
from ..base.orders import Dialect, as_frame
from ..base.reading.columns import HEADER_SEARCH_ROWS, is_header_row, map_columns
from ..base.reading.issues import issue_rows
from ..base.settings import parse_settings
from . import typed
from .styles import Styles, ids_as_shown

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


MAX_CELLS = 25_000_000  # e.g. 1,048,576 rows x 24 columns; beyond that the sheet is refused, not read
MAX_PART_BYTES = 4 << 30  # uncompressed size of one sheet's XML
MAX_RATIO = 200  # uncompressed / compressed, for parts over 64 MB: a zip bomb, not a spreadsheet
# Tags as any writer spells them: with or without a namespace prefix (<x:c>, as ClosedXML and the Open XML
# SDK write), the reference among the other attributes in any order.
_CELL_REFERENCE = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s[^>]*?\bref="(?:[A-Z]+[0-9]+:)?([A-Z]{1,3})([0-9]{1,7})"')
_A1_WITH_VALUE = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="A1"(?:\s[^>]*[^/>])?\s*>')


@dataclass
class BookContents:
    """The raw values a run needs from a workbook."""

    orders: pd.DataFrame
    first_row: int  # sheet row number of the first order row
    orders_sheet: str
    settings_rows: list[list] | None  # None when the workbook has no Settings sheet
    issues: pd.DataFrame  # what reading repaired (merged cells filled)
    history_rows: list[list] | None = None  # the Score History sheet, when the workbook has one
    dialect: Dialect = field(default_factory=Dialect)  # what the workbook says of its values (1904 dates)
    customers: pd.DataFrame | None = None  # the Customers sheet's table, when there is one
    prospects: pd.DataFrame | None = None  # the Prospects sheet's table, when there is one


def check_workbook(path: Path) -> None:
    """Raise a plain message unless ``path`` looks like an .xlsx/.xlsm workbook we can read."""
    if not path.exists():
        raise RfmError(f"There is no file {path}; check the name and folder.")
    if path.is_dir():
        raise RfmError(f"{path} is a folder; give the workbook file inside it.")
    suffix = path.suffix.lower()
    if suffix in (".xls", ".xlsb", ".ods"):
        raise RfmError(f"{path.name} is a {suffix} file; open it in Excel and save it as an Excel Workbook (.xlsx).")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise RfmError(f"{path.name} is password-protected or an old-format file; open it in Excel, remove the "
                       "password (File > Info > Protect Workbook) and save it as an Excel Workbook (.xlsx).")
    if suffix not in WORKBOOK_SUFFIXES:
        raise RfmError(f"{path.name} is not an Excel workbook (.xlsx or .xlsm); give a workbook or a .csv file.")
    if not zipfile.is_zipfile(path):
        damaged = "is damaged or incomplete" if head.startswith(b"PK") else "is not really an Excel workbook"
        raise RfmError(f"{path.name} {damaged}; open it in Excel and save it again as an Excel Workbook (.xlsx).")


@dataclass
class SheetPart:
    """Where a sheet's XML sits in the package, how big it is, and whether its first cell A1 holds a value."""

    name: str
    size: int
    starts_at_a1: bool


def check_sheet_size(path: Path, sheet: str) -> SheetPart | None:
    """Refuse, before reading, a sheet too big to read safely: a zip bomb or a huge cell range."""
    package = Package(path)
    workbook_part = package.main_part()
    by_id = {r.id: r.target for r in package.relationships(workbook_part)[1]}
    for element in package.xml(workbook_part).iter(f"{{{MAIN}}}sheet"):
        if element.get("name") == sheet:
            part = by_id[element.get(f"{{{DOC_REL}}}id")]
            break
    else:
        return None
    info = package.zip.getinfo(part)
    if info.file_size > MAX_PART_BYTES or (info.file_size > 64 << 20 and
                                           info.file_size > MAX_RATIO * max(info.compress_size, 1)):
        raise RfmError(f"The {sheet} sheet unpacks to {info.file_size / 2**30:.1f} GB, far more than any real "
                       "orders sheet; the file may be malicious, so it was not read.")
    with package.zip.open(part) as stream:
        head = stream.read(4096)
        starts_at_a1 = _A1_WITH_VALUE.search(head) is not None
        found = _DIMENSION.search(head)
        if found:
            last_column, last_row = found[1], int(found[2])
        else:  # no <dimension>: the last cell is found by reading the whole part, a chunk at a time
            last_column, last_row, rest = b"A", 0, head
            while True:
                chunk = stream.read(1 << 22)
                cut = rest.rfind(b">") + 1 if chunk else len(rest)  # a cell tag is never split between scans
                for letters, row in _CELL_REFERENCE.findall(rest[:cut]):
                    last_row = max(last_row, int(row))
                    last_column = max(last_column, letters, key=lambda c: (len(c), c))
                if not chunk:
                    break
                rest = rest[cut:] + chunk
    columns = column_number(last_column.decode())
    if columns * last_row > MAX_CELLS:
        raise RfmError(f"The {sheet} sheet reaches cell {last_column.decode()}{last_row} ({columns * last_row:,} "
                       "cells); delete the empty rows and columns beyond your orders, save, and try again.")
    return SheetPart(part, info.file_size, starts_at_a1)


def _open(path: Path, source: str | bytes) -> python_calamine.CalamineWorkbook:
    try:
        if isinstance(source, bytes):
            return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(source))
        return python_calamine.CalamineWorkbook.from_path(source)
    except Exception:  # calamine raises several types for damaged files
        raise RfmError(damaged(path)) from None


def _sheet(book: python_calamine.CalamineWorkbook, name: str) -> python_calamine.CalamineSheet:
    try:
        return book.get_sheet_by_name(name)
    except Exception as error:
        raise RfmError(f"The sheet {name!r} could not be read ({error}); open and re-save the file in Excel.") \
            from None


def _rows(sheet: python_calamine.CalamineSheet, name: str) -> list[list]:
    try:
        return sheet.to_python(skip_empty_area=False)
    except Exception as error:
        raise RfmError(f"The sheet {name!r} could not be read ({error}); open and re-save the file in Excel.") \
            from None


def read_book(path: Path, orders_sheet: str | None = None, settings_sheet: str | None = None,
              history_sheet: str | None = None) -> BookContents:
    """Read the Orders sheet (or ``orders_sheet``), and the tool's Settings and Score History sheets where the
    caller names them (the owner's sheets of those names are not the tool's to read); a damaged package (a part
    failing its checksum, a broken header) is refused in one sentence."""
    try:
        return _read_book(path, orders_sheet, settings_sheet, history_sheet)
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise RfmError(damaged(path)) from None


def damaged(path: Path) -> str:
    """The sentence for a workbook whose package is damaged."""
    return (f"{path.name} is damaged and cannot be read; open it in Excel, which offers to repair it, and save it "
            "again as an Excel Workbook (.xlsx).")


def _read_book(path: Path, orders_sheet: str | None, settings_sheet: str | None,
               history_sheet: str | None) -> BookContents:
    check_workbook(path)
    package = Package(path)
    # Sheets the readers refuse (Excel 4.0 macro sheets, dialog sheets) are left out of a copy in memory.
    source = package.with_only_worksheets() or str(path)
    book = _open(path, source)
    names = book.sheet_names
    sheet = sheet_names.find(names, orders_sheet or "Orders")
    if sheet is None and orders_sheet is None:  # Apple Numbers names each table's sheet "<sheet> - <table>"
        sheet = next((name for name in names if re.fullmatch(r"\s*orders - table \d+\s*", name, re.I)), None)
    if sheet is None:
        hint = "use --orders-sheet NAME" if orders_sheet is None else "check the spelling"
        raise RfmError(f"{path.name} has no sheet named {orders_sheet or 'Orders'!r} (it has: {', '.join(names)}); "
                       f"rename the sheet with your orders to Orders or {hint}.")
    part = check_sheet_size(path, sheet)
    big = part if part is not None and part.size >= typed.FAST_FROM_BYTES and part.starts_at_a1 else None
    with ThreadPoolExecutor(1) as pool:  # both libraries parse outside the GIL, so this costs no time on two cores
        extras = pool.submit(_settings_and_history, path, book, settings_sheet, history_sheet)
        orders = typed.typed_orders(path, big.name, sheet, source) if big else None
        settings_rows, history_rows = extras.result()
    customers, prospects = (read_table(path, book, name) for name in (sheet_names.CUSTOMERS, sheet_names.PROSPECTS))
    if orders is not None:
        first_row, issues = 2, _merged_issues([], orders, 2)
    else:
        worksheet = _sheet(book, sheet)
        orders, first_row, issues = orders_from_rows(_rows(worksheet, sheet), worksheet.merged_cell_ranges or [], sheet)
    formats = Styles(package)
    if part is not None:
        orders = ids_as_shown(path, part.name, formats, orders, first_row, _id_headers(orders, settings_rows))
    return BookContents(orders, first_row, sheet, settings_rows, issues, history_rows,
                        Dialect(date1904=package.date1904(), locale=formats.locale), customers, prospects)


def read_table(path: Path, book: python_calamine.CalamineWorkbook, name: str) -> pd.DataFrame | None:
    """The table of the sheet ``name`` (any case), if the workbook has it: ``table_block``."""
    sheet = sheet_names.find(book.sheet_names, name)
    if sheet is None:
        return None
    check_sheet_size(path, sheet)
    return table_block(_rows(_sheet(book, sheet), sheet))


def table_block(rows: list[list]) -> pd.DataFrame | None:
    """The rows under the first non-blank row (its headers; a blank header is "Column B"), to the first blank
    row, as texts and numbers as read; None when there is no such row or nothing under it."""
    top = next((r for r, row in enumerate(rows[:HEADER_SEARCH_ROWS]) if any(not _blank(v) for v in row)), None)
    if top is None:
        return None
    width = max(c for c, v in enumerate(rows[top]) if not _blank(v)) + 1
    headers = [str(v).strip() if not _blank(v) else f"Column {cell_name(0, c)[:-1]}"
               for c, v in enumerate(rows[top][:width])]
    body = []
    for row in rows[top + 1:]:
        cells = [None if _blank(v) else v for v in list(row[:width]) + [None] * (width - len(row))]
        if all(v is None for v in cells):
            break
        body.append(cells)
    return pd.DataFrame(body, columns=headers, dtype=object) if body else None


def _id_headers(orders: pd.DataFrame, settings_rows: list[list] | None) -> list[str]:
    """The headers of the customer and order ID columns, as Settings name them or as detected."""
    try:
        chosen = parse_settings(settings_rows).chosen_columns() if settings_rows else {}
        mapped = map_columns(list(orders.columns), chosen)
    except RfmError:  # a setting in error is reported when the settings are read for the run
        mapped = map_columns(list(orders.columns))
    return [mapped[column] for column in ("customer_id", "order_id") if column in mapped]


def orders_from_rows(rows: list[list], merged: list, sheet: str = "Orders") -> tuple[pd.DataFrame, int, pd.DataFrame]:
    """The orders of a sheet read cell by cell, from any door: its rows of values and its merged ranges
    (((top, left), (bottom, right)), zero-based) -> the orders block, the sheet row of its first order,
    and what reading repaired (each merged cell's value given to every row it covers), for Data Issues."""
    filled = fill_merged_cells(rows, merged)
    orders, first_row = orders_block(rows, sheet)
    return orders, first_row, _merged_issues(filled, orders, first_row)


def _settings_and_history(path: Path, book: python_calamine.CalamineWorkbook, settings_sheet: str | None,
                          history_sheet: str | None) -> tuple[list | None, list | None]:
    """The rows of the Settings sheet and of the Score History sheet, each None where there is none."""
    return _whole_sheet(path, book, settings_sheet), _whole_sheet(path, book, history_sheet)


def _whole_sheet(path: Path, book: python_calamine.CalamineWorkbook, name: str | None) -> list[list] | None:
    if name is None or name not in book.sheet_names:
        return None
    check_sheet_size(path, name)
    return _rows(_sheet(book, name), name)


def top_rows(path: Path, sheets: list[str], count: int) -> dict[str, list[list]]:
    """The first ``count`` rows of values of each of ``sheets`` (to tell whose sheets they are); a sheet that
    cannot be read as a worksheet (a chart sheet) has none."""
    book = _open(path, Package(path).with_only_worksheets() or str(path))
    found = {}
    for name in sheets:
        try:
            found[name] = book.get_sheet_by_name(name).to_python(nrows=count)
        except Exception:  # not a worksheet: nothing of the tool's can be on it
            found[name] = []
    return found


def fill_merged_cells(rows: list[list], merged: list) -> list[tuple[int, int, int, object]]:
    """Give every cell of a merged range its top-left value; return (first row, last row, column, value)."""
    filled: list[tuple[int, int, int, object]] = []
    for (top, left), (bottom, right) in merged:
        value = rows[top][left] if top < len(rows) and left < len(rows[top]) else ""
        if _blank(value):
            continue
        for r in range(top, min(bottom, len(rows) - 1) + 1):
            for c in range(left, min(right, len(rows[r]) - 1) + 1):
                rows[r][c] = value
        filled.extend((top, bottom, c, value) for c in range(left, right + 1))
    return filled


def _merged_issues(filled, orders: pd.DataFrame, first_row: int) -> pd.DataFrame:
    columns = list(orders.columns)
    last_row = first_row + len(orders) - 1
    found = [(top, bottom, columns[col], str(value)) for top, bottom, col, value in filled
             if col < len(columns) and bottom + 1 >= first_row and top + 1 <= last_row and bottom > top]
    return issue_rows("merged_cell", [top + 1 for top, *_ in found], [column for _, _, column, _ in found],
                      [value for *_, value in found], top=[top + 1 for top, *_ in found],
                      bottom=[bottom + 1 for _, bottom, *_ in found])


def _blank(value) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def orders_block(rows: list[list], sheet: str = "Orders") -> tuple[pd.DataFrame, int]:
    """The contiguous block of rows under the header row, as a DataFrame headed by the sheet's headers.

    The header row is the first of the top rows that names a customer column or is an export's
    (``orders.is_header_row``; else the first non-blank row); the block ends at the first entirely blank row.
    """
    candidates = [r for r, row in enumerate(rows[:HEADER_SEARCH_ROWS]) if any(not _blank(v) for v in row)]
    if not candidates:
        raise RfmError(f"The {sheet} sheet is empty; paste your orders under a header row "
                       "(Customer ID, Order ID, Order Date, Amount).")
    header_row = next((r for r in candidates if is_header_row(rows[r])), candidates[0])
    header = rows[header_row]
    width = max(c for c, v in enumerate(header) if not _blank(v)) + 1
    headers = [str(v).strip() if not _blank(v) else f"Column {cell_name(0, c)[:-1]}" for c, v in
               enumerate(header[:width])]
    body = rows[header_row + 1:]
    if not body:
        raise RfmError(f"The {sheet} sheet has headers but no orders under them; paste your orders "
                       f"from row {header_row + 2}.")
    grid = np.array(body, dtype=object).reshape(len(body), -1)[:, :width]  # calamine rows are all one width
    columns = list(grid.T)
    blank = [(column == "") | pd.isna(column) for column in columns]
    all_blank = np.logical_and.reduce(blank)
    end = int(np.argmax(all_blank)) if all_blank.any() else len(body)
    if end == 0:
        raise RfmError(f"The {sheet} sheet has headers but no orders under them; paste your orders "
                       f"from row {header_row + 2}.")
    cells = {n: np.where(b[:end], None, c[:end]) for n, (c, b) in enumerate(zip(columns, blank, strict=True))}
    frame = as_frame(cells)  # type: ignore[arg-type]  # numpy's stubs take where(b, None, c) for where(b)
    frame.columns = headers
    return frame, header_row + 2


def read_side_book(path: Path, name: str) -> pd.DataFrame:
    """The table of a workbook given beside the orders (--customers, --prospects): its sheet ``name`` if it has
    one, else its first sheet."""
    check_workbook(path)
    book = _open(path, str(path))
    sheet = sheet_names.find(book.sheet_names, name) or book.sheet_names[0]
    check_sheet_size(path, sheet)
    table = table_block(_rows(_sheet(book, sheet), sheet))
    if table is None:
        raise RfmError(f"The sheet {sheet!r} of {path.name} is empty; put a header row and the {name.lower()} "
                       "under it.")
    return table
