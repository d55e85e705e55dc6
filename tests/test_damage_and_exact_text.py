"""Inputs that are damaged and texts that must come out as typed: a damaged workbook is one sentence and exit 1
with nothing left behind; headers typed over two lines are named on one; the Orders sheet built from a CSV holds
the owner's text exactly; the workbook's properties list the sheets a run added."""

from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from lxml import etree

from rfm_excel.doors.cli import main

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "tests" / "data" / "workbooks" / "libreoffice_orders.xlsx"
VT = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"


def damaged_copy(folder: Path, how: str) -> Path:
    """A copy of a LibreOffice workbook with its Orders sheet's data changed by one bit (its checksum fails),
    or with a part's header signature broken."""
    data = bytearray(BOOK.read_bytes())
    with zipfile.ZipFile(BOOK) as package:
        sheet, styles = package.getinfo("xl/worksheets/sheet1.xml"), package.getinfo("xl/styles.xml")
    if how == "checksum":
        data[sheet.header_offset + 30 + len(sheet.filename) + len(sheet.extra) + sheet.compress_size // 2] ^= 1
    else:
        data[styles.header_offset] = 0
    path = folder / f"{how}.xlsx"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("how", ["checksum", "header"])
def test_a_damaged_workbook_is_one_sentence_and_exit_1_with_nothing_left_behind(how, tmp_path, capsys):
    book = damaged_copy(tmp_path, how)
    assert main(["score", str(book), "--output", str(tmp_path / "out.xlsx")]) == 1
    assert capsys.readouterr().err == (f"Error: {how}.xlsx is damaged and cannot be read; open it in Excel, which "
                                       "offers to repair it, and save it again as an Excel Workbook (.xlsx).\n")
    assert [p.name for p in tmp_path.iterdir()] == [book.name]  # no error log, no half-written output


def test_the_command_alone_prints_its_help(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: rfm-excel") and "score" in out and "template" in out


def test_a_header_typed_over_two_lines_is_named_on_one(tmp_path, capsys):
    book = openpyxl.Workbook()
    book.active.title = "Orders"
    book.active.append(["Order\nNumber", "Order\nDate", "Total\nAmount"])  # Alt+Enter in the header cells
    book.active.append(["O1", "2024-01-05", 10])
    book.save(tmp_path / "wrapped.xlsx")
    assert main(["score", str(tmp_path / "wrapped.xlsx"), "--output", str(tmp_path / "out.xlsx")]) == 1
    assert capsys.readouterr().err == ("Error: The Orders sheet has no Customer ID column; add a column with that "
                                       "header (it has: Order Number, Order Date, Total Amount).\n")


def test_the_orders_sheet_built_from_a_csv_holds_the_text_as_typed(tmp_path):
    source = tmp_path / "orders.csv"
    source.write_text("Customer ID,Order ID,Order Date,Amount,Note\nC1,1,2024-01-05,10,_x0041_\n"
                      "C2,2,2024-01-06,12,bell\x07here\n", encoding="utf-8")
    assert main(["score", str(source), "--output", str(tmp_path / "scored.xlsx")]) == 0
    rows = python_calamine.CalamineWorkbook.from_path(tmp_path / "scored.xlsx").get_sheet_by_name("Orders").to_python()
    assert [row[4] for row in rows] == ["Note", "_x0041_", "bell\x07here"]  # not "A", and the bell kept
    with zipfile.ZipFile(tmp_path / "scored.xlsx") as package:
        app = etree.fromstring(package.read("docProps/app.xml"))
    named = [e.text for e in app.iter(f"{VT}lpstr")]
    assert named[:2] == ["Worksheets", "Named Ranges"]
    assert named[2:13] == ["Start Here", "Orders", "Settings", "Scores", "Segments", "Data Issues", "Contact Plan",
                           "Movement", "Campaign Results", "Score History", "Forecast"]
    assert next(e.text for e in app.iter(f"{VT}i4")) == "11"


def test_the_spark_extra_the_help_names_exists():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert [e.split(">")[0] for e in extras["spark"]] == ["pyspark", "sqlglot"]
    assert "rfm-excel[spark]" in extras["test"]
