"""The owner's sheets are never the tool's, whatever they are called (docs/workbook.md, "Whose sheet is it").

The tool marks each sheet it makes with a workbook-level defined name and writes only into sheets that carry
its mark (or, written before there were marks, are laid out as its sheets were); a name an owner's sheet has
makes the tool's sheet "RFM <name>".
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import shutil
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine

from rfm_excel.base import sheet_names
from rfm_excel.doors import button as macros
from rfm_excel.doors.files import placement_of, score_file
from rfm_excel.doors.functions import workbook_settings
from rfm_excel.writers.headless.splice import put_sheets
from rfm_excel.writers.headless.template import build_template

_spec = importlib.util.spec_from_file_location("remote_books", Path(__file__).with_name("remote_books.py"))
remote_books = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(remote_books)

ROOT = Path(__file__).resolve().parents[1]
LEGACY = ROOT / "tests" / "data" / "legacy" / "scored-before-sheet-marks.xlsx"  # written by rfm-excel 0.1.0
ORDER_HEADER = ["Customer ID", "Order ID", "Order Date", "Amount", "Customer Name", "Email"]
OUTPUTS = ["Scores", "Segments", "Data Issues", "Contact Plan", "Movement", "Campaign Results", "Score History",
           "Forecast", "Products"]
OWNER_NAMED = ["Start Here", "Settings", *OUTPUTS]  # every name the tool writes, taken by the owner


def owner_sheet(book: openpyxl.Workbook, name: str) -> None:
    """A sheet of the owner's own: a title, numbers, a formula, a text that looks like a formula."""
    sheet = book.create_sheet(name)
    sheet["A1"] = f"Quarterly staff {name.lower()}"
    sheet["A2"], sheet["B2"], sheet["C2"] = "Anna", 17, 4.5
    sheet["A3"], sheet["B3"], sheet["C3"] = "Ben", 12, 3.25
    sheet["B4"] = "=SUM(B2:B3)"
    sheet["D1"] = "Notes"
    sheet["D2"] = "'=not a formula"


def shop(path: Path, helpers, names: list[str]) -> Path:
    """An owner's workbook: their orders on Orders, and their own sheets called ``names``."""
    book = openpyxl.Workbook()
    orders = book.active
    orders.title = "Orders"
    orders.append([*ORDER_HEADER, "Product"])
    for number, row in enumerate(helpers.hand_orders):
        orders.append([*row, ("Mug", "Tea", "Teapot")[number % 3]])
    for name in names:
        owner_sheet(book, name)
    book.save(path)
    return path


def cells(path: Path, sheet: str) -> dict[str, object]:
    """Every cell of a sheet as openpyxl reads it (formulas as their text)."""
    book = openpyxl.load_workbook(path)
    return {cell.coordinate: cell.value for row in book[sheet].iter_rows() for cell in row if cell.value is not None}


def sheets_of(path: Path) -> list[str]:
    return python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names


def marks_of(path: Path) -> dict[str, str]:
    """The tool's marks in a workbook: defined name -> reference."""
    text = zipfile.ZipFile(path).read("xl/workbook.xml").decode()
    return {name: reference.replace("&apos;", "'") for name, reference in
            re.findall(r'<definedName[^>]*name="(_rfm_excel\.[^"]+)"[^>]*>([^<]*)</definedName>', text)}


def values(path: Path, sheet: str) -> list[list]:
    return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_the_owner_sheets_named_like_every_tool_sheet_are_untouched_run_after_run(tmp_path, helpers):
    book = shop(tmp_path / "shop.xlsx", helpers, OWNER_NAMED)
    before = {name: cells(book, name) for name in OWNER_NAMED}
    told = []
    score_file(book, tell=told.append)
    first = sheets_of(book)
    ours = ["RFM Settings", *(f"RFM {name}" for name in OUTPUTS)]
    assert first == ["Orders", *OWNER_NAMED, *ours]  # the owner's where they were, the tool's after them
    for name in OWNER_NAMED:
        assert cells(book, name) == before[name], name
    assert told[0] == ("You have sheets of your own named Settings, Scores, Segments, Data Issues, Contact Plan, "
                       "Movement, Campaign Results, Score History, Forecast and Products, so the tool's are RFM "
                       "Settings, RFM Scores, RFM Segments, RFM Data Issues, RFM Contact Plan, RFM Movement, RFM "
                       "Campaign Results, RFM Score History, RFM Forecast and RFM Products; yours are not touched.")
    assert told[0] in " ".join(row[0] for row in values(book, "RFM Segments")[:12])  # in the run note, wrapped
    assert values(book, "RFM Scores")[0][0] == "Customer ID"
    assert sorted(marks_of(book)) == sorted(sheet_names.mark_name(name) for name in ["Settings", *OUTPUTS])
    assert marks_of(book)["_rfm_excel.scores"] == "'RFM Scores'!$A$1"

    score_file(book)
    assert sheets_of(book) == first  # replaced, not added again
    for name in OWNER_NAMED:
        assert cells(book, name) == before[name], name
    history = values(book, "RFM Score History")
    header = history[next(i for i, row in enumerate(history) if row[0] == "Customer ID")]
    assert [text.split("\n")[0] for text in header[1:]] == ["2024-06-30"]  # one snapshot: the same date again


def test_start_here_links_go_to_the_tools_sheets_where_the_owner_has_their_names(tmp_path, helpers):
    book = helpers.fill_orders(build_template(tmp_path / "shop.xlsx"), helpers.hand_orders)
    added = openpyxl.load_workbook(book)
    owner_sheet(added, "Segments")
    owner_sheet(added, "Contact Plan")
    added.save(book)
    score_file(book)
    links = [cell.value for row in openpyxl.load_workbook(book)["Start Here"].iter_rows() for cell in row
             if isinstance(cell.value, str) and cell.value.startswith("=HYPERLINK")]
    assert links == ['=HYPERLINK("#\'RFM Segments\'!A1","RFM Segments: what each group means, what it is worth '
                     'and what to offer it")',
                     '=HYPERLINK("#\'RFM Contact Plan\'!A1","RFM Contact Plan: whom to contact, when, how and why")',
                     '=HYPERLINK("#\'Data Issues\'!A1","Data Issues: 2 of 19 order rows left out, and why")']
    assert sheets_of(book)[:5] == ["Start Here", "Orders", "Settings", "Segments", "Contact Plan"]


def test_an_owners_settings_sheet_is_neither_read_nor_written(tmp_path, helpers):
    book = shop(tmp_path / "shop.xlsx", helpers, ["Settings"])
    owners = cells(book, "Settings")
    result, _ = score_file(book)
    assert result.settings.as_of.isoformat() == "2024-06-30"  # the defaults: the owner's sheet was not read
    assert cells(book, "Settings") == owners
    assert sheets_of(book)[:3] == ["Orders", "Settings", "RFM Settings"]
    tools = openpyxl.load_workbook(book)
    sheet = tools["RFM Settings"]
    row = next(r for r in sheet.iter_rows(min_col=1, max_col=1) if r[0].value == "As-of date")[0].row
    sheet.cell(row=row, column=2, value="2024-03-31")
    tools.save(book)  # openpyxl as another program saving the file: the marks must survive it
    result, _ = score_file(book)
    assert result.settings.as_of.isoformat() == "2024-03-31"  # the tool's own settings, read under their name
    assert sheets_of(book).count("RFM Settings") == 1


def test_a_sheet_of_settings_the_owner_typed_is_read_by_its_labels(tmp_path, helpers):
    book = shop(tmp_path / "shop.xlsx", helpers, [])
    typed = openpyxl.load_workbook(book)
    typed.create_sheet("Settings").append(["As-of date", "2024-05-31"])
    typed.save(book)
    result, _ = score_file(book)
    assert result.settings.as_of.isoformat() == "2024-05-31"
    assert "RFM Settings" not in sheets_of(book)
    assert marks_of(book)["_rfm_excel.settings"] == "'Settings'!$A$1"


@pytest.mark.parametrize("resave", ["libreoffice", "openpyxl"])
def test_the_mark_survives_another_program_saving_the_file(tmp_path, helpers, resave):
    book = shop(tmp_path / "shop.xlsx", helpers, ["Scores", "Segments"])
    score_file(book)
    first = sheets_of(book)
    if resave == "openpyxl":
        openpyxl.load_workbook(book).save(book)
    else:
        soffice = shutil.which("soffice")
        if soffice is None:
            pytest.skip("LibreOffice (soffice) is not installed")
        out = tmp_path / "resaved"
        subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless",
                        "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(book)],
                       capture_output=True, timeout=180, check=True)
        shutil.copyfile(out / "shop.xlsx", book)
    assert marks_of(book)["_rfm_excel.scores"].strip("'").startswith("RFM Scores")
    before = cells(book, "Scores")
    score_file(book)
    assert sheets_of(book) == first
    assert cells(book, "Scores") == before


def test_a_tools_sheet_the_owner_renamed_is_still_the_tools(tmp_path, helpers):
    book = helpers.fill_orders(build_template(tmp_path / "shop.xlsx"), helpers.hand_orders)
    score_file(book)
    renamed = openpyxl.load_workbook(book)
    renamed["Scores"].title = "Customer scores"  # what Excel does on a rename: the mark follows the sheet
    renamed.defined_names["_rfm_excel.scores"].attr_text = "'Customer scores'!$A$1"
    renamed.save(book)
    count = len(sheets_of(book))
    score_file(book)
    assert "Scores" not in sheets_of(book)
    assert len(sheets_of(book)) == count
    assert values(book, "Customer scores")[0][0] == "Customer ID"


def test_a_workbook_scored_before_the_marks_has_its_result_sheets_replaced(tmp_path):
    book = tmp_path / "old.xlsx"
    shutil.copyfile(LEGACY, book)
    old = sheets_of(book)
    assert old == ["Start Here", "Orders", "Settings", *OUTPUTS]
    assert not marks_of(book)
    stamp = values(book, "Segments")[1][0]
    score_file(book, as_of=dt.date(2011, 9, 30))
    assert sheets_of(book) == old  # recognised as the tool's: replaced, none added beside them
    assert values(book, "Segments")[1][0] != stamp
    assert sorted(marks_of(book)) == sorted(sheet_names.mark_name(name) for name in ["Start Here", "Settings",
                                                                                        *OUTPUTS])
    history = values(book, "Score History")
    header = history[next(i for i, row in enumerate(history) if row[0] == "Customer ID")]
    dates = [text.split("\n")[0] for text in header[1:]]
    assert dates == ["2011-06-30", "2011-09-30", "2011-12-07"]  # the old snapshots read, the new one added


def test_the_splice_refuses_to_write_into_a_sheet_that_is_not_the_tools(tmp_path, helpers):
    book = shop(tmp_path / "shop.xlsx", helpers, ["Scores"])
    rendered = tmp_path / "rendered.xlsx"
    other = openpyxl.Workbook()
    other.active.title = "Scores"
    other.save(rendered)
    with pytest.raises(ValueError, match="not the tool's"):
        put_sheets(book, rendered, tmp_path / "out.xlsx", mine=frozenset())
    assert not (tmp_path / "out.xlsx").exists()


def test_placement_names_each_sheet_once():
    where = sheet_names.place(["Scores", "RFM Scores", "segments", "Orders"], {})
    assert where["Scores"] == "RFM Scores 2"  # the owner has both names
    assert where["Segments"] == "RFM Segments"
    assert where["Forecast"] == "Forecast"
    assert not where.existing
    assert len(set(where.names.values())) == len(sheet_names.TOOL_SHEETS)


# ------------------------------------------------------------------ the live writer (xlwings' remote engine)


@pytest.fixture
def remote(monkeypatch):
    remote_books.enable_remote_engine(monkeypatch)


def test_the_button_writes_beside_the_owners_sheets_and_marks_its_own(remote, helpers):
    owners = {name: [[f"Quarterly staff {name.lower()}"], ["Anna", 17]] for name in ["Scores", "Settings"]}
    sheets = {"Orders": [ORDER_HEADER] + [list(row) for row in helpers.hand_orders], **owners}
    book = remote_books.book(sheets)
    result = macros.score_book(book)
    assert result.settings.as_of.isoformat() == "2024-06-30"  # the owner's Settings was not read
    actions = book.json()["actions"]
    after = remote_books.replay(sheets, actions)
    for name, rows in owners.items():
        assert remote_books.grid(after[name]) == rows
    assert list(after)[:5] == ["Orders", "Scores", "Settings", "RFM Settings", "RFM Scores"]
    added = {a["args"][0]: a["args"][1] for a in actions if a["func"] == "namesAdd"}
    assert added["_rfm_excel.scores"] == "='RFM Scores'!$A$1"
    assert added["_rfm_excel.settings"] == "='RFM Settings'!$A$1"

    again = remote_books.book({name: remote_books.grid(cells) for name, cells in after.items()}, names=added)
    macros.score_book(again)  # the same workbook, saved and opened again
    assert not [a for a in again.json()["actions"] if a["func"] in ("addSheet", "namesAdd")]


def test_worksheet_functions_read_only_the_tools_settings(remote):
    owners = remote_books.book({"Settings": [["Printer", "HP"], ["Paper", "A4"]]})
    assert workbook_settings(caller(owners)).as_of is None  # not the tool's: defaults
    marked = remote_books.book({"Orders": [["x"]], "RFM Settings": [["As-of date", "2024-05-31"]]})
    marked.names.add("_rfm_excel.settings", "='RFM Settings'!$A$1")
    assert workbook_settings(caller(marked)).as_of.isoformat() == "2024-05-31"


def caller(book):
    """What xlwings passes a worksheet function as its calling cell: the cell's sheet and book."""
    return types.SimpleNamespace(sheet=types.SimpleNamespace(book=book))


def test_placement_reads_marks_as_excel_and_libreoffice_write_them(tmp_path, helpers):
    book = shop(tmp_path / "shop.xlsx", helpers, ["Scores"])
    edited = openpyxl.load_workbook(book)
    edited.create_sheet("Mine")
    edited.defined_names["_rfm_excel.scores"] = openpyxl.workbook.defined_name.DefinedName(
        "_rfm_excel.scores", attr_text="Mine!$A$1")  # LibreOffice writes no quotes where none are needed
    edited.save(book)
    where = placement_of(book)
    assert where["Scores"] == "Mine" and where.has("Scores")
    assert where.taken == ("Orders", "Scores")
