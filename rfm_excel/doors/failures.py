"""What every door does with an error nobody foresaw: the details go to a log file, the owner gets one sentence.

A problem the owner can fix is an RfmError and says what to fix. Anything else is a bug: its
traceback is appended to "<book> rfm-excel error.log" beside the workbook (or, when that folder
cannot be written, in the user's temp folder), and the door shows one sentence naming that
file, so the owner can send it.
"""

from __future__ import annotations

import datetime as dt
import platform
import tempfile
import traceback
from pathlib import Path

from .. import __version__

LOG_NAME = "rfm-excel error.log"
_WRITTEN = "rfm-excel wrote these details to "  # the note a logged exception carries, so it is logged once
_LONGEST = 200  # characters of the error's own message that go into the sentence


def log_path(book: str | Path | None) -> Path:
    """Where the details of a failure with ``book`` go: "<book> rfm-excel error.log" beside it (the same
    name in the temp folder when that folder cannot be written, or when there is no book).

    Examples
    --------
    >>> log_path("shops/corner shop.xlsx").as_posix()
    'shops/corner shop rfm-excel error.log'
    """
    if book is None:
        return Path(tempfile.gettempdir()) / LOG_NAME
    book = Path(book)
    return book.with_name(f"{book.stem} {LOG_NAME}")


def book_path(book) -> Path | None:
    """The file of a workbook open in Excel (an xlwings Book); for one never saved, its name in the temp
    folder, so that its log is found there under its name; None when the engine knows neither."""
    try:
        path = Path(book.fullname)
    except Exception:  # xlwings' engines differ in what they know of the file
        return None
    return path if path.is_absolute() else Path(tempfile.gettempdir()) / path.name


def unexpected(error: BaseException, book: str | Path | None, doing: str = "") -> str:
    """Write ``error``'s details to the log file of ``book`` and return the sentence the owner is shown.

    ``doing`` says what was asked (the command line, say) and goes into the log. An error that
    was logged already (a worksheet function's cached failure, shown in many cells) is not
    written again.
    """
    written = next((note[len(_WRITTEN):] for note in getattr(error, "__notes__", []) if note.startswith(_WRITTEN)),
                   None)
    if written is None:
        written = _write(error, book, doing)
        if written is not None:
            error.add_note(_WRITTEN + written)
    message = str(error).strip().replace("\n", " ")
    if len(message) > _LONGEST:
        message = message[:_LONGEST - 1] + "…"
    what = f"{type(error).__name__}: {message}" if message else type(error).__name__
    if written is None:
        return f"rfm-excel stopped on an unexpected problem ({what}); please report this message."
    return (f"rfm-excel stopped on an unexpected problem ({what}); please send the details, written to {written}, "
            "with your report.")


def _write(error: BaseException, book: str | Path | None, doing: str) -> str | None:
    """Append the report to the first log file that can be written; its path, or None if none could be."""
    report = "".join([
        f"---- {dt.datetime.now():%Y-%m-%d %H:%M:%S}  rfm-excel {__version__}  Python {platform.python_version()}  "
        f"{platform.platform()}\n",
        f"While: {doing}\n" if doing else "",
        f"Workbook: {book}\n" if book is not None else "",
        *traceback.format_exception(error), "\n"])
    first = log_path(book)
    for path in dict.fromkeys([first, Path(tempfile.gettempdir()) / first.name]):
        try:
            with open(path, "a", encoding="utf-8") as log:
                log.write(report)
            return str(path)
        except OSError:
            continue
    return None
