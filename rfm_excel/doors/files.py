"""Headless mode: score a saved workbook, a CSV or Parquet file, a folder of exports, or an engine's source,
without Excel."""

from __future__ import annotations

import codecs
import datetime as dt
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as arrow_csv
import xlsxwriter

from .. import core
from ..base.errors import RfmError
from ..base.excel import MAX_ROWS
from ..base.ooxml import Package
from ..base.orders import Dialect
from ..base.settings import BEST_LOWEST, Settings, parse_settings
from ..base.sheet_names import CUSTOMERS, PROSPECTS, SCORE_HISTORY, SETTINGS, Placement
from ..domain import audiences
from ..domain.contact import CONTACT, neutralise_formulas
from ..domain.history import movement, of_filter, snapshot_dates
from ..layout.headers import shown
from ..layout.sheets import SheetLayout, fitted, history_from_sheet, movement_sheet, opens_on, placed, run_sheets
from ..layout.signatures import SIGNATURE_ROWS, placement
from ..layout.wording import taken_note
from ..readers.csv import read_csv, text_frame
from ..readers.engine import duckdb_lines, parquet_table
from ..readers.folder import CSV_SUFFIXES, read_folder
from ..readers.spark import spark_lines
from ..readers.workbook import check_workbook, read_book, read_side_book, top_rows
from ..writers.headless.render import Styles, write_layout
from ..writers.headless.splice import put_sheets
from ..writers.headless.template import build_template, settings_book

ORDERS_ROWS = MAX_ROWS - 1  # order lines an Orders sheet holds under its header
ENGINES = ("duckdb", "spark")


def score_file(path: str | Path, output: str | Path | None = None, as_of: dt.date | None = None,
               orders_sheet: str | None = None, progress=None, force: bool = False,
               tell=None, customers: Path | None = None, prospects: Path | None = None,
               engine_from: int | None = None) -> tuple[core.Result, Path]:
    """Score a workbook, a CSV or Parquet file, or a folder of CSV files and workbooks, and write the result
    sheets; return the result and the file written.

    A workbook is updated in place unless ``output`` is given; anything else becomes a new workbook
    (``output``, or the name with " scored.xlsx") holding its orders on an Orders sheet when they fit
    on one. An ``output`` that exists and is not the input itself is refused unless ``force``.
    ``progress``, if given, is called with a few words as each step starts; ``tell`` with each sentence
    the owner must read about what was written (a table too big for its sheet, and the CSV file beside
    the workbook that holds all of it). ``customers`` and ``prospects`` are CSV files or workbooks of the
    owner's customers and prospects (a workbook's own Customers and Prospects sheets otherwise).
    ``engine_from`` is how many lines of a file DuckDB cleans and sums instead of pandas (by default, more
    than an Orders sheet holds; a test gives fewer to try the engine).
    """
    path = Path(path)
    step = progress or (lambda words: None)
    _check_source(path)
    side = side_tables(customers, prospects)
    if path.is_dir() or path.suffix.lower() in (*CSV_SUFFIXES, ".parquet"):
        target = Path(output) if output else path.with_name(f"{path.name if path.is_dir() else path.stem} scored.xlsx")
        _check_target(target, ".xlsx", path, force)
        step(f"Reading and scoring {path.name}")
        result = _score_new_book(_order_lines(path, target), target, as_of, step, tell, side, engine_from)
        return result, target
    target = Path(output) if output else path
    _check_target(target, path.suffix.lower(), path, force)
    step(f"Reading and scoring {path.name}")
    _, result, where = _read_and_score(path, as_of, orders_sheet, side)
    step(f"Writing {result.customers:,} customers into {target.name}")
    with _replacing(target) as temporary:
        _write_result(path, temporary, result, target, where, tell)
    return result, target


def score_source(source: str, output: str | Path, as_of: dt.date | None = None, engine: str = "duckdb",
                 progress=None, force: bool = False, tell=None, customers: Path | None = None,
                 prospects: Path | None = None) -> tuple[core.Result, Path]:
    """Score the orders of an engine source ("parquet:PATTERN", e.g. "parquet:orders/*.parquet") into a new
    workbook ``output``: read by DuckDB in this process, or by Spark (``engine`` "spark") where Spark's own
    configuration points it, a cluster or this machine."""
    kind, _, pattern = source.partition(":")
    if kind.lower() != "parquet" or not pattern:
        raise RfmError(f"The source {source!r} is not one the tool reads; give parquet:PATTERN, e.g. "
                       "parquet:orders/*.parquet.")
    if engine not in ENGINES:
        raise RfmError(f"The engine {engine!r} is not one the tool runs on; give duckdb or spark.")
    target = Path(output)
    _check_target(target, ".xlsx", target, force)
    side = side_tables(customers, prospects)
    step = progress or (lambda words: None)
    step(f"Reading and scoring {pattern}")
    if engine == "spark":
        lines = spark_lines(pattern)
        try:
            result = core.score_lines(lines, Settings(), as_of, customers=side.get("customers"),
                                      prospects=side.get("prospects"))
        finally:
            lines.close()
        result.origin = core.Origin(pattern, lines.rows_read, in_workbook=False, parquet=True, engine="spark",
                                    brought=lines.dialect != "spark")
        _write_book_of_results(result, target, step, tell)
        return result, target
    table, files = parquet_table(pattern)
    return _score_new_book(OrderLines(pattern, table, tuple(files), typed=True), target, as_of, step, tell, side), \
        target


@dataclass
class OrderLines:
    """Order lines read from files, before cleaning: their source's name, the lines (text columns, or typed
    ones from Parquet), the files they were read from (a folder's or a pattern's), and what the file says of
    itself (a CSV's delimiter and encoding)."""

    source: str
    table: pa.Table
    files: tuple[str, ...] = ()
    typed: bool = False
    dialect: Dialect | None = None

    def origin(self, lines: int, in_workbook: bool = True) -> core.Origin:
        """Where the lines came from and how they were read, for the run note."""
        dialect = self.dialect or Dialect()
        return core.Origin(self.source, lines, in_workbook, dialect.encoding, dialect.delimiter, self.files,
                           parquet=self.typed)

    def take_table(self) -> pa.Table:
        """The lines, no longer held here (so that memory is freed as soon as the taker is done with them)."""
        table, self.table = self.table, None
        return table


def _order_lines(path: Path, target: Path) -> OrderLines:
    if path.is_dir():
        folder = read_folder(path, leave_out=target)
        return OrderLines(f"{path.name}/", folder.table, tuple(name for name, _ in folder.files))
    if path.suffix.lower() == ".parquet":
        table, _ = parquet_table(str(path))
        return OrderLines(path.name, table, typed=True)
    csv = read_csv(path)
    return OrderLines(path.name, csv.table, dialect=Dialect(delimiter=csv.delimiter, encoding=csv.encoding))


def side_tables(customers: Path | None, prospects: Path | None) -> dict[str, pd.DataFrame]:
    """The customers and prospects tables given as files (a CSV file, or a workbook's sheet of that name or its
    first sheet), by the name of the score() argument they go to."""
    tables = {}
    for key, name, path in (("customers", CUSTOMERS, customers), ("prospects", PROSPECTS, prospects)):
        if path is None:
            continue
        path = Path(path)
        _check_source(path)
        if path.suffix.lower() in CSV_SUFFIXES:
            frame = read_csv(path).table.to_pandas().astype(object)
            tables[key] = frame.where(frame.notna() & (frame != ""), None)
        else:
            tables[key] = read_side_book(path, name)
    return tables


def _score(lines: OrderLines, as_of: dt.date | None, side: dict[str, pd.DataFrame] | None = None,
           engine_from: int | None = None) -> tuple[core.Result, pd.DataFrame | None]:
    """Score order lines read from files, and the orders as the cleaning had them when they are fewer than
    ``engine_from`` (by default: when they fit on a sheet); None when they are not: then they never become a
    pandas frame, an engine cleans and sums them."""
    count, side = lines.table.num_rows, side or {}
    if count < (ORDERS_ROWS + 1 if engine_from is None else engine_from):
        orders = lines.table.to_pandas() if lines.typed else text_frame(lines.table)
        result = core.score(orders, Settings(), as_of, first_row=2, sheet=lines.source, dialect=lines.dialect,
                            customers=side.get("customers"), prospects=side.get("prospects"))
        result.origin = lines.origin(count)
        return result, orders
    engine = duckdb_lines(lines.take_table(), source=lines.source, dialect=lines.dialect)  # only it holds the lines
    try:
        result = core.score_lines(engine, Settings(), as_of, customers=side.get("customers"),
                                  prospects=side.get("prospects"))
    finally:
        engine.close()
    result.origin = lines.origin(count, in_workbook=False)
    return result, None


def _score_new_book(lines: OrderLines, target: Path, as_of: dt.date | None, step, tell=None,
                    side: dict[str, pd.DataFrame] | None = None, engine_from: int | None = None) -> core.Result:
    """Score order lines into a new workbook: with an Orders sheet holding them when pandas read them, else
    with the results alone."""
    result, orders = _score(lines, as_of, side, engine_from)
    if orders is None:
        _write_book_of_results(result, target, step, tell)
        return result
    step(f"Writing {result.customers:,} customers and {len(orders):,} order lines into {target.name}")
    with _replacing(target) as temporary, tempfile.TemporaryDirectory(prefix="rfm-") as folder:
        book = build_template(Path(folder) / "orders.xlsx", orders=orders)
        _write_result(book, temporary, result, target, placement_of(book), tell)
    return result


def _write_book_of_results(result: core.Result, target: Path, step, tell=None) -> None:
    """A new workbook of the result sheets and a Settings sheet, for orders that stay where they are."""
    step(f"Writing {result.customers:,} customers into {target.name}")
    with _replacing(target) as temporary, tempfile.TemporaryDirectory(prefix="rfm-") as folder:
        book = settings_book(Path(folder) / "settings.xlsx")
        _write_result(book, temporary, result, target, placement_of(book), tell)


def placement_of(path: Path) -> Placement:
    """Where the tool's sheets stand in the workbook at ``path``: its marks, else its sheets recognised by their
    layout (written before there were marks); every other sheet is the owner's."""
    check_workbook(path)
    sheets, defined_names = Package(path).sheets_and_names()
    return placement(sheets, defined_names, lambda candidates: top_rows(path, candidates, SIGNATURE_ROWS))


def _read_and_score(path: Path, as_of: dt.date | None, orders_sheet: str | None,
                    side: dict[str, pd.DataFrame] | None = None):
    """Read a workbook and score it: the customers and prospects of ``side`` (files) win over its own sheets."""
    where = placement_of(path)
    contents = read_book(path, orders_sheet, where[SETTINGS] if where.has(SETTINGS) else None,
                         where[SCORE_HISTORY] if where.has(SCORE_HISTORY) else None)
    settings = parse_settings(contents.settings_rows) if contents.settings_rows is not None else Settings()
    tables = {"customers": contents.customers, "prospects": contents.prospects, **(side or {})}
    result = core.score(contents.orders, settings, as_of, first_row=contents.first_row, sheet=contents.orders_sheet,
                        read_issues=contents.issues, history=history_from_sheet(contents.history_rows),
                        dialect=contents.dialect, customers=tables["customers"], prospects=tables["prospects"])
    return contents, result, where


def export_plan(path: str | Path, output: str | Path | None = None, as_of: dt.date | None = None,
                orders_sheet: str | None = None, engine_from: int | None = None) -> tuple[core.Result, Path, int]:
    """Write the Contact rows of the Contact Plan to a CSV file for an email or mailing tool.

    The workbook is scored as ``score_file`` would (nothing is written into it); ``output`` defaults
    to "<book> contact plan.csv" beside it, and is replaced if it exists (it is made to be exported
    again on every run). Text that a spreadsheet would run as a formula is neutralised. Returns the
    result, the file written and the number of customers in it.
    """
    path = Path(path)
    _check_source(path)
    target = Path(output) if output else path.with_name(
        f"{path.name if path.is_dir() else path.stem} contact plan.csv")
    _check_target(target, ".csv", path, force=True)
    if path.is_dir() or path.suffix.lower() in (*CSV_SUFFIXES, ".parquet"):
        result = _score(_order_lines(path, target), as_of, engine_from=engine_from)[0]
    else:
        result = _read_and_score(path, as_of, orders_sheet)[1]
    rows = result.plan[result.plan["plan"] == CONTACT].drop(columns="plan")
    rows = rows.astype({"usual_gap_days": "Int64", "days_overdue": "Int64"})  # 31, not 31.0
    with _replacing(target) as temporary:
        write_csv(neutralise_formulas(shown(rows)), temporary)
    return result, target, len(rows)


def write_audiences(path: str | Path, folder: str | Path, names: str = "all", as_of: dt.date | None = None,
                    orders_sheet: str | None = None,
                    customers: Path | None = None) -> tuple[core.Result, list[tuple[Path, audiences.Platform, int]]]:
    """Write each platform's look-alike seed (the best customers) and suppression list (every customer with
    contact data) into ``folder`` (made if need be) as "<platform> seed.csv" and "<platform> suppression.csv",
    replacing earlier ones; ``customers`` is a CSV file or workbook of customers, as for ``score_file``. The
    workbook (or CSV file, or folder) is scored as ``score_file`` would, and nothing is written into it.
    Returns the result and each file with its platform and number of customers."""
    path, folder = Path(path), Path(folder)
    chosen = audiences.platforms(names)
    _check_source(path)
    if folder.exists() and not folder.is_dir():
        raise RfmError(f"{folder} is a file; give a folder for the audience files with --out.")
    side = side_tables(customers, None)
    if path.is_dir() or path.suffix.lower() in (*CSV_SUFFIXES, ".parquet"):
        result = _score(_order_lines(path, folder / "orders"), as_of, side)[0]
    else:
        result = _read_and_score(path, as_of, orders_sheet, side)[1]
    if result.contacts is None:
        raise RfmError("No customer has an e-mail, phone or name to match on: add Email or Phone columns to the orders "
                       "or a Customers sheet (Customer ID, Email, Phone, First Name, Last Name, Zip, Country).")
    contacts = audiences.with_names(result.contacts)
    country = audiences.country_code(result.settings.default_country)
    if result.settings.default_country and country is None:
        raise RfmError(f"Settings: Default country (phones) is {result.settings.default_country!r}, which is not a "
                       "country name or code; write e.g. GB or United Kingdom.")
    best = result.scores["segment"].isin(core.best_segments(result.settings)).to_numpy()
    value_column = "predicted_value" if "predicted_value" in result.scores else "monetary"
    values = pd.Series(result.scores[value_column].to_numpy(dtype=float), index=result.scores.index)
    folder.mkdir(exist_ok=True)
    written = []
    for platform in chosen:
        for kind, rows in (("seed", contacts[best]), ("suppression", contacts)):
            table = audiences.customer_list(rows, platform, country, values if kind == "seed" else None)
            target = folder / f"{platform.name} {kind}.csv"
            check_place(target, force=True, elsewhere="give another --out")
            with _replacing(target) as temporary:
                write_csv(neutralise_formulas(table), temporary, bom=False)
            written.append((target, platform, len(table)))
    return result, written


def compare_file(path: str | Path, output: str | Path | None = None, earlier: dt.date | None = None,
                 later: dt.date | None = None, orders_sheet: str | None = None,
                 force: bool = False) -> tuple[SheetLayout, Path]:
    """Rewrite the Movement sheet to compare two snapshots of the Score History (the latest two by default).

    Only the Movement sheet changes; the orders are scored just to name the customers who fell. An
    ``output`` that exists and is not the input itself is refused unless ``force``.
    """
    path = Path(path)
    _check_source(path)
    target = Path(output) if output else path
    _check_target(target, path.suffix.lower(), path, force)
    contents, result, where = _read_and_score(path, None, orders_sheet)
    stored = of_filter(history_from_sheet(contents.history_rows), result.settings.filter_label)
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
    layout = fitted(placed([movement_sheet(moved, result.currency_symbol)], where)[0], target.resolve())
    write_full_lists([layout])
    with _replacing(target) as temporary:
        write_layouts(path, temporary, [layout], where)
    return layout, target


def write_template(path: str | Path, force: bool = False, lite: str | None = None) -> Path:
    """Write a template workbook to ``path`` (an .xlsm gets the Score customers button; with ``lite``, the
    package's name or wheel URL, an .xlsx carries the xlwings Lite code), refusing to replace an existing file
    unless ``force``; return the path."""
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise RfmError(f"The template must be an .xlsx file (or .xlsm, with the Score customers button for Excel); "
                       f"name it e.g. {path.stem}.xlsx.")
    if lite is not None and path.suffix.lower() != ".xlsx":
        raise RfmError(f"A workbook for xlwings Lite needs no macros: name it {path.stem}.xlsx.")
    check_place(path, force, elsewhere="choose another place")
    with _replacing(path) as temporary:
        build_template(temporary, lite=lite)
    return path


def _check_source(path: Path) -> None:
    """Refuse a file that is there but cannot be read (readers report a missing one in their own words)."""
    if not path.is_file():
        return
    try:
        open(path, "rb").close()
    except OSError as error:
        raise RfmError(f"{path.name} cannot be read ({error.strerror or error}); ask its owner for access to it, or "
                       "copy it somewhere you can read it, and run again.") from None


def _check_target(target: Path, suffix: str, source: Path, force: bool) -> None:
    """Refuse, before any work, an output of the wrong kind or one that cannot or must not be written."""
    if target.suffix.lower() != suffix:
        raise RfmError(f"The output {target.name} must end in {suffix}, like the file it comes from.")
    check_place(target, force or _same_file(target, source), elsewhere="give another --output")


def check_place(target: Path, force: bool, elsewhere: str) -> None:
    """Refuse a place to write ``target`` that does not exist or cannot be written, a file open in Excel, and
    (unless ``force``) a file that exists; ``elsewhere`` is what to do instead, for the messages."""
    folder = target.resolve().parent
    if not folder.is_dir():
        raise RfmError(f"The folder {target.parent} does not exist; create it or {elsewhere}.")
    if (folder / f"~${target.name}").exists():
        raise RfmError(f"{target.name} is open in Excel; close it there and run again.")
    if target.exists() and not force:
        raise RfmError(f"{target} already exists; choose another name or add --force to overwrite it.")
    if target.exists() and not os.access(target, os.W_OK):
        raise RfmError(f"{target.name} is read-only; make it writable or {elsewhere}.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise RfmError(f"You may not write in the folder {target.parent}; {elsewhere}, or get permission to write "
                       "in that folder.")


def _same_file(target: Path, source: Path) -> bool:
    return target.exists() and source.exists() and os.path.samefile(target, source)


@contextmanager
def _replacing(target: Path):
    """A temporary file beside ``target`` that replaces it only when everything was written."""
    temporary = None
    try:
        handle, name = tempfile.mkstemp(prefix=".~rfm-", suffix=target.suffix, dir=target.resolve().parent)
        os.close(handle)
        temporary = Path(name)
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
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_result(book: Path, out: Path, result: core.Result, target: Path, where: Placement, tell=None) -> None:
    """Render the sheets of a run (``run_sheets``: the output sheets, Start Here's part where the book has the
    tool's Start Here, a Settings sheet where it has none of the tool's), each named as the tool's are in the
    book (``where``), and put them into the book, to become ``target``, which then opens on Start Here; a table
    too big for its sheet goes whole to a CSV file beside it."""
    scored_at = dt.datetime.now()
    layouts = run_sheets(result, scored_at, where, target.resolve(),  # the notes name the file in full
                         button=target.suffix.lower() == ".xlsm")
    told = tell or (lambda words: None)
    taken = taken_note(where, [where.role(layout.name) for layout in layouts])
    if taken:
        told(taken)
    with ThreadPoolExecutor(1) as pool:  # Arrow writes the CSVs outside Python's lock while the sheets are rendered
        full_lists = pool.submit(write_full_lists, layouts)
        write_layouts(book, out, layouts, where, opens_on(where))
        for note in full_lists.result():
            told(note)


def write_full_lists(layouts: list[SheetLayout]) -> list[str]:
    """Write the whole table of each layout cut to fit its sheet (layout.overflow) to its CSV file, formulas
    neutralised as in an export; return the sentences saying so."""
    notes = []
    for layout in layouts:
        if layout.overflow is not None:
            with _replacing(layout.overflow.file) as temporary:
                write_csv(neutralise_formulas(layout.overflow.table), temporary)
            notes.append(layout.lines[-1])
    return notes


def write_csv(table: pd.DataFrame, path: Path, bom: bool = True) -> None:
    """``table`` as a UTF-8 CSV with the byte order mark Excel looks for (unless ``bom`` is False: the ad
    platforms read the first header with it), dates as 2024-06-30, by Arrow's writer (a million rows in
    about a second, where pandas takes half a minute)."""
    columns = {}
    for header in table.columns:
        values = table[header]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            columns[str(header)] = pa.array(values.to_numpy(dtype="datetime64[D]"), mask=values.isna().to_numpy())
        else:
            columns[str(header)] = pa.array(values.astype(object).where(values.notna(), None).tolist()
                                            if values.dtype == object else values, from_pandas=True)
    with path.open("wb") as handle:
        if bom:
            handle.write(codecs.BOM_UTF8)
        arrow_csv.write_csv(pa.table(columns), handle)


def write_layouts(book: Path, out: Path, layouts: list[SheetLayout], where: Placement,
                  opens_on: tuple[str, ...] = ()) -> None:
    """Render ``layouts`` and put them into the book, in that order, into the tool's own sheets only (``where``),
    marking each as the tool's."""
    with tempfile.TemporaryDirectory(prefix="rfm-") as folder:
        sheets = Path(folder) / "sheets.xlsx"
        workbook = xlsxwriter.Workbook(str(sheets), {"constant_memory": True, "strings_to_formulas": False,
                                                      "strings_to_numbers": False, "strings_to_urls": False,
                                                      "date_1904": Package(book).date1904()})  # the book's dates
        styles = Styles(workbook)
        rows = {layout.name: write_layout(workbook, styles, layout) for layout in layouts}
        workbook.close()
        owned = {layout.name: layout.owned for layout in layouts if layout.owned}
        marks = where.marks(layout.name for layout in layouts)
        put_sheets(book, sheets, out, rows, owned, opens_on, marks, where.mine())
