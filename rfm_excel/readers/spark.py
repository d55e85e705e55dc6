"""Order lines read and cleaned by Apache Spark, where they live: Parquet files on a cluster's storage.

The session is Spark's own (``SparkSession.builder.getOrCreate()``), so it runs wherever Spark's
configuration points it: ``spark-submit --master``, ``SPARK_CONF_DIR``'s spark-defaults.conf, or a
Spark Connect server named by ``SPARK_REMOTE``; on a machine with none of these, in local mode.

Typed lines (IDs as text or numbers, dates as dates or timestamps, amounts as numbers) never leave the
cluster: the value rules are SQL, the line rules and the per-customer query are engine.py's and
customers.py's, translated by SQLGlot; only the per-customer table and the Data Issues come back. An
export, a report with title lines, or dates and amounts written as text need the rules that read lines in
order on one machine: those lines come here in Spark's order and are read as DuckDB reads them. Lines are
numbered in the order Spark reads them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..base.errors import RfmError
from ..base.reading.columns import HEADER_SEARCH_ROWS
from ..base.reading.plan import plan_reading
from .engine import (
    EXTRAS,
    ISSUES,
    LINES,
    MARKED,
    SPELLINGS,
    EngineLines,
    column_labels,
    duckdb_lines,
    issue_records,
)

INSTALL = ('Scoring on Spark needs PySpark, SQLGlot and Java 17 or later; install them with: '
           'pip install "rfm-excel[spark]"')
_SPACE = r"(?U)^\\s+|\\s+$"  # Python's str.strip(): any white space at either end
FIRST_ROW = 2


def spark_lines(pattern: str, spark=None) -> EngineLines:
    """The Parquet files matching ``pattern`` (any path Spark reads: a folder, a glob, hdfs://, s3a://...),
    cleaned by Spark into a cached view of clean lines (customers.LINE_COLUMNS)."""
    try:
        import sqlglot  # noqa: F401  (customers.in_dialect translates the queries with it)
        from pyspark.errors import PySparkException
        from pyspark.sql import SparkSession
    except ImportError:
        raise RfmError(INSTALL + ".") from None
    try:
        spark = spark or SparkSession.builder.appName("rfm-excel").getOrCreate()
    except Exception as error:  # no Java, or a cluster that cannot be reached
        raise RfmError(f"Spark could not start ({str(error).splitlines()[0][:200]}); {INSTALL[0].lower()}"
                       f"{INSTALL[1:]}, and check the cluster settings.") from None
    spark.conf.set("spark.sql.session.timeZone", "UTC")  # a timestamp's date as written, whatever the cluster's zone
    try:
        frame = spark.read.parquet(pattern)
        top = frame.limit(HEADER_SEARCH_ROWS + 1).toPandas().astype(object)
    except PySparkException as error:
        if "TIMESTAMP(NANOS" in str(error):
            raise RfmError(f"{pattern} holds times to the nanosecond, which Spark cannot read; write the files with "
                           "times to the microsecond (pyarrow: coerce_timestamps='us'), or score them with DuckDB "
                           "(without --engine).") from None
        raise RfmError(f"{pattern} could not be read as Parquet files of orders ({str(error).splitlines()[0]}).") \
            from None
    plan = plan_reading(frame.columns, top, FIRST_ROW, pattern)  # refused in one sentence if a column is missing
    columns = dict(plan.columns)
    types = dict(frame.dtypes)
    numbered = _numbered(spark, frame)
    if plan.layout is not None or plan.title_rows or not _typed(columns, types):
        return _brought_here(numbered, pattern)
    numbered.createOrReplaceTempView("rfm_numbered")
    spark.sql(_raw_lines(columns, types, frame.columns, spark)).createOrReplaceTempView("rfm_raw_lines")
    copies = ", ".join(f"rfm_cell_{i}" for i in range(len(frame.columns)))
    first_copy = f"MIN(source_row) OVER (PARTITION BY {copies})" if "order_id" in columns else "NULL"
    marked = spark.sql(MARKED.format(first_copy=first_copy, raw="rfm_raw_lines"))  # plain SQL Spark reads as it is
    marked.cache().createOrReplaceTempView("rfm_marked")
    extras = tuple(e for e in EXTRAS if e in columns)
    lines = spark.sql(LINES.format(marked="rfm_marked", extras="".join(f", {e}" for e in extras)))
    lines.cache().createOrReplaceTempView("rfm_lines")
    found = spark.sql(ISSUES.format(marked="rfm_marked")).toPandas()
    spellings = spark.sql(SPELLINGS.format(lines="rfm_lines")).toPandas()
    rows = numbered.count()
    marked.unpersist()
    issues = issue_records(found, spellings, column_labels(columns), [],
                           lambda problem, rows: [""] * len(rows))  # typed columns: a skipped cell was empty

    def run(sql: str) -> pd.DataFrame:
        return spark.sql(sql).toPandas()

    return EngineLines(run, "rfm_lines", "spark", rows, columns, issues, pattern, extras,
                       headers=tuple(frame.columns), close=lambda: (lines.unpersist(), numbered.unpersist()),
                       plan=plan)


def _typed(columns: dict[str, str], types: dict[str, str]) -> bool:
    """Whether Spark can apply the value rules itself: the order date a date or timestamp, the amounts numbers
    (the rules for dates and amounts written as text run on this machine)."""
    numbers = ("double", "float", "decimal", "int", "bigint", "smallint", "tinyint")
    return types[columns["order_date"]].startswith(("date", "timestamp")) and all(
        types[columns[name]].startswith(numbers) for name in ("amount", "quantity", "price") if name in columns)


def _brought_here(numbered, pattern: str) -> EngineLines:
    """Lines whose reading needs them in order on one machine (an export's rules, a report's title lines) or
    the value rules for text (dates and amounts written as text): brought here in the order Spark read them,
    and read as DuckDB reads any lines (the same plan and rules); Spark's part ends there."""
    table = numbered.orderBy("source_row").drop("source_row").toArrow()
    numbered.unpersist()
    return duckdb_lines(table, FIRST_ROW, pattern)


def _numbered(spark, frame):
    """The lines with ``source_row``: 2, 3, 4... (as if under one header row, like every other source) in the
    order Spark reads them (each partition's rows after those of the partitions before it), without gathering
    the lines in one place; cached, for the caller to unpersist."""
    from pyspark.sql import functions

    tagged = frame.withColumn("rfm_id", functions.monotonically_increasing_id()).cache()
    part = functions.shiftright("rfm_id", 33)  # monotonically_increasing_id: partition << 33 | row in partition
    counts = tagged.groupBy(part.alias("part")).count().toPandas().sort_values("part")
    offsets = spark.createDataFrame(pd.DataFrame({"part": counts["part"].to_numpy(dtype=np.int64),
                                                  "offset": np.cumsum(counts["count"].to_numpy()) -
                                                  counts["count"].to_numpy()}))
    joined = tagged.join(functions.broadcast(offsets), part == offsets["part"])
    local = functions.col("rfm_id").bitwiseAND((1 << 33) - 1)
    numbered = joined.withColumn("source_row", functions.col("offset") + local + FIRST_ROW) \
        .drop("rfm_id", "part", "offset").cache()
    numbered.count()  # cached with its row numbers, so the tagged lines can go
    tagged.unpersist()
    return numbered


def _text(column: str, kind: str) -> str:
    """SQL for base/orders.id_text of a typed column: text trimmed (12345.0 read as 12345, blank as NULL),
    whole numbers without decimals."""
    name = f"`{column}`"
    if kind.startswith(("int", "bigint", "smallint", "tinyint")):
        return f"CAST({name} AS STRING)"
    if kind.startswith(("double", "float", "decimal")):
        return f"CASE WHEN {name} = FLOOR({name}) THEN CAST(CAST({name} AS BIGINT) AS STRING) " \
               f"ELSE CAST(CAST({name} AS DOUBLE) AS STRING) END"
    trimmed = f"REGEXP_REPLACE(CAST({name} AS STRING), '{_SPACE}', '')"
    return f"CASE WHEN {trimmed} = '' THEN NULL WHEN {trimmed} RLIKE '^[0-9]+\\\\.0$' " \
           f"THEN REGEXP_EXTRACT({trimmed}, '^([0-9]+)', 1) ELSE {trimmed} END"


def _raw_lines(columns: dict[str, str], types: dict[str, str], headers: list[str], spark) -> str:
    """SQL of the lines with base/orders' value rules applied, as engine.py's line rules expect them."""
    customer = _text(columns["customer_id"], types[columns["customer_id"]])
    order = _text(columns["order_id"], types[columns["order_id"]]) if "order_id" in columns else "NULL"
    cancelled = "FALSE"
    if "order_id" in columns:
        known, numbers = spark.sql(f"SELECT COUNT(DISTINCT {order}), COUNT(DISTINCT CASE WHEN {order} "
                                   f"RLIKE '^[0-9]+$' THEN {order} END) FROM rfm_numbered").first()
        if known and numbers >= known / 2:  # IDs such as C489449 mark cancellations only among plain numbers
            cancelled = f"COALESCE({order} RLIKE '^[Cc][0-9]+$', FALSE)"
    if "amount" in columns:
        amount = f"CAST(`{columns['amount']}` AS DOUBLE)"
    else:
        amount = f"CAST(`{columns['quantity']}` AS DOUBLE) * CAST(`{columns['price']}` AS DOUBLE)"
    extras = "".join(f", NULLIF(REGEXP_REPLACE(CAST(`{columns[e]}` AS STRING), '{_SPACE}', ''), '') AS {e}"
                     for e in EXTRAS if e in columns)
    return (f"SELECT source_row, LOWER(REGEXP_REPLACE({customer}, '(?U)\\\\s', '')) AS customer_id, "
            f"{customer} AS customer, {order} AS order_id, CAST(`{columns['order_date']}` AS TIMESTAMP) AS order_date, "
            f"{amount} AS amount, FALSE AS repaired, {cancelled} AS cancel_mark{extras}, "
            + ", ".join(f"`{h}` AS rfm_cell_{i}" for i, h in enumerate(headers)) + " FROM rfm_numbered")
