"""Order lines beyond pandas: the same cleaning and the same per-customer table in DuckDB and in Spark, the
workbook of a history larger than a sheet, and tables longer than their sheet.

An independent oracle for the engines is the pandas path (orders.normalise, customers.from_lines),
which the rest of the suite checks by hand; here every engine must give exactly what it gives.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.csv as arrow_csv
import pyarrow.parquet as pq
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st

import rfm_excel
from rfm_excel import core
from rfm_excel.base.excel import MAX_ROWS
from rfm_excel.base.orders import normalise
from rfm_excel.base.settings import Settings
from rfm_excel.domain import customers
from rfm_excel.doors import files
from rfm_excel.doors.cli import main
from rfm_excel.layout import sheets
from rfm_excel.layout.issue_words import issue_table
from rfm_excel.readers.csv import read_csv
from rfm_excel.readers.engine import duckdb_lines, parquet_table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import generate  # benchmarks/generate.py: realistic order lines

DATA = Path(__file__).resolve().parent / "data" / "csv"
FIXTURES = sorted(p.name for p in DATA.iterdir() if p.suffix in (".csv", ".txt"))  # not a failed run's error log
AS_OF = dt.date(2024, 7, 1)
SETTINGS = [Settings(), Settings(window_months=3, campaign_date=dt.date(2024, 3, 1), response_days=45)]


def orders_frame(lines: int = 3000, seed: int = 7) -> pd.DataFrame:
    """Generated order lines with the awkward cases an engine must get right: returns, cancelled invoices, names
    on some lines, a customer who buys every March, lines without an Order ID, an exact copy, a blank customer."""
    customer, order, days, amount = generate.order_lines(lines, max(lines // 10, 1), seed)
    frame = pd.DataFrame({
        "Customer ID": pd.Series(customer.astype(np.int64).astype(str), dtype=object),
        "Order ID": pd.Series(order, dtype=object),
        "Order Date": (pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")).round("min"),
        "Amount": amount,
        "Customer Name": pd.Series(np.where(np.arange(lines) % 3 == 0, "Name " + customer.astype(np.int64).astype(str),
                                            None), dtype=object)})
    frame.loc[5, "Order ID"] = "C" + frame.loc[5, "Order ID"][2:]  # SO5... -> C5...: not a cancellation mark here
    march = pd.DataFrame({"Customer ID": "MARCH", "Order ID": ["M1", "M2", "M3", None, None],
                          "Order Date": pd.to_datetime(["2023-03-04", "2023-03-20", "2024-03-09", "2024-03-09",
                                                        "2024-06-01"]),
                          "Amount": [10.0, 20.0, 30.0, 5.0, -8.0],
                          "Customer Name": [None, "Mary", None, "Mary M", None]})
    frame = pd.concat([frame, march, frame.iloc[[10]], frame.iloc[[11]].assign(**{"Customer ID": None})],
                      ignore_index=True)
    return frame


def pandas_table(frame: pd.DataFrame, as_of=AS_OF, settings: Settings = Settings()) -> pd.DataFrame:
    lines = normalise(frame).lines
    return customers.from_lines(lines, as_of, settings.window_months, core.response_window(settings))


def engine_table(lines, as_of=AS_OF, settings: Settings = Settings()) -> pd.DataFrame:
    found = lines.run(customers.query(lines.name, as_of, settings.window_months, core.response_window(settings),
                                      lines.extras, lines.dialect))
    return customers.conform(lines.decode(found.set_index("customer_id")))


def same_tables(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Every customer and every column equal (money to a millionth: sums may add up in another order)."""
    assert sorted(left.index) == sorted(right.index)
    pd.testing.assert_frame_equal(left, right.loc[left.index], check_exact=False, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", FIXTURES)
@pytest.mark.parametrize("settings", SETTINGS, ids=["defaults", "window and campaign"])
def test_duckdb_cleans_a_messy_csv_as_normalise_does(name, settings):
    table = read_csv(DATA / name)
    expected = rfm_excel.score(table.frame(), settings, sheet=name)
    got = core.score_lines(duckdb_lines(table.table, source=name), settings)
    for part in ("scores", "issues", "segments"):
        pd.testing.assert_frame_equal(getattr(got, part), getattr(expected, part))
    # the plan's offers come from the lines, which an engine keeps where they are: the rest is alike
    pd.testing.assert_frame_equal(got.plan, expected.plan.drop(columns=["offer", "why", "reorder", "reorder_due"]))
    assert (got.rows_read, got.lines_used, got.orders, got.customers) == (13, 9, 8, 4)
    assert (got.first_date, got.last_date) == (dt.date(2024, 1, 5), dt.date(2024, 6, 29))


def test_the_per_customer_table_holds_what_timing_and_a_forecast_need():
    hand = pd.DataFrame({"Customer ID": ["A"] * 5 + ["B"],
                         "Order ID": ["1", "1", "2", "3", "R", "9"],
                         "Order Date": pd.to_datetime(["2024-01-10", "2024-01-10", "2024-03-01", "2024-03-01",
                                                       "2024-04-02", "2024-05-05"]),
                         "Amount": [30.0, 20.0, 15.0, 25.0, -10.0, 60.0]})
    table = pandas_table(hand)
    # A: orders 1 (50, 01-10), 2 (15) and 3 (25) on 03-01, the return R (-10): purchase days 01-10 (50) and
    # 03-01 (40); one gap of 51 days; the mean of the repeat days is 40.
    assert table.loc["a"].to_dict() == {
        "customer": "A", "first_row": 2, "orders": 4, "net": 80.0, "returns": 1, "purchases": 3,
        "first_purchase": pd.Timestamp("2024-01-10"), "last_purchase": pd.Timestamp("2024-03-01"), "frequency": 3,
        "monetary": 80.0, "usual_gap": 51.0, "usual_month": 0, "purchase_days": 2, "purchase_span": 51.0,
        "repeat_day_value": 40.0}
    assert table.loc["b", "purchase_days"] == 1 and np.isnan(table.loc["b", "repeat_day_value"])
    connection_lines = duckdb_lines(pa.Table.from_pandas(hand, preserve_index=False))
    same_tables(table, engine_table(connection_lines))


@pytest.mark.parametrize("settings", SETTINGS, ids=["defaults", "window and campaign"])
def test_duckdb_on_parquet_files_gives_the_pandas_table_for_every_customer(tmp_path, settings):
    frame = orders_frame()
    pq.write_table(pa.Table.from_pandas(frame.iloc[:2000], preserve_index=False), tmp_path / "a.parquet")
    pq.write_table(pa.Table.from_pandas(frame.iloc[2000:], preserve_index=False), tmp_path / "b.parquet")
    table, names = parquet_table(str(tmp_path / "*.parquet"))
    assert names == ["a.parquet", "b.parquet"] and table.num_rows == len(frame)
    expected = pandas_table(frame, settings=settings)
    got = engine_table(duckdb_lines(table), settings=settings)
    same_tables(expected, got)
    assert got.loc["march", "usual_month"] == 3 and got.loc["march", "customer_name"] == "Mary M"


def test_a_history_one_line_longer_than_a_sheet_gets_no_orders_sheet(tmp_path):
    lines = MAX_ROWS  # the header row and these do not fit on one sheet
    rng = np.random.default_rng(3)
    customer = rng.integers(0, 50_000, size=lines)
    day = np.datetime64("2023-01-01") + rng.integers(0, 700, size=lines).astype("timedelta64[D]")
    source = tmp_path / "orders.csv"
    arrow_csv.write_csv(pa.table({"Customer ID": pa.array(customer.astype(str)),
                                  "Order ID": pa.array(np.char.add("O", (np.arange(lines) // 3).astype(str))),
                                  "Order Date": pa.array(day.astype(str)),
                                  "Amount": pa.array(np.round(rng.gamma(2.0, 10.0, size=lines), 2).astype(str))}),
                        source)
    target = tmp_path / "scores.xlsx"
    assert main(["score", str(source), "--output", str(target)]) == 0
    book = openpyxl.load_workbook(target, read_only=True)
    assert "Orders" not in book.sheetnames and "Start Here" not in book.sheetnames
    assert book.sheetnames[:2] == ["Settings", "Scores"]
    note = " ".join(str(row[0]) for row in book["Segments"].iter_rows(min_row=2, max_row=5, max_col=1,
                                                                      values_only=True))  # wrapped to the sheet
    assert (" Orders: 1,048,576 lines from orders.csv (UTF-8 text, comma-separated), dated 2023-01-01 "
            f"to {day.max()}: more than a sheet holds, so this workbook has no Orders sheet; score "
            "orders.csv again to update it.") in note
    expected = rfm_excel.score(read_csv(source).frame())
    scores = pd.read_excel(target, sheet_name="Scores", engine="calamine", dtype={"Customer ID": str})
    assert len(scores) == expected.customers
    assert scores["Monetary"].round(2).tolist() == expected.scores["monetary"].round(2).tolist()
    assert scores["Customer ID"].tolist() == expected.scores["customer_id"].tolist()


def test_lines_past_the_sheet_are_scored_by_the_engine_as_pandas_scores_them(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "ORDERS_ROWS", 10)  # the 13 lines of the fixture no longer fit
    assert main(["score", str(DATA / "orders-semicolon.csv"), "--output", str(tmp_path / "big.xlsx")]) == 0
    monkeypatch.setattr(files, "ORDERS_ROWS", MAX_ROWS - 1)
    assert main(["score", str(DATA / "orders-semicolon.csv"), "--output", str(tmp_path / "small.xlsx")]) == 0
    big, small = (openpyxl.load_workbook(tmp_path / name) for name in ("big.xlsx", "small.xlsx"))
    assert "Orders" not in big.sheetnames and "Orders" in small.sheetnames
    assert "Products" not in big.sheetnames and "Products" in small.sheetnames  # offers need the lines in memory
    note = " ".join(str(row[0]) for row in big["Segments"].iter_rows(min_row=2, max_row=5, max_col=1, values_only=True))
    assert ("The SKU column was not used: offers, returns and complaints need the lines of an order history that "
            "fits on a sheet (docs/big-data.md).") in note
    for sheet in ("Scores", "Data Issues", "Contact Plan"):  # the plan's offers need the lines in memory
        width = big[sheet].max_column
        assert [[c.value for c in row[:width]] for row in big[sheet].iter_rows()] == \
            [[c.value for c in row[:width]] for row in small[sheet].iter_rows()]


def test_tables_longer_than_their_sheet_go_in_full_beside_the_workbook(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_ROWS", 12)  # a sheet of 12 rows: Scores holds 8 customers under its notes
    frame = orders_frame(200)
    source = tmp_path / "orders.csv"
    frame.to_csv(source, index=False)
    assert main(["score", str(source), "--output", str(tmp_path / "scored.xlsx")]) == 0
    expected = rfm_excel.score(read_csv(source).frame())
    book = openpyxl.load_workbook(tmp_path / "scored.xlsx")
    assert book["Scores"].max_row == 12  # title, note, a blank row, the header and the first 8 customers
    beside = pd.read_csv(tmp_path / "scored scores.csv", dtype={"Customer ID": str}, encoding="utf-8-sig")
    assert len(beside) == expected.customers == 21
    assert beside["Customer ID"].tolist() == expected.scores["customer_id"].tolist()
    plan = pd.read_csv(tmp_path / "scored contact plan.csv", encoding="utf-8-sig")
    assert len(plan) == 21 and book["Contact Plan"].max_row == 12
    note = " ".join(str(row[0].value) for row in book["Scores"].iter_rows(max_row=3, max_col=1))
    assert (f"Scores is bigger than an Excel sheet can hold, so its last 13 of 21 rows are left out of the sheet; "
            f"the whole table is in {tmp_path / 'scored scores.csv'}.") in note


def test_a_folder_of_monthly_files_scores_as_its_lines_one_under_the_other(tmp_path):
    frame = orders_frame(300)
    folder = tmp_path / "exports"
    folder.mkdir()
    frame.iloc[:100].to_csv(folder / "2024-01.csv", index=False)
    frame.iloc[100:200].to_csv(folder / "2024-02.csv", index=False, sep=";", encoding="cp1252")
    book = xlsxwriter.Workbook(str(folder / "2024-03.xlsx"))
    sheet = book.add_worksheet("Orders")
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, list(frame.columns))
    for r, row in enumerate(frame.iloc[200:].itertuples(index=False), start=1):
        for c, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif isinstance(value, pd.Timestamp):
                sheet.write_datetime(r, c, value.to_pydatetime(), when)
            elif isinstance(value, float) and value == value:
                sheet.write_number(r, c, value)
    book.close()
    (folder / "~$2024-03.xlsx").write_bytes(b"lock")  # Excel's lock file: left alone
    target = folder / "scores.xlsx"
    assert main(["score", str(folder), "--output", str(target)]) == 0
    assert main(["score", str(folder), "--output", str(tmp_path / "again.xlsx")]) == 0  # scores.xlsx: not an export
    together = tmp_path / "together.csv"
    frame.to_csv(together, index=False)
    expected = rfm_excel.score(read_csv(together).frame())
    for path in (target, tmp_path / "again.xlsx"):
        scores = pd.read_excel(path, sheet_name="Scores", engine="calamine", dtype={"Customer ID": str})
        assert scores["Customer ID"].tolist() == expected.scores["customer_id"].tolist()
        assert scores["Monetary"].tolist() == expected.scores["monetary"].tolist()
    note = " ".join(str(row[0]) for row in openpyxl.load_workbook(target)["Segments"].iter_rows(
        min_row=2, max_row=5, max_col=1, values_only=True))  # wrapped to the sheet
    assert f" Orders: {len(frame):,} lines from exports/ (3 files, 2024-01.csv to 2024-03.xlsx), dated " in note


@pytest.mark.parametrize("args, message", [
    (["score", "--source", "mysql:orders", "--output", "x.xlsx"],
     "The source 'mysql:orders' is not one the tool reads"),
    (["score", "--source", "parquet:nothing-here/*.parquet", "--output", "x.xlsx"],
     "No Parquet file matches nothing-here/*.parquet"),
])
def test_a_source_given_wrongly_is_refused_in_one_sentence(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 1  # a problem with the input
    assert capsys.readouterr().err.startswith("Error: " + message)


@pytest.mark.parametrize("args, message", [
    (["score"], "score needs either a workbook, file or folder of orders, or --source"),
    (["score", "--source", "parquet:x/*.parquet"], "score --source needs --output"),
    (["score", "orders.csv", "--engine", "spark"], "--engine spark reads --source only"),
])
def test_a_score_command_missing_its_orders_is_a_usage_mistake(args, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(args)
    assert stopped.value.code == 2 and message in capsys.readouterr().err


def test_spark_without_pyspark_says_what_to_install(tmp_path, monkeypatch, capsys):
    for name in ("pyspark", "pyspark.errors", "pyspark.sql"):  # as if it were not installed, even once imported
        monkeypatch.setitem(sys.modules, name, None)
    pq.write_table(pa.Table.from_pandas(orders_frame(50), preserve_index=False), tmp_path / "o.parquet")
    code = main(["score", "--source", f"parquet:{tmp_path}/*.parquet", "--engine", "spark", "--output",
                 str(tmp_path / "s.xlsx")])
    assert code == 1
    assert capsys.readouterr().err == ('Error: Scoring on Spark needs PySpark, SQLGlot and Java 17 or later; install '
                                       'them with: pip install "rfm-excel[spark]".\n')


def test_pandas_duckdb_and_spark_score_every_customer_alike(spark, tmp_path):
    frame = orders_frame()
    folder = tmp_path / "orders"
    folder.mkdir()
    for name, part in (("part-1.parquet", frame.iloc[:1500]), ("part-2.parquet", frame.iloc[1500:])):
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), folder / name, coerce_timestamps="us")
    settings = SETTINGS[1]
    expected = pandas_table(frame, settings=settings)
    from rfm_excel.readers.spark import spark_lines
    lines = spark_lines(str(folder / "*.parquet"), spark)
    same_tables(expected, engine_table(lines, settings=settings))
    same_tables(expected, engine_table(duckdb_lines(parquet_table(str(folder))[0]), settings=settings))
    from_spark = core.score_lines(lines, settings)
    from_pandas = rfm_excel.score(frame, settings)
    pd.testing.assert_frame_equal(from_spark.scores, from_pandas.scores)
    pd.testing.assert_frame_equal(from_spark.plan, from_pandas.plan)
    assert from_spark.rows_read == len(frame) and from_spark.lines_used == from_pandas.lines_used
    shown = issue_table(from_spark.issues)
    skipped = shown[shown["Action"].str.startswith("skipped")]
    assert skipped[["Row", "Problem"]].values.tolist() == [
        [len(frame), "exact copy of an earlier line"],
        [len(frame) + 1, "no customer ID (blank, or an error such as #N/A)"]]
    assert main(["score", "--source", f"parquet:{folder}/*.parquet", "--engine", "spark", "--output",
                 str(tmp_path / "spark.xlsx")]) == 0
    book = openpyxl.load_workbook(tmp_path / "spark.xlsx", read_only=True)
    assert "Orders" not in book.sheetnames
    said = [c for row in book["Segments"].iter_rows(values_only=True) for c in row if "Spark" in str(c)]
    assert len(said) == 1 and "*.parquet (Parquet, read by Spark), dated" in said[0]  # cleaned on the cluster


@settings_hypothesis(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=8) |
                st.from_regex(r"\A\s?[0-9A-Za-z .\-]{0,6}(\.0)?\s?\Z"), min_size=1, max_size=30))
def test_the_arrow_shortcuts_give_what_id_text_and_customer_keys_give(texts):
    """id_texts and matching_keys leave plain texts to Arrow and the rest to id_text and customer_keys."""
    from rfm_excel.base.orders import customer_keys, id_text, id_texts, matching_keys
    from rfm_excel.readers.engine import _codes
    _, dictionary = _codes(pa.chunked_array([pa.array(texts, pa.string())]))
    got = id_texts(dictionary).to_pylist()
    assert got == [None if v == "" else id_text(v) for v in dictionary.to_pylist()]
    assert matching_keys(pa.array(got, pa.string())).to_pylist() == list(customer_keys(got))
