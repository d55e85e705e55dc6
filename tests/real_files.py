"""Workbooks as other programs write them, for the reading tests: LibreOffice conversions of CSV files
(soffice is driven headless, each run with its own profile), and packages written the way minimal writers,
Google Sheets downloads and ClosedXML write them (no <dimension>, namespace-prefixed tags).
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
TEXT, STANDARD = 2, 1  # LibreOffice's CSV import column kinds


def soffice(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run LibreOffice headless with a profile of its own in ``folder`` (parallel runs would collide);
    skips the test where LibreOffice is not installed."""
    program = shutil.which("soffice")
    if program is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    profile = (folder / "lo-profile").as_uri()
    return subprocess.run([program, f"-env:UserInstallation={profile}", "--headless", *args],
                          capture_output=True, text=True, timeout=180)


def csv_to_xlsx(csv: Path, separator: str = ",", kinds: list[int] | None = None, language: int = 0) -> Path:
    """The workbook LibreOffice Calc makes of ``csv`` (its sheet is named after the file), with each
    column imported as ``kinds`` say (TEXT keeps the text as written, STANDARD lets Calc read numbers
    and dates) under the Windows language ID ``language`` (1031 German, 1033 US English; 0 = default)."""
    columns = "/".join(f"{n}/{kind}" for n, kind in enumerate(kinds or [], start=1))
    options = f"CSV:{ord(separator)},34,76,1,{columns},{language}"
    out = csv.parent / "libreoffice"
    soffice(csv.parent, "--convert-to", "xlsx:Calc MS Excel 2007 XML", f"--infilter={options}", "--outdir",
            str(out), str(csv))
    made = out / (csv.stem + ".xlsx")
    assert made.exists(), f"LibreOffice did not convert {csv.name}"
    return made


def resaved_by_libreoffice(book: Path, name: str) -> Path:
    """``book`` opened and saved again as .xlsx by LibreOffice Calc."""
    out = book.parent / f"resaved-{name}"
    soffice(book.parent, "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(book))
    made = out / (book.stem + ".xlsx")
    assert made.exists(), f"LibreOffice did not save {book.name}"
    return made


def sheet_as_shown(book: Path, sheet: str) -> list[list[str]]:
    """One sheet of ``book`` as LibreOffice Calc shows it: each cell's text in its number format, as
    Calc renders it (a CSV of the formatted values), row by row."""
    import csv

    import python_calamine

    number = python_calamine.CalamineWorkbook.from_path(str(book)).sheet_names.index(sheet) + 1
    out = book.parent / f"shown-{book.stem}"
    soffice(book.parent, "--convert-to", f"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,"
            f"false,{number}", "--outdir", str(out), str(book))
    made = out / f"{book.stem}-{sheet}.csv"
    assert made.exists(), f"LibreOffice did not render {sheet} of {book.name}"
    with made.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


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


