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

try:  # ISA-L deflates three times as fast as zlib at the same size, inflates and checksums faster too; zlib
    from isal.isal_zlib import compressobj, crc32, decompressobj  # where it has no wheel
except ImportError:
    from zlib import compressobj, crc32, decompressobj  # type: ignore[assignment]  # isal types zlib's calls its own way

from ...base.errors import RfmError
from ...base.excel import column_number
from ...base.ooxml import (
    CALC_CHAIN,
    CONTENT_TYPES,
    DOC_REL,
    MAIN,
    PKG_REL,
    STYLES,
    TYPES,
    WORKSHEET,
    Package,
    Relationship,
    parse_xml,
    qname,
    rels_name,
)

STYLE_LISTS = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
               "tableStyles", "colors", "extLst")


class EditedPackage(Package):
    """A zip package being edited: reads come from the file unless a part was replaced."""

    def __init__(self, path):
        super().__init__(path)
        self.changed: dict[str, bytes] = {}
        self.removed: set[str] = set()
        self.big: dict[str, list[bytes | Future]] = {}  # big changed parts, in pieces built by worker threads
        self._workers: ThreadPoolExecutor | None = None

    def has(self, part: str) -> bool:
        return part not in self.removed and (part in self.changed or part in self.names)

    def read(self, part: str) -> bytes:
        return self.changed[part] if part in self.changed else super().read(part)

    def set_big(self, part: str, pieces: list[bytes | Callable[[], bytes]]):
        """Replace a big part with its pieces joined, each callable piece built in a worker thread.

        Arrow's string kernels and zlib work outside the GIL, so on two cores two pieces are built
        and deflated at once, while ``save`` joins the pieces already done.
        """
        self.changed[part] = b""  # the name is taken; the bytes come from the pieces
        self._workers = self._workers or ThreadPoolExecutor(2)
        self.big[part] = [self._workers.submit(_packed, piece) if callable(piece) else piece for piece in pieces]

    def _chunks(self, part: str):
        """The bytes of a big part, piece by piece (built and deflated pieces, bytes, or iterators of bytes), each
        let go of once given."""
        pieces = self.big.pop(part)[::-1]
        while pieces:
            piece = pieces.pop()
            if isinstance(piece, Future):
                yield piece.result()
            elif isinstance(piece, bytes):
                yield piece
            else:
                yield from piece

    def edit_head(self, part: str, edit: Callable[[bytes], bytes], head: bytes) -> None:
        """Replace a part by its first bytes (``head``, as read) edited and the rest copied, without
        holding the whole part in memory: a big sheet keeps its data as it is."""
        def rest():
            skip = len(head)
            for chunk in _inflated(self.zip, self.zip.getinfo(part)):
                if skip < len(chunk):
                    yield chunk[skip:]
                skip = max(skip - len(chunk), 0)
        self.changed[part] = b""
        self.big[part] = [edit(head), rest()]

    def head(self, part: str, size: int = 1 << 16) -> bytes:
        """The first ``size`` bytes of a part as stored in the file."""
        with self.zip.open(part) as stream:
            return stream.read(size)

    def set_xml(self, part: str, root):
        self.changed[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

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
        order += [n for n in self.changed if n not in order and n not in self.removed]  # e.g. a styles part added
        order.sort(key=lambda name: name != CONTENT_TYPES)
        try:
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
                for name in order:
                    if name in self.big:
                        data, crc, size = _deflated(self._chunks(name))
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


@dataclass
class _Packed:
    """A piece of a part and its bytes deflated on their own: a raw deflate stream ended by a sync flush, which
    can stand anywhere in a member's stream (as pigz joins its pieces)."""

    piece: bytes
    deflated: bytes


def _packed(build: Callable[[], bytes]) -> _Packed:
    piece = build()
    packer = compressobj(1, zlib.DEFLATED, -15)
    return _Packed(piece, packer.compress(piece) + packer.flush(zlib.Z_SYNC_FLUSH))


def _deflated(pieces) -> tuple[bytes, int, int]:
    """The pieces joined and deflated at level 1 as a zip member holds them (raw, no zlib header),
    their CRC and their size; pieces deflated already (_Packed) are put in as they are."""
    packer, packed, crc, size = compressobj(1, zlib.DEFLATED, -15), [], 0, 0
    for piece in pieces:
        if isinstance(piece, _Packed):
            packed.append(packer.flush(zlib.Z_SYNC_FLUSH))  # what came before ends on a byte
            packer = compressobj(1, zlib.DEFLATED, -15)  # no look back into the piece put in
            packed.append(piece.deflated)
            piece = piece.piece
        else:
            packed.append(packer.compress(piece))
        crc, size = crc32(piece, crc), size + len(piece)
    packed.append(packer.flush())
    return b"".join(packed), crc, size


def _inflated(source: zipfile.ZipFile, info: zipfile.ZipInfo):
    """A member's bytes, inflated chunk by chunk from its stored ones (its CRC is the new member's to check)."""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        with source.open(info) as stream:
            while chunk := stream.read(1 << 22):
                yield chunk
        return
    unpacker = decompressobj(-15)
    for chunk in _stored_bytes(source, info):
        yield unpacker.decompress(chunk)
    yield unpacker.flush()


def _copy_compressed(source: zipfile.ZipFile, info: zipfile.ZipInfo, target: zipfile.ZipFile) -> None:
    """Copy one member's compressed bytes as they are: no inflating and deflating again.

    The standard library has no call for this, so it writes the local header and bytes itself
    and registers the entry as ``ZipFile.write`` does (``fp``, ``filelist``, ``NameToInfo``,
    ``start_dir``: attributes unchanged across Python 3 releases).
    """
    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    copy.compress_type, copy.CRC = info.compress_type, info.CRC
    copy.compress_size, copy.file_size = info.compress_size, info.file_size
    copy.external_attr, copy.flag_bits = info.external_attr, info.flag_bits & 0x0800  # keep only "UTF-8 name"
    _write_member(target, copy, _stored_bytes(source, info))


def _stored_bytes(source: zipfile.ZipFile, info: zipfile.ZipInfo):
    """A member's bytes as stored (compressed), chunk by chunk, read past its local header."""
    assert source.fp is not None  # the archive is open
    source.fp.seek(info.header_offset)
    local = source.fp.read(30)
    if local[:4] != b"PK\x03\x04":
        raise RfmError(f"The workbook's part {info.filename} is damaged; open and re-save the file in Excel.")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    source.fp.seek(info.header_offset + 30 + name_length + extra_length)
    remaining = info.compress_size
    while remaining:
        chunk = source.fp.read(min(remaining, 1 << 20))
        if not chunk:
            raise RfmError(f"The workbook's part {info.filename} is cut short; the file is damaged.")
        yield chunk
        remaining -= len(chunk)


def _write_member(target: zipfile.ZipFile, member: zipfile.ZipInfo, chunks) -> None:
    """Write a member whose compressed bytes are ready, and register it as ``ZipFile.write`` does."""
    assert target.fp is not None  # the archive is open
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
        self.element = styles.find(qname(MAIN, tag))
        if self.element is None:
            self.element = etree.Element(qname(MAIN, tag))
            later = [styles.find(qname(MAIN, t)) for t in STYLE_LISTS[STYLE_LISTS.index(tag) + 1:]]
            anchor = next((e for e in later if e is not None), None)
            if anchor is None:
                styles.append(self.element)
            else:
                anchor.addprevious(self.element)
        self.index: dict[bytes, int] = {}
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
    source_formats = source.find(qname(MAIN, "numFmts"))
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
        for fmt in clone.iter(qname(MAIN, "numFmt")):
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


def put_sheets(book_path, sheets_path, out_path, rows: dict | None = None, owned: dict | None = None,
               active: tuple[str, ...] = (), marks: dict[str, str] | None = None,
               mine: frozenset[str] = frozenset()) -> None:
    """Write ``book_path`` to ``out_path`` with every sheet of ``sheets_path`` put in.

    A sheet whose name (ignoring case) already exists is replaced where it stands, with its
    drawings and charts; the others are added after the last sheet. Nothing else changes.
    Only the tool's own sheets, named in ``mine``, may be replaced or have cells rewritten:
    putting in a sheet named like one of the owner's is refused.
    ``rows`` maps a sheet name to a RowBlock of data rows to add under what was rendered.
    ``owned`` maps a sheet name to the Area of cells the tool owns on a sheet the owner keeps
    (Start Here): only those cells are rewritten, and only when the book has that sheet.
    ``marks`` (defined name -> reference) are set as hidden workbook-level names, marking the tool's sheets.
    The workbook opens on the first sheet named in ``active`` that it has.
    """
    rows, owned = rows or {}, owned or {}
    book, new = EditedPackage(book_path), Package(sheets_path)
    workbook, rendered = _WorkbookPart(book), _WorkbookPart(new)
    yours = {name.casefold() for name in mine}
    for sheet in rendered.sheets:
        found = workbook.existing(sheet.get("name"))
        if found is not None and found.get("name").casefold() not in yours:
            raise ValueError(f"refused to write into the sheet {found.get('name')!r}, which is not the tool's")
    types = book.xml(CONTENT_TYPES)
    xf_map, dxf_map = _merged_styles(book, workbook, new, rendered, types)
    dropped = workbook.parts_of([sheet.get("name") for sheet in rendered.sheets if sheet.get("name") not in owned])
    reusable = set(dropped)
    added: list[str] = []
    names = _defined_names(rendered.root)
    patched = False
    for position, sheet in enumerate(rendered.sheets):
        name = sheet.get("name")
        if name in owned:
            kept = workbook.existing(name)
            if kept is not None:
                _patch_cells(book, workbook.target(kept), restyle_sheet(new.read(rendered.target(sheet)), xf_map,
                                                                        dxf_map), owned[name])
                patched = True
            continue
        part = _copy_parts(book, new, rendered.target(sheet), name, types, added, xf_map, dxf_map, rows.get(name),
                           reusable)
        _put_defined_names(workbook.root, names.get(position, []), workbook.put_sheet(name, part))
    if dropped or patched:
        _drop_calc_chain(workbook, dropped)
    calculate_on_load(workbook.root)
    mark(workbook.root, marks or {})
    opening = next((name for name in active if workbook.existing(name) is not None), None)
    if opening:
        _activate(book, workbook, opening)
    workbook.save()
    list_worksheets(book, workbook)
    if dropped:
        _remove_unreachable(book, dropped, types)
    book.set_xml(CONTENT_TYPES, types)
    book.save(out_path, added)


def put_rows(book_path, out_path, rows: dict, marks: dict[str, str] | None = None) -> None:
    """Write ``book_path``, a workbook XlsxWriter just wrote, to ``out_path`` with data rows added under the
    rows of the sheets named in ``rows`` (sheet name -> RowBlock, whose formats are the book's own) and the
    ``marks`` set (as put_sheets does); the sheets' tables (Excel tables, with their filters) are widened to
    end at the last row."""
    book = EditedPackage(book_path)
    workbook = _WorkbookPart(book)
    if marks:
        mark(workbook.root, marks)
        workbook.save()
    styles = workbook.related(STYLES)
    assert styles is not None  # the book was spliced with its styles
    own = list(range(len(_StyleList(book.xml(styles), "cellXfs").children())))
    for name, block in rows.items():
        part = workbook.target(workbook.existing(name))
        book.set_big(part, _with_rows(book.read(part), block, own))
        for table in (r.target for r in book.relationships(part)[1] if r.type.endswith("/table")):
            book.changed[table] = re.sub(rb'(<(?:table|autoFilter)\b[^>]*?\sref="[A-Z]+\d+:)[A-Z]+\d+"',
                                         rb"\g<1>" + block.last_cell.encode() + b'"', book.read(table))
    book.save(out_path, [])


EXTENDED_PROPERTIES = DOC_REL + "/extended-properties"
APP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
WORKSHEETS = ("Worksheets", "Arbeitsblätter", "Feuilles de calcul", "Hojas de cálculo", "Fogli di lavoro")


def list_worksheets(book: EditedPackage, workbook: _WorkbookPart) -> None:
    """The worksheets the workbook now has, listed in its application properties (docProps/app.xml: what
    File > Info and file browsers show), where those list worksheets under a heading of their own; the other
    headings (named ranges, charts) are left as they are."""
    part = next((r.target for r in book.relationships("")[1] if r.type == EXTENDED_PROPERTIES), None)
    if part is None or not book.has(part):
        return
    root = book.xml(part)
    pairs = root.find(f"{qname(APP, 'HeadingPairs')}/{qname(VT, 'vector')}")
    titles = root.find(f"{qname(APP, 'TitlesOfParts')}/{qname(VT, 'vector')}")
    if pairs is None or titles is None:
        return
    variants = list(pairs)
    headings = [(v.findtext(qname(VT, "lpstr")), v) for v in variants[0::2]]
    counts = [v.find(qname(VT, "i4")) for v in variants[1::2]]
    at = next((n for n, (heading, _) in enumerate(headings) if heading in WORKSHEETS), None)
    if at is None or len(counts) != len(headings) or any(c is None or not (c.text or "").isdigit() for c in counts):
        return
    start = sum(int(c.text) for c in counts[:at])
    old = list(titles)[start:start + int(counts[at].text)]
    names = [s.get("name") for s in workbook.sheets
             if workbook.by_id[s.get(qname(DOC_REL, "id"))].type == WORKSHEET]
    place = list(titles).index(old[0]) if old else start
    for element in old:
        titles.remove(element)
    for offset, name in enumerate(names):
        etree.SubElement(titles, qname(VT, "lpstr")).text = name
        titles.insert(place + offset, titles[-1])
    counts[at].text = str(len(names))
    titles.set("size", str(len(titles)))
    book.set_xml(part, root)


class _WorkbookPart:
    """A package's workbook part (xl/workbook.xml): its sheet list and its relationships, as edited."""

    def __init__(self, package: Package):
        self.package, self.name = package, package.main_part()
        self.root = package.xml(self.name)
        self.rels_root, relationships = package.relationships(self.name)
        self.by_id = {r.id: r for r in relationships}
        self.sheet_list = self.root.find(qname(MAIN, "sheets"))
        self.sheets = list(self.sheet_list)
        numbers = [int(m[1]) for rid in self.by_id if (m := re.fullmatch(r"rId(\d+)", rid or ""))]
        self.next_rid = max([*numbers, 0]) + 1

    def target(self, sheet) -> str:
        """The part a sheet element points to."""
        return self.by_id[sheet.get(qname(DOC_REL, "id"))].target

    def related(self, kind: str) -> str | None:
        """The part of the workbook's first relationship of ``kind`` (e.g. STYLES), if any."""
        return next((r.target for r in self.by_id.values() if r.type == kind), None)

    def existing(self, name: str):
        return next((s for s in self.sheets if s.get("name").casefold() == name.casefold()), None)

    def parts_of(self, names: list[str]) -> set[str]:
        """Every part used by the sheets of these names that the workbook has, to be replaced."""
        return {part for name in names if (old := self.existing(name)) is not None
                for part in self.package.closure(self.target(old))}

    def relate(self, kind: str, part: str) -> str:
        """Add a relationship of ``kind`` from the workbook to ``part``; return its id."""
        rid = f"rId{self.next_rid}"
        self.next_rid += 1
        link = etree.SubElement(self.rels_root, qname(PKG_REL, "Relationship"), Id=rid, Type=kind,
                                Target=posixpath.relpath(part, posixpath.dirname(self.name)))
        self.by_id[rid] = Relationship(link, rid, kind, part)
        return rid

    def put_sheet(self, name: str, part: str) -> int:
        """Point the sheet ``name`` (replaced where it stands, else added last) at ``part``; return its position."""
        rid = self.relate(WORKSHEET, part)
        element = self.existing(name)
        if element is not None:
            assert self.rels_root is not None  # the sheet's relationship is in it
            self.rels_root.remove(self.by_id.pop(element.get(qname(DOC_REL, "id"))).element)
            element.set("name", name)
        else:
            sheet_id = max([int(s.get("sheetId")) for s in self.sheets] + [0]) + 1
            element = etree.SubElement(self.sheet_list, qname(MAIN, "sheet"), name=name, sheetId=str(sheet_id))
            self.sheets.append(element)
        element.set(qname(DOC_REL, "id"), rid)
        return self.sheets.index(element)

    def save(self) -> None:
        assert isinstance(self.package, EditedPackage)  # only the book being edited is saved
        self.package.set_xml(self.name, self.root)
        self.package.set_xml(rels_name(self.name), self.rels_root)


def _merged_styles(book: EditedPackage, workbook: _WorkbookPart, new: Package, rendered: _WorkbookPart,
                   types) -> tuple[list[int], list[int]]:
    """Append the rendered sheets' formats to the book's styles part; return where each now lives.

    A workbook without a styles part (Excel opens one; minimal writers make them) gets the rendered
    one's, with its relationship and content type, and the owner's unformatted cells keep its first
    format, the default.
    """
    source = rendered.related(STYLES)
    assert source is not None  # XlsxWriter always writes a styles part
    styles_part = workbook.related(STYLES)
    if styles_part is None:
        styles_part = posixpath.join(posixpath.dirname(workbook.name), "styles.xml")
        if book.has(styles_part):  # a stray part of that name that nothing uses
            styles_part = book.unique_name(styles_part, set())
        workbook.relate(STYLES, styles_part)
        etree.SubElement(types, qname(TYPES, "Override"), PartName="/" + styles_part,
                         ContentType=new.content_type(source))
        styles = new.xml(source)
    else:
        styles = book.xml(styles_part)
    maps = merge_styles(styles, new.xml(source))
    book.set_xml(styles_part, styles)
    return maps


def _copy_parts(book: EditedPackage, new: Package, sheet_part: str, sheet_name: str, types, added: list[str], xf_map,
                dxf_map, block, reusable: set[str]) -> str:
    """Copy a sheet and everything it refers to into ``book`` under fresh names (reusing the names of
    parts being replaced); return the sheet's part name."""
    parts = new.closure(sheet_part)
    names = {}
    for part in parts:
        wanted = part if part != sheet_part else posixpath.join(posixpath.dirname(part), _slug(sheet_name) + ".xml")
        names[part] = book.unique_name(wanted, reusable)
        book.changed[names[part]] = b""  # reserve the name
        for override in list(types.iter(qname(TYPES, "Override"))):
            if override.get("PartName") == "/" + names[part]:
                types.remove(override)
    data: bytes | None  # None once a sheet's bytes are handed over in pieces
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
        etree.SubElement(types, qname(TYPES, "Override"), PartName="/" + names[part],
                         ContentType=new.content_type(part))
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
    last = re.fullmatch(r"([A-Z]+)(\d+)", block.last_cell)
    assert last is not None  # a cell reference such as F123
    letters, row = last.groups()
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
    names = workbook.find(qname(MAIN, "definedNames"))
    for element in (names if names is not None else []):
        if element.get("localSheetId") is not None:
            found.setdefault(int(element.get("localSheetId")), []).append(element)
    return found


def _put_defined_names(workbook, names: list, position: int):
    container = workbook.find(qname(MAIN, "definedNames"))
    if container is not None:
        for element in list(container):
            if element.get("localSheetId") == str(position):
                container.remove(element)
    if not names:
        if container is not None and not len(container):
            workbook.remove(container)
        return
    container = _names_element(workbook)
    for element in names:
        clone = _copy(element)
        clone.set("localSheetId", str(position))
        container.append(clone)


def _names_element(workbook):
    """The workbook's ``<definedNames>``, made where the schema puts it if there is none."""
    container = workbook.find(qname(MAIN, "definedNames"))
    if container is None:
        container = etree.Element(qname(MAIN, "definedNames"))
        before = [workbook.find(qname(MAIN, tag)) for tag in ("sheets", "functionGroups", "externalReferences")]
        [e for e in before if e is not None][-1].addnext(container)
    return container


def mark(workbook, marks: dict[str, str]) -> None:
    """Set each of ``marks`` (defined name -> reference) as a hidden workbook-level name, replacing one of the
    same name (names ignore case in Excel)."""
    if not marks:
        return
    container = _names_element(workbook)
    wanted = {name.casefold() for name in marks}
    for element in list(container):
        if element.get("localSheetId") is None and element.get("name", "").casefold() in wanted:
            container.remove(element)
    for name, reference in marks.items():  # kept in name order, as Excel writes them
        later = [e for e in container if e.get("name", "").casefold() > name.casefold()]
        element = etree.Element(qname(MAIN, "definedName"), name=name, hidden="1")
        element.text = reference
        (later[0].addprevious(element) if later else container.append(element))


AFTER_CALC_PROPERTIES = ("oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
                         "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")  # the schema's order


def calculate_on_load(workbook) -> None:
    """Ask for a full calculation when the workbook is next opened (``<calcPr fullCalcOnLoad="1"/>``), so the
    owner's formulas that refer to the sheets just put in show their new values, not those saved before.

    An existing calcPr keeps its other settings; a new one goes where the schema puts it.
    """
    properties = workbook.find(qname(MAIN, "calcPr"))
    if properties is None:
        properties = etree.Element(qname(MAIN, "calcPr"))
        after = next((e for e in workbook if isinstance(e.tag, str) and etree.QName(e).localname in
                      AFTER_CALC_PROPERTIES), None)
        if after is None:
            workbook.append(properties)
        else:
            after.addprevious(properties)
    properties.set("fullCalcOnLoad", "1")


def _drop_calc_chain(workbook: _WorkbookPart, dropped: set[str]):
    """Excel rebuilds the calculation chain; a stale one pointing at a replaced sheet makes it repair the file."""
    for rid, relationship in list(workbook.by_id.items()):
        if relationship.type == CALC_CHAIN:
            assert workbook.rels_root is not None  # the relationship is in it
            workbook.rels_root.remove(relationship.element)
            dropped.add(relationship.target)
            del workbook.by_id[rid]


def _remove_unreachable(book: EditedPackage, candidates: set[str], types):
    reachable = set(book.closure(book.main_part())) | {r.target for r in book.relationships("")[1] if r.target}
    for part in candidates - reachable:
        book.removed.add(part)
        book.removed.add(rels_name(part))
        book.changed.pop(part, None)
    for override in list(types.iter(qname(TYPES, "Override"))):
        if override.get("PartName", "")[1:] in book.removed:
            override.getparent().remove(override)


# ---------------------------------------------------------------- a sheet the owner keeps


def _cell_column(cell, position: int) -> int:
    """The zero-based column of a ``<c>``: from its reference, else its position in the row."""
    reference = cell.get("r")
    if not reference:
        return position
    letters = re.match(r"[A-Z]+", reference)
    assert letters is not None  # a reference starts with its column's letters
    return column_number(letters[0]) - 1


def _patch_cells(book: EditedPackage, part: str, rendered: bytes, area) -> None:
    """Rewrite the cells of ``area`` on the book's sheet ``part`` with those of the rendered sheet (its
    style indexes already remapped); every other cell, the row heights outside ``area`` and everything
    else on the sheet stay as they are."""
    target, source = book.xml(part), parse_xml(rendered, part)
    data = target.find(qname(MAIN, "sheetData"))
    rows = {int(row.get("r")): row for row in data.iter(qname(MAIN, "row")) if row.get("r")}

    def owned(number, cells):
        return [c for i, c in enumerate(cells) if area.top + 1 <= number <= area.bottom + 1
                and area.left <= _cell_column(c, i) <= area.right]
    for number, row in rows.items():
        for cell in owned(number, list(row.iter(qname(MAIN, "c")))):
            row.remove(cell)
    for new in source.find(qname(MAIN, "sheetData")).iter(qname(MAIN, "row")):
        number = int(new.get("r"))
        cells = owned(number, list(new.iter(qname(MAIN, "c"))))
        if not cells and new.get("ht") is None:
            continue
        row = rows.get(number)
        if row is None:
            row = etree.Element(qname(MAIN, "row"), r=str(number))
            later = [n for n in rows if n > number]
            (rows[min(later)].addprevious(row) if later else data.append(row))
            rows[number] = row
        row.attrib.pop("spans", None)
        for attribute in ("ht", "customHeight"):
            if new.get(attribute) is not None:
                row.set(attribute, new.get(attribute))
        for cell in cells:
            column = _cell_column(cell, 0)
            after = [c for i, c in enumerate(row.iter(qname(MAIN, "c"))) if _cell_column(c, i) > column]
            (after[0].addprevious(cell) if after else row.append(cell))
    for dimension in target.iter(qname(MAIN, "dimension")):
        dimension.getparent().remove(dimension)  # optional; Excel works it out
    book.set_xml(part, target)


_SELECTED = re.compile(rb'\stabSelected="(?:1|true)"')


def _activate(book: EditedPackage, workbook: _WorkbookPart, name: str) -> None:
    """Make the sheet ``name`` the one the workbook opens on, and the only selected tab (two selected tabs
    would group the sheets, so that typing into one changes both)."""
    sheet = workbook.existing(name)
    if sheet is None or sheet.get("state") in ("hidden", "veryHidden"):
        return
    position = workbook.sheets.index(sheet)
    for view in workbook.root.iter(qname(MAIN, "workbookView")):
        view.set("activeTab", str(position))
        if int(view.get("firstSheet", "0")) > position:
            view.set("firstSheet", str(position))
    chosen = workbook.target(sheet)
    for other in workbook.sheets:
        part = workbook.target(other)
        if not book.has(part) or part in book.big or part == chosen:
            continue
        if part in book.changed:
            book.changed[part] = _deselected(book.changed[part])
        else:
            head = book.head(part)
            if _SELECTED.search(head.split(b"<sheetData", 1)[0]):
                book.edit_head(part, _deselected, head)
    if chosen in book.big:
        start = book.big[chosen][0]
        assert isinstance(start, bytes)  # a big part's first piece is its start, as bytes
        book.big[chosen][0] = _selected(start)
    else:
        book.changed[chosen] = _selected(book.read(chosen))


def _deselected(data: bytes) -> bytes:
    """A sheet's XML (or its first bytes) with its sheet views no longer marked as the selected tab."""
    views, rest = data.split(b"<sheetData", 1) if b"<sheetData" in data else (data, None)
    views = _SELECTED.sub(b"", views)
    return views if rest is None else views + b"<sheetData" + rest


def _selected(data: bytes) -> bytes:
    """A sheet's XML with its first sheet view marked as the selected tab, whatever it said before."""
    views, rest = data.split(b"<sheetData", 1)
    views = re.sub(rb'\stabSelected="[^"]*"', b"", views)
    return re.sub(rb"<sheetView\b", b'<sheetView tabSelected="1"', views, count=1) + b"<sheetData" + rest
