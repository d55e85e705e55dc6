"""Reading real exports right, or refusing them with one sentence: the reading rules of docs/cleaning.md
that issue-sized cases broke (blank Order IDs, decimal commas, 1904 workbooks, zero-padded IDs, orders
worth zero, zoned timestamps) and the packages that hung or were refused (no <dimension>, prefixed tags,
Excel 4.0 macro sheets)."""

from __future__ import annotations

import datetime as dt
import io
import threading
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

import rfm_excel
from rfm_excel import RfmError
from rfm_excel.base.orders import normalise
from rfm_excel.doors.files import score_file
from rfm_excel.readers.workbook import check_sheet_size, read_book

D = dt.datetime
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def orders(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns, dtype=object)


def scores_by_customer(result) -> dict[str, tuple]:
    table = result.scores
    return {c: (r, f, m) for c, r, f, m in zip(table["Customer ID"], table["Recency (days)"], table["Frequency"],
                                              table["Monetary"])}


def finishing(call, *args, seconds: float = 120):
    """``call(*args)``'s result, failing (rather than hanging the suite) if it never returns: a guard
    against endless loops, generous enough never to judge speed."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call(*args)
        except BaseException as error:  # handed to the test below
            outcome["error"] = error
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"{call.__name__} did not finish in {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# ------------------------------------------------------------ packages other programs write


def minimal_package(path: Path, rows: list[list], prefix: str = "", dimension: bool = False,
                    extra_sheets: dict[str, tuple[str, str, bytes]] | None = None) -> Path:
    """A workbook written as minimal writers write one: inline strings, one plain style, optionally every
    tag with a namespace prefix (``prefix="x"``, as ClosedXML and the Open XML SDK write) and without a
    <dimension> (as Google Sheets downloads and several minimal writers have it). ``extra_sheets`` adds
    sheets: name -> (relationship type, content type, part XML)."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'

    def cell(ref: str, value) -> str:
        if isinstance(value, str):
            return f'<{p}c r="{ref}" t="inlineStr"><{p}is><{p}t>{value}</{p}t></{p}is></{p}c>'
        return f'<{p}c r="{ref}"><{p}v>{value}</{p}v></{p}c>'

    body = "".join(f'<{p}row r="{r}">' + "".join(cell(f"{chr(65 + c)}{r}", v) for c, v in enumerate(row))
                   + f"</{p}row>" for r, row in enumerate(rows, start=1))
    size = f'<{p}dimension ref="A1:{chr(64 + max(len(r) for r in rows))}{len(rows)}"/>' if dimension else ""
    sheet = (f'<?xml version="1.0" encoding="utf-8"?><{p}worksheet {xmlns}>{size}<{p}sheetData>{body}'
             f"</{p}sheetData></{p}worksheet>")
    extra = extra_sheets or {}
    sheets = f'<{p}sheet name="Orders" sheetId="1" r:id="R1"/>' + "".join(
        f'<{p}sheet name="{name}" sheetId="{n}" r:id="R{n}"/>' for n, name in enumerate(extra, start=2))
    workbook = (f'<?xml version="1.0" encoding="utf-8"?><{p}workbook {xmlns} xmlns:r="http://schemas.openxmlformats'
                f'.org/officeDocument/2006/relationships"><{p}sheets>{sheets}</{p}sheets></{p}workbook>')
    relationship = '<Relationship Id="{}" Type="{}" Target="{}"/>'
    rels = ('<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships">' + relationship.format(
                "R1", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet",
                "/xl/worksheets/sheet1.xml")
            + relationship.format("RS", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles",
                                  "/xl/styles.xml")
            + "".join(relationship.format(f"R{n}", kind, f"/xl/extra{n}.xml")
                      for n, (kind, _, _) in enumerate(extra.values(), start=2)) + "</Relationships>")
    styles = (f'<?xml version="1.0" encoding="utf-8"?><{p}styleSheet {xmlns}><{p}fonts count="1"><{p}font/></{p}fonts>'
              f'<{p}fills count="1"><{p}fill/></{p}fills><{p}borders count="1"><{p}border/></{p}borders>'
              f'<{p}cellXfs count="1"><{p}xf/></{p}cellXfs></{p}styleSheet>')
    root = ('<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="R0" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="/xl/workbook.xml"/></Relationships>')
    override = '<Override PartName="{}" ContentType="{}"/>'
    types = ('<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" '
             'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             + override.format("/xl/workbook.xml",
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
             + override.format("/xl/styles.xml",
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml")
             + override.format("/xl/worksheets/sheet1.xml",
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml")
             + "".join(override.format(f"/xl/extra{n}.xml", content) for n, (_, content, _)
                       in enumerate(extra.values(), start=2)) + "</Types>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", types)
        package.writestr("_rels/.rels", root)
        package.writestr("xl/workbook.xml", workbook)
        package.writestr("xl/_rels/workbook.xml.rels", rels)
        package.writestr("xl/worksheets/sheet1.xml", sheet)
        package.writestr("xl/styles.xml", styles)
        for n, (_, _, xml) in enumerate(extra.values(), start=2):
            package.writestr(f"xl/extra{n}.xml", xml)
    return path


MANY_ORDERS = [["Customer ID", "Order Date", "Amount"]] + [
    [f"C{r % 40}", f"2024-03-{1 + r % 28:02d}", r + 0.5] for r in range(300)]  # well over 4 KB of XML


@pytest.mark.parametrize("prefix, dimension", [("", False), ("x", False), ("x", True)],
                         ids=["no dimension", "prefixed, no dimension", "prefixed with dimension"])
def test_a_sheet_without_dimension_or_with_prefixed_tags_is_read_not_hung(tmp_path, prefix, dimension):
    path = minimal_package(tmp_path / "book.xlsx", MANY_ORDERS, prefix, dimension)
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size > 4096
    part = finishing(check_sheet_size, path, "Orders")
    assert (part.name, part.starts_at_a1) == ("xl/worksheets/sheet1.xml", True)
    result, _ = finishing(score_file, path, tmp_path / "out.xlsx")
    assert result.rows_read == 300 and result.customers == 40


def test_a_prefixed_sheet_reaching_far_beyond_its_data_is_still_refused(tmp_path):
    path = minimal_package(tmp_path / "far.xlsx", MANY_ORDERS, "x")
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    far = b'<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row></x:sheetData>'
    data = {name: zipfile.ZipFile(path).read(name) for name in zipfile.ZipFile(path).namelist()}
    data["xl/worksheets/sheet1.xml"] = sheet.replace(b"</x:sheetData>", far)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in data.items():
            package.writestr(name, content)
    with pytest.raises(RfmError, match="reaches cell XFD1048576"):
        finishing(check_sheet_size, path, "Orders")


def test_the_typed_read_takes_headers_and_merged_cells_from_prefixed_tags(tmp_path):
    from rfm_excel.readers import typed
    path = minimal_package(tmp_path / "book.xlsx", MANY_ORDERS, "x")
    assert typed.header_names(path, "xl/worksheets/sheet1.xml") == ["Customer ID", "Order Date", "Amount"]
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    merged = sheet.replace(b"</x:sheetData>", b'</x:sheetData><x:mergeCells count="1"><x:mergeCell ref="A2:A3"/>'
                                              b"</x:mergeCells>")
    data = {name: zipfile.ZipFile(path).read(name) for name in zipfile.ZipFile(path).namelist()}
    data["xl/worksheets/sheet1.xml"] = merged
    with zipfile.ZipFile(path, "w") as package:
        for name, content in data.items():
            package.writestr(name, content)
    assert typed._has_merged_cells(path, "xl/worksheets/sheet1.xml")


MACRO_SHEET = (b'<?xml version="1.0" encoding="UTF-8"?><xm:macrosheet xmlns="' + MAIN.encode() + b'" '
               b'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><sheetData><row r="1"><c r="A1" '
               b't="str"><f>HALT()</f><v>TRUE</v></c></row></sheetData></xm:macrosheet>')


def test_a_workbook_with_an_excel_4_macro_sheet_is_read(tmp_path):
    macro = ("http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet",
             "application/vnd.ms-excel.macrosheet+xml", MACRO_SHEET)
    path = minimal_package(tmp_path / "macro.xlsx", MANY_ORDERS, extra_sheets={"Macro1": macro})
    result, written = score_file(path, tmp_path / "out.xlsx")
    assert result.rows_read == 300 and result.customers == 40
    assert "xl/extra2.xml" in zipfile.ZipFile(written).namelist()  # the macro sheet is kept as it was


def test_a_sheet_without_the_needed_columns_names_a_few_headers_and_counts_the_rest():
    headers = [f"Field {n}" for n in range(5000)]
    with pytest.raises(RfmError) as caught:
        normalise(pd.DataFrame([["x"] * 5000], columns=headers))
    message = str(caught.value)
    assert len(message) < 400
    assert "Field 0, Field 1, Field 2, Field 3, Field 4 and 4,995 more" in message
