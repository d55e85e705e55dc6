"""Score History (one snapshot per as-of date, compact on its sheet) and the Movement between snapshots."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from rfm_excel.domain.history import NEW, add_snapshot, empty_history, movement, snapshot, to_sheet
from rfm_excel.doors.cli import main
from rfm_excel.doors.files import score_file
from rfm_excel.layout.headers import shown
from rfm_excel.layout.sheets import history_from_sheet

THEN, NOW = dt.date(2024, 5, 31), dt.date(2024, 6, 30)
ORDER = ["Gold", "Silver", "Bronze"]  # the segment table, best first


def scores(*rows) -> pd.DataFrame:
    """Scores rows as (Customer ID, R, F, M, Segment)."""
    return pd.DataFrame(rows, columns=["customer_id", "r", "f", "m", "segment"])


def history(*snapshots) -> pd.DataFrame:
    table = empty_history()
    for as_of, rows in snapshots:
        table = add_snapshot(table, snapshot(rows, as_of, as_of + dt.timedelta(days=1)))
    return table


BEFORE = scores(("a", 5, 5, 5, "Gold"), ("b", 5, 4, 4, "Gold"), ("g", 4, 4, 3, "Gold"), ("c", 3, 3, 3, "Silver"),
                ("d", 3, 2, 2, "Silver"), ("AB 1", 1, 1, 1, "Bronze"))
AFTER = scores(("a", 5, 5, 5, "Gold"), ("d", 4, 4, 4, "Gold"), ("b", 3, 4, 4, "Silver"), ("g", 3, 3, 3, "Silver"),
               ("f", 5, 1, 2, "Silver"), ("c", 2, 2, 3, "Bronze"), ("ab1", 1, 1, 1, "Bronze"))


def test_scoring_an_as_of_date_again_replaces_its_snapshot():
    table = history((NOW, AFTER), (THEN, BEFORE), (NOW, AFTER.head(2)))
    # Three runs, two dates: the second run on NOW replaced the first; snapshots come oldest first.
    assert table.groupby("as_of_date").size().to_dict() == {pd.Timestamp(THEN): 6, pd.Timestamp(NOW): 2}
    assert table["as_of_date"].is_monotonic_increasing


def test_the_sheet_keeps_a_column_per_date_and_reads_back_the_same():
    table = history((THEN, BEFORE), (NOW, AFTER))
    sheet = to_sheet(table)
    assert list(sheet.columns) == ["customer_id", "2024-05-31\n(scored 2024-06-01)", "2024-06-30\n(scored 2024-07-01)"]
    # Rows in the latest snapshot's order (best first); "AB 1" and "ab1" are one customer, spelled as lately.
    assert sheet["customer_id"].tolist() == ["a", "d", "b", "g", "f", "c", "ab1"]
    row = sheet.set_index("customer_id").loc["b"].tolist()
    assert row == ["544 Gold", "344 Silver"]
    assert pd.isna(sheet.set_index("customer_id").loc["f", "2024-05-31\n(scored 2024-06-01)"])  # new in June
    cells = [["Score history"], ["a note"], [], list(shown(sheet).columns),  # as history_sheet heads it
             *sheet.astype(object).where(sheet.notna(), None).values.tolist()]
    back = history_from_sheet(cells)
    key = ["as_of_date", "customer_id"]
    expected = table.assign(**{"customer_id": table["customer_id"].str.replace("AB 1", "ab1")})
    pd.testing.assert_frame_equal(back.sort_values(key).reset_index(drop=True),
                                  expected.sort_values(key).reset_index(drop=True), check_dtype=False)


def test_reading_back_numbers_leading_zeros_and_damage():
    cells = [["Customer ID", "2024-05-31 (scored 2024-06-02)", "my notes", "2024-06-30"],
             [12345.0, "123 Lost", "x", "555 Champions"],   # an ID Excel holds as a number
             ["00123", "garbage", None, "111 Lost"],         # an unreadable cell is skipped
             [None, "555 Champions", None, None]]            # a row without an ID is skipped
    back = history_from_sheet(cells)
    assert back[["as_of_date", "run_date", "customer_id", "r", "f", "m", "segment"]].values.tolist() == [
        [pd.Timestamp(THEN), pd.Timestamp("2024-06-02"), "12345", 1, 2, 3, "Lost"],
        [pd.Timestamp(NOW), pd.NaT, "12345", 5, 5, 5, "Champions"],
        [pd.Timestamp(NOW), pd.NaT, "00123", 1, 1, 1, "Lost"]]
    assert history_from_sheet(None).empty and history_from_sheet([["Score history"]]).empty


def test_migration_counts_and_who_fell_best_first():
    moved = movement(history((THEN, BEFORE), (NOW, AFTER)), ORDER)
    assert (moved.earlier, moved.later) == (THEN, NOW)
    # By hand: a stays Gold; b and g fall Gold -> Silver; d rises Silver -> Gold; c falls Silver -> Bronze;
    # AB 1 / ab1 stays Bronze; f is new (Silver).
    assert moved.matrix.index.tolist() == [*ORDER, NEW] and moved.matrix.columns.tolist() == ORDER
    assert moved.matrix.values.tolist() == [[1, 2, 0],   # Gold then: a; b, g
                                            [1, 0, 1],   # Silver then: d; c
                                            [0, 0, 1],   # Bronze then: ab1
                                            [0, 1, 0]]   # new: f
    # Fallers: those who were Gold first (b: 5+4+4 = 13 before g: 4+4+3 = 11), then c who was Silver.
    assert moved.fallers[["customer_id", "segment_then", "segment_now", "rfm_then", "rfm_now"]].values.tolist() == [
        ["b", "Gold", "Silver", "544", "344"], ["g", "Gold", "Silver", "443", "333"],
        ["c", "Silver", "Bronze", "333", "223"]]


def test_movement_needs_two_snapshots_and_can_compare_any_two():
    assert movement(history((NOW, AFTER)), ORDER) is None
    table = history((THEN, BEFORE), (NOW, AFTER), (dt.date(2024, 7, 31), AFTER))
    assert movement(table, ORDER).fallers.empty  # the latest two are equal
    assert len(movement(table, ORDER, earlier=THEN, later=NOW).fallers) == 3


# ------------------------------------------------------------ in the workbook (HAND_ORDERS of conftest.py)
# As of 2024-05-31 (orders up to then; Eve C005 has none yet), by hand:
#   recency C002 120, C001 91, C004 56, C003 16 -> R 1, 2, 3, 4 (beating 0..3 of 4: 1 + floor(5k/4));
#   frequency C002 1; C001, C003 2; C004 4 -> F 1, 2, 2, 4; monetary C003 30, C004 140, C001 150, C002 500 -> M 1-4.
#   C001 223 Hibernating, C002 114 Lost, C003 421 Potential Loyalist, C004 342 Loyal.
# As of 2024-06-30 (test_workbook.py): C005 554 Champions, C001 433 Potential Loyalist, C004 242 At Risk,
#   C002 115 Lost, C003 321 About to Sleep.


def sheet_rows(path, name) -> list[tuple]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(book[name].iter_rows(values_only=True))
    finally:
        book.close()


def test_each_run_adds_its_snapshot_and_movement_compares_the_latest_two(hand_book):
    score_file(hand_book)
    score_file(hand_book, as_of=THEN)
    score_file(hand_book, as_of=THEN)  # the same date again: replaced, not added
    history_rows = sheet_rows(hand_book, "Score History")
    header = next(row for row in history_rows if row[0] == "Customer ID")
    assert [h[:10] for h in header[1:]] == ["2024-05-31", "2024-06-30"]
    cells = {row[0]: row[1:] for row in history_rows[history_rows.index(header) + 1:]}
    assert cells == {"C005": (None, "554 Champions"), "C001": ("223 Hibernating", "433 Potential Loyalist"),
                     "C004": ("342 Loyal", "242 At Risk"), "C002": ("114 Lost", "115 Lost"),
                     "C003": ("421 Potential Loyalist", "321 About to Sleep")}

    rows = sheet_rows(hand_book, "Movement")
    assert rows[1][0].startswith("From 2024-05-31 to 2024-06-30: 5 customers, 4 changed segment and 2 fell")
    matrix_top = next(i for i, row in enumerate(rows) if row[0] == "Segment then")
    columns = rows[matrix_top]
    counts = {(row[0], columns[c]): row[c] for row in rows[matrix_top + 1:matrix_top + 13]
              for c in range(1, len(columns)) if row[c]}
    assert counts == {("Loyal", "At Risk"): 1, ("Potential Loyalist", "About to Sleep"): 1,
                      ("Hibernating", "Potential Loyalist"): 1, ("Lost", "Lost"): 1, (NEW, "Champions"): 1}
    fallers_top = next(i for i, row in enumerate(rows) if row[0] == "Customer ID")
    fallers = [row[:7] for row in rows[fallers_top + 1:] if row[0]]
    # C004 was Loyal (higher in the table than C003's Potential Loyalist), so it comes first.
    assert fallers == [("C004", "Dan", None, "Loyal", "At Risk", "342", "242"),
                       ("C003", None, None, "Potential Loyalist", "About to Sleep", "421", "321")]


def test_compare_rewrites_the_movement_for_chosen_dates(hand_book, capsys):
    score_file(hand_book, as_of=dt.date(2024, 4, 30))
    score_file(hand_book, as_of=THEN)
    score_file(hand_book)
    assert main(["compare", str(hand_book), "--from", "2024-04-30", "--to", "2024-05-31"]) == 0
    assert "From 2024-04-30 to 2024-05-31" in capsys.readouterr().out
    assert sheet_rows(hand_book, "Movement")[1][0].startswith("From 2024-04-30 to 2024-05-31")
    assert main(["compare", str(hand_book), "--from", "2024-01-01", "--to", "2024-05-31"]) == 1
    assert "no snapshot for 2024-01-01; it has 2024-04-30, 2024-05-31, 2024-06-30" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:  # a usage mistake, told by the parser with the usage line
        main(["compare", str(hand_book), "--from", "2024-04-30"])
    assert stopped.value.code == 2
    assert "compare needs both --from and --to" in capsys.readouterr().err


@pytest.mark.parametrize("as_of", [None, THEN])
def test_the_first_run_says_movement_needs_two_snapshots(hand_book, as_of):
    score_file(hand_book, as_of=as_of)
    assert sheet_rows(hand_book, "Movement")[1][0].startswith("Needs two snapshots")
