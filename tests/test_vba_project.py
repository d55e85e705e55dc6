"""The template's vbaProject.bin read back strictly against MS-OVBA, by readers independent of the builder.

olefile (a well-kept compound-file reader) opens the file; the decompression (MS-OVBA 2.4.1.3), the
dir stream's records (2.3.4.2), the PROJECT stream's grammar (2.3.1), its data decryption (2.4.3.3)
and the PROJECTwm stream (2.3.3) are read here from the specification, not with rfm_excel/writers/headless/vba's
code, so a mistake in the builder cannot be read back the same wrong way. The check is shown to
fail on broken variants built with the project's own builder.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass, field

import olefile
import pytest
from lxml import etree

from rfm_excel.writers.headless import vba
from rfm_excel.writers.headless.template import MACRO_TEMPLATE_NAME, build_template
from rfm_excel.writers.headless.vba.compound import compound_file

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
SOURCE_ONLY = struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0001)  # _VBA_PROJECT with no compiled cache (2.3.4.1)


class MsOvbaError(AssertionError):
    """The file breaks a rule of MS-OVBA (or of what Excel writes)."""


# ------------------------------------------------------------------ decompression (MS-OVBA 2.4.1.3)

def decompress(container: bytes) -> bytes:
    """A CompressedContainer's bytes, decompressed chunk by chunk; any malformed chunk raises MsOvbaError."""
    if not container or container[0] != 0x01:
        raise MsOvbaError("a compressed container must start with the signature byte 0x01")
    out = bytearray()
    at = 1
    while at < len(container):
        if at + 2 > len(container):
            raise MsOvbaError(f"a chunk header is cut off at byte {at}")
        if len(out) % 4096:
            raise MsOvbaError("only the last chunk may decompress to less than 4096 bytes")
        header, = struct.unpack_from("<H", container, at)
        end = at + (header & 0x0FFF) + 3
        if header >> 12 & 0b111 != 0b011:
            raise MsOvbaError(f"the chunk at byte {at} has signature {header >> 12 & 7:#b}, not 0b011")
        if end > len(container):
            raise MsOvbaError(f"the chunk at byte {at} claims {end - at} bytes; only {len(container) - at} are left")
        at += 2
        start = len(out)
        if not header >> 15:  # stored raw: exactly 4096 bytes
            if end - at != 4096:
                raise MsOvbaError(f"an uncompressed chunk holds {end - at} bytes, not 4096")
            out += container[at:end]
            at = end
            continue
        while at < end:
            flags = container[at]
            at += 1
            for bit in range(8):
                if at >= end:
                    break
                if not flags >> bit & 1:
                    out.append(container[at])
                    at += 1
                    continue
                if at + 2 > end:
                    raise MsOvbaError(f"a copy token is cut off at byte {at}")
                token, = struct.unpack_from("<H", container, at)
                at += 2
                done = len(out) - start
                bits = max((done - 1).bit_length(), 4)  # the smallest n with 2**n >= done, at least 4
                length = (token & (0xFFFF >> bits)) + 3
                offset = (token >> (16 - bits)) + 1
                if offset > done:
                    raise MsOvbaError(f"a copy token at byte {at - 2} reaches {offset} bytes back, before its chunk")
                for _ in range(length):
                    out.append(out[-offset])
        if len(out) - start > 4096:
            raise MsOvbaError(f"the chunk ending at byte {end} decompresses to {len(out) - start} bytes, over 4096")
    return bytes(out)


# ------------------------------------------------------------------ the dir stream (MS-OVBA 2.3.4.2)

@dataclass
class Module:
    name: str
    stream_name: str
    offset: int
    procedural: bool  # MODULETYPE 0x0021; False: 0x0022, a document or class module
    cookie: int


@dataclass
class Dir:
    sys_kind: int
    compat_version: int | None
    code_page: int
    name: str
    version: tuple[int, int]
    references: list[tuple[str, str]] = field(default_factory=list)  # (name, libid)
    project_cookie: int = 0
    modules: list[Module] = field(default_factory=list)


class Records:
    """A cursor over a decompressed dir stream that takes the records MS-OVBA expects, in its order."""

    def __init__(self, data: bytes, code_page: str = "cp1252"):
        self.data, self.at, self.code_page = data, 0, code_page

    def next_id(self) -> int | None:
        return struct.unpack_from("<H", self.data, self.at)[0] if self.at + 2 <= len(self.data) else None

    def take(self, record_id: int, name: str, size: int | None = None) -> bytes:
        """The data of record ``record_id`` (MS-OVBA's ``name``) at the cursor; ``size`` when it is fixed."""
        if self.at + 6 > len(self.data):
            raise MsOvbaError(f"the dir stream ends at byte {len(self.data)} where {name} ({record_id:#06x}) is due")
        found, length = struct.unpack_from("<HI", self.data, self.at)
        if found != record_id:
            raise MsOvbaError(f"record {found:#06x} at byte {self.at} of the dir stream where MS-OVBA expects "
                              f"{name} ({record_id:#06x})")
        if size is not None and length != size:
            raise MsOvbaError(f"{name} at byte {self.at} has size {length}; MS-OVBA says {size}")
        if self.at + 6 + length > len(self.data):
            raise MsOvbaError(f"{name} at byte {self.at} claims {length} bytes, past the end of the dir stream")
        data = self.data[self.at + 6:self.at + 6 + length]
        self.at += 6 + length
        return data

    def number(self, record_id: int, name: str, size: int = 4) -> int:
        return int.from_bytes(self.take(record_id, name, size), "little")

    def text(self, record_id: int, unicode_id: int, name: str) -> str:
        """A string record and its UTF-16 twin (their Reserved id and size), which must say the same."""
        text = self.take(record_id, name).decode(self.code_page)
        twin = self.take(unicode_id, f"{name} (Unicode)").decode("utf-16-le")
        if twin != text:
            raise MsOvbaError(f"{name} says {text!r} but its Unicode twin {twin!r}")
        return text


def parse_dir(data: bytes) -> Dir:
    """The decompressed dir stream, record by record; anything MS-OVBA does not allow raises MsOvbaError."""
    records = Records(data)
    sys_kind = records.number(0x0001, "PROJECTSYSKIND")
    if sys_kind not in (0, 1, 2, 3):
        raise MsOvbaError(f"PROJECTSYSKIND is {sys_kind}, not 0 to 3")
    compat_version = records.number(0x004A, "PROJECTCOMPATVERSION") if records.next_id() == 0x004A else None
    for record_id, name in ((0x0002, "PROJECTLCID"), (0x0014, "PROJECTLCIDINVOKE")):
        if (lcid := records.number(record_id, name)) != 0x409:
            raise MsOvbaError(f"{name} is {lcid:#x}; MS-OVBA says 0x409")
    code_page = records.number(0x0003, "PROJECTCODEPAGE", 2)
    records.code_page = f"cp{code_page}"
    project_name = records.take(0x0004, "PROJECTNAME").decode(records.code_page)
    if not 1 <= len(project_name) <= 128:
        raise MsOvbaError(f"PROJECTNAME has {len(project_name)} characters, not 1 to 128")
    records.text(0x0005, 0x0040, "PROJECTDOCSTRING")
    records.text(0x0006, 0x003D, "PROJECTHELPFILEPATH")
    records.number(0x0007, "PROJECTHELPCONTEXT")
    if (flags := records.number(0x0008, "PROJECTLIBFLAGS")) != 0:
        raise MsOvbaError(f"PROJECTLIBFLAGS is {flags}; MS-OVBA says 0")
    # PROJECTVERSION: a Reserved field of 4 where others have their size, then 6 bytes (2.3.4.2.1.11)
    records.take(0x0009, "PROJECTVERSION", 4)
    records.at -= 4
    if records.at + 6 > len(data):
        raise MsOvbaError("PROJECTVERSION is cut off")
    version = struct.unpack_from("<IH", data, records.at)
    records.at += 6
    records.text(0x000C, 0x003C, "PROJECTCONSTANTS")
    project = Dir(sys_kind, compat_version, code_page, project_name, version)

    while records.next_id() in (0x0016, 0x000D, 0x000E, 0x002F, 0x0033):  # PROJECTREFERENCES (2.3.4.2.2)
        reference_name = records.text(0x0016, 0x003E, "REFERENCENAME") if records.next_id() == 0x0016 else ""
        if records.next_id() != 0x000D:
            raise MsOvbaError(f"reference {reference_name!r} is of kind {records.next_id():#06x}; "
                              "this check reads only REFERENCEREGISTERED (0x000D), all the template has")
        body = records.take(0x000D, "REFERENCEREGISTERED")
        libid_size, = struct.unpack_from("<I", body, 0)
        if len(body) != 4 + libid_size + 6 or body[4 + libid_size:] != bytes(6):
            raise MsOvbaError(f"REFERENCEREGISTERED {reference_name!r} is not SizeOfLibid, Libid and six zero bytes")
        project.references.append((reference_name, body[4:4 + libid_size].decode(records.code_page)))

    count = records.number(0x000F, "PROJECTMODULES", 2)
    project.project_cookie = records.number(0x0013, "PROJECTCOOKIE", 2)
    for _ in range(count):  # MODULE records (2.3.4.2.3.2)
        name = records.take(0x0019, "MODULENAME").decode(records.code_page)
        if records.next_id() == 0x0047 and \
                (unicode_name := records.take(0x0047, "MODULENAMEUNICODE").decode("utf-16-le")) != name:
            raise MsOvbaError(f"MODULENAME {name!r} and MODULENAMEUNICODE {unicode_name!r} differ")
        stream_name = records.text(0x001A, 0x0032, "MODULESTREAMNAME")
        records.text(0x001C, 0x0048, "MODULEDOCSTRING")
        offset = records.number(0x0031, "MODULEOFFSET")
        records.number(0x001E, "MODULEHELPCONTEXT")
        cookie = records.number(0x002C, "MODULECOOKIE", 2)
        if records.next_id() not in (0x0021, 0x0022):
            raise MsOvbaError(f"module {name!r} has record {records.next_id():#06x} where MODULETYPE "
                              "(0x0021 or 0x0022) is due")
        procedural = records.next_id() == 0x0021
        records.take(records.next_id(), "MODULETYPE", 0)
        if records.next_id() == 0x0025:
            records.take(0x0025, "MODULEREADONLY", 0)
        if records.next_id() == 0x0028:
            records.take(0x0028, "MODULEPRIVATE", 0)
        records.take(0x002B, "MODULE Terminator", 0)
        project.modules.append(Module(name, stream_name, offset, procedural, cookie))
    records.take(0x0010, "dir stream Terminator", 0)
    if records.at != len(data):
        raise MsOvbaError(f"{len(data) - records.at} bytes follow the dir stream's terminator")
    return project


# ------------------------------------------------------------------ PROJECT (2.3.1) and PROJECTwm (2.3.3)

GUID = r"\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}"
MODULE_LINE = re.compile(r"(Document)=([^/\r\n]+)/&H[0-9A-F]{8}|(Module|Class|BaseClass)=([^\r\n]+)")


def decrypt(hex_text: str, project_id: str) -> bytes:
    """MS-OVBA 2.4.3.3 data decryption of a CMG, DPB or GC value; the key must come from ``project_id``."""
    data = bytes.fromhex(hex_text)
    seed, version_enc, key_enc = data[0], data[1], data[2]
    if seed ^ version_enc != 2:
        raise MsOvbaError(f"encrypted data of version {seed ^ version_enc}, not 2")
    key = seed ^ key_enc
    if key != sum(project_id.encode("cp1252")) & 0xFF:
        raise MsOvbaError("encrypted data made with a key that is not the project ID's")
    unencrypted, encrypted_1, encrypted_2 = key, key_enc, version_enc
    plain = bytearray()
    for byte_enc in data[3:]:
        byte = byte_enc ^ ((encrypted_2 + unencrypted) & 0xFF)
        plain.append(byte)
        encrypted_2, encrypted_1, unencrypted = encrypted_1, byte_enc, byte
    ignored = (seed & 6) // 2
    length, = struct.unpack_from("<I", plain, ignored)
    if len(plain) != ignored + 4 + length:
        raise MsOvbaError(f"encrypted data says {length} bytes but holds {len(plain) - ignored - 4}")
    return bytes(plain[ignored + 4:])


@dataclass
class ProjectText:
    project_id: str
    modules: list[tuple[str, str]]  # (Document | Module | Class, name)
    name: str
    protection: bytes
    password: bytes
    visibility: bytes


def parse_project(data: bytes) -> ProjectText:
    """The PROJECT stream, line by line against MS-OVBA's grammar; a stray or missing line raises MsOvbaError."""
    text = data.decode("cp1252")
    if not text.endswith("\r\n"):
        raise MsOvbaError("the PROJECT stream does not end with a line break")
    lines = text[:-2].split("\r\n")
    at = 0

    def line(pattern: str, what: str) -> re.Match:
        nonlocal at
        found = re.fullmatch(pattern, lines[at]) if at < len(lines) else None
        if found is None:
            found_text = repr(lines[at]) if at < len(lines) else "missing"
            raise MsOvbaError(f"PROJECT line {at + 1} is {found_text}; MS-OVBA expects {what}")
        at += 1
        return found

    def optional(pattern: str) -> None:
        nonlocal at
        if at < len(lines) and re.fullmatch(pattern, lines[at]):
            at += 1

    project_id = line(f'ID="({GUID})"', "the project ID")[1]
    modules = []
    while at < len(lines) and (found := MODULE_LINE.fullmatch(lines[at])):
        modules.append((found[1], found[2]) if found[1] else (found[3], found[4]))
        at += 1
    optional(r'HelpFile="[^"]*"')
    optional(r'ExeName32="[^"]*"')
    name = line(r'Name="([^"]+)"', "Name")[1]
    line(r'HelpContextID="\d+"', "HelpContextID")
    optional(r'Description="[^"]*"')
    optional(r'VersionCompatible32="393222000"')
    states = [decrypt(line(f'{key}="([0-9A-F]+)"', key)[1], project_id) for key in ("CMG", "DPB", "GC")]
    line("", "the blank line before the host extenders")
    line(r"\[Host Extender Info\]", "[Host Extender Info]")
    line(f"&H[0-9A-F]{{8}}={GUID};[A-Za-z]+;&H[0-9A-F]{{8}}", "a host extender reference")
    while at < len(lines) and re.fullmatch(f"&H[0-9A-F]{{8}}={GUID};[A-Za-z]+;&H[0-9A-F]{{8}}", lines[at]):
        at += 1
    if at < len(lines):  # only a workspace section may follow (2.3.1.18)
        line("", "the end of the stream, or a blank line and [Workspace]")
        line(r"\[Workspace\]", "[Workspace]")
        while at < len(lines):
            line(r"[^=]+=.*", "a window record")
    return ProjectText(project_id, modules, name, *states)


def parse_names(data: bytes) -> list[str]:
    """The PROJECTwm stream: each module's name in the code page, then in UTF-16, then a 0x0000 terminator."""
    names, at = [], 0
    while data[at:] != b"\0\0":
        end = data.find(b"\0", at)
        if end <= at:
            raise MsOvbaError(f"PROJECTwm has no module name at byte {at}")
        name = data[at:end].decode("cp1252")
        twin_end = next((i for i in range(end + 1, len(data) - 1, 2) if data[i:i + 2] == b"\0\0"), None)
        if twin_end is None or data[end + 1:twin_end].decode("utf-16-le") != name:
            raise MsOvbaError(f"PROJECTwm's name {name!r} is not followed by the same name in UTF-16")
        names.append(name)
        at = twin_end + 2
    return names


# ------------------------------------------------------------------ the whole file against the workbook

@dataclass
class Project:
    dir: Dir
    text: ProjectText
    sources: dict[str, str]


def sheet_code_names(xlsm: bytes) -> dict[str, str]:
    """Code name of the workbook ("ThisWorkbook" key) and of each sheet (by sheet name), from the workbook's XML."""
    book = zipfile.ZipFile(io.BytesIO(xlsm))
    workbook = etree.fromstring(book.read("xl/workbook.xml"))
    targets = {rel.get("Id"): rel.get("Target") for rel in etree.fromstring(book.read("xl/_rels/workbook.xml.rels"))}
    names = {"ThisWorkbook": workbook.find(f"{MAIN}workbookPr").get("codeName")}
    for sheet in workbook.iter(f"{MAIN}sheet"):
        properties = etree.fromstring(book.read("xl/" + targets[sheet.get(RELATIONSHIP)])).find(f"{MAIN}sheetPr")
        names[sheet.get("name")] = properties.get("codeName") if properties is not None else None
    return names


def check_vba_project(xlsm: bytes) -> Project:
    """Read the workbook's vbaProject.bin strictly; every rule broken raises MsOvbaError."""
    ole = olefile.OleFileIO(zipfile.ZipFile(io.BytesIO(xlsm)).read("xl/vbaProject.bin"))
    if (cache := ole.openstream("VBA/_VBA_PROJECT").read()) != SOURCE_ONLY:
        raise MsOvbaError(f"_VBA_PROJECT is {cache[:16].hex(' ')}..., not the 7-byte source-only form")
    project_dir = parse_dir(decompress(ole.openstream("VBA/dir").read()))
    text = parse_project(ole.openstream("PROJECT").read())
    names = parse_names(ole.openstream("PROJECTwm").read())
    dir_names = [module.name for module in project_dir.modules]
    if len(set(dir_names)) != len(dir_names):
        raise MsOvbaError(f"the dir stream names a module twice: {dir_names}")
    if sorted(names) != sorted(dir_names):
        raise MsOvbaError(f"PROJECTwm names {sorted(names)}, the dir stream {sorted(dir_names)}")
    if sorted(name for _, name in text.modules) != sorted(dir_names):
        raise MsOvbaError(f"PROJECT names {sorted(n for _, n in text.modules)}, the dir stream {sorted(dir_names)}")
    kinds = {name: kind for kind, name in text.modules}
    sources = {}
    for module in project_dir.modules:
        if module.procedural != (kinds[module.name] == "Module"):
            raise MsOvbaError(f"{module.name} is a {kinds[module.name]} in PROJECT but of MODULETYPE "
                              f"{'0x0021' if module.procedural else '0x0022'} in the dir stream")
        if module.offset != 0:
            raise MsOvbaError(f"{module.name}'s MODULEOFFSET is {module.offset}: its stream holds p-code before "
                              "the source, or the source is not found")
        if not ole.exists(f"VBA/{module.stream_name}"):
            raise MsOvbaError(f"{module.name}'s stream VBA/{module.stream_name} is missing")
        source = decompress(ole.openstream(f"VBA/{module.stream_name}").read()[module.offset:]).decode("cp1252")
        if not source.startswith(f'Attribute VB_Name = "{module.name}"\r\n'):
            raise MsOvbaError(f"{module.name}'s source does not start with its VB_Name attribute")
        sources[module.name] = source
    streams = {"/".join(path) for path in ole.listdir()}
    expected = {"PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir"} | {f"VBA/{m.stream_name}"
                                                                          for m in project_dir.modules}
    if streams != expected:
        raise MsOvbaError(f"streams that no record names: {sorted(streams - expected)}")
    documents = {name for kind, name in text.modules if kind == "Document"}
    code_names = sheet_code_names(xlsm)
    if set(code_names.values()) != documents:
        raise MsOvbaError(f"the workbook's code names {code_names} are not the Document modules {sorted(documents)}")
    base = {name: re.search(r'^Attribute VB_Base = "([^"]*)"', sources[name], re.M) for name in documents}
    workbook = code_names["ThisWorkbook"]
    for name in documents:
        kind, wanted = ("Workbook", "0{00020819-0000-0000-C000-000000000046}") if name == workbook else \
            ("Worksheet", "0{00020820-0000-0000-C000-000000000046}")  # Excel's classes, as its files name them
        if base[name] is None or base[name][1] != wanted:
            raise MsOvbaError(f"Document module {name} is not based on Excel's {kind}")
    return Project(project_dir, text, sources)


# ------------------------------------------------------------------ tests


def test_decompression_gives_the_specification_examples():
    # MS-OVBA 3.2.1 (no compression) and 3.2.2 (normal compression): the published byte arrays.
    assert decompress(b"\x01\x19\xb0\x00abcdefgh\x00ijklmnop\x00qrstuv.") == b"abcdefghijklmnopqrstuv."
    normal = bytes.fromhex("01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 20"
                           " 6D 6E 6F 70 06 71 02 70 04 00 72 73 74 75 76 10 77 78 79 7A 00 2C")
    assert decompress(normal) == b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa"


def test_the_builders_compression_decompresses_to_its_input():
    text = (vba.SOURCES / "RfmExcel.bas").read_bytes() * 40 + bytes(range(256)) * 40  # several chunks, one raw
    assert len(text) > 5 * 4096
    assert decompress(vba.compress(text)) == text


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> bytes:
    return build_template(tmp_path_factory.mktemp("vba") / MACRO_TEMPLATE_NAME).read_bytes()


def test_template_vba_project_follows_ms_ovba(template):
    project = check_vba_project(template)
    sheets = ["Sheet1", "Sheet2", "Sheet3", "Sheet4"]
    names = ["ThisWorkbook", *sheets, "RfmExcel", "xlwings", "Dictionary"]
    assert [m.name for m in project.dir.modules] == [m.stream_name for m in project.dir.modules] == names
    assert [m.procedural for m in project.dir.modules] == [False] * 5 + [True, True, False]
    assert {m.offset for m in project.dir.modules} == {0} and {m.cookie for m in project.dir.modules} == {0xFFFF}
    assert project.text.modules == [("Document", n) for n in ["ThisWorkbook", *sheets]] + [
        ("Module", "RfmExcel"), ("Module", "xlwings"), ("Class", "Dictionary")]
    # 64-bit Windows, with the compat version 64-bit Excel 365 writes; US English; Western code page
    assert (project.dir.sys_kind, project.dir.compat_version, project.dir.code_page) == (3, 4, 1252)
    assert project.dir.name == project.text.name == "VBAProject" and project.dir.project_cookie == 0xFFFF
    assert [name for name, _ in project.dir.references] == ["stdole"]
    # unprotected (CMG), no password (DPB: one zero byte), visible (GC), as MS-OVBA 2.3.1.15-17 say
    assert (project.text.protection, project.text.password, project.text.visibility) == (bytes(4), b"\0", b"\xff")
    assert sheet_code_names(template) == {"ThisWorkbook": "ThisWorkbook", "Start Here": "Sheet1", "Orders": "Sheet2",
                                          "Settings": "Sheet3", "xlwings.conf": "Sheet4"}

    def crlf(text: str) -> str:
        return text.replace("\r\n", "\n").replace("\n", "\r\n")

    assert project.sources["RfmExcel"] == crlf((vba.SOURCES / "RfmExcel.bas").read_text(encoding="cp1252"))
    assert project.sources["xlwings"] == crlf(vba.xlwings_module())
    assert project.sources["Dictionary"] == crlf((vba.SOURCES / "Dictionary.cls").read_text(encoding="cp1252"))


def test_project_stream_ends_with_the_host_extender_as_excel_writes_it(template):
    ole = olefile.OleFileIO(zipfile.ZipFile(io.BytesIO(template)).read("xl/vbaProject.bin"))
    assert ole.openstream("PROJECT").read().endswith(
        b'\r\n\r\n[Host Extender Info]\r\n&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000\r\n')


# ------------------------------------------------------------------ the check fails on broken files


def _parts():
    return vba.modules([f"Sheet{n}" for n in range(1, 5)])


def _edit_dir(streams: dict, edit) -> None:
    streams["VBA/dir"] = vba.compress(edit(decompress(streams["VBA/dir"])))


def _module_offset(dir_data: bytes, module: str, offset: int) -> bytes:
    """``dir_data`` with ``module``'s MODULEOFFSET set to ``offset``."""
    at = dir_data.index(b"\x31\x00\x04\x00\x00\x00", dir_data.index(b"\x1a\x00" + struct.pack("<I", len(module)) +
                                                                    module.encode()))
    return dir_data[:at + 6] + struct.pack("<I", offset) + dir_data[at + 10:]


def _resized(dir_data: bytes, record: bytes, size: int) -> bytes:
    """``dir_data`` with the first record starting with ``record`` (its id and size) claiming ``size`` bytes."""
    at = dir_data.index(record)
    return dir_data[:at + 2] + struct.pack("<I", size) + dir_data[at + 6:]


def _without_name(names: bytes, module: str) -> bytes:
    return names.replace(module.encode() + b"\0" + module.encode("utf-16-le") + b"\0\0", b"")


BROKEN = {  # name: (edit of the builder's streams, what the check says)
    "a module's offset not 0": (
        lambda s: _edit_dir(s, lambda d: _module_offset(d, "RfmExcel", 12)), "RfmExcel's MODULEOFFSET is 12"),
    "a fixed-size record of the wrong size": (
        lambda s: _edit_dir(s, lambda d: _resized(d, b"\x03\x00\x02\x00\x00\x00", 4)),
        r"PROJECTCODEPAGE at byte 40 has size 4; MS-OVBA says 2"),
    "a module name one byte too long": (
        lambda s: _edit_dir(s, lambda d: _resized(d, b"\x19\x00\x08\x00\x00\x00RfmExcel", 9)),
        r"record 0x1000 at byte \d+ of the dir stream where MS-OVBA expects MODULESTREAMNAME \(0x001a\)"),
    "an unknown record": (
        lambda s: _edit_dir(s, lambda d: d.replace(b"\x07\x00\x04\x00", b"\x7f\x00\x04\x00", 1)),
        r"record 0x007f at byte 88 of the dir stream where MS-OVBA expects PROJECTHELPCONTEXT \(0x0007\)"),
    "bytes after the terminator": (
        lambda s: _edit_dir(s, lambda d: d + b"\0\0"), "2 bytes follow the dir stream's terminator"),
    "no terminator": (
        lambda s: _edit_dir(s, lambda d: d[:-6]), r"the dir stream ends at byte \d+ where dir stream Terminator"),
    "a module missing from PROJECTwm": (
        lambda s: s.update(PROJECTwm=_without_name(s["PROJECTwm"], "Dictionary")),
        r"PROJECTwm names \['RfmExcel', .*\], the dir stream \['Dictionary', 'RfmExcel', .*\]"),
    "a module missing from PROJECT": (
        lambda s: s.update(PROJECT=s["PROJECT"].replace(b"Class=Dictionary\r\n", b"")),
        r"PROJECT names \['RfmExcel', .*\], the dir stream \['Dictionary', 'RfmExcel', .*\]"),
    "PROJECT's former stray blank line": (
        lambda s: s.update(PROJECT=s["PROJECT"] + b"\r\n"),
        r"PROJECT line 20 is missing; MS-OVBA expects \[Workspace\]"),
    "a compiled _VBA_PROJECT": (
        lambda s: s.update({"VBA/_VBA_PROJECT": b"\xcc\x61\xb5\x00\x00\x03\x00\xff"}),
        "_VBA_PROJECT is cc 61 b5 00 00 03 00 ff..., not the 7-byte source-only form"),
    "a stream no record names": (
        lambda s: s.update({"VBA/Module1": vba.compress(b'Attribute VB_Name = "Module1"\r\n')}),
        r"streams that no record names: \['VBA/Module1'\]"),
    "a module's stream missing": (lambda s: s.pop("VBA/xlwings"), "xlwings's stream VBA/xlwings is missing"),
    "a corrupt chunk header": (
        lambda s: s.update({"VBA/RfmExcel": b"\x01\x00\x00" + s["VBA/RfmExcel"][3:]}),
        "the chunk at byte 1 has signature 0b0, not 0b011"),
}


@pytest.mark.parametrize("broken", list(BROKEN))
def test_check_fails_on_a_broken_project(broken, template):
    streams = vba.project_streams(_parts())
    assert compound_file(streams) == zipfile.ZipFile(io.BytesIO(template)).read("xl/vbaProject.bin")  # as built
    edit, message = BROKEN[broken]
    edit(streams)
    with pytest.raises(MsOvbaError, match=message):
        check_vba_project(_with_vba(template, compound_file(streams)))


def test_check_fails_when_a_sheet_has_no_document_module(template, monkeypatch, tmp_path):
    parts = [m for m in _parts() if m[0] != "Sheet3"]
    monkeypatch.setattr(vba, "modules", lambda names: parts)
    with pytest.raises(MsOvbaError, match=r"code names .*'Settings': 'Sheet3'.* are not the Document modules"):
        check_vba_project(build_template(tmp_path / "short.xlsm").read_bytes())


def test_check_fails_when_a_document_module_has_the_wrong_base(template):
    parts = [(n, k, s.replace(vba.SHEET_BASE, vba.WORKBOOK_BASE) if n == "Sheet2" else s) for n, k, s in _parts()]
    with pytest.raises(MsOvbaError, match="Document module Sheet2 is not based on Excel's Worksheet"):
        check_vba_project(_with_vba(template, compound_file(vba.project_streams(parts))))


def _with_vba(xlsm: bytes, project: bytes) -> bytes:
    """The workbook ``xlsm`` with its vbaProject.bin replaced by ``project``."""
    source, out = zipfile.ZipFile(io.BytesIO(xlsm)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, project if item.filename == "xl/vbaProject.bin" else source.read(item))
    return out.getvalue()
