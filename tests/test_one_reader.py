"""One reader for every size: each fixture read by pandas (a sheet's worth of lines), by DuckDB (the engine that
takes over beyond a sheet, forced here on small files) and, for Parquet, by Spark must give the same reading
plan, the same Data Issues row for row and the same scores.

The pandas path is the oracle: tests/test_exports.py and tests/test_csv.py check it by hand against each
fixture's worked figures; a few of those figures are checked here again through the engine.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import rfm_excel
from rfm_excel import core
from rfm_excel.doors import files
from rfm_excel.layout.issue_words import issue_table
from rfm_excel.layout.wording import run_note
from rfm_excel.readers.csv import read_csv
from rfm_excel.readers.engine import duckdb_lines, parquet_table
from rfm_excel.readers.spark import spark_lines

DATA = Path(__file__).parent / "data"
FIXTURES = sorted([*(DATA / "exports").glob("*.csv"), *(DATA / "csv").iterdir(), *(DATA / "reading").glob("*.csv")])
AS_OF = dt.date(2024, 7, 1)
OFFERS = ["offer", "why", "reorder", "reorder_due"]  # the plan's offers need the lines in memory


def as_of_of(source: Path) -> dt.date:
    """The as-of date a fixture's worked figures are for (its JSON file's), else AS_OF."""
    worked = source.with_suffix(".json")
    return dt.date.fromisoformat(json.loads(worked.read_text(encoding="utf-8"))["as_of"]) if worked.exists() else AS_OF


def both_ways(source: Path, tmp_path: Path) -> tuple[core.Result, core.Result]:
    """``source`` scored as a file of a sheet's size (pandas) and as one past it (DuckDB)."""
    copy = tmp_path / source.name
    shutil.copyfile(source, copy)
    small = files.export_plan(copy, tmp_path / "small.csv", as_of=as_of_of(source))[0]  # no workbook to write
    big = files.export_plan(copy, tmp_path / "big.csv", as_of=as_of_of(source), engine_from=1)[0]
    assert small.origin is not None and small.origin.in_workbook
    assert big.origin is not None and not big.origin.in_workbook  # the engine read it
    return small, big


def assert_alike(got: core.Result, expected: core.Result) -> None:
    """The same plan, Data Issues, scores, segments and counts (the Contact Plan but for its offers)."""
    assert got.reading_plan == expected.reading_plan
    pd.testing.assert_frame_equal(got.issues, expected.issues)
    pd.testing.assert_frame_equal(got.scores, expected.scores)
    pd.testing.assert_frame_equal(got.segments, expected.segments)
    pd.testing.assert_frame_equal(got.plan, expected.plan.drop(columns=OFFERS, errors="ignore"))
    assert (got.rows_read, got.lines_used, got.orders, got.customers) == \
        (expected.rows_read, expected.lines_used, expected.orders, expected.customers)


@pytest.mark.parametrize("source", FIXTURES, ids=[p.name for p in FIXTURES])
def test_every_fixture_reads_alike_in_pandas_and_in_duckdb(source, tmp_path):
    small, big = both_ways(source, tmp_path)
    assert_alike(big, small)


def test_a_shopify_export_past_a_sheet_scores_as_its_worked_figures(tmp_path):
    """The issue's case: a Shopify orders export read by the engine (KeyError: 'customer_id' before)."""
    expected = json.loads((DATA / "exports" / "shopify_orders.json").read_text(encoding="utf-8"))
    _, big = both_ways(DATA / "exports" / "shopify_orders.csv", tmp_path)
    got = {c: (f, round(m, 2), r) for c, f, m, r in big.scores[["customer_id", "frequency", "monetary",
                                                                 "recency_days"]].itertuples(index=False)}
    assert got == {c: (v["frequency"], v["monetary"], v["recency"]) for c, v in expected["customers"].items()}
    plan = big.reading_plan
    assert plan is not None and plan.layout is not None and plan.layout.name == "a Shopify orders export"
    assert dict(plan.columns)["customer_id"] == "Email" and dict(plan.roles) == {"refunded": "Refunded Amount"}
    # #1003 refunded in full, #1004 partly (18.00 of 53.50), #1006 voided, #1008 without an Email, #1010 after
    # the as-of date (the JSON file's "why" lines)
    assert issue_table(big.issues)[["Row", "Value", "Problem", "Amount"]].dropna(subset="Row").values.tolist() == [
        [5, "20.95", "refunded", 0.0], [5, "#1003", "order worth nothing (free, or refunded in full)", 0.0],
        [7, "18", "refunded", 35.5], [12, "voided", "cancelled, voided or unpaid: not a purchase", 32.95],
        [14, "", "no customer ID (blank, or an error such as #N/A)", 12.5],
        [16, "2024-07-03", "after the as-of date 2024-07-01", 18.0]]


def test_a_report_with_title_lines_is_read_under_its_header_row_by_the_engine(tmp_path):
    _, big = both_ways(DATA / "reading" / "payments_report.csv", tmp_path)
    plan = big.reading_plan
    assert plan is not None and (plan.title_rows, plan.first_row) == (3, 5)  # the header on line 4
    assert run_note(big, dt.datetime(2024, 7, 1, 9))[0].endswith(
        " Read with the header row on row 4 (3 title lines above it left out).")
    # C1: 20 + 35, last 2024-03-01 (122 days before 2024-07-01); C2: 12.50 + 7.50, last 06-30; C3: 100 on 06-01
    assert big.scores[["customer_id", "frequency", "monetary", "recency_days"]].values.tolist() == [
        ["C3", 1, 100.0, 30], ["C2", 2, 20.0, 1], ["C1", 2, 55.0, 122]]


def test_zero_value_orders_and_cancelled_lines_are_listed_by_the_engine(tmp_path):
    _, big = both_ways(DATA / "reading" / "zero_and_cancelled.csv", tmp_path)
    # A: 1001 free, 1002 worth 25 on 02-01 (151 days); B: 1003 free, 1004 40 less its cancellation C1004
    # (40 made -40), last purchase 03-10 (113 days); C: a free line without an Order ID, 1005 15.50 on 05-01
    # (61 days); D: only a free order, not scored.
    assert big.scores[["customer_id", "frequency", "monetary", "recency_days"]].values.tolist() == [
        ["C", 1, 15.5, 61], ["A", 1, 25.0, 151], ["B", 1, 0.0, 113]]
    issues = issue_table(big.issues)[["Row", "Column", "Value", "Problem", "Amount"]].values.tolist()
    assert issues == [
        [2, "Order ID", "1001", "order worth nothing (free, or refunded in full)", 0.0],
        [5, "Order ID", "1003", "order worth nothing (free, or refunded in full)", 0.0],
        [8, "Order ID", "C1004", "cancelled invoice with a positive amount", -40.0],
        [8, "Amount", "-40", "negative amount: a return, refund or credit", -40.0],
        [9, "Amount", "0", "order worth nothing (free, or refunded in full)", 0.0],
        [11, "Order ID", "1006", "order worth nothing (free, or refunded in full)", 0.0],
        [11, "Customer ID", "D", "no purchase: only returns or zero-value orders (net 0.00)", 0.0]]


def typed_orders() -> pd.DataFrame:
    """zero_and_cancelled.csv with real dates and numbers, as Parquet files hold them, and a line without a
    customer and an exact copy for the line rules."""
    frame = pd.read_csv(DATA / "reading" / "zero_and_cancelled.csv", dtype={"Order ID": str})
    frame["Order Date"] = pd.to_datetime(frame["Order Date"]).astype("datetime64[us]")
    extra = pd.DataFrame({"Customer ID": [None, "A"], "Order ID": ["1007", "1002"],
                          "Order Date": pd.to_datetime(["2024-06-02", "2024-02-01"]).astype("datetime64[us]"),
                          "Amount": [9.0, 25.0], "Product": ["MUG", "MUG"]})
    return pd.concat([frame, extra], ignore_index=True)


def test_typed_parquet_reads_alike_in_pandas_duckdb_and_spark(spark, tmp_path):
    frame = typed_orders()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "orders.parquet")
    expected = rfm_excel.score(frame, as_of=AS_OF, sheet=str(tmp_path / "orders.parquet"))
    assert issue_table(expected.issues)["Problem"].tolist()[-2:] == ["no customer ID (blank, or an error such as #N/A)",
                                                        "exact copy of an earlier line"]
    table, _ = parquet_table(str(tmp_path / "orders.parquet"))
    in_duckdb = core.score_lines(duckdb_lines(table, source=str(tmp_path / "orders.parquet")), as_of=AS_OF)
    in_spark = core.score_lines(spark_lines(str(tmp_path / "orders.parquet"), spark), as_of=AS_OF)
    for got in (in_duckdb, in_spark):
        assert_alike(got, expected)


@pytest.mark.parametrize("source", FIXTURES, ids=[p.name for p in FIXTURES])
def test_every_fixture_reads_alike_in_pandas_duckdb_and_spark(source, spark, tmp_path):
    """Each fixture's cells as text in a Parquet file (as a data team would store an export): read by Spark
    (which brings an export's lines, a title block's and text dates here, in its own read order), by DuckDB
    and by pandas, the same."""
    table = read_csv(source).table  # the cells as text, as the tool reads a CSV
    path = str(tmp_path / (source.stem + ".parquet"))
    pq.write_table(table, path)
    as_of = as_of_of(source)
    expected = rfm_excel.score(table.to_pandas().astype(object), as_of=as_of, sheet=path)
    in_duckdb = core.score_lines(duckdb_lines(parquet_table(path)[0], source=path), as_of=as_of)
    in_spark = core.score_lines(spark_lines(path, spark), as_of=as_of)
    for got in (in_duckdb, in_spark):
        assert_alike(got, expected)


def test_a_shopify_export_on_spark_scores_as_its_worked_figures_and_says_where_it_was_cleaned(spark, tmp_path):
    """The command's door: a Shopify export stored as text Parquet, scored with --engine spark."""
    expected = json.loads((DATA / "exports" / "shopify_orders.json").read_text(encoding="utf-8"))
    pq.write_table(read_csv(DATA / "exports" / "shopify_orders.csv").table, tmp_path / "shopify.parquet")
    result, _ = files.score_source(f"parquet:{tmp_path / 'shopify.parquet'}", tmp_path / "scores.xlsx",
                                   as_of=as_of_of(DATA / "exports" / "shopify_orders.csv"), engine="spark")
    got = {c: (f, round(m, 2), r) for c, f, m, r in result.scores[["customer_id", "frequency", "monetary",
                                                                    "recency_days"]].itertuples(index=False)}
    assert got == {c: (v["frequency"], v["monetary"], v["recency"]) for c, v in expected["customers"].items()}
    assert f"from {tmp_path / 'shopify.parquet'} (Parquet, read by Spark and cleaned on this machine)" in \
        " ".join(run_note(result, dt.datetime(2024, 7, 1, 9)))


def test_the_engine_takes_over_at_the_size_given(tmp_path):
    source = DATA / "csv" / "orders-utf8.csv"  # 13 lines
    at = {}
    for engine_from in (13, 14):
        result, _ = files.score_file(source, tmp_path / f"{engine_from}.xlsx", as_of=AS_OF, engine_from=engine_from)
        assert result.origin is not None
        at[engine_from] = result.origin.in_workbook
    assert at == {13: False, 14: True}
    assert np.array_equal(*(pd.read_excel(tmp_path / f"{n}.xlsx", sheet_name="Scores", engine="calamine")
                            .to_numpy() for n in (13, 14)))
