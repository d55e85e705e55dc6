"""Reading the parts of an .xlsx/.xlsm zip package: safe XML, relationships, content types.

Readers use it to look inside a workbook before reading it; the writer's splice edits a package
through it (writers/splice.py).
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass

from lxml import etree

from .errors import RfmError

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
OFFICE_DOCUMENT = DOC_REL + "/officeDocument"
STYLES = DOC_REL + "/styles"
CALC_CHAIN = DOC_REL + "/calcChain"
WORKSHEET = DOC_REL + "/worksheet"
CHARTSHEET = DOC_REL + "/chartsheet"
CONTENT_TYPES = "[Content_Types].xml"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_xml(data: bytes, where: str):
    """Parse package XML safely: no DTDs, no entities, no network."""
    if b"<!DOCTYPE" in data[:2048] or b"<!ENTITY" in data[:4096]:
        raise RfmError(f"The workbook's part {where} declares XML entities, which a workbook never needs; "
                       "the file may be malicious, so it was not read.")
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as error:
        raise RfmError(f"The workbook's part {where} is damaged ({error}); open and re-save it in Excel.") from None


def qname(ns: str, name: str) -> str:
    """A qualified tag name, as lxml spells it: {namespace}name."""
    return f"{{{ns}}}{name}"


def rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


@dataclass
class Relationship:
    element: etree._Element
    id: str
    type: str
    target: str  # package path, resolved; '' for external targets


class Package:
    """A zip package, read part by part."""

    def __init__(self, path):
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise RfmError(f"{path} is not a readable Excel workbook ({error}).") from None
        self.names = [info.filename for info in self.zip.infolist()]

    def has(self, part: str) -> bool:
        return part in self.names

    def read(self, part: str) -> bytes:
        try:
            return self.zip.read(part)
        except KeyError:
            raise RfmError(f"The workbook has no part {part}; it is damaged, so open and re-save it in "
                           "Excel.") from None

    def xml(self, part: str):
        return parse_xml(self.read(part), part)

    def relationships(self, part: str) -> tuple[etree._Element | None, list[Relationship]]:
        """The relationships root of a part ('' for the package) and its relationships, targets resolved."""
        name = "_rels/.rels" if part == "" else rels_name(part)
        if not self.has(name):
            return None, []
        root = self.xml(name)
        folder = posixpath.dirname(part)
        found = []
        for element in root.iter(qname(PKG_REL, "Relationship")):
            target = element.get("Target", "")
            if element.get("TargetMode") == "External":
                resolved = ""
            elif target.startswith("/"):
                resolved = target[1:]
            else:
                resolved = posixpath.normpath(posixpath.join(folder, target))
            found.append(Relationship(element, element.get("Id"), element.get("Type"), resolved))
        return root, found

    def main_part(self) -> str:
        for relationship in self.relationships("")[1]:
            if relationship.type == OFFICE_DOCUMENT:
                return relationship.target
        raise RfmError("The file has no workbook inside; save it from Excel as an Excel Workbook (.xlsx).")

    def date1904(self) -> bool:
        """Whether the workbook uses the 1904 date system (``<workbookPr date1904="1"/>``, older Mac Excel)."""
        properties = self.xml(self.main_part()).find(qname(MAIN, "workbookPr"))
        return properties is not None and properties.get("date1904", "false").strip().lower() in ("1", "true")

    def sheets_and_names(self) -> tuple[list[str], list[tuple[str, str]]]:
        """The workbook's sheet names in order, and its workbook-level defined names as (name, reference)."""
        root = self.xml(self.main_part())
        sheets = [sheet.get("name", "") for sheet in root.iter(qname(MAIN, "sheet"))]
        names = [(name.get("name", ""), name.text or "") for name in root.iter(qname(MAIN, "definedName"))
                 if name.get("localSheetId") is None]
        return sheets, names

    def closure(self, part: str) -> list[str]:
        """The part and every internal part reachable from it through relationships."""
        seen, todo = [], [part]
        while todo:
            current = todo.pop()
            if current in seen or not self.has(current):
                continue
            seen.append(current)
            todo.extend(r.target for r in self.relationships(current)[1] if r.target)
        return seen

    def content_type(self, part: str) -> str | None:
        root = self.xml(CONTENT_TYPES)
        for override in root.iter(qname(TYPES, "Override")):
            if override.get("PartName") == "/" + part:
                return override.get("ContentType")
        extension = posixpath.splitext(part)[1][1:].lower()
        for default in root.iter(qname(TYPES, "Default")):
            if default.get("Extension", "").lower() == extension:
                return default.get("ContentType")
        return None


    def with_only_worksheets(self) -> bytes | None:
        """The package as bytes with every sheet other than worksheets and chart sheets (Excel 4.0 macro
        sheets, dialog sheets) taken out of the workbook's sheet list, for readers that refuse a workbook
        holding one; None when there is no such sheet. The parts are stored uncompressed: this costs
        memory, not time, and only for such workbooks."""
        workbook = self.main_part()
        rels_root, relationships = self.relationships(workbook)
        others = {r.id: r for r in relationships if r.type not in (WORKSHEET, CHARTSHEET)}
        root = self.xml(workbook)
        unread = [sheet for sheet in root.iter(qname(MAIN, "sheet")) if sheet.get(qname(DOC_REL, "id")) in others]
        if not unread:
            return None
        assert rels_root is not None  # the unread sheets' relationships are in it
        dropped = {others[sheet.get(qname(DOC_REL, "id"))].target for sheet in unread}
        for sheet in unread:
            sheet.getparent().remove(sheet)
        for relationship in relationships:
            if relationship.target in dropped:
                rels_root.remove(relationship.element)
        edited = {workbook: etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True),
                  rels_name(workbook): etree.tostring(rels_root, xml_declaration=True, encoding="UTF-8",
                                                      standalone=True)}
        copy = io.BytesIO()
        with zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as target:
            for name in self.names:
                if name not in dropped:
                    target.writestr(name, edited.get(name) or self.zip.read(name))
        return copy.getvalue()
