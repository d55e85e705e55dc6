"""Write the hand-made test workbooks in tests/data/workbooks: each reproduces the documented traits of
one kind of producer (Google Sheets, Apple Numbers, ClosedXML / Open XML SDK, minimal writers) or one
hazard of the package format, from a few hand-written XML parts.

    python scripts/make_test_workbooks.py

tests/data/README.md says which trait each file carries and where the trait is documented. All of
them hold the same five orders (ORDERS), so one table of expected scores serves them all.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

TARGET = Path(__file__).resolve().parents[1] / "tests" / "data" / "workbooks"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADER = ["Customer ID", "Order ID", "Order Date", "Amount", "Customer Name"]
ORDERS = [
    ("K-01", "W-1", dt.date(2024, 3, 4), 150.0, "Ines Duarte"),
    ("K-02", "W-2", dt.date(2024, 4, 15), 42.5, "Tom Reyes"),
    ("K-01", "W-3", dt.date(2024, 5, 27), 80.0, "Ines Duarte"),
    ("K-03", "W-4", dt.date(2024, 5, 30), 19.99, "Asha Patel"),
    ("K-03", "W-5", dt.date(2024, 5, 31), 5.01, "Asha Patel"),
]
# About 1 KB of text per row, so that a sheet with inline strings is well past 4 KB.
NOTE = "Left at the side door as asked; the customer called ahead about the delivery window. " * 12
XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


def column(index: int) -> str:
    return "ABCDEFGHIJ"[index]


def content_types(sheets: list[str], *, styles: bool = True, macro_sheets: list[str] = (), shared: bool = True,
                  main: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml") -> str:
    parts = [f'<Override PartName="/xl/workbook.xml" ContentType="{main}"/>']
    parts += [f'<Override PartName="/{s}" ContentType="application/vnd.openxmlformats-officedocument.'
              'spreadsheetml.worksheet+xml"/>' for s in sheets]
    parts += [f'<Override PartName="/{s}" ContentType="application/vnd.ms-excel.macrosheet+xml"/>'
              for s in macro_sheets]
    if styles:
        parts.append('<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
                     'officedocument.spreadsheetml.styles+xml"/>')
    if shared:
        parts.append('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                     'officedocument.spreadsheetml.sharedStrings+xml"/>')
    return (XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>' + "".join(parts) + "</Types>")


ROOT_RELS = (XML + f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
             'Target="xl/workbook.xml"/></Relationships>')


def workbook_rels(targets: list[tuple[str, str]]) -> str:
    items = "".join(f'<Relationship Id="rId{n}" Type="{kind}" Target="{target}"/>'
                    for n, (kind, target) in enumerate(targets, start=1))
    return XML + f'<Relationships xmlns="{PKG}">{items}</Relationships>'


class Strings:
    """A shared-string table, filled as cells ask for their strings."""

    def __init__(self):
        self.items: list[str] = []

    def index(self, text: str) -> int:
        if text not in self.items:
            self.items.append(text)
        return self.items.index(text)

    def part(self, prefix: str = "") -> str:
        p = f"{prefix}:" if prefix else ""
        ns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
        body = "".join(f"<{p}si><{p}t>{escape(t)}</{p}t></{p}si>" for t in self.items)
        return XML + f'<{p}sst {ns} count="{len(self.items)}" uniqueCount="{len(self.items)}">{body}</{p}sst>'


def rows_xml(strings: Strings | None, *, prefix: str = "", date_style: int | None = 1, note: bool = False) -> str:
    """The sheetData rows of HEADER and ORDERS: strings shared (or inline when ``strings`` is None)."""
    p = f"{prefix}:" if prefix else ""
    header = HEADER + (["Note"] if note else [])

    def text(ref: str, value: str) -> str:
        if strings is None:
            return f'<{p}c r="{ref}" t="inlineStr"><{p}is><{p}t>{escape(value)}</{p}t></{p}is></{p}c>'
        return f'<{p}c r="{ref}" t="s"><{p}v>{strings.index(value)}</{p}v></{p}c>'

    out = [f'<{p}row r="1">' + "".join(text(f"{column(i)}1", h) for i, h in enumerate(header)) + f"</{p}row>"]
    for r, (customer, order, day, amount, name) in enumerate(ORDERS, start=2):
        style = f' s="{date_style}"' if date_style is not None else ""
        cells = [text(f"A{r}", customer), text(f"B{r}", order),
                 f'<{p}c r="C{r}"{style}><{p}v>{serial(day)}</{p}v></{p}c>',
                 f'<{p}c r="D{r}"><{p}v>{amount}</{p}v></{p}c>', text(f"E{r}", name)]
        if note:
            cells.append(text(f"F{r}", NOTE))
        out.append(f'<{p}row r="{r}">' + "".join(cells) + f"</{p}row>")
    return "".join(out)


STYLES = (XML + f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
          '</numFmts><fonts count="1"><font><sz val="11"/><name val="{font}"/></font></fonts>'
          '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
          '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
          '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
          '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
          '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
          '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def workbook(sheets: list[str], extra: str = "") -> str:
    items = "".join(f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>' for n, name in enumerate(sheets, 1))
    return XML + f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">{extra}<sheets>{items}</sheets></workbook>'


def save(name: str, parts: dict[str, str]) -> None:
    with zipfile.ZipFile(TARGET / name, "w", zipfile.ZIP_DEFLATED) as book:
        for part, text in parts.items():
            book.writestr(part, text)


def google_sheets() -> None:
    """Google Sheets' download: no <dimension>, the Mac and x14 namespaces on the root, shared strings, Arial."""
    strings = Strings()
    sheet = (XML + f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}" '
             'xmlns:mx="http://schemas.microsoft.com/office/mac/excel/2008/main" '
             'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
             'xmlns:mv="urn:schemas-microsoft-com:mac:vml" '
             'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" '
             'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" '
             'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
             'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
             '<sheetPr><outlinePr summaryBelow="0" summaryRight="0"/></sheetPr>'
             '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
             '<sheetFormatPr customHeight="1" defaultColWidth="12.63" defaultRowHeight="15.75"/>'
             f'<sheetData>{rows_xml(strings)}</sheetData></worksheet>')
    save("google_sheets_orders.xlsx", {
        "[Content_Types].xml": content_types(["xl/worksheets/sheet1.xml"]),
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": workbook(["Orders"], "<workbookPr/>").replace('<sheet name', '<sheet state="visible" name'),
        "xl/_rels/workbook.xml.rels": workbook_rels([(f"{REL}/worksheet", "worksheets/sheet1.xml"),
                                                     (f"{REL}/styles", "styles.xml"),
                                                     (f"{REL}/sharedStrings", "sharedStrings.xml")]),
        "xl/worksheets/sheet1.xml": sheet,
        "xl/sharedStrings.xml": strings.part(),
        "xl/styles.xml": STYLES.replace("{font}", "Arial"),
    })


def apple_numbers() -> None:
    """Numbers' export: an "Export Summary" sheet first, then one worksheet per table, "<sheet> - <table>"."""
    strings = Strings()
    summary_lines = ["Export Summary", "This document was exported from Numbers. Each table was converted to an "
                     "Excel worksheet. All other objects on each Numbers sheet were placed on separate worksheets. "
                     "Please be aware that formula calculations may differ in Excel.",
                     "Numbers Sheet Name", "Numbers Table Name", "Excel Worksheet Name", "Orders", "Table 1",
                     "Orders - Table 1"]
    cells = [f'<row r="1"><c r="A1" t="s"><v>{strings.index(summary_lines[0])}</v></c></row>',
             f'<row r="3"><c r="A3" t="s"><v>{strings.index(summary_lines[1])}</v></c></row>',
             '<row r="5">' + "".join(f'<c r="{column(i)}5" t="s"><v>{strings.index(t)}</v></c>'
                                     for i, t in enumerate(summary_lines[2:5])) + "</row>",
             '<row r="6">' + "".join(f'<c r="{column(i)}6" t="s"><v>{strings.index(t)}</v></c>'
                                     for i, t in enumerate(summary_lines[5:8])) + "</row>"]
    summary = (XML + f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><dimension ref="A1:C6"/>'
               f'<sheetData>{"".join(cells)}</sheetData></worksheet>')
    table = (XML + f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><dimension ref="A1:E6"/>'
             '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" state="frozen"/>'
             '</sheetView></sheetViews>'
             f'<sheetData>{rows_xml(strings)}</sheetData></worksheet>')
    save("numbers_orders.xlsx", {
        "[Content_Types].xml": content_types(["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"]),
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": workbook(["Export Summary", "Orders - Table 1"]),
        "xl/_rels/workbook.xml.rels": workbook_rels([(f"{REL}/worksheet", "worksheets/sheet1.xml"),
                                                     (f"{REL}/worksheet", "worksheets/sheet2.xml"),
                                                     (f"{REL}/styles", "styles.xml"),
                                                     (f"{REL}/sharedStrings", "sharedStrings.xml")]),
        "xl/worksheets/sheet1.xml": summary,
        "xl/worksheets/sheet2.xml": table,
        "xl/sharedStrings.xml": strings.part(),
        "xl/styles.xml": STYLES.replace("{font}", "Helvetica Neue"),
    })


def no_dimension_large() -> None:
    """A minimal writer's sheet: inline strings, no <dimension>, well over 4 KB."""
    sheet = (XML + f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
             f'<sheetData>{rows_xml(None, note=True)}</sheetData></worksheet>')
    assert len(sheet) > 4096
    save("no_dimension_large.xlsx", {
        "[Content_Types].xml": content_types(["xl/worksheets/sheet1.xml"], shared=False),
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": workbook(["Orders"]),
        "xl/_rels/workbook.xml.rels": workbook_rels([(f"{REL}/worksheet", "worksheets/sheet1.xml"),
                                                     (f"{REL}/styles", "styles.xml")]),
        "xl/worksheets/sheet1.xml": sheet,
        "xl/styles.xml": STYLES.replace("{font}", "Calibri"),
    })


def prefixed_tags() -> None:
    """The Open XML SDK's (and ClosedXML's) way: the main namespace bound to the prefix x: in every part."""
    inline = XML + (f'<x:worksheet xmlns:x="{MAIN}" xmlns:r="{REL}"><x:dimension ref="A1:F6"/>'
                    f'<x:sheetData>{rows_xml(None, prefix="x", note=True)}</x:sheetData></x:worksheet>')
    assert len(inline) > 4096
    styles = STYLES.replace("{font}", "Calibri").replace(f'<styleSheet xmlns="{MAIN}">',
                                                         f'<x:styleSheet xmlns:x="{MAIN}">')
    styles = styles.replace("</styleSheet>", "</x:styleSheet>")
    for tag in ("numFmts", "numFmt", "fonts", "font", "sz", "name", "fills", "fill", "patternFill", "borders", "border",
                "left", "right", "top", "bottom", "diagonal", "cellStyleXfs", "xf", "cellXfs", "cellStyles",
                "cellStyle"):
        styles = styles.replace(f"<{tag} ", f"<x:{tag} ").replace(f"<{tag}>", f"<x:{tag}>").replace(
            f"<{tag}/>", f"<x:{tag}/>").replace(f"</{tag}>", f"</x:{tag}>")
    book = (XML + f'<x:workbook xmlns:x="{MAIN}" xmlns:r="{REL}"><x:sheets>'
            '<x:sheet name="Orders" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>')
    save("prefixed_tags.xlsx", {
        "[Content_Types].xml": content_types(["xl/worksheets/sheet1.xml"], shared=False),
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": book,
        "xl/_rels/workbook.xml.rels": workbook_rels([(f"{REL}/worksheet", "worksheets/sheet1.xml"),
                                                     (f"{REL}/styles", "styles.xml")]),
        "xl/worksheets/sheet1.xml": inline,
        "xl/styles.xml": styles,
    })


def no_styles() -> None:
    """A package without xl/styles.xml (Excel opens it): dates are bare serial numbers, strings inline."""
    sheet = (XML + f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><dimension ref="A1:E6"/>'
             f'<sheetData>{rows_xml(None, date_style=None)}</sheetData></worksheet>')
    save("no_styles.xlsx", {
        "[Content_Types].xml": content_types(["xl/worksheets/sheet1.xml"], styles=False, shared=False),
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": workbook(["Orders"]),
        "xl/_rels/workbook.xml.rels": workbook_rels([(f"{REL}/worksheet", "worksheets/sheet1.xml")]),
        "xl/worksheets/sheet1.xml": sheet,
    })


def macro_sheet() -> None:
    """An ordinary Orders sheet beside an Excel 4.0 macro sheet (xl/macrosheets/), in an .xlsm."""
    strings = Strings()
    orders = (XML + f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><dimension ref="A1:E6"/>'
              f'<sheetData>{rows_xml(strings)}</sheetData></worksheet>')
    macro = (XML + f'<xm:macrosheet xmlns="{MAIN}" xmlns:r="{REL}" '
             'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><dimension ref="A1:A2"/><sheetData>'
             '<row r="1"><c r="A1" t="str"><f>ECHO(FALSE)</f><v>TRUE</v></c></row>'
             '<row r="2"><c r="A2" t="b"><f>RETURN()</f><v>1</v></c></row></sheetData></xm:macrosheet>')
    save("macro_sheet.xlsm", {
        "[Content_Types].xml": content_types(["xl/worksheets/sheet1.xml"], macro_sheets=["xl/macrosheets/sheet1.xml"],
                                             main="application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": workbook(["Orders", "Macro1"]),
        "xl/_rels/workbook.xml.rels": workbook_rels([
            (f"{REL}/worksheet", "worksheets/sheet1.xml"),
            ("http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet", "macrosheets/sheet1.xml"),
            (f"{REL}/styles", "styles.xml"), (f"{REL}/sharedStrings", "sharedStrings.xml")]),
        "xl/worksheets/sheet1.xml": orders,
        "xl/macrosheets/sheet1.xml": macro,
        "xl/sharedStrings.xml": strings.part(),
        "xl/styles.xml": STYLES.replace("{font}", "Calibri"),
    })


if __name__ == "__main__":
    TARGET.mkdir(parents=True, exist_ok=True)
    for build in (google_sheets, apple_numbers, no_dimension_large, prefixed_tags, no_styles, macro_sheet):
        build()
