"""Read just the Orders and Settings sheets of a workbook (or a CSV of orders) as raw values."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine

from ..errors import RfmError
from ..orders import map_columns
from ..settings import cell_name

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
HEADER_SEARCH_ROWS = 30


@dataclass
class BookContents:
    """The raw values a run needs from a workbook."""

    orders: pd.DataFrame
    first_row: int  # sheet row number of the first order row
    orders_sheet: str
    settings_rows: list[list] | None  # None when the workbook has no Settings sheet


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
    if suffix not in WORKBOOK_SUFFIXES or not zipfile.is_zipfile(path):
        raise RfmError(f"{path.name} is not an Excel workbook (.xlsx or .xlsm); give a workbook or a .csv file.")


def _open(path: Path) -> python_calamine.CalamineWorkbook:
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises several types for damaged files
        raise RfmError(f"{path.name} could not be read as a workbook ({error}); open and re-save it in Excel.") \
            from None


def _sheet_rows(book: python_calamine.CalamineWorkbook, name: str) -> list[list]:
    try:
        return book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as error:
        raise RfmError(f"The sheet {name!r} could not be read ({error}); open and re-save the file in Excel.") \
            from None


def _find_sheet(names: list[str], wanted: str) -> str | None:
    return next((n for n in names if n.strip().casefold() == wanted.strip().casefold()), None)


def read_book(path: Path, orders_sheet: str | None = None) -> BookContents:
    """Read the Orders sheet (or ``orders_sheet``) and the Settings sheet, if any."""
    check_workbook(path)
    book = _open(path)
    names = book.sheet_names
    sheet = _find_sheet(names, orders_sheet or "Orders")
    if sheet is None:
        hint = "use --orders-sheet NAME" if orders_sheet is None else "check the spelling"
        raise RfmError(f"{path.name} has no sheet named {orders_sheet or 'Orders'!r} (it has: {', '.join(names)}); "
                       f"rename the sheet with your orders to Orders or {hint}.")
    orders, first_row = orders_block(_sheet_rows(book, sheet), sheet)
    settings_sheet = _find_sheet(names, "Settings")
    settings_rows = _sheet_rows(book, settings_sheet) if settings_sheet else None
    return BookContents(orders, first_row, sheet, settings_rows)


def _blank(value) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def orders_block(rows: list[list], sheet: str = "Orders") -> tuple[pd.DataFrame, int]:
    """The contiguous block of rows under the header row, as a DataFrame headed by the sheet's headers.

    The header row is the first of the top rows that names a customer column (else the first
    non-blank row); the block ends at the first entirely blank row.
    """
    candidates = [r for r, row in enumerate(rows[:HEADER_SEARCH_ROWS]) if any(not _blank(v) for v in row)]
    if not candidates:
        raise RfmError(f"The {sheet} sheet is empty; paste your orders under a header row "
                       "(Customer ID, Order ID, Order Date, Amount).")
    header_row = next((r for r in candidates if "customer_id" in map_columns(rows[r])), candidates[0])
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
    frame = pd.DataFrame({n: np.where(b[:end], None, c[:end]) for n, (c, b) in enumerate(zip(columns, blank))})
    frame.columns = headers
    return frame, header_row + 2


def read_csv(path: Path) -> pd.DataFrame:
    """Orders from a CSV file, every value as text so IDs such as 00123 keep their zeros."""
    if not path.exists():
        raise RfmError(f"There is no file {path}; check the name and folder.")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=None,
                            engine="python")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise RfmError(f"{path.name} could not be read as a CSV file of orders ({error}).") from None
    if frame.empty:
        raise RfmError(f"{path.name} has no orders under its header row.")
    return frame.astype(object).mask(frame == "", None)
