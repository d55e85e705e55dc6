"""Headless mode: score a saved workbook (or a CSV of orders) without Excel."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import xlsxwriter

from .. import core
from ..errors import RfmError
from ..layout import output_sheets
from ..settings import Settings, parse_settings
from ..template import build_template, write_settings_sheet
from .package import put_sheets
from .reader import read_book, read_csv
from .render import Styles, write_layout


def score_file(path: str | Path, output: str | Path | None = None, as_of: dt.date | None = None,
               orders_sheet: str | None = None) -> tuple[core.Result, Path]:
    """Score a workbook or CSV and write the result sheets; return the result and the file written.

    A workbook is updated in place unless ``output`` is given; a CSV becomes a new workbook
    (``output``, or the CSV's name with " scored.xlsx").
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        target = Path(output) if output else path.with_name(f"{path.stem} scored.xlsx")
        _check_target(target, ".xlsx")
        orders = read_csv(path)
        result = core.score(orders, Settings(), as_of, first_row=2, sheet=path.name)
        with _replacing(target) as temporary, tempfile.TemporaryDirectory(prefix="rfm-") as folder:
            book = build_template(Path(folder) / "orders.xlsx", orders=orders)
            _write_result(book, temporary, result, add_settings=False)
        return result, target
    contents = read_book(path, orders_sheet)
    settings = parse_settings(contents.settings_rows) if contents.settings_rows is not None else Settings()
    result = core.score(contents.orders, settings, as_of, first_row=contents.first_row, sheet=contents.orders_sheet,
                        read_issues=contents.issues)
    target = Path(output) if output else path
    _check_target(target, path.suffix.lower())
    with _replacing(target) as temporary:
        _write_result(path, temporary, result, add_settings=contents.settings_rows is None)
    return result, target


def _check_target(target: Path, suffix: str) -> None:
    if target.suffix.lower() != suffix:
        raise RfmError(f"The output {target.name} must end in {suffix}, like the file it comes from.")
    if (target.parent / f"~${target.name}").exists():
        raise RfmError(f"{target.name} is open in Excel; close it there and run again.")
    if target.exists() and not os.access(target, os.W_OK):
        raise RfmError(f"{target.name} is read-only; make it writable or give another --output.")
    if not target.parent.exists():
        raise RfmError(f"The folder {target.parent} does not exist; create it or give another --output.")


@contextmanager
def _replacing(target: Path):
    """A temporary file beside ``target`` that replaces it only when everything was written."""
    handle, name = tempfile.mkstemp(prefix=".~rfm-", suffix=target.suffix, dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except OSError as error:
        raise RfmError(f"Could not write {target.name} ({error.strerror or error}); the original is unchanged.") \
            from None
    finally:
        temporary.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_result(book: Path, out: Path, result: core.Result, add_settings: bool) -> None:
    """Render the output sheets (and a Settings sheet if the book lacks one) and put them into the book."""
    with tempfile.TemporaryDirectory(prefix="rfm-") as folder:
        sheets = Path(folder) / "sheets.xlsx"
        workbook = xlsxwriter.Workbook(str(sheets), {"constant_memory": True, "strings_to_formulas": False,
                                                      "strings_to_numbers": False, "strings_to_urls": False})
        styles = Styles(workbook, result.settings.currency_symbol)
        if add_settings:
            write_settings_sheet(workbook, styles, Settings())
        rows = {layout.name: write_layout(workbook, styles, layout)
                for layout in output_sheets(result, dt.datetime.now())}
        workbook.close()
        put_sheets(book, sheets, out, rows)
