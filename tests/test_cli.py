"""The rfm-excel command as an owner runs it: template, score (workbook, CSV, other sheet, as-of) and demo."""

from __future__ import annotations

import datetime as dt
import gzip
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from rfm_excel.doors.cli import main
from rfm_excel.writers.headless.template import build_template

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_error(code: int, err: str, *words: str) -> None:
    assert code == 1  # an input problem (EXIT_STATUSES)
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in err, (word, err)


def table_under(path: Path, sheet: str, header: str) -> tuple[list, list[tuple]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = [tuple(r) for r in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()
    top = next(i for i, row in enumerate(rows) if row and row[0] == header)
    return list(rows[top]), [r for r in rows[top + 1:] if any(v is not None for v in r)]


def note_of(path: Path) -> str:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return book["Segments"]["A2"].value
    finally:
        book.close()


# ================================================================== template


def test_template_writes_the_template_and_says_what_to_do_next(capsys, tmp_path):
    target = tmp_path / "customers.xlsx"
    code, out, err = run(capsys, "template", target)
    assert (code, err) == (0, "")
    assert f'rfm-excel score "{target}"' in out
    assert target.read_bytes() == build_template(tmp_path / "reference.xlsx").read_bytes()


def test_template_refuses_to_overwrite_without_force(capsys, tmp_path):
    target = tmp_path / "customers.xlsx"
    target.write_bytes(b"my own file")
    code, _, err = run(capsys, "template", target)
    assert_error(code, err, "already exists", "--force")
    assert target.read_bytes() == b"my own file"
    code, _, err = run(capsys, "template", target, "--force")
    assert (code, err) == (0, "")
    assert openpyxl.load_workbook(target).sheetnames == ["Start Here", "Orders", "Settings"]


def test_template_with_the_button_is_the_shipped_xlsm(capsys, tmp_path):
    target = tmp_path / "customers.xlsm"
    code, out, err = run(capsys, "template", target)
    assert (code, err) == (0, "")
    assert "click Score customers" in out
    assert target.read_bytes() == (ROOT / "workbook_templates" / "rfm_template.xlsm").read_bytes()


def test_template_needs_an_xlsx_name(capsys, tmp_path):
    code, _, err = run(capsys, "template", tmp_path / "customers.xls")
    assert_error(code, err, ".xlsx")
    assert list(tmp_path.iterdir()) == []


def test_template_into_a_missing_folder_is_a_plain_error(capsys, tmp_path):
    code, _, err = run(capsys, "template", tmp_path / "no such folder" / "customers.xlsx")
    assert_error(code, err, "no such folder")


# ================================================================== score


def test_a_terminal_sees_each_step_on_one_line_that_is_cleared_at_the_end(capsys, hand_book, monkeypatch):
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    monkeypatch.setenv("TERM", "xterm-256color")
    code, out, err = run(capsys, "score", hand_book)
    assert code == 0 and out.startswith("19 order rows read")
    assert err == ("\r\033[KReading and scoring shop.xlsx…\r\033[KWriting 5 customers into shop.xlsx…"
                   "\r\033[K")


def test_a_terminal_without_escape_codes_sees_one_line_per_step(capsys, hand_book, monkeypatch):
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    monkeypatch.setenv("TERM", "dumb")
    code, _, err = run(capsys, "score", hand_book)
    assert code == 0 and err == "Reading and scoring shop.xlsx…\nWriting 5 customers into shop.xlsx…\n"


def test_score_in_place_prints_the_summary_and_the_segments(capsys, hand_book):
    code, out, err = run(capsys, "score", hand_book)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    # Worked out by hand in test_workbook.py: 19 rows, 2 skipped, 16 orders, 5 customers, as of 2024-06-30.
    assert lines[0].startswith("19 order rows read, 17 used, 2 skipped")
    assert lines[1] == "5 customers scored from 16 orders as of 2024-06-30."
    shares = {line.split()[0]: line.split()[-2:] for line in lines[3:] if line.strip() and "%" in line}
    # Revenue shares of 1,145.50: Eve 300 (26.2%), Bob 500 (43.6%), C003 30 (2.6%).
    assert shares["Champions"] == ["1", "26.2%"]
    assert shares["Lost"] == ["1", "43.6%"]
    assert shares["About"] == ["1", "2.6%"]
    assert "Loyal " not in out  # segments without customers are left out of the summary
    assert lines[-1] == f"Wrote {hand_book}"
    assert openpyxl.load_workbook(hand_book).sheetnames[-8:] == ["Scores", "Segments", "Data Issues", "Contact Plan",
                                                                 "Movement", "Campaign Results", "Score History",
                                                                 "Forecast"]


def test_score_with_output_and_as_of_on_the_real_export(capsys, sample_copy, tmp_path, helpers):
    before = helpers.sha(sample_copy)
    out_path = tmp_path / "scored.xlsx"
    code, out, err = run(capsys, "score", sample_copy, "--output", out_path, "--as-of", "2011-06-30",
                         "--orders-sheet", "Year 2010-2011")
    assert (code, err) == (0, "")
    assert helpers.sha(sample_copy) == before
    truth = helpers.retail_rfm(helpers.read_retail_sheet(sample_copy, "Year 2010-2011"), dt.date(2011, 6, 30))
    assert f"{len(truth.table):,} customers scored from" in out
    assert out.splitlines()[1].endswith("as of 2011-06-30.")
    assert "as-of date 2011-06-30" in note_of(out_path)
    header, scores = table_under(out_path, "Scores", "Customer ID")
    assert len(scores) == len(truth.table)
    last, recency = header.index("Last Order"), header.index("Recency (days)")
    assert max(row[last] for row in scores) <= dt.datetime(2011, 6, 30)
    assert all(row[recency] == (dt.datetime(2011, 6, 30) - row[last]).days for row in scores)
    _, issues = table_under(out_path, "Data Issues", "Row")
    late = [row[0] for row in issues if row[3] == "after the as-of date 2011-06-30"]
    assert late == truth.late_rows and len(late) > 10_000
    assert [row[0] for row in issues if row[4].startswith("skipped")] == truth.skipped_rows


def test_score_a_csv_keeps_ids_as_text(capsys, tmp_path):
    csv = tmp_path / "orders.csv"
    csv.write_text("Customer ID,Order ID,Order Date,Amount,Customer Name\n"
                   "00123,A1,2024-01-05,10.50,=1+1\n"
                   '00123,A2,2024-02-05,"1,234.50",=1+1\n'
                   "0042,A3,2024-03-01,7,Tom & Jerry <Ltd>\n"
                   "0042,A4,=NOW(),7,Tom & Jerry <Ltd>\n", encoding="utf-8")
    code, out, err = run(capsys, "score", csv, "--output", tmp_path / "scored.xlsx")
    assert (code, err) == (0, "")
    assert out.startswith("4 order rows read, 3 used, 1 skipped")
    book = openpyxl.load_workbook(tmp_path / "scored.xlsx")
    assert book.sheetnames == ["Start Here", "Orders", "Settings", "Scores", "Segments", "Data Issues", "Contact Plan",
                               "Movement", "Campaign Results", "Score History", "Forecast"]
    scores = {row[0].value: row for row in book["Scores"].iter_rows(min_row=2)}
    assert set(scores) == {"00123", "0042"}
    header = [c.value for c in book["Scores"][1]]
    assert scores["00123"][0].data_type == "s"
    assert scores["00123"][header.index("Monetary")].value == pytest.approx(1245.0)  # 10.50 + 1,234.50
    assert scores["00123"][header.index("Frequency")].value == 2
    name = scores["00123"][header.index("Customer Name")]
    assert (name.value, name.data_type) == ("=1+1", "s")  # text, never a formula
    assert scores["0042"][header.index("Customer Name")].value == "Tom & Jerry <Ltd>"
    issue = next(row for row in book["Data Issues"].iter_rows() if row[0].value == 5)  # CSV line 5
    assert [c.value for c in issue[:3]] + [issue[4].value] == [5, "Order Date", "=NOW()", "skipped"]
    assert issue[3].value.startswith("not a date")
    assert issue[2].data_type == "s"
    orders = book["Orders"]
    assert [c.value for c in orders["A"]][1:] == ["00123", "00123", "0042", "0042"]
    assert orders["B3"].value == "A2" and orders["D3"].value == pytest.approx(1234.5)


def _csv_with_one_bad_row(tmp_path: Path) -> Path:
    csv = tmp_path / "orders.csv"
    csv.write_text("Customer ID,Order ID,Order Date,Amount\n"
                   "0042,A1,2024-03-01,7\n"
                   "0042,A2,2024-03-02,8.50\n"
                   "0042,A3,31/02/2024,n/a\n", encoding="utf-8")  # line 4: no 31 February, no amount
    assert main(["score", str(csv), "--output", str(tmp_path / "scored.xlsx")]) == 0
    return tmp_path / "scored.xlsx"


def test_a_csv_date_that_cannot_be_read_is_kept_in_the_orders_sheet(capsys, tmp_path):
    orders = openpyxl.load_workbook(_csv_with_one_bad_row(tmp_path))["Orders"]
    assert orders["C4"].value == "31/02/2024"


def test_one_bad_csv_amount_leaves_the_other_amounts_numbers(capsys, tmp_path):
    orders = openpyxl.load_workbook(_csv_with_one_bad_row(tmp_path))["Orders"]
    assert [orders["D2"].value, orders["D3"].value, orders["D4"].value] == [7, 8.5, "n/a"]


def test_score_a_csv_without_output_writes_beside_it(capsys, tmp_path):
    csv = tmp_path / "orders.csv"
    csv.write_text("Customer ID,Order Date,Amount\nA,2024-01-05,10\n", encoding="utf-8")
    code, out, _ = run(capsys, "score", csv)
    assert code == 0
    assert (tmp_path / "orders scored.xlsx").exists()
    assert out.splitlines()[-1] == f"Wrote {tmp_path / 'orders scored.xlsx'}"


def test_score_another_sheet_of_an_export_in_place(capsys, sample_copy, helpers):
    before = {s: helpers.sheet_bytes(sample_copy, s) for s in ("Year 2009-2010", "Year 2010-2011")}
    code, out, err = run(capsys, "score", sample_copy, "--orders-sheet", "Year 2009-2010")
    assert (code, err) == (0, "")
    truth = helpers.retail_rfm(helpers.read_retail_sheet(sample_copy, "Year 2009-2010"))
    assert truth.rows == 14_269
    skipped = len(truth.skipped_rows)
    assert out.startswith(f"14,269 order rows read, {14_269 - skipped:,} used, {skipped:,} skipped")
    assert f"{len(truth.table):,} customers scored" in out
    _, scores = table_under(sample_copy, "Scores", "Customer ID")
    assert {str(row[0]) for row in scores} == set(truth.table.index)
    for sheet, data in before.items():  # as they were, but no longer the selected tab
        assert helpers.sheet_bytes(sample_copy, sheet) == data.replace(b' tabSelected="1"', b"", 1), sheet
    book = openpyxl.load_workbook(sample_copy, read_only=True)
    assert book.sheetnames == ["Year 2009-2010", "Year 2010-2011", "Settings", "Scores", "Segments",
                               "Data Issues", "Contact Plan", "Movement", "Campaign Results", "Score History",
                               "Forecast", "Products", "Customer Profile"]  # Country
    notes = " ".join(str(book["Data Issues"][f"A{r}"].value) for r in range(2, 6))  # wrapped to the sheet's width
    assert "Row is the row number in Year 2009-2010" in notes
    book.close()


def test_bad_input_on_the_command_line(capsys, bad_input, tmp_path, helpers):
    make, words = bad_input  # one case of conftest.BAD_INPUTS
    path = make(tmp_path)
    before = path.read_bytes() if path.exists() else None
    code, out, err = run(capsys, "score", path)
    assert_error(code, err, *words)
    assert out == ""
    assert (path.read_bytes() if path.exists() else None) == before
    assert helpers.leftover_temporaries(tmp_path) == []


def test_a_misspelt_orders_sheet_is_named_in_the_error(capsys, sample_copy):
    code, _, err = run(capsys, "score", sample_copy, "--orders-sheet", "Year 2011")
    assert_error(code, err, "'Year 2011'", "Year 2009-2010, Year 2010-2011", "check the spelling")


@pytest.mark.parametrize("output, words", [
    ("scored.csv", ["scored.csv", "must end in .xlsx"]),
    ("missing folder/scored.xlsx", ["does not exist"]),
])
def test_a_bad_output_is_refused(capsys, hand_book, helpers, output, words):
    before = helpers.sha(hand_book)
    code, _, err = run(capsys, "score", hand_book, "--output", hand_book.parent / output)
    assert_error(code, err, *words)
    assert helpers.sha(hand_book) == before
    assert sorted(p.name for p in hand_book.parent.iterdir()) == [hand_book.name]


def test_a_bad_as_of_date_is_refused_by_the_parser(capsys, hand_book):
    with pytest.raises(SystemExit) as stopped:
        main(["score", str(hand_book), "--as-of", "30/06/2024"])
    assert stopped.value.code == 2
    assert "'30/06/2024' is not a date like 2024-12-31" in capsys.readouterr().err


def test_an_as_of_date_before_every_order_is_a_plain_error(capsys, hand_book, helpers):
    before = helpers.sha(hand_book)
    code, _, err = run(capsys, "score", hand_book, "--as-of", "2020-01-01")
    assert_error(code, err, "2020-01-01")
    assert helpers.sha(hand_book) == before


def test_orders_that_are_all_returns_say_so_rather_than_blame_the_as_of_date(capsys, tmp_path):
    csv = tmp_path / "returns.csv"  # one order of 0.01 whose line is returned: it nets to zero
    csv.write_text("Customer ID,Order ID,Order Date,Amount\n1,O2,2023-01-01,0.01\n1,O2,2023-01-01,-0.01\n")
    code, _, err = run(capsys, "score", csv)
    assert_error(code, err, "No order in the returns.csv sheet adds up to more than zero")
    assert "as-of" not in err


# ================================================================== demo


def _demo_truth() -> int:
    """Customers in the bundled sample with a non-blank ID and at least one order (Invoice) of positive net amount."""
    source = resources.files("rfm_excel.sample") / "online_retail_sample.csv.gz"
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        frame = pd.read_csv(text, dtype=str, keep_default_na=False)
    frame = frame[frame["Customer ID"].str.strip() != ""]
    amount = frame["Quantity"].astype(float) * frame["Price"].astype(float)
    net = amount.groupby([frame["Customer ID"].str.strip(), frame["Invoice"]]).sum()
    return net[net > 0].index.get_level_values(0).nunique()


def test_demo_writes_a_scored_workbook_of_the_bundled_sample(capsys, tmp_path):
    customers = _demo_truth()
    assert customers == 260
    target = tmp_path / "demo.xlsx"
    code, out, err = run(capsys, "demo", target)
    assert (code, err) == (0, "")
    assert out.startswith("Scored the sample as of 2011-09-30, then as of 2011-12-10.\n34,766 order rows read")
    assert f"{customers} customers scored" in out
    assert out.splitlines()[-1] == f"Wrote {target}"
    _, scores = table_under(target, "Scores", "Customer ID")
    assert len(scores) == customers
    assert [p.name for p in tmp_path.iterdir()] == ["demo.xlsx"]
    book = openpyxl.load_workbook(target)
    assert book.active.title == "Start Here"
    # Two snapshots, so Movement and Score History have something to show on first open.
    history, _ = table_under(target, "Score History", "Customer ID")
    assert [h[:10] for h in history[1:]] == ["2011-09-30", "2011-12-10"]
    assert book["Movement"]["A2"].value.startswith("From 2011-09-30 to 2011-12-10: ")
    # The campaign of the first date, with a fifth held out: test and control groups in every contacted segment.
    header, results = table_under(target, "Campaign Results", "Segment")
    rows = {row[0]: dict(zip(header, row, strict=False)) for row in results}
    assert rows["All segments"]["Test Customers"] > 0 and rows["All segments"]["Control Customers"] > 0
    # Customer IDs are all plain numbers, so they are numbers; invoices mix 489434 and C489434, so they stay
    # text, and Excel is told not to flag the ones that look like numbers.
    orders = book["Orders"]
    assert (orders["A1"].value, orders["G1"].value) == ("Invoice", "Customer ID")
    assert isinstance(orders["G2"].value, int) and orders["A2"].data_type == "s"
    orders_xml = zipfile.ZipFile(target).read("xl/worksheets/sheet2.xml").decode()
    assert '<ignoredError sqref="A2:A34767" numberStoredAsText="1"/>' in orders_xml


def test_demo_needs_an_xlsx_name(capsys, tmp_path):
    code, _, err = run(capsys, "demo", tmp_path / "demo.ods")
    assert_error(code, err, ".xlsx")


# ================================================================== exit statuses and unexpected failures


@pytest.mark.parametrize("command", [[], ["score"], ["demo"]])
def test_help_lists_the_exit_statuses(capsys, command):
    with pytest.raises(SystemExit) as stopped:
        main([*command, "--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    statuses = out[out.index("exit status:"):].splitlines()[1:]
    assert [line.split()[0] for line in statuses] == ["0", "1", "2", "3", "130"]
    assert "log file" in statuses[3]


def _broken(*args, **kwargs):
    raise ZeroDivisionError("division by zero")


def test_an_unexpected_failure_is_one_sentence_naming_a_log_beside_the_book(capsys, hand_book, helpers,
                                                                             monkeypatch):
    before = helpers.sha(hand_book)
    monkeypatch.setattr("rfm_excel.doors.files.core.score", _broken)
    code, out, err = run(capsys, "score", hand_book, "--as-of", "2024-06-30")
    log = hand_book.with_name("shop rfm-excel error.log")
    assert (code, out) == (3, "")
    assert err == (f"Error: rfm-excel stopped on an unexpected problem (ZeroDivisionError: division by zero); please "
                   f"send the details, written to {log}, with your report.\n")
    assert helpers.sha(hand_book) == before
    details = log.read_text(encoding="utf-8")
    assert f"While: rfm-excel score {hand_book} --as-of 2024-06-30\n" in details
    assert "Traceback (most recent call last):" in details and details.rstrip().endswith(
        "ZeroDivisionError: division by zero")
    run(capsys, "score", hand_book)  # a second failure is added to the same log
    assert log.read_text(encoding="utf-8").count("Traceback (most recent call last):") == 2
    assert sorted(p.name for p in hand_book.parent.iterdir()) == ["shop rfm-excel error.log", "shop.xlsx"]


def test_the_log_goes_to_the_temp_folder_when_the_books_folder_cannot_be_written(capsys, hand_book, monkeypatch,
                                                                                 tmp_path_factory):
    temporary = tmp_path_factory.mktemp("temp")
    monkeypatch.setattr("tempfile.tempdir", str(temporary))
    real_open = open

    def refusing(path, *args, **kwargs):  # as root, a read-only folder would not stop the write
        if Path(path).parent == hand_book.parent:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr("rfm_excel.doors.failures.open", refusing, raising=False)
    monkeypatch.setattr("rfm_excel.doors.files.core.score", _broken)
    code, _, err = run(capsys, "score", hand_book)
    assert code == 3
    assert f"written to {temporary / 'shop rfm-excel error.log'}, with" in err
    assert "ZeroDivisionError" in (temporary / "shop rfm-excel error.log").read_text(encoding="utf-8")
    def nowhere(path, *args, **kwargs):
        raise OSError(28, "No space left on device", str(path))
    monkeypatch.setattr("rfm_excel.doors.failures.open", nowhere, raising=False)
    code, _, err = run(capsys, "score", hand_book)
    assert (code, err) == (3, "Error: rfm-excel stopped on an unexpected problem (ZeroDivisionError: division by "
                              "zero); please report this message.\n")


def test_ctrl_c_exits_130_and_says_nothing_changed(capsys, hand_book, helpers, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    before = helpers.sha(hand_book)
    monkeypatch.setattr("rfm_excel.doors.files.core.score", interrupted)
    assert run(capsys, "score", hand_book) == (130, "", "Stopped; no file was changed.\n")
    assert helpers.sha(hand_book) == before


# ================================================================== the installed command


def _command() -> list[str]:
    script = Path(sys.executable).with_name("rfm-excel")
    return [str(script)] if script.exists() else [sys.executable, "-m", "rfm_excel.doors.cli"]


def test_the_installed_command_end_to_end(tmp_path, helpers):
    book = tmp_path / "my shop.xlsx"
    done = subprocess.run([*_command(), "template", str(book)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    helpers.fill_orders(book, helpers.hand_orders)
    done = subprocess.run([*_command(), "score", str(book)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "5 customers scored from 16 orders as of 2024-06-30." in done.stdout
    assert openpyxl.load_workbook(book).sheetnames[-8:] == ["Scores", "Segments", "Data Issues", "Contact Plan",
                                                            "Movement", "Campaign Results", "Score History",
                                                            "Forecast"]
    (tmp_path / "notes.xlsx").write_text("not a workbook")
    done = subprocess.run([*_command(), "score", str(tmp_path / "notes.xlsx")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: notes.xlsx ") and "Excel workbook" in done.stderr
    assert "Traceback" not in done.stderr
