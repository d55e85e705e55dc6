"""Put freshly written sheets into an existing workbook file and touch nothing else.

An .xlsx or .xlsm file is a zip package of XML parts. Loading it into a library and saving it
again re-writes every sheet and drops what the library does not model (shapes, form controls,
images, ribbon XML...). Here every part of the owner's file is copied as it is; only the sheets
being put in, the workbook part (its sheet list and print/filter names), its relationships, the
content types and the styles part (the new formats appended) change.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from lxml import etree

try:  # ISA-L deflates three times as fast as zlib at the same size; zlib where it has no wheel
    from isal.isal_zlib import compressobj
except ImportError:
    from zlib import compressobj

from ..errors import RfmError

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
OFFICE_DOCUMENT = DOC_REL + "/officeDocument"
STYLES = DOC_REL + "/styles"
CALC_CHAIN = DOC_REL + "/calcChain"
WORKSHEET = DOC_REL + "/worksheet"
CONTENT_TYPES = "[Content_Types].xml"
STYLE_LISTS = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
               "tableStyles", "colors", "extLst")
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


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


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
    """A zip package being edited: reads come from the file unless a part was replaced."""

    def __init__(self, path):
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise RfmError(f"{path} is not a readable Excel workbook ({error}).") from None
        self.names = [info.filename for info in self.zip.infolist()]
        self.changed: dict[str, bytes] = {}
        self.removed: set[str] = set()
        self.big: dict[str, list[bytes | Future]] = {}  # big changed parts, in pieces built by worker threads
        self._workers: ThreadPoolExecutor | None = None

    def has(self, part: str) -> bool:
        return part not in self.removed and (part in self.changed or part in self.names)

    def read(self, part: str) -> bytes:
        if part in self.changed:
            return self.changed[part]
        try:
            return self.zip.read(part)
        except KeyError:
            raise RfmError(f"The workbook has no part {part}; it is damaged, so open and re-save it in Excel.") from None

    def xml(self, part: str):
        return parse_xml(self.read(part), part)

    def set_big(self, part: str, pieces: list[bytes | Callable[[], bytes]]):
        """Replace a big part with its pieces joined, each callable piece built in a worker thread.

        Arrow's string kernels work outside the GIL, so on two cores two pieces are built at
        once, while ``save`` deflates the pieces already built.
        """
        self.changed[part] = b""  # the name is taken; the bytes come from the pieces
        self._workers = self._workers or ThreadPoolExecutor(2)
        self.big[part] = [self._workers.submit(piece) if callable(piece) else piece for piece in pieces]

    def set_xml(self, part: str, root):
        self.changed[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    def relationships(self, part: str) -> tuple[etree._Element | None, list[Relationship]]:
        """The relationships root of a part ('' for the package) and its relationships, targets resolved."""
        name = "_rels/.rels" if part == "" else rels_name(part)
        if not self.has(name):
            return None, []
        root = self.xml(name)
        folder = posixpath.dirname(part)
        found = []
        for element in root.iter(_q(PKG_REL, "Relationship")):
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
        for override in root.iter(_q(TYPES, "Override")):
            if override.get("PartName") == "/" + part:
                return override.get("ContentType")
        extension = posixpath.splitext(part)[1][1:].lower()
        for default in root.iter(_q(TYPES, "Default")):
            if default.get("Extension", "").lower() == extension:
                return default.get("ContentType")
        return None

    def unique_name(self, wanted: str, reusable: set[str]) -> str:
        """A fresh part name like ``wanted``; names in ``reusable`` (parts being replaced) count as free."""
        folder, base = posixpath.split(wanted)
        stem, extension = posixpath.splitext(base)
        candidate, number = posixpath.join(folder, f"rfm_{stem}{extension}"), 1
        while (self.has(candidate) or candidate in self.removed) and candidate not in reusable:
            number += 1
            candidate = posixpath.join(folder, f"rfm_{stem}_{number}{extension}")
        reusable.discard(candidate)
        return candidate

    def save(self, out, added_order: list[str]):
        """Write the edited package: unchanged parts copied still compressed, in their original order;
        changed parts deflated at level 1, which is several times faster than the default for big sheets."""
        order = [n for n in self.names if n not in self.removed] + [n for n in added_order if n not in self.names]
        order.sort(key=lambda name: name != CONTENT_TYPES)
        try:
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
                for name in order:
                    if name in self.big:
                        data, crc, size = _deflated(piece.result() if isinstance(piece, Future) else piece
                                                    for piece in self.big[name])
                        member = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                        member.compress_type, member.CRC = zipfile.ZIP_DEFLATED, crc
                        member.compress_size, member.file_size = len(data), size
                        _write_member(target, member, [data])
                    elif name in self.changed:
                        target.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), self.changed[name],
                                        compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
                    else:
                        _copy_compressed(self.zip, self.zip.getinfo(name), target)
        finally:
            if self._workers:
                self._workers.shutdown(cancel_futures=True)


def _deflated(pieces) -> tuple[bytes, int, int]:
    """The pieces joined and deflated at level 1 as a zip member holds them (raw, no zlib header),
    their CRC and their size."""
    packer, packed, crc, size = compressobj(1, zlib.DEFLATED, -15), [], 0, 0
    for piece in pieces:
        packed.append(packer.compress(piece))
        crc, size = zlib.crc32(piece, crc), size + len(piece)
    packed.append(packer.flush())
    return b"".join(packed), crc, size


def _copy_compressed(source: zipfile.ZipFile, info: zipfile.ZipInfo, target: zipfile.ZipFile) -> None:
    """Copy one member's compressed bytes as they are: no inflating and deflating again.

    The standard library has no call for this, so it writes the local header and bytes itself
    and registers the entry as ``ZipFile.write`` does (``fp``, ``filelist``, ``NameToInfo``,
    ``start_dir``: attributes unchanged across Python 3 releases).
    """
    source.fp.seek(info.header_offset)
    local = source.fp.read(30)
    if local[:4] != b"PK\x03\x04":
        raise RfmError(f"The workbook's part {info.filename} is damaged; open and re-save the file in Excel.")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    source.fp.seek(info.header_offset + 30 + name_length + extra_length)
    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    copy.compress_type, copy.CRC = info.compress_type, info.CRC
    copy.compress_size, copy.file_size = info.compress_size, info.file_size
    copy.external_attr, copy.flag_bits = info.external_attr, info.flag_bits & 0x0800  # keep only "UTF-8 name"

    def chunks():
        remaining = info.compress_size
        while remaining:
            chunk = source.fp.read(min(remaining, 1 << 20))
            if not chunk:
                raise RfmError(f"The workbook's part {info.filename} is cut short; the file is damaged.")
            yield chunk
            remaining -= len(chunk)
    _write_member(target, copy, chunks())


def _write_member(target: zipfile.ZipFile, member: zipfile.ZipInfo, chunks) -> None:
    """Write a member whose compressed bytes are ready, and register it as ``ZipFile.write`` does."""
    member.header_offset = target.fp.tell()
    target.fp.write(member.FileHeader())
    for chunk in chunks:
        target.fp.write(chunk)
    target.filelist.append(member)
    target.NameToInfo[member.filename] = member
    target.start_dir = target.fp.tell()


# ---------------------------------------------------------------- styles


class _StyleList:
    """One list in styles.xml (fonts, fills, cellXfs...), with identical entries found by their XML."""

    def __init__(self, styles, tag: str):
        self.element = styles.find(_q(MAIN, tag))
        if self.element is None:
            self.element = etree.Element(_q(MAIN, tag))
            later = [styles.find(_q(MAIN, t)) for t in STYLE_LISTS[STYLE_LISTS.index(tag) + 1:]]
            anchor = next((e for e in later if e is not None), None)
            if anchor is None:
                styles.append(self.element)
            else:
                anchor.addprevious(self.element)
        self.index = {}
        for number, child in enumerate(self.children()):
            self.index.setdefault(etree.tostring(child), number)

    def children(self):
        return [c for c in self.element if isinstance(c.tag, str)]

    def add(self, element) -> int:
        key = etree.tostring(element)
        if key not in self.index:
            self.element.append(element)
            self.index[key] = len(self.children()) - 1
            self.element.set("count", str(len(self.children())))
        return self.index[key]


def _copy(element):
    clone = etree.fromstring(etree.tostring(element))
    clone.tail = None
    return clone


def merge_styles(target, source) -> tuple[list[int], list[int]]:
    """Append ``source``'s formats to ``target``'s styles; return where each cell format and
    differential format (conditional formatting) of ``source`` now lives."""
    formats = _StyleList(target, "numFmts")
    used_ids = {int(f.get("numFmtId")) for f in formats.children()}
    by_code = {f.get("formatCode"): int(f.get("numFmtId")) for f in formats.children()}
    number_formats: dict[str, str] = {}
    source_formats = source.find(_q(MAIN, "numFmts"))
    for fmt in (source_formats if source_formats is not None else []):
        code, old = fmt.get("formatCode"), fmt.get("numFmtId")
        if code not in by_code:
            new = max(used_ids | {163}) + 1
            used_ids.add(new)
            by_code[code] = new
            clone = _copy(fmt)
            clone.set("numFmtId", str(new))
            formats.add(clone)
        number_formats[old] = str(by_code[code])
    if not formats.children():
        formats.element.getparent().remove(formats.element)
    maps = {}
    for tag in ("fonts", "fills", "borders"):
        into = _StyleList(target, tag)
        maps[tag] = [into.add(_copy(e)) for e in _StyleList(source, tag).children()]

    def remap(element):
        if element.get("numFmtId") in number_formats:
            element.set("numFmtId", number_formats[element.get("numFmtId")])
        for attribute, tag in (("fontId", "fonts"), ("fillId", "fills"), ("borderId", "borders")):
            if element.get(attribute) is not None:
                element.set(attribute, str(maps[tag][int(element.get(attribute))]))
        return element

    cell_formats = _StyleList(target, "cellXfs")
    xf_map = []
    for xf in _StyleList(source, "cellXfs").children():
        clone = remap(_copy(xf))
        clone.set("xfId", "0")
        xf_map.append(cell_formats.add(clone))
    differential = _StyleList(target, "dxfs")
    dxf_map = []
    for dxf in _StyleList(source, "dxfs").children():
        clone = _copy(dxf)
        for fmt in clone.iter(_q(MAIN, "numFmt")):
            remap(fmt)
        dxf_map.append(differential.add(clone))
    return xf_map, dxf_map


_CELL_STYLE = re.compile(rb'(<(?:c|row)\b[^>]*?\ss=")(\d+)(")')
_COLUMN_STYLE = re.compile(rb'(<col\b[^>]*?\sstyle=")(\d+)(")')
_DXF = re.compile(rb'(\sdxfId=")(\d+)(")')


def restyle_sheet(data: bytes, xf_map: list[int], dxf_map: list[int]) -> bytes:
    """Point a sheet's style indexes at their merged positions; never selected with another sheet."""
    xf_bytes = [str(n).encode() for n in xf_map]
    dxf_bytes = [str(n).encode() for n in dxf_map]
    data = _CELL_STYLE.sub(lambda m: m[1] + xf_bytes[int(m[2])] + m[3], data)
    data = _COLUMN_STYLE.sub(lambda m: m[1] + xf_bytes[int(m[2])] + m[3], data)
    data = _DXF.sub(lambda m: m[1] + dxf_bytes[int(m[2])] + m[3], data)
    return data.replace(b' tabSelected="1"', b"")


# ---------------------------------------------------------------- putting sheets in


def put_sheets(book_path, sheets_path, out_path, rows: dict | None = None) -> None:
    """Write ``book_path`` to ``out_path`` with every sheet of ``sheets_path`` put in.

    A sheet whose name (ignoring case) already exists is replaced where it stands, with its
    drawings and charts; the others are added after the last sheet. Nothing else changes.
    ``rows`` maps a sheet name to a RowBlock of data rows to add under what was rendered.
    """
    rows = rows or {}
    book, new = Package(book_path), Package(sheets_path)
    workbook_part, new_workbook_part = book.main_part(), new.main_part()
    workbook, new_workbook = book.xml(workbook_part), new.xml(new_workbook_part)
    rels_root, relationships = book.relationships(workbook_part)
    by_id = {r.id: r for r in relationships}
    new_by_id = {r.id: r for r in new.relationships(new_workbook_part)[1]}

    styles_part = next(r.target for r in relationships if r.type == STYLES)
    styles = book.xml(styles_part)
    xf_map, dxf_map = merge_styles(styles, new.xml(next(r.target for r in new_by_id.values() if r.type == STYLES)))
    book.set_xml(styles_part, styles)

    types = book.xml(CONTENT_TYPES)
    sheets = workbook.find(_q(MAIN, "sheets"))
    existing = {s.get("name").casefold(): s for s in sheets}
    next_sheet_id = max([int(s.get("sheetId")) for s in sheets] + [0]) + 1
    rid_numbers = [int(m[1]) for r in relationships if (m := re.fullmatch(r"rId(\d+)", r.id or ""))]
    next_rid = max(rid_numbers + [0]) + 1
    new_sheets = list(new_workbook.find(_q(MAIN, "sheets")))
    replaced = [existing[s.get("name").casefold()] for s in new_sheets if s.get("name").casefold() in existing]
    dropped = {part for old in replaced for part in book.closure(by_id[old.get(_q(DOC_REL, "id"))].target)}
    reusable = set(dropped)
    added: list[str] = []
    new_names = _defined_names(new_workbook)
    for position, new_sheet in enumerate(new_sheets):
        name = new_sheet.get("name")
        source_part = new_by_id[new_sheet.get(_q(DOC_REL, "id"))].target
        renamed = _copy_parts(book, new, source_part, name, types, added, xf_map, dxf_map, rows.get(name), reusable)
        rid = f"rId{next_rid}"
        next_rid += 1
        etree.SubElement(rels_root, _q(PKG_REL, "Relationship"), Id=rid, Type=WORKSHEET,
                         Target=posixpath.relpath(renamed, posixpath.dirname(workbook_part)))
        old = existing.get(name.casefold())
        if old is not None:
            rels_root.remove(by_id.pop(old.get(_q(DOC_REL, "id"))).element)
            old.set("name", name)
            old.set(_q(DOC_REL, "id"), rid)
            element = old
        else:
            element = etree.SubElement(sheets, _q(MAIN, "sheet"), name=name, sheetId=str(next_sheet_id))
            element.set(_q(DOC_REL, "id"), rid)
            next_sheet_id += 1
        _put_defined_names(workbook, new_names.get(position, []), list(sheets).index(element))
    if dropped:
        _drop_calc_chain(rels_root, by_id, dropped)
    book.set_xml(workbook_part, workbook)
    book.set_xml(rels_name(workbook_part), rels_root)
    if dropped:
        _remove_unreachable(book, reusable, types)
    book.set_xml(CONTENT_TYPES, types)
    book.save(out_path, added)


def _copy_parts(book: Package, new: Package, sheet_part: str, sheet_name: str, types, added: list[str], xf_map,
                dxf_map, block, reusable: set[str]) -> str:
    """Copy a sheet and everything it refers to into ``book`` under fresh names (reusing the names of
    parts being replaced); return the sheet's part name."""
    parts = new.closure(sheet_part)
    names = {}
    for part in parts:
        wanted = part if part != sheet_part else posixpath.join(posixpath.dirname(part), _slug(sheet_name) + ".xml")
        names[part] = book.unique_name(wanted, reusable)
        book.changed[names[part]] = b""  # reserve the name
        for override in list(types.iter(_q(TYPES, "Override"))):
            if override.get("PartName") == "/" + names[part]:
                types.remove(override)
    for part in parts:
        data = new.read(part)
        if part == sheet_part:
            data = restyle_sheet(data, xf_map, dxf_map)
            if block is not None:
                book.set_big(names[part], _with_rows(data, block, xf_map))
                data = None
        if data is not None:
            book.changed[names[part]] = data
        added.append(names[part])
        etree.SubElement(types, _q(TYPES, "Override"), PartName="/" + names[part], ContentType=new.content_type(part))
        rels_root, relationships = new.relationships(part)
        if rels_root is None:
            if book.has(rels_name(names[part])):  # a replaced part's relationships, now stale
                book.removed.add(rels_name(names[part]))
            continue
        for relationship in relationships:
            if relationship.target:
                relationship.element.set("Target", posixpath.relpath(
                    names[relationship.target], posixpath.dirname(names[part])))
        book.set_xml(rels_name(names[part]), rels_root)
        added.append(rels_name(names[part]))
    return names[sheet_part]


def _with_rows(data: bytes, block, xf_map: list[int]) -> list:
    """A rendered sheet with a block's rows put at the end of its data, as pieces: its start (the
    dimension widened to cover the rows), a callable per slice of rows, its end."""
    head, end, tail = data.rpartition(b"</sheetData>")
    if not end:
        raise ValueError("rendered sheet has no sheetData")
    rendered = re.search(rb'<dimension ref="(?:[A-Z]+\d+:)?([A-Z]+)(\d+)"/>', head)
    letters, row = re.fullmatch(r"([A-Z]+)(\d+)", block.last_cell).groups()
    if rendered:  # cells written above or beside the rows (a grid) may reach further right
        letters = max(letters, rendered[1].decode(), key=lambda c: (len(c), c))
        row = max(int(row), int(rendered[2]))
    head = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{letters}{row}"/>'.encode(), head, count=1)
    return [head, *block.pieces(xf_map), end + tail]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "sheet"


def _defined_names(workbook) -> dict[int, list]:
    """Sheet-scoped defined names (filters, print titles) by sheet position."""
    found: dict[int, list] = {}
    names = workbook.find(_q(MAIN, "definedNames"))
    for element in (names if names is not None else []):
        if element.get("localSheetId") is not None:
            found.setdefault(int(element.get("localSheetId")), []).append(element)
    return found


def _put_defined_names(workbook, names: list, position: int):
    container = workbook.find(_q(MAIN, "definedNames"))
    if container is not None:
        for element in list(container):
            if element.get("localSheetId") == str(position):
                container.remove(element)
    if not names:
        if container is not None and not len(container):
            workbook.remove(container)
        return
    if container is None:
        container = etree.Element(_q(MAIN, "definedNames"))
        before = [workbook.find(_q(MAIN, tag)) for tag in ("sheets", "functionGroups", "externalReferences")]
        [e for e in before if e is not None][-1].addnext(container)
    for element in names:
        clone = _copy(element)
        clone.set("localSheetId", str(position))
        container.append(clone)


def _drop_calc_chain(rels_root, by_id: dict, dropped: set[str]):
    """Excel rebuilds the calculation chain; a stale one pointing at a replaced sheet makes it repair the file."""
    for rid, relationship in list(by_id.items()):
        if relationship.type == CALC_CHAIN:
            rels_root.remove(relationship.element)
            dropped.add(relationship.target)
            del by_id[rid]


def _remove_unreachable(book: Package, candidates: set[str], types):
    reachable = set(book.closure(book.main_part())) | {r.target for r in book.relationships("")[1] if r.target}
    for part in candidates - reachable:
        book.removed.add(part)
        book.removed.add(rels_name(part))
        book.changed.pop(part, None)
    for override in list(types.iter(_q(TYPES, "Override"))):
        if override.get("PartName", "")[1:] in book.removed:
            override.getparent().remove(override)
