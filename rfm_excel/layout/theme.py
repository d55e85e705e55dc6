"""The look of every sheet the tool writes: colours, fonts and cell styles, in one place for both writers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

DARK_BLUE = "#1F4E78"  # header fill and titles
WHITE = "#FFFFFF"
NOTE_GREY = "#595959"
BORDER_GREY = "#BFBFBF"
INPUT_YELLOW = "#FFF2CC"  # the cells the owner may change
LINK_BLUE = "#0563C1"
WORST, MIDDLE, BEST = "#F8696B", "#FFEB84", "#63BE7B"  # red-amber-green scales over scores
HEAT_LOW, HEAT_HIGH = "#FFFFFF", "#5B9BD5"  # heat maps: light = few, dark = many
SERIES = ("#1F4E78", "#ED7D31", "#70AD47", "#FFC000", "#5B9BD5", "#A5A5A5", "#7030A0", "#C00000", "#00B0F0",
          "#8B5A2B", "#FF66CC", "#2E7D32")  # chart series, in turn: twelve that can be told apart
TITLE_HEIGHT, HEADER_HEIGHT = 21, 30  # points: the title row, a table's header row (two lines of text)
LINE_HEIGHT = 15  # points per line of text at the default font
TABLE_STYLE = "Table Style Light 9"  # an Excel table's (the Orders sheet's) banded style


@dataclass(frozen=True)
class Style:
    """How a cell looks. None leaves Excel's default (Calibri 11, no fill, General)."""

    bold: bool = False
    italic: bool = False
    size: float | None = None
    colour: str | None = None  # font colour
    fill: str | None = None
    border: str | None = None  # colour of a thin border all round
    wrap: bool = False
    align: Literal["left", "center"] | None = None
    valign: Literal["top", "center"] | None = None
    number_format: str | None = None

    def with_format(self, number_format: str | None) -> Style:
        return replace(self, number_format=number_format)


PLAIN = Style()
TITLE = Style(bold=True, size=14, colour=DARK_BLUE)
NOTE = Style(italic=True, colour=NOTE_GREY)
BOLD = Style(bold=True)
HEADER = Style(bold=True, colour=WHITE, fill=DARK_BLUE, border=BORDER_GREY, wrap=True, valign="center")
TEXT = Style(wrap=True, valign="top")  # a long text in a narrow column
STEP = Style(size=12)
LINK = Style(size=12, colour=LINK_BLUE)
HEADLINE = Style(bold=True, size=12)
INPUT = Style(fill=INPUT_YELLOW, border=BORDER_GREY, align="left")


def number_format(kind: str, currency_symbol: str = "") -> str | None:
    """Excel number format for a column kind (None = General).

    >>> number_format("money", "£")
    '"£"#,##0.00;-"£"#,##0.00'
    """
    money = f'"{currency_symbol}"#,##0.00;-"{currency_symbol}"#,##0.00' if currency_symbol else "#,##0.00"
    return {"int": "#,##0", "row": "0", "id": "0", "date": "yyyy-mm-dd", "money": money, "percent": "0.0%",
            "decimal": "#,##0.0", "score": "0"}.get(kind)


def column_style(kind: str, currency_symbol: str = "") -> Style:
    """The style of a table column's cells: its number format; scores and codes centred."""
    return Style(number_format=number_format(kind, currency_symbol),
                 align="center" if kind in ("score", "code") else None)
