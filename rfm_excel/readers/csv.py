"""A CSV file of orders read as text columns by Arrow's CSV reader, its encoding and delimiter found first.

Every value is kept as the text in the file (an ID such as 00123 keeps its zeros); the cleaning
decides what is a number or a date. The encoding is UTF-8 (with or without a byte order mark),
UTF-16 with its byte order mark (Excel's "Unicode Text"), or what charset-normalizer finds, with
Windows-1252 (what Excel on Windows in the UK, the US and Western Europe writes) preferred
whenever it reads the file as cleanly as any other encoding. The delimiter is the one of
comma, semicolon, tab and bar that splits the first lines into the same number of fields.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer
import pandas as pd
import pyarrow as pa
import pyarrow.csv as arrow_csv

from ..base.errors import RfmError
from ..base.excel import column_letter
from ..base.reading.plan import DELIMITER_NAMES
from .typed import coded_text

SAMPLE_BYTES = 1 << 20  # read to find the encoding and the delimiter
DELIMITERS = (",", ";", "\t", "|")
PREFERRED = "cp1252"
PREFERRED_SLACK = 0.05  # how much messier than the best guess Windows-1252 may read and still be taken


@dataclass
class CsvTable:
    """A CSV file's orders: every column as Arrow text ("" where a field is empty), and how it was read."""

    table: pa.Table
    encoding: str  # Python's name of the encoding, e.g. "utf-8", "cp1252"
    delimiter: str

    @property
    def lines(self) -> int:
        return self.table.num_rows

    def frame(self) -> pd.DataFrame:
        """The orders as a DataFrame for the cleaning (``text_frame``)."""
        return text_frame(self.table)


def text_frame(table: pa.Table) -> pd.DataFrame:
    """Text columns as a DataFrame of dictionary-coded columns, as the typed workbook read hands them to
    the cleaning (an empty text is a blank)."""
    frame = pd.DataFrame({n: coded_text(c) for n, c in enumerate(table.columns)}, copy=False)
    frame.columns = table.column_names
    return frame


def read_csv(path: Path) -> CsvTable:
    """The orders of a CSV file, every value as text, with the encoding and delimiter it was read with."""
    path = Path(path)
    if not path.exists():
        raise RfmError(f"There is no file {path}; check the name and folder.")
    if path.is_dir():
        raise RfmError(f"{path} is a folder; give the CSV file inside it.")
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    encoding = detect_encoding(head, path)
    text = _decoded_start(head, encoding)
    if not text.strip():
        raise RfmError(f"{path.name} is empty; it needs a header row (Customer ID, Order Date, Amount...) and orders "
                       "under it.")
    delimiter = detect_delimiter(text)
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter))
    names = column_names(header)
    try:
        table = _arrow_read(path, encoding, delimiter, names)
    except _Uneven:
        table = _python_read(path, encoding, delimiter, names)
    except pa.ArrowInvalid as error:
        if "UTF8" not in str(error) or encoding not in ("utf-8", "utf-8-sig"):
            raise RfmError(f"{path.name} could not be read as a CSV file of orders ({error}).") from None
        encoding = detect_encoding(_non_ascii_sample(path), path)  # UTF-8 at the start, something else later
        table = _arrow_read(path, encoding, delimiter, names)
    if table.num_rows == 0:
        raise RfmError(f"{path.name} has no orders under its header row.")
    return CsvTable(table, encoding, delimiter)


def detect_encoding(head: bytes, path: Path) -> str:
    """The encoding of a file starting with ``head``: a byte order mark, else UTF-8 if it decodes, else
    what charset-normalizer finds, Windows-1252 where that reads the text as cleanly as the best guess."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)  # a character cut at the end is fine
        return "utf-8"
    except UnicodeDecodeError:
        pass
    matches = list(charset_normalizer.from_bytes(head))
    preferred = charset_normalizer.from_bytes(head, cp_isolation=[PREFERRED]).best()  # it may leave it out of a list
    if preferred is not None and (not matches or preferred.chaos <= min(m.chaos for m in matches) + PREFERRED_SLACK):
        return PREFERRED
    if not matches:
        raise RfmError(f"{path.name} is not a text file that could be read as CSV; export the orders again as "
                       "CSV (Comma delimited) or CSV UTF-8.")
    return codecs.lookup(min(matches, key=lambda m: m.chaos).encoding).name


def _decoded_start(head: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)


def _non_ascii_sample(path: Path, limit: int = 1 << 16) -> bytes:
    """Up to ``limit`` bytes of the lines that hold bytes outside ASCII, from anywhere in the file."""
    found, tail = [], b""
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            block = tail + chunk
            for match in re.finditer(rb"[^\n]*[\x80-\xff][^\n]*", block):
                found.append(match[0])
                if sum(map(len, found)) >= limit:
                    return b"\n".join(found)
            tail = block[block.rfind(b"\n") + 1:] if b"\n" in block else block
    return b"\n".join(found)


def detect_delimiter(text: str, records: int = 50) -> str:
    """The delimiter that splits the first ``records`` records into as many fields as the header, most
    often and into the most fields; a comma when none splits the header."""
    lines = text.splitlines(keepends=True)
    if len(text) >= SAMPLE_BYTES // 2 and lines:
        lines = lines[:-1]  # the last line of a sample may be cut short
    sample = "".join(lines[:records * 4])
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row][:records]
        if not rows or len(rows[0]) < 2:
            continue
        score = (sum(len(row) == len(rows[0]) for row in rows), len(rows[0]))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def column_names(header: list[str]) -> list[str]:
    """The header's texts as column names: trimmed, a blank one named by its letter (Column C), a repeated
    one numbered as pandas does (Amount.1)."""
    names, seen = [], set()
    for number, text in enumerate(header):
        name = text.strip() or f"Column {column_letter(number)}"
        candidate, copy = name, 0
        while candidate in seen:
            copy += 1
            candidate = f"{name}.{copy}"
        seen.add(candidate)
        names.append(candidate)
    return names


class _Uneven(Exception):
    """Some rows have fewer fields than the header."""


def _arrow_read(path: Path, encoding: str, delimiter: str, names: list[str]) -> pa.Table:
    """Every column as text, in parallel blocks; raises _Uneven when a row is short, and an RfmError
    when a row has more fields than the header."""
    uneven = []

    def wrong_width(row) -> str:
        uneven.append(row)
        return "skip"

    table = arrow_csv.read_csv(
        path,
        read_options=arrow_csv.ReadOptions(column_names=names, skip_rows=1,
                                           encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding),
        parse_options=arrow_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                             invalid_row_handler=wrong_width),
        convert_options=arrow_csv.ConvertOptions(column_types={name: pa.string() for name in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    wide = [row for row in uneven if row.actual_columns > row.expected_columns]
    if wide:
        raise RfmError(f"A row of {path.name} has {wide[0].actual_columns} fields where the header has "
                       f"{wide[0].expected_columns} ({wide[0].text[:60]!r}); put quotes around values that "
                       f"contain a {DELIMITER_NAMES[delimiter]}, or give the extra column a header.")
    if uneven:
        raise _Uneven()
    return table


def _python_read(path: Path, encoding: str, delimiter: str, names: list[str]) -> pa.Table:
    """Every column as text, row by row, short rows filled with empty fields (as a spreadsheet reads them)."""
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        next(reader)
        rows = [row + [""] * (len(names) - len(row)) for row in reader if row]
    return pa.table({name: pa.array([row[i] for row in rows], pa.string()) for i, name in enumerate(names)})
