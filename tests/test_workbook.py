"""The workbook contract: template, a scored round trip, nothing of the owner's lost, real data, bad input.

Expected values are worked out by hand in the comments (for HAND_ORDERS in conftest.py) or
recomputed independently from the real sample with python-calamine and pandas; output
workbooks are read back with openpyxl or straight from the zip package.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest

import rfm_excel
from rfm_excel.base.settings import DEFAULT_SEGMENTS, SEGMENT_HEADER, SETTING_ROWS
from rfm_excel.doors.files import score_file
from rfm_excel.writers.headless import splice
from rfm_excel.writers.headless.template import build_template

ROOT = Path(__file__).resolve().parents[1]
D = dt.datetime
OUTPUT = ["Scores", "Segments", "Data Issues", "Contact Plan", "Movement", "Campaign Results",
          "Score History", "Forecast"]
SCORES_HEADER = ["Customer ID", "First Order", "Last Order", "Recency (days)", "Frequency", "Monetary",
                 "R", "F", "M", "RFM Code", "RFM Score", "Segment"]
SCORES_HEADER_WITH_CONTACT = [*SCORES_HEADER[:1], "Customer Name", "Email", *SCORES_HEADER[1:]]

# HAND_ORDERS by hand. As-of = day after the latest usable order (2024-06-29; "soon" is skipped) = 2024-06-30.
#   C001 Alice: orders O1 100, O2 30+20=50, O3 25.50 -> F 3, M 175.50, last 06-28, recency 2
#   C002 Bob:   O4 500                          -> F 1, M 500.00, last 02-01, recency 28+31+30+31+30 = 150
#   C003:       O5 10, O6 20                     -> F 2, M 30.00,  last 05-15, recency 16+30 = 46
#   C004 Dan:   4 x 40, return R1 -20 (netted into M, not a purchase) -> F 4, M 140.00, last 04-05,
#               recency 25+31+30 = 86
#   C005 Eve:   5 x 60                           -> F 5, M 300.00, last 06-29, recency 1
# Five customers with five distinct values per dimension: quintile score = rank (1 worst .. 5 best).
#   R (fewer days better): Eve 5, Alice 4, C003 3, Dan 2, Bob 1
#   F: Eve 5, Dan 4, Alice 3, C003 2, Bob 1        M: Bob 5, Eve 4, Alice 3, Dan 2, C003 1
# Segments (first matching row of the default table):
#   Eve 554 Champions; Alice 433 Potential Loyalist (R4-5 F2-3); Dan 242 At Risk (R1-2 F3-5);
#   Bob 115 Lost (R1 F1-2); C003 321 About to Sleep (R3 F1-2).
# Sorted by R+F+M: Eve 14, Alice 10, Dan 8, Bob 7, C003 6.
HAND_SCORES = [
    ("C005", "Eve", None, D(2024, 6, 1), D(2024, 6, 29), 1, 5, 300, 5, 5, 4, "554", 14, "Champions"),
    ("C001", "Alice", "alice@example.com", D(2024, 1, 10), D(2024, 6, 28), 2, 3, 175.5, 4, 3, 3, "433", 10,
     "Potential Loyalist"),
    ("C004", "Dan", None, D(2024, 1, 5), D(2024, 4, 5), 86, 4, 140, 2, 4, 2, "242", 8, "At Risk"),
    ("C002", "Bob", None, D(2024, 2, 1), D(2024, 2, 1), 150, 1, 500, 1, 1, 5, "115", 7, "Lost"),
    ("C003", None, None, D(2024, 5, 1), D(2024, 5, 15), 46, 2, 30, 3, 2, 1, "321", 6, "About to Sleep"),
]
HAND_SEGMENT_OF = {row[0]: row[-1] for row in HAND_SCORES}


def without_contact(row) -> tuple:
    """A Scores row without its Customer Name and Email cells (columns B and C)."""
    return tuple(row[:1]) + tuple(row[3:])


HAND_CORE = [without_contact(row) for row in HAND_SCORES]


def rows_of(path: Path, sheet: str, min_row: int = 1) -> list[tuple]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in book[sheet].iter_rows(min_row=min_row, values_only=True)]
    finally:
        book.close()


def table_of(path: Path, sheet: str, header: str) -> tuple[list, list[tuple]]:
    """The header row (found by its first cell) and the rows under it down to the first blank row."""
    rows = rows_of(path, sheet)
    top = next(i for i, row in enumerate(rows) if row and row[0] == header)
    body = []
    for row in rows[top + 1:]:
        if all(v is None for v in row):
            break
        body.append(row)
    return list(rows[top]), body


def run_note(path: Path) -> str:
    """The two lines under the Segments title: what the run counted, and the settings it used."""
    rows = rows_of(path, "Segments")
    return f"{rows[1][0]}\n{rows[2][0]}"


def scores_by_id(path: Path) -> dict[str, dict]:
    header, body = table_of(path, "Scores", "Customer ID")
    return {row[0]: dict(zip(header, row, strict=False)) for row in body}


# ================================================================== 1. template


def test_template_has_the_three_sheets_and_the_orders_table(tmp_path):
    book = openpyxl.load_workbook(build_template(tmp_path / "t.xlsx"))
    assert book.sheetnames == ["Start Here", "Orders", "Settings"]
    orders = book["Orders"]
    assert [c.value for c in orders[1]] == ["Customer ID", "Order ID", "Order Date", "Amount", "Customer Name",
                                            "Email"]
    assert list(orders.tables) == ["Orders"]
    table = orders.tables["Orders"]
    assert table.ref.startswith("A1:F")
    assert [c.name for c in table.tableColumns] == [c.value for c in orders[1]]


def test_template_settings_show_every_setting_with_its_default(tmp_path):
    sheet = openpyxl.load_workbook(build_template(tmp_path / "t.xlsx"))["Settings"]
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if isinstance(row[0], str)}
    labels = [row[0] for row in sheet.iter_rows(min_col=1, max_col=1, values_only=True)]
    wanted = [row.label for row in SETTING_ROWS]
    assert [label for label in labels if label in wanted] == wanted  # all of them, in order
    assert values["Recency score levels"] == values["Frequency score levels"] == values["Monetary score levels"] == 5
    assert values["Best score is"] == "Highest"
    assert values["Recency weight"] == values["Frequency weight"] == values["Monetary weight"] == 1
    assert values["As-of date"] in (None, "")  # blank = day after the latest order
    assert values["Time window (months)"] in (None, "")
    assert (sheet["A7"].value, sheet["B7"].value) == ("Recency score levels", 5)  # the cell errors name

    header_row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "Segment")
    assert tuple(header_row[:8]) == SEGMENT_HEADER
    segment_names = [row[0] for row in sheet.iter_rows(values_only=True)]
    start = segment_names.index("Segment") + 1
    assert segment_names[start:start + len(DEFAULT_SEGMENTS)] == [s.name for s in DEFAULT_SEGMENTS]


def test_template_settings_have_drop_downs_and_limits(tmp_path):
    sheet = openpyxl.load_workbook(build_template(tmp_path / "t.xlsx"))["Settings"]
    rows = {row[0].value: row[0].row for row in sheet.iter_rows(min_col=1, max_col=1) if row[0].value}
    by_cell = {}
    for validation in sheet.data_validations.dataValidation:
        for cells in validation.sqref.ranges:
            by_cell[cells.coord] = validation
    for label in ("Recency score levels", "Frequency score levels", "Monetary score levels"):
        levels = by_cell[f"B{rows[label]}"]
        assert (levels.type, levels.formula1) == ("list", '"2,3,4,5,6,7,8,9"')  # as docs/workbook.md says
    best = by_cell[f"B{rows['Best score is']}"]
    assert (best.type, best.formula1) == ("list", '"Highest,Lowest"')
    assert by_cell[f"B{rows['As-of date']}"].type == "date"
    first_segment = rows["Champions"]
    limits = next(v for coord, v in by_cell.items() if coord.startswith(f"B{first_segment}:G"))
    assert (limits.type, limits.formula1, limits.formula2) == ("whole", "1", "5")


def test_shipped_template_is_reproducible(tmp_path):
    fresh = build_template(tmp_path / "rfm_template.xlsx")
    again = build_template(tmp_path / "again.xlsx")
    assert fresh.read_bytes() == again.read_bytes()
    assert (ROOT / "workbook_templates" / "rfm_template.xlsx").read_bytes() == fresh.read_bytes(), \
        "run scripts/build_templates.py to regenerate the shipped template"


# ================================================================== 2. round trip


@pytest.fixture
def scored_hand_book(hand_book):
    result, path = score_file(hand_book)
    assert path == hand_book
    return result, path


def test_round_trip_adds_each_output_sheet_once_after_the_template_sheets(scored_hand_book):
    _, path = scored_hand_book
    assert openpyxl.load_workbook(path).sheetnames == ["Start Here", "Orders", "Settings", *OUTPUT]


def test_round_trip_scores_match_the_hand_computation(scored_hand_book):
    result, path = scored_hand_book
    rows = rows_of(path, "Scores")
    assert list(rows[0]) == SCORES_HEADER_WITH_CONTACT
    assert [without_contact(row) for row in rows[1:]] == HAND_CORE
    assert (result.rows_read, result.lines_used, result.orders, result.customers) == (19, 17, 16, 5)
    assert result.as_of == dt.date(2024, 6, 30)


def test_round_trip_names_and_emails_are_the_latest_given_or_blank(scored_hand_book):
    _, path = scored_hand_book
    contact = {row[0]: (row[1], row[2]) for row in rows_of(path, "Scores")[1:]}
    assert contact == {row[0]: (row[1], row[2]) for row in HAND_SCORES}


def test_round_trip_scores_formats_frozen_header_and_colour_scales(scored_hand_book):
    _, path = scored_hand_book
    sheet = openpyxl.load_workbook(path)["Scores"]
    column = {cell.value: cell.column_letter for cell in sheet[1]}
    assert sheet.freeze_panes == "A2"
    assert sheet[f"{column['Monetary']}2"].number_format == "#,##0.00"
    assert sheet[f"{column['First Order']}2"].number_format == "yyyy-mm-dd"
    assert sheet[f"{column['Last Order']}6"].number_format == "yyyy-mm-dd"
    assert sheet[f"{column['Recency (days)']}2"].number_format == "#,##0"
    assert sheet[f"{column['R']}2"].number_format == "0"
    assert sheet[f"{column['RFM Code']}2"].data_type == "s"  # "554" is text, not the number 554
    scales = {}
    for formatting in sheet.conditional_formatting:
        for rule in formatting.rules:
            scales[str(formatting.sqref)] = rule
    assert set(scales) == {f"{column[letter]}2:{column[letter]}6" for letter in "RFM"}
    for rule in scales.values():
        assert rule.type == "colorScale"
        ends = [(v.val, c.rgb[-6:]) for v, c in zip(rule.colorScale.cfvo, rule.colorScale.color, strict=False)]
        assert ends[0] == (1, "F8696B") and ends[-1] == (5, "63BE7B")  # 1 red (worst), 5 green (best)


def test_round_trip_segments_table_adds_up_and_notes_the_as_of_date(scored_hand_book):
    _result, path = scored_hand_book
    rows = rows_of(path, "Segments")
    assert rows[0][0] == "Customer segments"
    note = run_note(path)
    assert "as-of date 2024-06-30" in note
    assert "17 of 19 order rows used" in note and "16 orders" in note and "5 customers" in note
    assert "R, F and M each 1-5 by fifths of customers (higher is better)" in note
    header, body = table_of(path, "Segments", "Segment")
    assert header == ["Segment", "Customers", "% of Customers", "% of Revenue", "Revenue", "Avg Recency (days)",
                      "Avg Frequency", "Avg Monetary", "What it means", "Recommended Action"]
    assert [row[0] for row in body] == [s.name for s in DEFAULT_SEGMENTS]
    counts = {row[0]: row[1] for row in body}
    assert sum(counts.values()) == 5
    expected = dict.fromkeys(counts, 0)
    for segment in HAND_SEGMENT_OF.values():
        expected[segment] += 1
    assert counts == expected
    assert sum(row[4] for row in body) == pytest.approx(175.5 + 500 + 30 + 140 + 300)
    assert sum(row[2] for row in body) == pytest.approx(1.0)
    lost = next(row for row in body if row[0] == "Lost")
    assert lost[3] == pytest.approx(500 / 1145.5)
    assert lost[8] == "Bought once or twice, very long ago."  # what the segment means, beside what to do
    assert lost[9].startswith("Spend nothing on them")


def test_round_trip_segments_sheet_has_a_bar_chart_of_its_table(scored_hand_book, helpers):
    _, path = scored_hand_book
    segments_part = helpers.sheet_parts(path)["Segments"]
    with zipfile.ZipFile(path) as archive:
        drawings = [t for _, kind, t in helpers.part_relationships(archive, segments_part) if kind.endswith("/drawing")]
        assert len(drawings) == 1
        charts = [t for _, kind, t in helpers.part_relationships(archive, drawings[0]) if kind.endswith("/chart")]
        assert len(charts) == 1 and re.fullmatch(r"xl/charts/[^/]+\.xml", charts[0])
        chart = archive.read(charts[0]).decode()
        assert len([n for n in archive.namelist() if n.startswith("xl/charts/")]) == 2  # and Score History's
    assert "<c:barChart>" in chart
    # Header in row 5 (title, two note lines, a blank row above it), 11 default segments in rows 6-16.
    assert "<c:f>Segments!$A$6:$A$16</c:f>" in chart


def test_round_trip_data_issues_lists_each_skipped_row(scored_hand_book):
    _, path = scored_hand_book
    headline = rows_of(path, "Data Issues")[1][0]
    assert headline.startswith("19 order rows read, 17 used, 2 skipped")
    assert "1 no customer ID" in headline and "1 not a date" in headline
    header, body = table_of(path, "Data Issues", "Row")
    assert header == ["Row", "Column", "Value", "Problem", "Action", "Amount"]
    skipped = [r for r in body if r[4].startswith("skipped")]
    assert [(r[0], r[1], r[2] or "", r[5]) for r in skipped] == [(9, "Customer ID", "", 20),
                                                                  (20, "Order Date", "soon", 60)]
    assert skipped[0][3].startswith("no customer ID") and skipped[1][3].startswith("not a date")
    # The return of row 14 is used, and listed as such: netted into Monetary.
    assert [(r[0], r[1], r[2], r[5]) for r in body if not r[4].startswith("skipped")] == [(14, "Amount", "-20", -20)]


def test_round_trip_data_issues_totals_each_problem_above_the_list(scored_hand_book):
    _, path = scored_hand_book
    sheet = openpyxl.load_workbook(path)["Data Issues"]
    top = next(r for r in range(1, 20) if str(sheet.cell(r, 4).value).startswith("At a glance"))  # under the notes
    block = [[c.value for c in row[3:6]] for row in sheet.iter_rows(min_row=top, max_row=top + 4)]
    assert block == [["At a glance: what was skipped or changed, and the money on those rows", None, None],
                     ["Problem", "Rows", "Amount"],
                     ["Skipped: no customer ID", 1, 20],   # row 9
                     ["Skipped: not a date", 1, 60],       # row 20, "soon"
                     ["Returns and refunds netted", 1, -20]]  # row 14
    assert sheet.cell(top + 2, 6).number_format == "#,##0.00" and sheet.cell(top + 2, 5).number_format == "#,##0"
    assert sheet.cell(top + 6, 1).value == "Row"  # the list's header, under the block and a blank row


def selected_tabs(path: Path, helpers) -> tuple[list[str], int]:
    """The sheets marked as selected tabs, and the workbook's active tab."""
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        selected = [name for name, part in helpers.sheet_parts(path).items()
                    if 'tabSelected="1"' in archive.read(part).decode().split("<sheetData")[0]]
    found = re.search(r'activeTab="(\d+)"', workbook)
    return selected, int(found[1]) if found else 0


def test_start_here_shows_the_run_and_links_to_the_sheets(scored_hand_book, helpers):
    _, path = scored_hand_book
    rows = [row[0] if row else None for row in rows_of(path, "Start Here")]
    assert rows[0] == "Your customers" and rows[1] is None
    assert re.fullmatch(r"Scored \d{4}-\d\d-\d\d \d\d:\d\d for the as-of date 2024-06-30, from the Orders sheet: "
                        r"17 of 19 order rows used\.", rows[2])
    # Five customers, each in a segment of their own; the largest (a tie) is the first in the segment table.
    assert rows[4] == "5 customers in 5 segments; the largest is Champions (1)."
    # Contact this week (2024-06-30 to 2024-07-06): Dan (C004, 140.00) and C003 (30.00), both due on the as-of
    # date; Eve and Alice bought within 7 days and Bob is Lost (Do Not Contact).
    assert rows[5] == "2 customers to contact this week (by 2024-07-06): together they have spent 170.00 with you."
    assert rows[7:10] == [
        '=HYPERLINK("#\'Segments\'!A1","Segments: what each group means, what it is worth and what to offer it")',
        '=HYPERLINK("#\'Contact Plan\'!A1","Contact Plan: whom to contact, when, how and why")',
        '=HYPERLINK("#\'Data Issues\'!A1","Data Issues: 2 of 19 order rows left out, and why")']
    assert rows[11] == ("To score again, add the new orders to the Orders sheet, save and close the workbook, and "
                        "score it with rfm-excel.")
    assert selected_tabs(path, helpers) == (["Start Here"], 0)  # the scored workbook opens on Start Here


def test_before_the_first_run_start_here_says_what_to_do_in_five_lines(tmp_path):
    rows = [row[0] for row in rows_of(build_template(tmp_path / "t.xlsx"), "Start Here") if row and row[0]]
    assert rows[0] == "Score your customers in five steps" and len(rows) == 6
    assert [line[:3] for line in rows[1:]] == ["1. ", "2. ", "3. ", "4. ", "5. "]
    assert not [line for line in rows if "terminal" in line.lower() or "docs/" in line or "command" in line.lower()]
    button = [row[0] for row in rows_of(build_template(tmp_path / "t.xlsm"), "Start Here") if row and row[0]]
    assert button[3] == "3.  Click Score customers (the button on the right); the sheets appear when it is done."


def test_a_run_rewrites_only_the_tools_cells_of_start_here(hand_book, helpers):
    book = openpyxl.load_workbook(hand_book)
    book["Start Here"]["B3"] = "my note beside the steps"
    book["Start Here"]["A20"] = "my own list"
    book.active = book.sheetnames.index("Orders")  # saved while looking at the orders
    book["Start Here"].sheet_view.tabSelected, book["Orders"].sheet_view.tabSelected = False, True
    book.save(hand_book)
    orders_before = helpers.sheet_bytes(hand_book, "Orders")
    score_file(hand_book)
    score_file(hand_book)
    start = openpyxl.load_workbook(hand_book)["Start Here"]
    assert (start["A1"].value, start["B3"].value, start["A20"].value) == (
        "Your customers", "my note beside the steps", "my own list")
    assert start["A7"].value is None  # the old step 5 is gone: A1:A14 are the tool's
    # Orders keeps every byte but its mark as the selected tab: two selected tabs would group the sheets.
    assert helpers.sheet_bytes(hand_book, "Orders") == orders_before.replace(b' tabSelected="1"', b"", 1)
    assert b'tabSelected="1"' in orders_before
    assert selected_tabs(hand_book, helpers) == (["Start Here"], 0)


def test_money_is_shown_in_the_currency_of_the_orders_unless_settings_choose_one(tmp_path, helpers):
    rows = [(cid, oid, day, f"£{amount:,.2f}", None, None) for cid, oid, day, amount, *_ in helpers.hand_orders]
    book = helpers.fill_orders(build_template(tmp_path / "pounds.xlsx"), rows)
    score_file(book)
    scores, segments = openpyxl.load_workbook(book)["Scores"], openpyxl.load_workbook(book)["Segments"]
    money = '"£"#,##0.00;-"£"#,##0.00'
    assert scores["F2"].number_format == money and scores["F2"].value == 300  # Eve's Monetary, in pounds
    assert segments["E6"].number_format == money  # Revenue
    helpers.set_setting(book, "Currency symbol", "€")  # the owner's choice wins
    score_file(book)
    assert openpyxl.load_workbook(book)["Scores"]["F2"].number_format == '"€"#,##0.00;-"€"#,##0.00'


def test_every_result_sheet_prints_landscape_readably_with_its_header_on_every_page(scored_hand_book):
    """One page wide when the columns fit at 70% or more (A4 and Letter landscape: 922 pixels less margins),
    else at 70% with pages across and the ID column repeated; the table's header row on every page."""
    _, path = scored_hand_book
    book = openpyxl.load_workbook(path)
    for name in OUTPUT:
        sheet = book[name]
        first = {"Segments": "Segment", "Campaign Results": "Segment", "Data Issues": "Row",
                 "Forecast": "Repeat orders before the check"}.get(name, "Customer ID")
        header = next(r for r, row in enumerate(sheet.iter_rows(values_only=True), start=1) if row[0] == first)
        assert sheet.page_setup.orientation == "landscape", name
        assert sheet.print_title_rows == f"${header}:${header}", name
        widths = [sheet.column_dimensions[letter].width for letter in sheet.column_dimensions]
        pixels = sum(int(width * 7 + 5) for width in widths)
        if sheet.sheet_properties.pageSetUpPr.fitToPage:
            assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (None, 0), name  # 1 wide, any tall
            assert pixels * 0.7 <= 922, name
        else:
            assert (sheet.page_setup.scale, sheet.print_title_cols, sheet.page_setup.pageOrder) == (
                70, "$A:$A", "overThenDown"), name
            assert pixels * 0.7 > 922, name
    assert book["Segments"].row_breaks.brk[0].id == 41  # the R x F grids on a page of their own


def test_scoring_twice_replaces_the_sheets_and_gives_the_same_values(scored_hand_book, helpers):
    _, path = scored_hand_book
    first = {sheet: rows_of(path, sheet) for sheet in OUTPUT}
    score_file(path)
    assert openpyxl.load_workbook(path).sheetnames == ["Start Here", "Orders", "Settings", *OUTPUT]
    second = {sheet: rows_of(path, sheet) for sheet in OUTPUT}
    assert second["Scores"] == first["Scores"]
    assert second["Data Issues"] == first["Data Issues"]
    assert second["Segments"][2:] == first["Segments"][2:]  # the note (row 2) carries the time of the run
    assert second["Segments"][1][0][:7] == "Scored "
    with zipfile.ZipFile(path) as archive:
        assert len([n for n in archive.namelist() if n.startswith("xl/charts/") and n.endswith(".xml")]) == 2
        assert len([n for n in archive.namelist() if n.startswith("xl/drawings/") and n.endswith(".xml")]) == 2


def test_the_standard_zlib_writes_the_same_sheets_where_isal_is_missing(scored_hand_book, monkeypatch):
    _, path = scored_hand_book
    first = {sheet: rows_of(path, sheet) for sheet in ("Scores", "Contact Plan", "Score History")}
    monkeypatch.setattr(splice, "compressobj", zlib.compressobj)
    score_file(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None  # every member's CRC checks out
    assert {sheet: rows_of(path, sheet) for sheet in first} == first


@pytest.mark.parametrize("label, value, codes, moved, note", [
    # 3 recency levels: worse customers for Bob, Dan, C003, Alice, Eve = 0..4 -> 1 + floor(3w/5) = 1, 1, 2, 2, 3.
    # On the 1-5 scale of the segment table 2 of 3 is 3: Alice (3,3,3) moves to Need Attention.
    ("Recency score levels", 3, {"C005": "354", "C001": "233", "C004": "142", "C002": "115", "C003": "221"},
     {"C001": "Need Attention"}, "Recency 1-3 by thirds of customers; Frequency 1-5 by fifths"),
    # Lowest is best: shown score = 6 - score; segments use the internal scores, so nobody moves
    ("Best score is", "Lowest", {"C005": "112", "C001": "233", "C004": "424", "C002": "551", "C003": "345"},
     {}, "(1 is best)"),
    # Monetary limits 50, 200: <= 50 -> 1, <= 200 -> 2, above -> 3 (C003 30; Dan 140, Alice 175.5; Eve 300, Bob 500)
    # On the 1-5 scale 1, 2, 3 of 3 are 1, 3, 5: Eve (5,5,5) stays Champion, Bob (1,1,5) Lost, and so on.
    ("Monetary breakpoints (revenue)", "50, 200",
     {"C005": "553", "C001": "432", "C004": "242", "C002": "113", "C003": "321"}, {},
     "Monetary by fixed limits 50, 200"),
])
def test_editing_settings_changes_the_scores(hand_book, helpers, label, value, codes, moved, note):
    helpers.set_setting(hand_book, label, value)
    score_file(hand_book)
    scores = scores_by_id(hand_book)
    assert {cid: row["RFM Code"] for cid, row in scores.items()} == codes
    assert {cid: row["Segment"] for cid, row in scores.items()} == {**HAND_SEGMENT_OF, **moved}
    assert note in run_note(hand_book)


def test_time_window_counts_frequency_and_monetary_over_recent_orders_only(hand_book, helpers):
    # 3 months before 2024-06-30 -> only orders after 2024-03-30 count towards F and M.
    helpers.set_setting(hand_book, "Time window (months)", 3)
    score_file(hand_book)
    scores = scores_by_id(hand_book)
    counted = {cid: (row["Frequency"], row["Monetary"]) for cid, row in scores.items()}
    assert counted == {"C001": (1, 25.5),   # only O3 of 06-28
                       "C002": (0, 0),      # the one order of 02-01 is older: still scored, F 0
                       "C003": (2, 30),
                       "C004": (1, 20),     # D4 40 on 04-05 and the return -20 on 04-10
                       "C005": (5, 300)}
    assert scores["C002"]["Recency (days)"] == 150  # recency still looks at all history
    assert "Frequency and Monetary over the last 3 months" in run_note(hand_book)


def test_weights_change_the_rfm_score_and_the_order(hand_book, helpers):
    helpers.set_setting(hand_book, "Recency weight", 2)
    score_file(hand_book)
    # 2R + F + M: Eve 10+5+4 = 19, Alice 8+3+3 = 14, Dan 4+4+2 = 10, C003 6+2+1 = 9, Bob 2+1+5 = 8
    order = [(row[0], row[-2]) for row in rows_of(hand_book, "Scores")[1:]]
    assert order == [("C005", 19), ("C001", 14), ("C004", 10), ("C003", 9), ("C002", 8)]


def test_currency_symbol_shows_in_the_money_format(hand_book, helpers):
    helpers.set_setting(hand_book, "Currency symbol", "£")
    score_file(hand_book)
    sheet = openpyxl.load_workbook(hand_book)["Scores"]
    column = {cell.value: cell.column_letter for cell in sheet[1]}
    assert sheet[f"{column['Monetary']}2"].number_format == '"£"#,##0.00;-"£"#,##0.00'
    assert sheet[f"{column['Monetary']}2"].value == 300


def test_ids_typed_differently_are_one_customer(tmp_path, helpers):
    rows = [(12345, "A", D(2024, 1, 1), 10), ("12345", "B", D(2024, 2, 1), 20), (12345.0, "C", D(2024, 3, 1), 30),
            (" c001 ", "D", D(2024, 1, 1), 5), ("C001", "E", D(2024, 3, 1), 5), ("00123", "F", D(2024, 3, 1), 1)]
    path = helpers.fill_orders(build_template(tmp_path / "ids.xlsx"), rows)
    score_file(path)
    scores = scores_by_id(path)
    assert set(scores) == {"12345", "c001", "00123"}  # the first spelling seen, trimmed; zeros kept
    assert (scores["12345"]["Frequency"], scores["12345"]["Monetary"]) == (3, 60)
    assert (scores["c001"]["Frequency"], scores["c001"]["Monetary"]) == (2, 10)


def test_lowest_is_best_turns_the_colour_scales_round(hand_book, helpers):
    helpers.set_setting(hand_book, "Best score is", "Lowest")
    score_file(hand_book)
    sheet = openpyxl.load_workbook(hand_book)["Scores"]
    for formatting in sheet.conditional_formatting:
        for rule in formatting.rules:
            ends = [(v.val, c.rgb[-6:]) for v, c in zip(rule.colorScale.cfvo, rule.colorScale.color, strict=False)]
            assert ends[0] == (1, "63BE7B") and ends[-1] == (5, "F8696B")  # 1 green (best), 5 red (worst)


def test_editing_the_segment_table_changes_the_segments(hand_book):
    book = openpyxl.load_workbook(hand_book)
    sheet = book["Settings"]
    row = next(c.row for c in sheet["A"] if c.value == "Champions")
    # VIP: only 5/5/5. Eve (554) misses it on M and falls to Loyal (R3-5, F4-5, any M).
    for col, value in zip("ABCDEFG", ["VIP", 5, 5, 5, 5, 5, 5], strict=True):
        sheet[f"{col}{row}"] = value
    book.save(hand_book)
    score_file(hand_book)
    assert scores_by_id(hand_book)["C005"]["Segment"] == "Loyal"
    _, body = table_of(hand_book, "Segments", "Segment")
    counts = {r[0]: r[1] for r in body}
    assert counts["VIP"] == 0 and counts["Loyal"] == 1 and "Champions" not in counts


def test_as_of_date_in_settings_leaves_later_orders_out(hand_book, helpers):
    # As of 2024-06-15: Eve's orders of 06-22 and 06-29 and Alice's of 06-28 are after it.
    helpers.set_setting(hand_book, "As-of date", D(2024, 6, 15))
    result, _ = score_file(hand_book)
    assert result.as_of == dt.date(2024, 6, 15)
    scores = scores_by_id(hand_book)
    assert scores["C005"]["Frequency"] == 3 and scores["C005"]["Recency (days)"] == 0
    assert scores["C001"]["Last Order"] == D(2024, 3, 1) and scores["C001"]["Recency (days)"] == 106
    _, issues = table_of(hand_book, "Data Issues", "Row")
    assert sorted(r[0] for r in issues if r[3] == "after the as-of date 2024-06-15") == [5, 18, 19]


# ================================================================== 3. nothing lost


def _add_notes_sheet(path: Path) -> None:
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill
    from openpyxl.workbook.defined_name import DefinedName

    book = openpyxl.load_workbook(path)
    notes = book.create_sheet("My Notes")
    notes["A1"] = "Supplier call"
    notes["B1"] = 42
    notes["B2"] = "=B1*2"
    notes["A1"].fill = PatternFill("solid", fgColor="FFFF00")
    notes["A1"].comment = Comment("ring on Monday", "Owner")
    chart = BarChart()
    chart.add_data(Reference(notes, min_col=2, min_row=1, max_row=2))
    notes.add_chart(chart, "D2")
    book.defined_names["Targets"] = DefinedName("Targets", attr_text="'My Notes'!$B$1:$B$2")
    book.save(path)


def test_scoring_twice_leaves_the_owners_sheets_byte_for_byte(hand_book, helpers):
    _add_notes_sheet(hand_book)
    before = {name: helpers.sheet_bytes(hand_book, name) for name in ("My Notes", "Orders", "Settings")}

    def owners_chart() -> tuple[str, bytes]:
        with zipfile.ZipFile(hand_book) as archive:
            notes = helpers.sheet_parts(hand_book)["My Notes"]
            drawing = next(t for _, kind, t in helpers.part_relationships(archive, notes) if kind.endswith("/drawing"))
            chart = next(t for _, kind, t in helpers.part_relationships(archive, drawing) if kind.endswith("/chart"))
            return chart, archive.read(chart)

    chart_before = owners_chart()
    score_file(hand_book)
    score_file(hand_book)
    for name, data in before.items():
        assert helpers.sheet_bytes(hand_book, name) == data, name
    assert owners_chart() == chart_before
    with zipfile.ZipFile(hand_book) as archive:  # the owner's chart and those of Segments and Score History
        assert len([n for n in archive.namelist() if n.startswith("xl/charts/") and n.endswith(".xml")]) == 3
    with zipfile.ZipFile(hand_book) as archive:
        assert archive.testzip() is None  # every part's CRC checks out
    book = openpyxl.load_workbook(hand_book)
    assert book.sheetnames == ["Start Here", "Orders", "Settings", "My Notes", *OUTPUT]
    assert book.defined_names["Targets"].attr_text == "'My Notes'!$B$1:$B$2"
    notes = book["My Notes"]
    assert (notes["A1"].value, notes["B1"].value, notes["B2"].value) == ("Supplier call", 42, "=B1*2")
    assert notes["A1"].comment.text == "ring on Monday"
    assert notes["A1"].fill.fgColor.rgb.endswith("FFFF00")


def test_a_workbook_without_settings_gets_one_and_default_scores(tmp_path, helpers):
    book = openpyxl.Workbook()
    book.active.title = "Orders"
    book.active.append(["Customer ID", "Order ID", "Order Date", "Amount", "Customer Name", "Email"])
    book.save(tmp_path / "plain.xlsx")
    path = helpers.fill_orders(tmp_path / "plain.xlsx", helpers.hand_orders)
    orders_before = helpers.sheet_bytes(path, "Orders")
    score_file(path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Orders", "Settings", *OUTPUT]
    settings = {r[0]: r[1] for r in workbook["Settings"].iter_rows(values_only=True) if r[0]}
    assert settings["Recency score levels"] == 5 and settings["Best score is"] == "Highest"
    assert [without_contact(row) for row in rows_of(path, "Scores")[1:]] == HAND_CORE
    assert helpers.sheet_bytes(path, "Orders") == orders_before
    score_file(path)  # the added Settings sheet is read back on the next run
    assert openpyxl.load_workbook(path).sheetnames == ["Orders", "Settings", *OUTPUT]
    assert [without_contact(row) for row in rows_of(path, "Scores")[1:]] == HAND_CORE


def test_output_option_leaves_the_input_untouched(hand_book, helpers, tmp_path):
    before = helpers.sha(hand_book)
    _result, path = score_file(hand_book, output=tmp_path / "scored.xlsx")
    assert path == tmp_path / "scored.xlsx"
    assert helpers.sha(hand_book) == before
    assert openpyxl.load_workbook(hand_book).sheetnames == ["Start Here", "Orders", "Settings"]
    assert [without_contact(row) for row in rows_of(path, "Scores")[1:]] == HAND_CORE


def test_scores_have_no_empty_name_and_email_columns(tmp_path, helpers):
    rows = [(cid, oid, date, amount, None, None) for cid, oid, date, amount, *_ in helpers.hand_orders]
    path = helpers.fill_orders(build_template(tmp_path / "no-names.xlsx"), rows)
    score_file(path)
    assert list(rows_of(path, "Scores")[0]) == SCORES_HEADER


# ================================================================== 4. the real sample


@pytest.fixture(scope="module")
def scored_sample(sample_source, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    export = folder / "export.xlsx"
    shutil.copyfile(sample_source, export)
    export.chmod(0o644)
    result, out = score_file(export, output=folder / "scored.xlsx", orders_sheet="Year 2010-2011")
    return export, result, out


@pytest.fixture(scope="module")
def sample_truth(sample_source, helpers):
    """The 2010-2011 sheet recounted with python-calamine and pandas, without rfm_excel."""
    return helpers.retail_rfm(helpers.read_retail_sheet(sample_source, "Year 2010-2011"))


def test_real_sample_counts_match_an_independent_count(scored_sample, sample_truth):
    _, result, out = scored_sample
    truth = sample_truth
    assert (truth.rows, len(truth.blank_rows), len(truth.table)) == (20_497, 432, 213)
    assert (result.rows_read, result.customers) == (20_497, 213)
    assert result.rows_read - result.lines_used == len(truth.skipped_rows)  # no customer ID, or a repeated line
    assert result.as_of == truth.as_of
    scores = scores_by_id(out)
    assert all(isinstance(cid, int) for cid in scores)  # plain-number IDs are written as numbers
    scores = {str(cid): row for cid, row in scores.items()}
    assert set(scores) == set(truth.table.index)
    for cid, row in scores.items():
        expected = truth.table.loc[cid]
        assert row["Frequency"] == expected["frequency"], cid
        assert row["Monetary"] == pytest.approx(expected["monetary"], abs=0.005), cid
        assert row["Last Order"] == expected["last"].to_pydatetime(), cid
        assert row["First Order"] == expected["first"].to_pydatetime(), cid
        assert row["Recency (days)"] == expected["recency"], cid


def test_real_sample_data_issues_has_one_row_per_skipped_row(scored_sample, sample_truth):
    _, _, out = scored_sample
    truth = sample_truth
    rows = rows_of(out, "Data Issues")
    skipped = len(truth.skipped_rows)
    notes = " ".join(str(row[0]) for row in rows[1:6] if row[0])  # the notes, wrapped to the sheet's width
    assert notes.startswith(f"20,497 order rows read, {20_497 - skipped:,} used, {skipped:,} skipped")
    assert "Row is the row number in Year 2010-2011" in notes
    _, body = table_of(out, "Data Issues", "Row")
    listed = [r for r in body if r[4].startswith("skipped")]
    assert [r[0] for r in listed] == truth.skipped_rows  # one row each, in sheet order
    blank, copies = set(truth.blank_rows), set(truth.copy_rows)
    for row, column, _, problem, *_ in listed:
        if problem.startswith("no customer ID"):
            assert row in blank and column == "Customer ID", row
        else:
            assert problem.startswith("exact copy of an earlier line") and row in copies, row


def test_real_sample_reports_every_row_without_a_customer_id_as_such(scored_sample, sample_truth):
    _, _, out = scored_sample
    _, body = table_of(out, "Data Issues", "Row")
    assert [r[0] for r in body if r[3].startswith("no customer ID")] == sample_truth.blank_rows


def test_real_sample_keeps_both_year_sheets_and_the_input(scored_sample, sample_source, helpers):
    export, _, out = scored_sample
    assert export.read_bytes() == sample_source.read_bytes()
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
    for sheet in ("Year 2009-2010", "Year 2010-2011"):  # as they were, but no longer the selected tab
        assert helpers.sheet_bytes(out, sheet) == helpers.sheet_bytes(sample_source, sheet).replace(
            b' tabSelected="1"', b"", 1), sheet
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["Year 2009-2010", "Year 2010-2011", "Settings", *OUTPUT, "Products",
                               "Customer Profile"]  # StockCode; Country
    book.close()


# ================================================================== 5. bad input


def _check_message(message: str, words: list[str]) -> None:
    for word in words:
        assert word in message, (word, message)
    assert "\n" not in message and message.endswith(".")
    assert len(re.findall(r"\.\s+[A-Z]", message)) == 0, f"more than one sentence: {message}"


def test_bad_input_raises_a_helpful_error_and_changes_nothing(bad_input, tmp_path, helpers):
    make, words = bad_input  # one case of conftest.BAD_INPUTS
    path = make(tmp_path)
    before = path.read_bytes() if path.exists() else None
    with pytest.raises(rfm_excel.RfmError) as caught:
        score_file(path)
    _check_message(str(caught.value), words)
    assert (path.read_bytes() if path.exists() else None) == before
    assert helpers.leftover_temporaries(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ([path.name] if before is not None else [])


def test_no_orders_sheet_lists_the_sheets_of_the_real_export(sample_copy):
    with pytest.raises(rfm_excel.RfmError) as caught:
        score_file(sample_copy)
    assert "(it has: Year 2009-2010, Year 2010-2011)" in str(caught.value)
    assert "--orders-sheet" in str(caught.value)


def test_a_workbook_open_in_excel_is_refused(hand_book, helpers):
    (hand_book.parent / f"~${hand_book.name}").write_bytes(b"lock")
    before = helpers.sha(hand_book)
    with pytest.raises(rfm_excel.RfmError, match="open in Excel"):
        score_file(hand_book)
    assert helpers.sha(hand_book) == before


# ================================================================== 7. LibreOffice


def _soffice(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    profile = (tmp_path / "lo-profile").as_uri()  # its own profile, so parallel runs do not collide
    return subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", *args],
                          capture_output=True, text=True, timeout=180)


def test_libreoffice_converts_a_scored_workbook_to_pdf(scored_hand_book, tmp_path):
    _, path = scored_hand_book
    pdf_folder = tmp_path / "pdf"
    _soffice(tmp_path, "--convert-to", "pdf", "--outdir", str(pdf_folder), str(path))
    pdf = pdf_folder / "shop.pdf"
    assert pdf.exists() and pdf.stat().st_size > 0
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 6  # at least a page per sheet


def test_libreoffice_reads_the_spliced_sheets_with_their_formats(scored_hand_book, tmp_path):
    _, path = scored_hand_book
    out = tmp_path / "resaved"
    _soffice(tmp_path, "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path))
    book = openpyxl.load_workbook(out / "shop.xlsx")
    assert book.sheetnames == ["Start Here", "Orders", "Settings", *OUTPUT]
    scores = book["Scores"]
    assert without_contact([c.value for c in scores[2]]) == HAND_CORE[0]
    assert scores["H2"].number_format == "#,##0.00"
    assert len(book["Segments"]._charts) == 1


# ================================================================== 8. the owner's formulas recalculate on opening


CALC_PROPERTIES = re.compile(rb"<calcPr\b[^>]*/>")


def test_owners_formulas_on_the_output_sheets_are_recalculated_when_opened(hand_book, helpers, tmp_path):
    """The owner's sheet of formulas over Scores, saved by LibreOffice with their values (as Excel saves them,
    and with no full-calculation flag), then scored again: the flag asks Excel to recalculate on opening,
    and LibreOffice set to recalculate shows the values of the new Scores sheet."""
    score_file(hand_book)
    book = openpyxl.load_workbook(hand_book)
    mine = book.create_sheet("My Summary")
    mine["A1"], mine["A2"] = "=COUNTA(Scores!A:A)", "=Scores!A2"
    book.save(hand_book)
    saved = tmp_path / "saved"
    _soffice(tmp_path, "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(saved), str(hand_book))
    owners = saved / "shop.xlsx"
    with zipfile.ZipFile(owners) as package:
        properties = CALC_PROPERTIES.findall(package.read("xl/workbook.xml"))
    assert len(properties) == 1 and b"fullCalcOnLoad" not in properties[0]
    sheet = len(openpyxl.load_workbook(owners, read_only=True).sheetnames)  # My Summary, the last sheet
    assert helpers.libreoffice_sheet(owners, sheet, tmp_path / "before") == [["6"], ["C005"]]  # 5 customers

    score_file(owners, as_of=dt.date(2024, 3, 31))  # three customers had bought by then; C004 is the best
    with zipfile.ZipFile(owners) as package:
        [written] = CALC_PROPERTIES.findall(package.read("xl/workbook.xml"))
    assert written == properties[0][:-2] + b' fullCalcOnLoad="1"/>'  # LibreOffice's own settings kept
    assert helpers.libreoffice_sheet(owners, sheet, tmp_path / "after", recalculate=True) == [["4"], ["C004"]]


@pytest.mark.parametrize("workbook, expected", [
    ('<sheets/><definedNames/><extLst/>', '<sheets/><definedNames/><calcPr fullCalcOnLoad="1"/><extLst/>'),
    ('<sheets/><oleSize ref="A1"/>', '<sheets/><calcPr fullCalcOnLoad="1"/><oleSize ref="A1"/>'),
    ('<sheets/>', '<sheets/><calcPr fullCalcOnLoad="1"/>'),
    ('<sheets/><calcPr calcId="191029" fullCalcOnLoad="0"/>', '<sheets/><calcPr calcId="191029" fullCalcOnLoad="1"/>'),
])
def test_full_calculation_on_load_is_set_where_the_schema_puts_it(workbook, expected):
    from lxml import etree
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    root = etree.fromstring(f'<workbook xmlns="{main}">{workbook}</workbook>')
    splice.calculate_on_load(root)
    assert etree.tostring(root).decode() == f'<workbook xmlns="{main}">{expected}</workbook>'
