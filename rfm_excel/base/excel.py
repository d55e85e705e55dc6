"""Facts of Excel's file format that every reader and writer shares: dates, limits and cell names."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = np.datetime64("1899-12-30", "D")  # day 0 of Excel's 1900 date system, as its serial numbers count
EPOCH_1904 = np.datetime64("1904-01-01", "D")  # day 0 of the 1904 date system (workbookPr date1904="1")
EPOCH_SHIFT_1904 = int((EPOCH_1904 - EPOCH) // np.timedelta64(1, "D"))  # 1,462 days between the two
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # the most a sheet holds
MAX_TEXT = 32_767  # the most characters (UTF-16 code units) a cell holds
CUT_MARK = " … [cut: a cell holds 32,767 characters]"
PLAIN_INTEGER = "^(0|[1-9][0-9]{0,14})$"  # digits Excel shows unchanged as a number: not 007, 1e5 or " 7"


# Windows language IDs (LCIDs, [MS-LCID]) as number formats carry them ([$€-407]), for the languages most
# exports come from: LCID -> language tag.
LOCALES = {
    0x0409: "en-US", 0x0809: "en-GB", 0x0C09: "en-AU", 0x1009: "en-CA", 0x1409: "en-NZ", 0x1809: "en-IE",
    0x1C09: "en-ZA", 0x4009: "en-IN", 0x3409: "en-PH", 0x0407: "de-DE", 0x0C07: "de-AT", 0x0807: "de-CH",
    0x1407: "de-LI", 0x040C: "fr-FR", 0x080C: "fr-BE", 0x0C0C: "fr-CA", 0x100C: "fr-CH", 0x0410: "it-IT",
    0x0810: "it-CH", 0x0C0A: "es-ES", 0x040A: "es-ES", 0x080A: "es-MX", 0x540A: "es-US", 0x0816: "pt-PT",
    0x0416: "pt-BR", 0x0413: "nl-NL", 0x0813: "nl-BE", 0x041D: "sv-SE", 0x0406: "da-DK", 0x0414: "nb-NO",
    0x040B: "fi-FI", 0x0415: "pl-PL", 0x0405: "cs-CZ", 0x041B: "sk-SK", 0x040E: "hu-HU", 0x0418: "ro-RO",
    0x0419: "ru-RU", 0x0422: "uk-UA", 0x041F: "tr-TR", 0x0408: "el-GR", 0x0421: "id-ID", 0x042A: "vi-VN",
    0x0424: "sl-SI", 0x041A: "hr-HR", 0x0402: "bg-BG", 0x0427: "lt-LT", 0x0426: "lv-LV", 0x0425: "et-EE",
    0x0804: "zh-CN", 0x0404: "zh-TW", 0x0411: "ja-JP", 0x0412: "ko-KR", 0x040D: "he-IL", 0x041E: "th-TH",
    0x0439: "hi-IN",
}


def column_letter(col: int) -> str:
    """The letters of a zero-based column: 0 -> A, 26 -> AA."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """The one-based number of a column's letters: A -> 1, AA -> 27."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def cell_name(row: int, col: int) -> str:
    """A1-style name of a zero-based (row, col)."""
    return f"{column_letter(col)}{row + 1}"


def plain_integers(ids) -> bool:
    """Whether every ID (blanks aside) is a number Excel would show unchanged, so that it can be
    written as a number. ``ids``: Arrow text, or any sequence of values (taken as their str())."""
    if not isinstance(ids, pa.Array):
        ids = pa.array([None if v is None or v is pd.NA or v != v else str(v) for v in ids], pa.string())
    return pc.all(pc.match_substring_regex(ids, PLAIN_INTEGER)).as_py() is not False


def cut_text(text: str) -> str:
    """``text`` as a cell can hold it: cut, ending with CUT_MARK, where it is longer than Excel allows.

    Examples
    --------
    >>> cut_text("short") == "short", len(cut_text("x" * 40_000)), cut_text("x" * 40_000).endswith(CUT_MARK)
    (True, 32767, True)
    """
    if len(text) <= MAX_TEXT // 2:  # even if every character took two code units
        return text
    if _units(text) <= MAX_TEXT:
        return text
    room = 2 * (MAX_TEXT - len(CUT_MARK))  # bytes of UTF-16; a half character left at the end is dropped
    return text.encode("utf-16-le")[:room].decode("utf-16-le", errors="ignore") + CUT_MARK


def _units(text: str) -> int:
    """UTF-16 code units, as Excel counts a cell's characters."""
    return len(text.encode("utf-16-le")) // 2


def cut_texts(texts: pa.StringArray) -> pa.StringArray:
    """``cut_text`` on every text of an Arrow column; a glance at the lengths when none is too long."""
    too_long = pc.greater(pc.binary_length(texts), MAX_TEXT)  # UTF-8 bytes are never fewer than UTF-16 units
    if not pc.any(too_long).as_py():
        return texts
    return pa.array([None if v is None else cut_text(v) for v in texts.to_pylist()], pa.string())


_LITERAL = set(" $-+/():!^&'~{}<>=")  # characters a number format shows as they are
_TOKEN = re.compile(r'"([^"]*)"|\\(.)|_(.)|\*(.)|(\[[^\]]*\])|(.)')  # quoted, \c, _c (a space), *c (fill), [..]


def id_format(code: str) -> list[str] | None:
    """A number format that shows a whole number as text of its own, such as ``00000`` (123 shows as 00123),
    ``"C"0000`` or ``000-00-0000``, as its pieces: "0" (a digit, 0 if none is left), "#" (a digit if any
    is left), "?" (a digit, else a space), or literal text. None for any other format (General,
    thousands marks, decimals, dates, per cents, conditions, text), which IDs are shown without.

    >>> id_format('00000'), id_format('[$-409]"C"0000'), id_format('#,##0'), id_format('0')
    (['0', '0', '0', '0', '0'], ['C', '0', '0', '0', '0'], None, None)
    """
    pieces = []
    for quoted, escaped, space, _fill, bracket, plain in _TOKEN.findall(code.split(";")[0]):
        if bracket.startswith("[$"):  # a currency or locale: [$€-407] shows €, [$-409] nothing
            pieces.append(bracket[2:-1].split("-")[0])
        elif ((bracket and not re.fullmatch(r"\[(?:[a-z]+\d*)\]", bracket, re.I))
              or re.fullmatch(r"\[[hms]+\]", bracket)):
            return None  # a condition such as [<=9999] or elapsed time [h]; a colour such as [Red] is left out
        elif plain and plain not in _LITERAL and plain not in "0#?":
            return None  # . , % E @ and the letters of dates and times: not a format for IDs
        else:
            pieces.append(quoted or escaped or (" " if space else "") or plain)
    pieces = [p for p in pieces if p]
    literal = [p for p in pieces if p not in ("0", "#", "?")]
    if len(literal) == len(pieces) or (not literal and pieces.count("0") <= 1 and "?" not in pieces):
        return None  # no digit places, or a plain whole number (0, #, #0): it shows as it is anyway
    return pieces


def shown_whole_number(pieces: list[str], number: int) -> str:
    """A whole number of 0 or more as an ``id_format`` shows it.

    >>> shown_whole_number(id_format("00000"), 123), shown_whole_number(id_format("000-00-0000"), 123456789)
    ('00123', '123-45-6789')
    >>> shown_whole_number(id_format('"C"0000'), 1234567)
    'C1234567'
    """
    digits = list(str(number))
    places = [i for i, p in enumerate(pieces) if p in ("0", "#", "?")]
    shown = list(pieces)
    for i in reversed(places):
        shown[i] = digits.pop() if digits else {"0": "0", "#": "", "?": " "}[pieces[i]]
    if digits:  # more digits than places: the rest go in front of the first place, as Excel shows them
        shown[places[0]] = "".join(digits) + shown[places[0]]
    return "".join(shown)
