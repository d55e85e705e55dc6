"""A folder of order exports (monthly CSV files, workbooks, or both) read as one table of text columns.

The files are taken in name order (2024-01.csv before 2024-02.csv), each under its own header;
columns are matched by header, and a column one file lacks is blank in its lines. Lines are
numbered through the files as if they stood one under the other under a single header row, so
the first line of the first file is row 2.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import python_calamine

from ..base import sheet_names
from ..base.errors import RfmError
from .csv import read_csv
from .workbook import check_workbook, read_book

CSV_SUFFIXES = (".csv", ".tsv", ".txt")  # .txt: Excel's "Unicode Text" (UTF-16, tab-separated)
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class FolderTable:
    """The lines of every file, as text columns ("" where blank), and each file's name and number of lines."""

    table: pa.Table
    files: list[tuple[str, int]]


def order_files(folder: Path, leave_out: Path | None = None) -> list[Path]:
    """The CSV files and workbooks in ``folder``, in name order; Excel's lock files (~$...), hidden files,
    ``leave_out`` (the workbook a run writes) and workbooks this tool scored (with a Scores sheet: results,
    not exports) are left out."""
    found = [p for p in sorted(folder.iterdir(), key=lambda p: p.name)
             if p.is_file() and p.suffix.lower() in CSV_SUFFIXES + WORKBOOK_SUFFIXES
             and not p.name.startswith(("~$", ".")) and (leave_out is None or p.resolve() != leave_out.resolve())
             and not (p.suffix.lower() in WORKBOOK_SUFFIXES and _scored(p))]
    if not found:
        raise RfmError(f"The folder {folder} has no CSV files or workbooks of orders (.csv, .txt, .xlsx, .xlsm).")
    return found


def _scored(path: Path) -> bool:
    check_workbook(path)
    try:
        names = python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names
    except Exception:  # a damaged workbook: read_book says what is wrong with it
        return False
    return sheet_names.find(names, sheet_names.SCORES) is not None


def read_folder(folder: Path, leave_out: Path | None = None) -> FolderTable:
    """Every file of orders in ``folder`` (``order_files``) as one table of text columns."""
    tables, files = [], []
    for path in order_files(folder, leave_out):
        table = read_csv(path).table if path.suffix.lower() in CSV_SUFFIXES else _as_text(read_book(path).orders)
        tables.append(table)
        files.append((path.name, table.num_rows))
    headers = list(dict.fromkeys(name for table in tables for name in table.column_names))
    combined = pa.concat_tables([pa.table({h: table.column(h) if h in table.column_names else
                                           pa.array([""] * table.num_rows, pa.string()) for h in headers})
                                 for table in tables])
    return FolderTable(combined, files)


def _as_text(orders: pd.DataFrame) -> pa.Table:
    """A workbook's orders as text columns, as a CSV of them would hold them: numbers as their shortest text
    (12345, 12.5), dates and times in ISO form, TRUE/FALSE and blanks as empty."""
    return pa.table({str(header): pa.array(_texts(orders.iloc[:, i]), pa.string())
                     for i, header in enumerate(orders.columns)})


def _texts(values: pd.Series) -> np.ndarray:
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    return np.array([_text(v) for v in distinct] + [""], dtype=object).take(codes)


def _text(value) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        value = pd.Timestamp(value)
        return value.strftime("%Y-%m-%d" if value == value.normalize() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)
