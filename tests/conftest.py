"""Shared fixtures: a hand-made orders workbook, the real Online Retail II sample, and zip-part helpers."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import posixpath
import shutil
import subprocess
import types
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import python_calamine
from lxml import etree

from rfm_excel.writers.headless.template import build_template

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_NAME = "online_retail_II_sample.xlsx"
# The project's own copy (tests/data) wins; otherwise the shared folder beside the repository.
SAMPLE_CANDIDATES = [ROOT / "tests" / "data" / SAMPLE_NAME, ROOT.parent / "shared" / "data" / SAMPLE_NAME]

D = dt.datetime
# Hand-made orders, written under the template's header (sheet row 2 onwards).
# Columns: Customer ID, Order ID, Order Date, Amount, Customer Name, Email.
HAND_ORDERS = [
    ("C001", "O1", D(2024, 1, 10), 100, "Alice", "alice@example.com"),  # row 2
    ("C001", "O2", D(2024, 3, 1), 30, "Alice", "alice@example.com"),    # row 3  } two lines of one order (50)
    ("C001", "O2", D(2024, 3, 1), 20, "Alice", "alice@example.com"),    # row 4  }
    ("C001", "O3", D(2024, 6, 28), 25.5, "Alice", "alice@example.com"),  # row 5
    ("C002", "O4", D(2024, 2, 1), 500, "Bob", None),                   # row 6
    ("C003", "O5", D(2024, 5, 1), 10, None, None),                     # row 7
    ("C003", "O6", D(2024, 5, 15), 20, None, None),                    # row 8
    (None, "O7", D(2024, 5, 15), 20, "Nobody", None),                  # row 9: no customer ID -> skipped
    ("C004", "D1", D(2024, 1, 5), 40, "Dan", None),                    # row 10
    ("C004", "D2", D(2024, 2, 5), 40, "Dan", None),                    # row 11
    ("C004", "D3", D(2024, 3, 5), 40, "Dan", None),                    # row 12
    ("C004", "D4", D(2024, 4, 5), 40, "Dan", None),                    # row 13
    ("C004", "R1", D(2024, 4, 10), -20, "Dan", None),                  # row 14: a return (not a purchase)
    ("C005", "E1", D(2024, 6, 1), 60, "Eve", None),                    # row 15
    ("C005", "E2", D(2024, 6, 8), 60, "Eve", None),                    # row 16
    ("C005", "E3", D(2024, 6, 15), 60, "Eve", None),                   # row 17
    ("C005", "E4", D(2024, 6, 22), 60, "Eve", None),                   # row 18
    ("C005", "E5", D(2024, 6, 29), 60, "Eve", None),                   # row 19
    ("C005", "E6", "soon", 60, "Eve", None),                           # row 20: not a date -> skipped
]


def fill_orders(path: Path, rows, sheet: str = "Orders") -> Path:
    """Append ``rows`` under the header of ``sheet`` with openpyxl, as an owner pasting orders would."""
    book = openpyxl.load_workbook(path)
    for row in rows:
        book[sheet].append(list(row))
    book.save(path)
    return path


def set_setting(path: Path, label: str, value) -> None:
    """Type ``value`` into column B of the Settings row labelled ``label``."""
    book = openpyxl.load_workbook(path)
    sheet = book["Settings"]
    for row in sheet.iter_rows(min_col=1, max_col=1):
        if row[0].value == label:
            sheet.cell(row=row[0].row, column=2, value=value)
            break
    else:
        raise AssertionError(f"no Settings row labelled {label!r}")
    book.save(path)


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def leftover_temporaries(folder: Path) -> list[str]:
    """Temporary files a run writes beside its target (".~rfm-*") that are still there."""
    return [name for name in os.listdir(folder) if name.startswith(".~rfm-")]


# ------------------------------------------------------------ reading the zip package directly

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def part_relationships(archive: zipfile.ZipFile, part: str) -> list[tuple[str, str, str]]:
    """(Id, Type, resolved target) of each relationship of ``part``."""
    folder, base = posixpath.split(part)
    name = posixpath.join(folder, "_rels", base + ".rels")
    if name not in archive.namelist():
        return []
    root = etree.fromstring(archive.read(name))
    return [(r.get("Id"), r.get("Type"), _resolve(part, r.get("Target")))
            for r in root.iter(PKG + "Relationship") if r.get("TargetMode") != "External"]


def sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> its worksheet part inside the package, via xl/workbook.xml and its relationships."""
    with zipfile.ZipFile(path) as archive:
        workbook = etree.fromstring(archive.read("xl/workbook.xml"))
        targets = {rid: target for rid, _, target in part_relationships(archive, "xl/workbook.xml")}
        return {s.get("name"): targets[s.get(REL_ID)] for s in workbook.find(MAIN + "sheets")}


def sheet_bytes(path: Path, sheet: str) -> bytes:
    """The raw XML bytes of one sheet's part."""
    part = sheet_parts(path)[sheet]
    with zipfile.ZipFile(path) as archive:
        return archive.read(part)


# ------------------------------------------------------------ an independent RFM count of retail exports


def read_retail_sheet(path: Path, sheet: str) -> pd.DataFrame:
    """One sheet of the Online Retail II export, read with python-calamine, with each row's sheet row number."""
    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    frame["sheet_row"] = range(2, len(frame) + 2)
    return frame


def retail_rfm(frame: pd.DataFrame, as_of: dt.date | None = None) -> types.SimpleNamespace:
    """Recompute the headline numbers from Online Retail II lines, straight from the scoring rules.

    A line that repeats an earlier line cell for cell is counted once; lines without a customer
    ID are skipped; amount = Quantity x Price, made negative for a cancelled invoice ("C" and a
    digit); lines of one Invoice and customer are one order; an order with a positive net amount
    is a purchase; Monetary nets every order; the as-of date defaults to the day after the
    latest line with a customer, and lines after it are skipped.
    """
    cells = frame.drop(columns="sheet_row")
    copy = cells.astype(str).duplicated(keep="first")
    blank = cells["Customer ID"].map(lambda v: v is None or str(v).strip() == "")
    lines = frame[~copy & ~blank].copy()
    lines["cid"] = lines["Customer ID"].map(lambda v: str(int(float(v))))
    amount = lines["Quantity"].astype(float) * lines["Price"].astype(float)
    cancelled = lines["Invoice"].astype(str).str.match(r"[Cc]\d") & (amount > 0)
    lines["amount"] = amount.where(~cancelled, -amount)
    lines["day"] = pd.to_datetime(lines["InvoiceDate"]).dt.normalize()
    if as_of is None:
        as_of = (lines["day"].max() + pd.Timedelta(days=1)).date()
    late = lines["day"] > pd.Timestamp(as_of)
    kept = lines[~late]
    orders = kept.groupby(["cid", kept["Invoice"].astype(str)]).agg(day=("day", "min"), amount=("amount", "sum"))
    purchases = orders[orders["amount"] > 0].groupby(level="cid")["day"].agg(["min", "max", "size"])
    monetary = orders.groupby(level="cid")["amount"].sum()
    table = pd.DataFrame({"first": purchases["min"], "last": purchases["max"], "frequency": purchases["size"],
                          "monetary": monetary.reindex(purchases.index).round(2)})
    table["recency"] = (pd.Timestamp(as_of) - table["last"]).dt.days
    return types.SimpleNamespace(
        rows=len(frame), as_of=as_of, table=table,
        blank_rows=list(frame.loc[blank, "sheet_row"]),  # every row without a customer ID, copies included
        copy_rows=list(frame.loc[copy, "sheet_row"]),
        late_rows=list(lines.loc[late, "sheet_row"]),
        skipped_rows=sorted(list(frame.loc[copy | blank, "sheet_row"]) + list(lines.loc[late, "sheet_row"])))


# ------------------------------------------------------------ bad input: builders and words the message must hold


def _text_renamed(folder: Path) -> Path:
    path = folder / "notes.xlsx"
    path.write_text("Customer ID,Order Date,Amount\nA,2024-01-01,5\n")
    return path


def _xls(folder: Path) -> Path:
    path = folder / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    return path


def _truncated(folder: Path) -> Path:
    data = build_template(folder / "whole.xlsx").read_bytes()
    path = folder / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    (folder / "whole.xlsx").unlink()
    return path


def _openpyxl_book(folder: Path, name: str, title: str, rows: list) -> Path:
    book = openpyxl.Workbook()
    book.active.title = title
    for row in rows:
        book.active.append(row)
    book.save(folder / name)
    return folder / name


def _bad_setting(folder: Path) -> Path:
    path = build_template(folder / "settings.xlsx")
    book = openpyxl.load_workbook(path)
    book["Orders"].append(["C1", "O1", D(2024, 1, 1), 10])
    book["Settings"]["B7"] = "five"
    book.save(path)
    return path


BAD_INPUTS = {
    "missing file": (lambda f: f / "absent.xlsx", ["absent.xlsx", "no file"]),
    "text renamed .xlsx": (_text_renamed, ["notes.xlsx", "Excel workbook"]),
    "xls name": (_xls, ["old.xls", ".xlsx"]),
    "truncated zip": (_truncated, ["truncated.xlsx", "damaged"]),
    "no Orders sheet": (lambda f: _openpyxl_book(f, "book.xlsx", "Sales", [["Customer ID", "Order Date", "Amount"]]),
                        ["Orders", "Sales", "--orders-sheet"]),
    "no Customer ID column": (lambda f: _openpyxl_book(f, "book.xlsx", "Orders", [
        ["Order ID", "Order Date", "Amount"], ["O1", D(2024, 1, 1), 5]]), ["Customer ID", "Order ID, Order Date"]),
    "empty Orders sheet": (lambda f: _openpyxl_book(f, "book.xlsx", "Orders", []), ["Orders", "empty"]),
    "headers but no rows": (lambda f: build_template(f / "book.xlsx"), ["no orders", "row 2"]),
    "bad Settings value": (_bad_setting, ["Settings!B7", "Recency score levels", "'five'"]),
}


def pytest_generate_tests(metafunc):
    """Any test asking for ``bad_input`` runs once per case of BAD_INPUTS: (builder(folder) -> path, words)."""
    if "bad_input" in metafunc.fixturenames:
        metafunc.parametrize("bad_input", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))


# ------------------------------------------------------------ LibreOffice as an independent reader


# Tools > Options > Calc > Formula > Recalculation on file load > Excel 2007 and newer: Always recalculate
ALWAYS_RECALCULATE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">\n'
    '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">'
    '<value>0</value>\n'
    '</prop></item></oor:items>\n')


def libreoffice_sheet(path: Path, sheet: int, folder: Path, recalculate: bool = False) -> list[list[str]]:
    """One sheet (numbered from 1, in workbook order) as LibreOffice opens and shows it: its cells as
    formatted text, through LibreOffice's CSV export. With ``recalculate``, LibreOffice is set to
    recalculate every formula on opening (by default it shows the values saved with an Excel file).
    Skips the test without LibreOffice."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    profile = folder / ("lo-profile-recalculating" if recalculate else "lo-profile")
    if recalculate:
        (profile / "user").mkdir(parents=True, exist_ok=True)
        (profile / "user" / "registrymodifications.xcu").write_text(ALWAYS_RECALCULATE, encoding="utf-8")
    out = folder / f"csv-{sheet}-{int(recalculate)}"
    # CSV filter options: comma, double quote, UTF-8, from line 1, ..., cells as shown (9th), the sheet (12th)
    options = f"44,34,76,1,,0,false,true,true,false,false,{sheet}"
    done = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                           "--convert-to", f"csv:Text - txt - csv (StarCalc):{options}", "--outdir", str(out),
                           str(path)], capture_output=True, text=True, timeout=180)
    written = list(out.glob("*.csv"))
    assert len(written) == 1, (done.stdout, done.stderr)
    with written[0].open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


# ------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def helpers():
    """The helper functions above, for test modules (tests are not importable as a package)."""
    return types.SimpleNamespace(fill_orders=fill_orders, set_setting=set_setting, sha=sha,
                                 leftover_temporaries=leftover_temporaries, sheet_parts=sheet_parts,
                                 sheet_bytes=sheet_bytes, part_relationships=part_relationships,
                                 read_retail_sheet=read_retail_sheet, retail_rfm=retail_rfm,
                                 libreoffice_sheet=libreoffice_sheet, hand_orders=HAND_ORDERS)


@pytest.fixture
def hand_book(tmp_path) -> Path:
    """A template whose Orders sheet holds HAND_ORDERS (not yet scored)."""
    return fill_orders(build_template(tmp_path / "shop.xlsx"), HAND_ORDERS)


@pytest.fixture(scope="session")
def sample_source() -> Path:
    for candidate in SAMPLE_CANDIDATES:
        if candidate.exists():
            return candidate
    pytest.skip(f"the real-data sample {SAMPLE_NAME} is not available")


@pytest.fixture
def sample_copy(sample_source, tmp_path) -> Path:
    """A writable copy of the real sample in this test's folder (the original is read-only)."""
    target = tmp_path / "export.xlsx"
    shutil.copyfile(sample_source, target)
    target.chmod(0o644)
    return target


@pytest.fixture(scope="session")
def spark():
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java, which this machine lacks")
    from pyspark.sql import SparkSession  # the test extra installs it

    session = SparkSession.builder.master("local[2]").appName("rfm-tests") \
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2") \
        .config("spark.driver.memory", "1g").getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
