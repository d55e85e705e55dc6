"""Headless mode: score a saved workbook (or a CSV of orders) without Excel."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import xlsxwriter

from .. import core
from ..base.errors import RfmError
from ..base.ooxml import Package
from ..base.settings import BEST_LOWEST, Settings, parse_settings
from ..domain.contact import CONTACT, neutralise_formulas
from ..domain.history import from_sheet, movement, snapshot_dates
from ..layout.sheets import SheetLayout, movement_sheet, output_sheets
from ..readers.workbook import read_book, read_csv
from ..writers.headless.render import Styles, write_layout
from ..writers.headless.splice import put_sheets
from ..writers.headless.template import build_template, write_settings_sheet


def score_file(path: str | Path, output: str | Path | None = None, as_of: dt.date | None = None,
               orders_sheet: str | None = None, progress=None) -> tuple[core.Result, Path]:
    """Score a workbook or CSV and write the result sheets; return the result and the file written.

    A workbook is updated in place unless ``output`` is given; a CSV becomes a new workbook
    (``output``, or the CSV's name with " scored.xlsx"). ``progress``, if given, is called with a
    few words as each step starts.
    """
    path = Path(path)
    step = progress or (lambda words: None)
    step(f"Reading and scoring {path.name}")
    if path.suffix.lower() == ".csv":
        target = Path(output) if output else path.with_name(f"{path.stem} scored.xlsx")
        _check_target(target, ".xlsx")
        orders = read_csv(path)
        result = core.score(orders, Settings(), as_of, first_row=2, sheet=path.name)
        with _replacing(target) as temporary, tempfile.TemporaryDirectory(prefix="rfm-") as folder:
            book = build_template(Path(folder) / "orders.xlsx", orders=orders)
            _write_result(book, temporary, result, add_settings=False)
        return result, target
    contents, result = _read_and_score(path, as_of, orders_sheet)
    target = Path(output) if output else path
    _check_target(target, path.suffix.lower())
    step(f"Writing {result.customers:,} customers into {target.name}")
    with _replacing(target) as temporary:
        _write_result(path, temporary, result, add_settings=contents.settings_rows is None)
    return result, target


def _read_and_score(path: Path, as_of: dt.date | None, orders_sheet: str | None):
    contents = read_book(path, orders_sheet)
    settings = parse_settings(contents.settings_rows) if contents.settings_rows is not None else Settings()
    result = core.score(contents.orders, settings, as_of, first_row=contents.first_row, sheet=contents.orders_sheet,
                        read_issues=contents.issues, history=from_sheet(contents.history_rows),
                        dialect=contents.dialect)
    return contents, result


def export_plan(path: str | Path, output: str | Path | None = None, as_of: dt.date | None = None,
                orders_sheet: str | None = None) -> tuple[core.Result, Path, int]:
    """Write the Contact rows of the Contact Plan to a CSV file for an email or mailing tool.

    The workbook is scored as ``score_file`` would (nothing is written into it); ``output`` defaults
    to "<book> contact plan.csv" beside it. Text that a spreadsheet would run as a formula is
    neutralised. Returns the result, the file written and the number of customers in it.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        result = core.score(read_csv(path), Settings(), as_of, sheet=path.name)
    else:
        result = _read_and_score(path, as_of, orders_sheet)[1]
    target = Path(output) if output else path.with_name(f"{path.stem} contact plan.csv")
    _check_target(target, ".csv")
    rows = result.plan[result.plan["Plan"] == CONTACT].drop(columns="Plan")
    rows = rows.astype({"Usual Gap (days)": "Int64", "Days Overdue": "Int64"})  # 31, not 31.0
    with _replacing(target) as temporary:
        neutralise_formulas(rows).to_csv(temporary, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")
    return result, target, len(rows)


def compare_file(path: str | Path, output: str | Path | None = None, earlier: dt.date | None = None,
                 later: dt.date | None = None, orders_sheet: str | None = None) -> tuple[SheetLayout, Path]:
    """Rewrite the Movement sheet to compare two snapshots of the Score History (the latest two by default).

    Only the Movement sheet changes; the orders are scored just to name the customers who fell.
    """
    path = Path(path)
    contents, result = _read_and_score(path, None, orders_sheet)
    stored = from_sheet(contents.history_rows)
    dates = snapshot_dates(stored)
    for wanted in (earlier, later):
        if wanted is not None and wanted not in dates:
            have = ", ".join(f"{d:%Y-%m-%d}" for d in dates) or "none"
            raise RfmError(f"Score History has no snapshot for {wanted:%Y-%m-%d}; it has {have}. "
                           "Score that date with --as-of first.")
    if (earlier is None) != (later is None):
        raise RfmError("Give both --from and --to, or neither to compare the latest two snapshots.")
    if earlier is None and len(dates) < 2:
        raise RfmError("Score History needs two snapshots to compare; score the workbook on another as-of date first.")
    moved = movement(stored, [rule.name for rule in result.settings.segments], result.scores, earlier, later,
                     best_lowest=result.settings.best_score == BEST_LOWEST)
    layout = movement_sheet(moved)
    target = Path(output) if output else path
    _check_target(target, path.suffix.lower())
    with _replacing(target) as temporary:
        _write_layouts(path, temporary, [layout], result.settings.currency_symbol)
    return layout, target


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
    _write_layouts(book, out, output_sheets(result, dt.datetime.now()), result.settings.currency_symbol,
                   add_settings)


def _write_layouts(book: Path, out: Path, layouts: list[SheetLayout], currency_symbol: str,
                   add_settings: bool = False) -> None:
    """Render ``layouts`` (and a default Settings sheet if asked) and put them into the book."""
    with tempfile.TemporaryDirectory(prefix="rfm-") as folder:
        sheets = Path(folder) / "sheets.xlsx"
        workbook = xlsxwriter.Workbook(str(sheets), {"constant_memory": True, "strings_to_formulas": False,
                                                      "strings_to_numbers": False, "strings_to_urls": False,
                                                      "date_1904": Package(book).date1904()})  # the book's dates
        styles = Styles(workbook, currency_symbol)
        if add_settings:
            write_settings_sheet(workbook, styles, Settings())
        rows = {layout.name: write_layout(workbook, styles, layout) for layout in layouts}
        workbook.close()
        put_sheets(book, sheets, out, rows)
