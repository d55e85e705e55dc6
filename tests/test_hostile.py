"""Hostile and broken files get a plain message fast; what the owner added to a workbook survives runs."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from rfm_excel import RfmError
from rfm_excel.doors.cli import main
from rfm_excel.doors.files import score_file

HEADER = ["Customer ID", "Order ID", "Order Date", "Amount"]
ORDERS = [["A", "1", dt.datetime(2024, 1, 5), 10.0], ["B", "2", dt.datetime(2024, 2, 5), 20.0],
          ["A", "3", dt.datetime(2024, 3, 5), 30.0]]


def orders_book(path: Path, rows=ORDERS) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Orders")
    sheet.write_row(0, 0, HEADER)
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows, start=1):
        sheet.write_string(r, 0, row[0])
        sheet.write_string(r, 1, row[1])
        sheet.write_datetime(r, 2, row[2], date)
        sheet.write_number(r, 3, row[3])
    book.close()
    return path


def rewrite_part(path: Path, part: str, data: bytes) -> Path:
    """Replace one part of a package (a hand-made hostile file)."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, data if info.filename == part else source.read(info.filename))
    return path


def refused(path: Path, *words: str) -> str:
    before = path.read_bytes()
    with pytest.raises(RfmError) as caught:
        score_file(path)
    message = str(caught.value)
    for word in words:
        assert word in message
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".~rfm-")]
    return message


def test_a_zip_bomb_sheet_is_refused_before_it_is_unpacked(tmp_path):
    path = orders_book(tmp_path / "bomb.xlsx")
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    padded = sheet.replace(b"<sheetData>", b"<sheetData>" + b" " * (100 << 20))  # 100 MB of spaces
    rewrite_part(path, "xl/worksheets/sheet1.xml", padded)
    assert path.stat().st_size < 2 << 20  # it packs to under 2 MB: over 50:1
    refused(path, "Orders", "malicious")


def test_a_sheet_reaching_the_last_cell_is_refused_not_allocated(tmp_path):
    path = tmp_path / "far.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Orders")
    sheet.write_row(0, 0, HEADER)
    sheet.write("XFD1048576", 1)
    book.close()
    refused(path, "XFD1048576", "delete the empty rows and columns")


def test_entity_expansion_in_the_workbook_part_is_refused(tmp_path):
    path = orders_book(tmp_path / "laughs.xlsx")
    workbook = zipfile.ZipFile(path).read("xl/workbook.xml")
    payload = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
               + workbook.split(b"?>", 1)[1])
    rewrite_part(path, "xl/workbook.xml", payload)
    with pytest.raises(RfmError) as caught:
        score_file(path)
    assert "could not be read" in str(caught.value) or "malicious" in str(caught.value)


def test_entity_expansion_in_shared_strings_is_not_expanded(tmp_path):
    path = orders_book(tmp_path / "strings.xlsx")
    strings = zipfile.ZipFile(path).read("xl/sharedStrings.xml")
    bomb = b"".join(b'<!ENTITY l%d "&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;">' % ((i,) + (i - 1,) * 10)
                    for i in range(1, 10))
    payload = (b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY l0 "ha">' + bomb + b"]>"
               + strings.split(b"?>", 1)[1].replace(b"<t>A</t>", b"<t>&l9;</t>"))
    rewrite_part(path, "xl/sharedStrings.xml", payload)
    try:
        result, _ = score_file(path)
    except RfmError as error:  # refusing the file is as good as not expanding the entity
        assert "is damaged and cannot be read" in str(error)
    else:
        assert max(len(c) for c in result.scores["customer_id"]) < 100  # 10**9 "ha"s were not built


def test_an_encrypted_workbook_gets_told_to_remove_the_password(tmp_path):
    path = tmp_path / "secret.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)  # encrypted .xlsx are OLE files
    refused(path, "password")


@pytest.mark.parametrize("suffix", [".xlsb", ".ods"])
def test_other_spreadsheet_formats_are_told_to_save_as_xlsx(tmp_path, suffix):
    path = tmp_path / f"book{suffix}"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    refused(path, suffix, ".xlsx")


def test_sixteen_thousand_columns_of_headers_are_read(tmp_path):
    path = tmp_path / "wide.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Orders")
    sheet.write_row(0, 0, HEADER + [f"Extra {c}" for c in range(16384 - len(HEADER))])
    for r, row in enumerate(ORDERS, start=1):
        sheet.write_row(r, 0, [*row[:2], row[2].strftime("%Y-%m-%d"), row[3]])
    book.close()
    result, _ = score_file(path)
    assert sorted(result.scores["customer_id"]) == ["A", "B"]


def test_a_million_empty_formatted_rows_are_not_orders(tmp_path):
    path = orders_book(tmp_path / "formatted.xlsx")
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    empty_rows = "".join(f'<row r="{r}" s="1" customFormat="1"/>' for r in range(5, 1048577)).encode()
    sheet = sheet.replace(b"</sheetData>", empty_rows + b"</sheetData>")
    sheet = sheet.replace(b'<dimension ref="A1:D4"/>', b'<dimension ref="A1:D1048576"/>')
    rewrite_part(path, "xl/worksheets/sheet1.xml", sheet)
    result, _ = score_file(path)
    assert result.rows_read == 3  # the three real orders; a formatted empty row is no order
    assert result.customers == 2


def test_a_cli_run_on_a_hostile_file_exits_1_without_a_traceback(tmp_path, capsys):
    path = tmp_path / "far.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Orders").write("XFD1048576", 1)
    book.close()
    assert main(["score", str(path)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("Error: ") and "Traceback" not in error


# ------------------------------------------------------------ parts Excel does without


SPREADSHEET = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def minimal_book(path: Path) -> Path:
    """The fewest parts Excel opens: content types, two relationship parts, the workbook and one sheet with
    inline strings; no styles, theme, shared strings or document properties, as minimal writers make them."""
    def cell(ref, value):
        if isinstance(value, str):
            return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
        return f'<c r="{ref}"><v>{value}</v></c>'
    rows = [HEADER] + [[c, o, (d - dt.datetime(1899, 12, 30)).days, a] for c, o, d, a in ORDERS]
    sheet = "".join(f'<row r="{r}">' + "".join(cell(f"{'ABCD'[i]}{r}", v) for i, v in enumerate(row)) + "</row>"
                    for r, row in enumerate(rows, start=1))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'))
        book.writestr("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELATIONSHIPS}">'
                      f'<Relationship Id="rId1" Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/>'
                      '</Relationships>')
        book.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{SPREADSHEET}" '
                      f'xmlns:r="{OFFICE}"><sheets><sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships '
                      f'xmlns="{RELATIONSHIPS}"><Relationship Id="rId1" Type="{OFFICE}/worksheet" '
                      'Target="worksheets/sheet1.xml"/></Relationships>')
        book.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0" encoding="UTF-8"?><worksheet '
                      f'xmlns="{SPREADSHEET}"><sheetData>{sheet}</sheetData></worksheet>')
    return path


def without_part(path: Path, part: str) -> Path:
    """The package without ``part``, its relationship and its content type, as if its writer never made it."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    folder, name = part.rsplit("/", 1)
    owner = {"xl": "xl/_rels/workbook.xml.rels", "docProps": "_rels/.rels"}[folder.split("/")[0]]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                continue
            if info.filename == owner:
                data = re.sub(rb'<Relationship [^>]*Target="[^"]*' + re.escape(name.encode()) + rb'"/>', b"", data)
            if info.filename == "[Content_Types].xml":
                data = re.sub(rb'<Override PartName="/' + re.escape(part.encode()) + rb'"[^>]*/>', b"", data)
            target.writestr(info.filename, data)
    return path


def scored_cells(path: Path, sheet: str) -> list[list]:
    book = openpyxl.load_workbook(path)
    return [[c.value for c in row] for row in book[sheet].iter_rows()], book


@pytest.mark.parametrize("missing", ["all of them", "xl/styles.xml", "xl/theme/theme1.xml", "docProps/app.xml",
                                     "docProps/core.xml"])
def test_a_workbook_without_the_parts_excel_does_without_is_scored(tmp_path, missing, helpers):
    if missing == "all of them":
        path = minimal_book(tmp_path / "shop.xlsx")
    else:
        path = without_part(orders_book(tmp_path / "shop.xlsx"), missing)
    assert missing not in zipfile.ZipFile(path).namelist()
    orders = helpers.sheet_bytes(path, "Orders")
    score_file(path)
    # the one change to Orders: it is no longer the selected tab, as the workbook opens on Segments
    assert helpers.sheet_bytes(path, "Orders") == orders.replace(b' tabSelected="1"', b"", 1)
    cells, book = scored_cells(path, "Scores")
    assert [row[:6] for row in cells[:3]] == [
        ["Customer ID", "First Order", "Last Order", "Recency (days)", "Frequency", "Monetary"],
        ["A", dt.datetime(2024, 1, 5), dt.datetime(2024, 3, 5), 1, 2, 40],
        ["B", dt.datetime(2024, 2, 5), dt.datetime(2024, 2, 5), 30, 1, 20]]  # as of 2024-03-06
    assert book["Scores"]["B2"].number_format == "yyyy-mm-dd"
    with zipfile.ZipFile(path) as package:
        relationships = package.read("xl/_rels/workbook.xml.rels").decode()
        types = package.read("[Content_Types].xml").decode()
        assert relationships.count(f'Type="{OFFICE}/styles"') == 1
        assert 'PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.' \
               'spreadsheetml.styles+xml"' in types
        assert "xl/styles.xml" in package.namelist()
    if missing == "all of them":  # and LibreOffice, an independent reader, shows the dates as dates
        shown = helpers.libreoffice_sheet(path, 3, tmp_path)  # Orders, Settings (added), Scores
        assert shown[1][:6] == ["A", "2024-01-05", "2024-03-05", "1", "2", "40.00"]


# ------------------------------------------------------------ what the owner added survives


def decorated_book(path: Path) -> Path:
    """Orders plus a sheet with an image, a chart, a comment, a data validation, a conditional
    format and an Excel table, and a defined name: things openpyxl itself would drop or rewrite."""
    book = xlsxwriter.Workbook(str(path))
    orders = book.add_worksheet("Orders")
    orders.write_row(0, 0, HEADER)
    for r, row in enumerate(ORDERS, start=1):
        orders.write_row(r, 0, [row[0], row[1], row[2].strftime("%Y-%m-%d"), row[3]])
    mine = book.add_worksheet("My Dashboard")
    mine.write_row(0, 0, ["Month", "Sales"])
    mine.write_row(1, 0, ["Jan", 10])
    mine.write_row(2, 0, ["Feb", 20])
    mine.write_formula("B4", "=SUM(B2:B3)", None, 30)
    mine.write_comment("A1", "Kept by hand")
    mine.data_validation("C2", {"validate": "list", "source": ["yes", "no"]})
    mine.conditional_format("B2:B3", {"type": "data_bar"})
    mine.add_table("E1:F3", {"name": "Targets", "columns": [{"header": "Month"}, {"header": "Target"}]})
    png = tmp_png(path.parent)
    mine.insert_image("H2", str(png))
    chart = book.add_chart({"type": "column"})
    chart.add_series({"values": "='My Dashboard'!$B$2:$B$3"})
    mine.insert_chart("H10", chart)
    book.define_name("SalesTotal", "='My Dashboard'!$B$4")
    book.add_vba_project(io.BytesIO(b"not real VBA, but kept byte for byte"), is_stream=True)
    book.close()
    return path


def tmp_png(folder: Path) -> Path:
    """A 1x1 PNG made with the standard library."""
    import struct
    import zlib
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\0\xff\0\0")) + chunk(b"IEND", b""))
    path = folder / "dot.png"
    path.write_bytes(png)
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_everything_the_owner_added_survives_two_runs_byte_for_byte(tmp_path):
    path = decorated_book(tmp_path / "shop.xlsm")
    before = parts(path)
    score_file(path)
    score_file(path)
    after = parts(path)
    owners = [name for name in before if name.startswith(("xl/media/", "xl/charts/", "xl/drawings/", "xl/tables/",
                                                          "xl/comments", "xl/vbaProject", "xl/worksheets/"))
              and "rfm_" not in name]
    assert "xl/vbaProject.bin" in owners and any(n.startswith("xl/media/") for n in owners)
    selected = [name for name in owners if b'tabSelected="1"' in before[name]]
    assert selected == ["xl/worksheets/sheet1.xml"]  # saved with Orders showing
    for name in owners:  # the one change: Orders is no longer the selected tab, as the book opens on Segments
        assert after[name] == before[name].replace(b' tabSelected="1"', b"", 1 if name in selected else 0), name
    book = openpyxl.load_workbook(path, keep_vba=True)
    assert book.sheetnames == ["Orders", "My Dashboard", "Settings", "Scores", "Segments", "Data Issues",
                               "Contact Plan", "Movement", "Campaign Results", "Score History", "Forecast"]
    assert book.defined_names["SalesTotal"].attr_text == "'My Dashboard'!$B$4"
    assert "Targets" in book["My Dashboard"].tables


def test_output_sheets_are_replaced_not_duplicated_and_their_parts_do_not_pile_up(tmp_path):
    path = orders_book(tmp_path / "shop.xlsx")
    score_file(path)
    once = sorted(parts(path))
    score_file(path)
    twice = sorted(parts(path))
    assert once == twice
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Orders", "Settings", "Scores", "Segments", "Data Issues", "Contact Plan", "Movement",
                               "Campaign Results", "Score History", "Forecast"]
    assert book.active.title == "Segments"  # no Start Here is added to a workbook that has none: it opens on Segments


def test_order_text_starting_with_equals_is_stored_as_text(tmp_path):
    path = orders_book(tmp_path / "shop.xlsx", [["=HYPERLINK(\"x\")", "1", dt.datetime(2024, 1, 5), 10.0],
                                                ["B", "2", dt.datetime(2024, 2, 5), 20.0]])
    score_file(path)
    scores = openpyxl.load_workbook(path)["Scores"]
    ids = {scores.cell(row=r, column=1).value for r in (2, 3)}
    assert '=HYPERLINK("x")' in ids
    assert all(scores.cell(row=r, column=1).data_type == "s" for r in (2, 3))


# ------------------------------------------------------------ a run that cannot finish leaves the file as it was


@pytest.mark.parametrize("failure, words", [
    (OSError(28, "No space left on device"), ["Could not write shop.xlsx", "No space left on device",
                                              "the original is unchanged"]),
    (PermissionError(13, "Permission denied"), ["Could not write shop.xlsx", "Permission denied"]),
])
def test_a_write_that_fails_leaves_the_workbook_and_no_temporary_file(tmp_path, monkeypatch, failure, words):
    path = orders_book(tmp_path / "shop.xlsx")

    def disk_full(*args):
        raise failure
    monkeypatch.setattr("rfm_excel.doors.files.put_sheets", disk_full)
    refused(path, *words)


def test_ctrl_c_while_writing_leaves_the_workbook_and_no_temporary_file(tmp_path, monkeypatch):
    path = orders_book(tmp_path / "shop.xlsx")
    before = path.read_bytes()

    def interrupted(book, sheets, out, *args):
        Path(out).write_bytes(b"half a workbook")  # the temporary file is half written when Ctrl-C comes
        raise KeyboardInterrupt
    monkeypatch.setattr("rfm_excel.doors.files.put_sheets", interrupted)
    with pytest.raises(KeyboardInterrupt):
        score_file(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["shop.xlsx"]


def test_a_read_only_workbook_is_refused_before_any_work(tmp_path, monkeypatch):
    path = orders_book(tmp_path / "shop.xlsx")
    # Tests may run as root, who may write anywhere; ask the check as an ordinary user would be answered.
    monkeypatch.setattr("rfm_excel.doors.files.os.access", lambda p, mode: False)
    refused(path, "shop.xlsx is read-only", "make it writable or give another --output")
