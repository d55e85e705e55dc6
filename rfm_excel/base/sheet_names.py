"""The sheets of the workbook contract: those the owner keeps and those every run writes (docs/workbook.md), the
mark that tells the tool's sheets from the owner's, and the name each of the tool's sheets takes in a workbook."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

START_HERE, ORDERS, SETTINGS = "Start Here", "Orders", "Settings"
SCORES, SEGMENTS, DATA_ISSUES = "Scores", "Segments", "Data Issues"
CONTACT_PLAN, MOVEMENT = "Contact Plan", "Movement"
CAMPAIGN_RESULTS, SCORE_HISTORY = "Campaign Results", "Score History"
FORECAST, PRODUCTS = "Forecast", "Products"
TOOL_SHEETS = (START_HERE, ORDERS, SETTINGS, SCORES, SEGMENTS, DATA_ISSUES, CONTACT_PLAN, MOVEMENT, CAMPAIGN_RESULTS,
               SCORE_HISTORY, FORECAST, PRODUCTS)  # each sheet the tool may make, by the name it takes by default

# The mark: a workbook-level defined name per sheet the tool made, pointing at that sheet's A1. Excel and
# LibreOffice keep defined names on save and rewrite the reference when the sheet is renamed.
MARK_PREFIX = "_rfm_excel."
OWN_PREFIX = "RFM "  # the name of a tool's sheet whose own name an owner's sheet has: "RFM Scores"


def find(names, wanted: str) -> str | None:
    """The name among ``names`` that means ``wanted``, ignoring case and surrounding spaces."""
    key = wanted.strip().casefold()
    return next((name for name in names if name.strip().casefold() == key), None)


def mark_name(sheet: str) -> str:
    """The defined name that marks the tool's sheet ``sheet`` (its default name).

    Examples
    --------
    >>> mark_name("Contact Plan")
    '_rfm_excel.contact_plan'
    """
    return MARK_PREFIX + re.sub(r"\W+", "_", sheet.lower()).strip("_")


def quoted(name: str) -> str:
    """A sheet name as a formula names it.

    Examples
    --------
    >>> quoted("O'Brien's Scores")
    "'O''Brien''s Scores'"
    """
    return "'" + name.replace("'", "''") + "'"


def mark_reference(name: str) -> str:
    """What a mark refers to: cell A1 of the sheet called ``name``."""
    return quoted(name) + "!$A$1"


def marked_sheet(reference: str) -> str | None:
    """The sheet a mark's reference points to, as Excel, LibreOffice or xlwings write it (quoted or not, with
    or without "="); None when the sheet is gone ("#REF!").

    Examples
    --------
    >>> marked_sheet("='RFM Scores'!$A$1"), marked_sheet("Scores!$A$1"), marked_sheet("#REF!$A$1")
    ('RFM Scores', 'Scores', None)
    """
    text = reference.strip().removeprefix("=")
    quoted = re.fullmatch(r"'((?:[^']|'')+)'!\$?A\$?1", text)
    if quoted:
        return quoted[1].replace("''", "'")
    plain = re.fullmatch(r"([^'!#]+)!\$?A\$?1", text)
    return plain[1] if plain else None


def read_marks(names: Iterable[tuple[str, str]], sheets: list[str]) -> dict[str, str]:
    """The tool's sheets a workbook marks: default name -> the sheet's name now, from the workbook's defined
    names as (name, reference) pairs; a mark whose sheet is gone is left out."""
    wanted = {mark_name(sheet).casefold(): sheet for sheet in TOOL_SHEETS}
    marks = {}
    for name, reference in names:
        sheet = wanted.get(name.casefold())
        target = marked_sheet(reference or "")
        found = find(sheets, target) if sheet is not None and target is not None else None
        if sheet is not None and found is not None:
            marks[sheet] = found
    return marks


@dataclass(frozen=True)
class Placement:
    """Where the tool's sheets stand in one workbook: for each (by its default name), the sheet that is the
    tool's there, or the name a new one takes; and which default names an owner's sheet already has."""

    names: Mapping[str, str]
    existing: frozenset[str]  # the default names of the tool's sheets the workbook has
    taken: tuple[str, ...] = ()  # default names an owner's sheet has, so that the tool's sheet has another

    def __getitem__(self, sheet: str) -> str:
        return self.names[sheet]

    def role(self, name: str) -> str:
        """The default name of the tool's sheet named ``name`` here."""
        return next(sheet for sheet, placed in self.names.items() if placed == name)

    def mine(self) -> frozenset[str]:
        """The names of the tool's sheets the workbook has: the only ones the tool may write into."""
        return frozenset(self.names[sheet] for sheet in self.existing)

    def has(self, sheet: str) -> bool:
        """Whether the workbook has the tool's sheet ``sheet`` (marked, or recognised by its layout)."""
        return sheet in self.existing

    def marks(self, written: Iterable[str] = ()) -> dict[str, str]:
        """The marks (defined name -> reference) of the tool's sheets once the sheets named ``written`` are in:
        those the workbook had (recognised ones too, marked from then on) and those written."""
        sheets = [*self.existing, *(self.role(name) for name in written)]
        return {mark_name(sheet): mark_reference(self[sheet]) for sheet in dict.fromkeys(sheets)}


def place(sheets: list[str], marks: Mapping[str, str], recognised: Iterable[str] = ()) -> Placement:
    """Decide the name of each of the tool's sheets in a workbook whose sheets are ``sheets``.

    ``marks`` maps a default name to the marked sheet; ``recognised`` lists the unmarked sheets known, by their
    layout, to be the tool's under their default name (written before there were marks). A tool's sheet
    keeps the name it has; a new one takes its default name unless an owner's sheet has it, then "RFM "
    before it (and " 2", " 3"... after, should that be an owner's too). The owner's sheets are never the tool's.

    Examples
    --------
    >>> placement = place(["Orders", "Scores", "RFM Segments"], {"Segments": "RFM Segments"})
    >>> placement["Scores"], placement["Segments"], placement["Contact Plan"], placement.taken
    ('RFM Scores', 'RFM Segments', 'Contact Plan', ('Orders', 'Scores'))
    """
    names = dict(marks)
    recognised = {name.casefold() for name in recognised}
    for sheet in TOOL_SHEETS:
        found = find(sheets, sheet)
        if sheet not in names and found is not None and found.casefold() in recognised \
                and found not in names.values():
            names[sheet] = found
    existing = frozenset(names)
    mine = {name.casefold() for name in names.values()}
    used = {name.strip().casefold() for name in sheets} | mine
    for sheet in TOOL_SHEETS:
        if sheet in names:
            continue
        name, number = sheet, 1
        while name.casefold() in used:
            number += 1
            name = OWN_PREFIX + sheet + (f" {number - 1}" if number > 2 else "")
        names[sheet] = name
        used.add(name.casefold())
    owners = {name.strip().casefold() for name in sheets} - mine
    return Placement(names, existing, tuple(sheet for sheet in TOOL_SHEETS if sheet.casefold() in owners))
