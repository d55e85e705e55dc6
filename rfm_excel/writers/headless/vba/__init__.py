"""The template's VBA project (xl/vbaProject.bin), built from VBA source without Excel.

It holds the document modules of the workbook and its sheets, xlwings' standalone module (taken
from the installed xlwings, so RunPython matches the Python package), a small Dictionary class of
our own with the three members that module uses on a Mac (where Scripting.Dictionary does not
exist), and RfmExcel.bas, the macro behind the Score customers button.

The file follows MS-OVBA: each module stream holds only its compressed source (no compiled
p-code) and the _VBA_PROJECT stream declares no cached compilation, so Excel compiles the
source when it opens the workbook. xlwings' own quickstart_standalone.xlsm carries its xlwings
module the same way. tests/test_vba_project.py reads the file back against MS-OVBA, record by
record, with a compound-file reader and a decompressor of its own.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

from .compound import compound_file

SOURCES = Path(__file__).parent
PROJECT_ID = "{6D1C3E2A-5B47-4F0E-9A83-2C5E7B19D460}"  # this project's own identifier, fixed for reproducible files
CODE_PAGE = 1252
SYS_KIND = 3  # 64-bit Windows
COMPAT_VERSION = 4  # the PROJECTCOMPATVERSION that 64-bit Excel 365 writes (docs/excel.md)
ENCRYPTION_SEED = 0x5A  # any byte; fixed so the same sources always give the same file
HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
STDOLE = ("stdole", "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\\Windows\\System32\\stdole2.tlb"
                    "#OLE Automation")
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
SHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
DOCUMENT, PROCEDURAL, CLASS = "Document", "Module", "Class"
MACRO_MODULE = "RfmExcel"  # RfmExcel.bas: the macro behind the Score customers button


def _run_python_argument(source: str) -> str:
    """The Python code of the first ``RunPython "..."`` call in VBA ``source``.

    >>> _run_python_argument('Sub Go()\\n    RunPython "import shop; shop.go(""a"")"\\nEnd Sub')
    'import shop; shop.go("a")'
    """
    literal = re.search(r'^\s*RunPython\s+"((?:[^"]|"")*)"', source, re.MULTILINE)
    assert literal is not None  # the macro module calls RunPython
    return literal.group(1).replace('""', '"')


ENTRY_POINT = _run_python_argument((SOURCES / f"{MACRO_MODULE}.bas").read_text(encoding="cp1252"))
"""The Python code the Score customers macro runs, as RfmExcel.bas says it."""


def xlwings_module() -> str:
    """The source of xlwings' standalone VBA module, of the xlwings version installed."""
    import xlwings  # only when an .xlsm is built: the command line starts faster without it

    return (Path(xlwings.__file__).parent / "xlwings.bas").read_text(encoding="cp1252")


def modules(sheet_code_names: list[str]) -> list[tuple[str, str, str]]:
    """(name, kind, source) of every module of the template's project."""
    documents = [("ThisWorkbook", WORKBOOK_BASE)] + [(name, SHEET_BASE) for name in sheet_code_names]
    return [(name, DOCUMENT, _document_source(name, base)) for name, base in documents] + [
        (MACRO_MODULE, PROCEDURAL, (SOURCES / f"{MACRO_MODULE}.bas").read_text(encoding="cp1252")),
        ("xlwings", PROCEDURAL, xlwings_module()),
        ("Dictionary", CLASS, (SOURCES / "Dictionary.cls").read_text(encoding="cp1252"))]


def vba_project(sheet_code_names: list[str]) -> bytes:
    """vbaProject.bin for a workbook whose sheets have ``sheet_code_names`` (Sheet1, Sheet2...)."""
    return compound_file(project_streams(modules(sheet_code_names)))


def project_streams(parts: list[tuple[str, str, str]]) -> dict[str, bytes]:
    """The streams of a project of ``parts`` (as from `modules`), by path, as vbaProject.bin holds them."""
    streams = {"PROJECT": _project_stream(parts), "PROJECTwm": _names_stream(parts),
               "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x01\x00", "VBA/dir": compress(_dir_stream(parts))}
    for name, _, source in parts:
        streams[f"VBA/{name}"] = compress(_crlf(source).encode("cp1252"))
    return streams


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _document_source(name: str, base: str) -> str:
    return "\n".join([f'Attribute VB_Name = "{name}"', f'Attribute VB_Base = "{base}"',
                      "Attribute VB_GlobalNameSpace = False", "Attribute VB_Creatable = False",
                      "Attribute VB_PredeclaredId = True", "Attribute VB_Exposed = True",
                      "Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = True", ""])


# ------------------------------------------------------------------ streams (MS-OVBA 2.3)

def _project_stream(parts) -> bytes:
    """The PROJECT stream: module list, project name and (unprotected) protection state."""
    lines = [f'ID="{PROJECT_ID}"']
    lines += [f"Document={name}/&H00000000" if kind == DOCUMENT else f"{kind}={name}" for name, kind, _ in parts]
    unprotected, no_password, visible = struct.pack("<I", 0), bytes([0]), bytes([0xFF])
    lines += ['Name="VBAProject"', 'HelpContextID="0"', 'VersionCompatible32="393222000"',
              f'CMG="{_encrypt(unprotected)}"', f'DPB="{_encrypt(no_password)}"', f'GC="{_encrypt(visible)}"',
              "", "[Host Extender Info]", HOST_EXTENDER]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def _names_stream(parts) -> bytes:
    """The PROJECTwm stream: each module name in the code page and in UTF-16."""
    return b"".join(name.encode("cp1252") + b"\0" + name.encode("utf-16-le") + b"\0\0" for name, _, _ in parts) + \
        b"\0\0"


def _record(record_id: int, data: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(data)) + data


def _text_records(record_id: int, unicode_id: int, text: str) -> bytes:
    """A string record followed by its UTF-16 twin, as most dir records come."""
    return _record(record_id, text.encode("cp1252")) + _record(unicode_id, text.encode("utf-16-le"))


def _dir_stream(parts) -> bytes:
    """The dir stream: project information, references and one record group per module."""
    out = [_record(0x01, struct.pack("<I", SYS_KIND)), _record(0x4A, struct.pack("<I", COMPAT_VERSION)),
           _record(0x02, struct.pack("<I", 0x409)), _record(0x14, struct.pack("<I", 0x409)),
           _record(0x03, struct.pack("<H", CODE_PAGE)), _record(0x04, b"VBAProject"),
           _text_records(0x05, 0x40, ""), _text_records(0x06, 0x3D, ""),
           _record(0x07, struct.pack("<I", 0)), _record(0x08, struct.pack("<I", 0)),
           struct.pack("<HIIH", 0x09, 4, 1, 0),  # version 1.0
           _text_records(0x0C, 0x3C, "")]
    name, library = STDOLE
    out += [_text_records(0x16, 0x3E, name),
            _record(0x0D, struct.pack("<I", len(library)) + library.encode("cp1252") + struct.pack("<IH", 0, 0))]
    out += [_record(0x0F, struct.pack("<H", len(parts))), _record(0x13, struct.pack("<H", 0xFFFF))]
    for module, kind, _ in parts:
        out += [_record(0x19, module.encode("cp1252")), _record(0x47, module.encode("utf-16-le")),
                _text_records(0x1A, 0x32, module), _text_records(0x1C, 0x48, ""),
                _record(0x31, struct.pack("<I", 0)),  # the source starts the stream: no p-code before it
                _record(0x1E, struct.pack("<I", 0)), _record(0x2C, struct.pack("<H", 0xFFFF)),
                _record(0x21 if kind == PROCEDURAL else 0x22, b""), _record(0x2B, b"")]
    out.append(_record(0x10, b""))
    return b"".join(out)


def _encrypt(data: bytes) -> str:
    """MS-OVBA 2.4.3 data encryption of a protection setting, as upper-case hex."""
    project_key = sum(PROJECT_ID.encode("cp1252")) & 0xFF
    out = [ENCRYPTION_SEED, ENCRYPTION_SEED ^ 2, ENCRYPTION_SEED ^ project_key]
    unencrypted, encrypted_1, encrypted_2 = project_key, out[2], out[1]
    ignored = bytes((ENCRYPTION_SEED & 6) // 2)
    for byte in ignored + struct.pack("<I", len(data)) + data:
        byte_enc = byte ^ ((encrypted_2 + unencrypted) & 0xFF)
        out.append(byte_enc)
        encrypted_2, encrypted_1, unencrypted = encrypted_1, byte_enc, byte
    return bytes(out).hex().upper()


# ------------------------------------------------------------------ compression (MS-OVBA 2.4.1)

def compress(data: bytes) -> bytes:
    """A compressed container: a signature byte, then each 4096-byte chunk compressed."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start:start + 4096]
        body = _compress_chunk(chunk)
        if len(body) >= 4096 and len(chunk) == 4096:  # incompressible: stored as it is
            out += struct.pack("<H", 0x3FFF) + chunk
        else:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    """Flag bytes, each followed by up to eight tokens: a literal byte or a copy of earlier bytes."""
    out = bytearray()
    seen: dict[bytes, list[int]] = {}  # three-byte prefix -> positions, latest last
    position = 0
    while position < len(chunk):
        flag_at = len(out)
        out.append(0)
        for bit in range(8):
            if position >= len(chunk):
                break
            offset, length = _longest_match(chunk, position, seen)
            if length >= 3:
                bits = max((position - 1).bit_length(), 4)
                out += struct.pack("<H", ((offset - 1) << (16 - bits)) | (length - 3))
                out[flag_at] |= 1 << bit
            else:
                length = 1
                out.append(chunk[position])
            for i in range(position, position + length):
                seen.setdefault(chunk[i:i + 3], []).append(i)
            position += length
    return bytes(out)


def _longest_match(chunk: bytes, position: int, seen: dict) -> tuple[int, int]:
    """The nearest longest earlier copy of the bytes at ``position`` that a copy token can express."""
    bits = max((position - 1).bit_length(), 4)
    longest_allowed = min((0xFFFF >> bits) + 3, len(chunk) - position)
    best_offset, best_length = 0, 0
    for candidate in reversed(seen.get(chunk[position:position + 3], [])):
        offset = position - candidate
        if offset > 1 << bits:
            break
        length = 0
        while length < longest_allowed and chunk[candidate + length] == chunk[position + length]:
            length += 1
        if length > best_length:
            best_offset, best_length = offset, length
            if length == longest_allowed:
                break
    return best_offset, best_length
