"""Order lines held by an engine instead of pandas: DuckDB in this process, or Spark on a cluster.

More lines than a sheet holds (a big CSV, a folder of monthly files, Parquet files) are cleaned
here by the same rules as ``orders.normalise``: each column's distinct values are converted once
by base/orders' value rules (IDs, customer keys, dates, numbers, cancelled invoices), in Python;
the rules about whole lines (which are skipped and why, exact copies, cancelled invoices made
returns) are the SQL below, so the lines never become Python objects. What comes out is a
relation of clean lines (customers.LINE_COLUMNS) for the per-customer query to run on, and the
Data Issues rows, which ``normalise`` would give for the same lines (tests/test_engines.py).

On Spark the lines stay on the cluster, so the value rules are SQL too, for typed columns (text or
number IDs, dates or timestamps, numbers): see docs/big-data.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..base.errors import RfmError
from ..base.orders import (
    DATE_AUTO,
    DECIMAL_AUTO,
    LABELS,
    Coded,
    Dialect,
    cancelled_invoices,
    column_dates,
    column_numbers,
    currency_symbol,
    decimal_mark,
    distinct_id_texts,
    id_texts,
    matching_keys,
    normalise,
    shown_value,
    stripped_texts,
)
from ..base.reading.columns import HEADER_SEARCH_ROWS
from ..base.reading.issues import issue_rows, merged_issues, note_row
from ..base.reading.plan import ReadingPlan, plan_reading
from .csv import text_frame

EXTRAS = ("customer_name", "email")
LINE_NAMES = ("customer_id", "customer", "order_id", "order_date", "amount", "source_row")  # customers.LINE_COLUMNS
# The line rules, in SQL every engine here runs (DuckDB's dialect; SQLGlot translates it for Spark).
MARKED = """
SELECT *, CASE WHEN customer_id IS NULL THEN 'no_customer'
               WHEN first_copy < source_row AND order_id IS NOT NULL THEN 'copy'
               WHEN order_date IS NULL THEN 'no_date'
               WHEN amount IS NULL THEN 'no_amount' END AS skipped
FROM (SELECT *, {first_copy} AS first_copy FROM {raw}) AS copies
"""
LINES = """
SELECT customer_id, customer, order_id, order_date,
       CASE WHEN cancel_mark AND amount > 0 THEN -amount ELSE amount END AS amount, source_row{extras}
FROM {marked} WHERE skipped IS NULL
"""
ISSUES = """
SELECT source_row, skipped AS problem, first_copy, amount, order_id FROM {marked} WHERE skipped IS NOT NULL
UNION ALL SELECT source_row, 'repaired', NULL, amount, order_id FROM {marked} WHERE skipped IS NULL AND repaired
UNION ALL SELECT source_row, 'cancelled', NULL, amount, order_id FROM {marked}
    WHERE skipped IS NULL AND cancel_mark AND amount > 0
UNION ALL SELECT source_row, 'negative', NULL, -ABS(amount), order_id FROM {marked}
    WHERE skipped IS NULL AND (amount < 0 OR (cancel_mark AND amount > 0))
"""
# The first row of each line that has exact copies (equal codes in every column), and the rows of its copies.
COPIES = """
SELECT source_row, first_row AS copy_of FROM {lines}
JOIN (SELECT {columns}, MIN(source_row) AS first_row FROM {lines} GROUP BY {columns} HAVING COUNT(*) > 1) AS copied
USING ({columns}) WHERE source_row > first_row
"""
SPELLINGS = """
SELECT source_row, customer, first_spelling, amount FROM (
    SELECT source_row, customer, amount,
           FIRST_VALUE(customer) OVER (PARTITION BY customer_id ORDER BY source_row) AS first_spelling
    FROM {lines}) AS spelled
WHERE customer <> first_spelling
"""
# the kind of each finding of the line rules (base/reading/issues.py) -> the canonical column it names, in the
# order normalise lists the issues of one row
FINDINGS = {"no_customer": "customer_id", "copy": "order_id", "no_date": "order_date", "no_amount": "amount",
            "repaired": "amount", "cancelled": "order_id", "negative": "amount"}


@dataclass
class EngineLines:
    """Clean order lines in an engine: ``run`` answers a query as a DataFrame; ``name`` is the relation
    of clean lines (customers.LINE_COLUMNS) in the engine's SQL ``dialect``.

    ``decode`` turns the per-customer table the query gave into its texts where the engine holds
    codes; ``issues`` are the Data Issues of the reading (base/reading/issues.py's records); ``columns`` maps the
    canonical columns to the source's headers; ``extras`` names the optional columns the lines carry;
    ``currency`` is the symbol the amounts written as text carry (base/orders.currency_symbol);
    ``headers`` are all the source's column headers; ``plan`` is how the lines were read.
    ``order_texts`` turns the relation's order_id values into the Order IDs as text; ``amounts`` holds each
    source row's amount as used, from ``first_row`` on, where the reading had the lines in memory.
    """

    run: Callable[[str], pd.DataFrame]
    name: str
    dialect: str
    rows_read: int
    columns: dict[str, str]
    issues: pd.DataFrame
    source: str
    extras: tuple[str, ...] = ()
    currency: str = ""
    headers: tuple[str, ...] = ()
    decode: Callable[[pd.DataFrame], pd.DataFrame] = field(default=lambda table: table)
    close: Callable[[], object] = field(default=lambda: None)
    plan: ReadingPlan | None = None
    order_texts: Callable[[np.ndarray], np.ndarray] = field(default=lambda order_ids: order_ids)
    amounts: np.ndarray | None = None
    first_row: int = 2

    def latest(self) -> tuple[int, pd.Timestamp | None]:
        """How many clean lines there are, and the latest order date among them."""
        found = self.run(f"SELECT COUNT(*) AS lines, MAX(order_date) AS latest FROM {self.name}")
        return int(found["lines"].iloc[0]), found["latest"].iloc[0]


def duckdb_lines(raw: pa.Table, first_row: int = 2, source: str = "Orders", date_order: str = DATE_AUTO,
                 chosen: dict[str, str] | None = None, decimal: str = DECIMAL_AUTO,
                 dialect: Dialect | None = None) -> EngineLines:
    """The lines of ``raw`` (one column per header, values as read: text from a CSV, typed from Parquet or
    a workbook), cleaned into a DuckDB database in this process; ``first_row`` is the row number of the
    first line, as Data Issues names rows; ``decimal`` and ``dialect`` as base/orders.normalise takes them."""
    import duckdb

    plan = plan_reading(raw.column_names, _head(raw), first_row, source, chosen, date_order, decimal, dialect)
    if plan.layout is not None:  # an export's rules need its lines in order, as normalise reads them
        return _in_memory(raw, plan)
    if plan.title_rows:
        raw = raw.slice(plan.title_rows).rename_columns(list(plan.headers))
    first_row, columns, headers = plan.first_row, dict(plan.columns), raw.column_names
    rows = raw.num_rows
    values = _ValueRules(raw, columns, plan.date_order, plan.decimal, plan.dialect)
    source_row = pa.array(np.arange(first_row, first_row + rows, dtype=np.int64))
    line_codes = pa.table({"source_row": source_row, **values.line_codes()}) if "order_id" in columns else None
    table = pa.table({"source_row": source_row, **values.columns()})  # the per-line numpy arrays go here
    del raw, values.raw  # the lines are codes and numbers now
    pa.default_memory_pool().release_unused()
    connection = duckdb.connect(config={"preserve_insertion_order": False})  # no row order to keep: less memory
    if line_codes is not None:
        connection.register("line_codes", line_codes)
        connection.execute("CREATE TEMP TABLE copies AS " + COPIES.format(
            lines="line_codes", columns=", ".join(line_codes.column_names[1:])))
        connection.unregister("line_codes")
        del line_codes
    else:
        connection.execute("CREATE TEMP TABLE copies (source_row BIGINT, copy_of BIGINT)")
    connection.register("coded_lines", table)  # read where it lies in memory, not copied
    connection.execute("CREATE TEMP VIEW raw_lines AS SELECT * FROM coded_lines LEFT JOIN copies USING (source_row)")
    connection.execute("CREATE TEMP VIEW marked AS " + MARKED.format(first_copy="copy_of", raw="raw_lines"))
    extras = tuple(e for e in EXTRAS if e in columns)
    connection.execute("CREATE TEMP VIEW lines AS " + LINES.format(marked="marked",
                                                                   extras="".join(f", {e}" for e in extras)))

    def run(sql: str) -> pd.DataFrame:
        return connection.sql(sql).df()

    found = run(ISSUES.format(marked="marked"))
    spellings = run(SPELLINGS.format(lines="lines")) if values.merged_spellings else None
    issues = values.issues(found, spellings, first_row)
    return EngineLines(run, "lines", "duckdb", rows, columns, issues, source, extras, values.currency,
                       tuple(headers), values.decode, connection.close, plan.decided(values.marks, values.day_first),
                       values.order_texts_of)


def _in_memory(raw: pa.Table, plan: ReadingPlan) -> EngineLines:
    """Lines read by ``normalise`` (the plan's export layout applied line by line, in their order), then
    summed by DuckDB."""
    import duckdb

    texts = all(_is_text(kind) for kind in raw.schema.types)
    clean = normalise(text_frame(raw) if texts else raw.to_pandas(), plan=plan)
    del raw
    extras = tuple(e for e in EXTRAS if e in clean.lines)
    connection = duckdb.connect(config={"preserve_insertion_order": False})
    connection.register("clean_lines", clean.lines[[*LINE_NAMES, *extras]])
    connection.execute("CREATE TEMP VIEW lines AS SELECT * FROM clean_lines")

    def run(sql: str) -> pd.DataFrame:
        return connection.sql(sql).df()

    return EngineLines(run, "lines", "duckdb", clean.rows_read, clean.columns, clean.issues, plan.sheet, extras,
                       clean.currency, plan.headers, close=connection.close, plan=clean.plan, amounts=clean.amounts,
                       first_row=clean.first_row)


def _head(raw: pa.Table) -> pd.DataFrame:
    """The top rows of ``raw``, where a header row under a report's title lines is looked for."""
    frame = raw.slice(0, HEADER_SEARCH_ROWS + 1).to_pandas(types_mapper=None)
    frame.columns = raw.column_names
    return frame.astype(object)


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array | np.ndarray]:
    """A column as codes (-1 for a blank: null or "") into its distinct values."""
    if _is_text(column.type):
        encoded = column.dictionary_encode()  # one dictionary for all chunks: each chunk's is a prefix of the last
        if encoded.num_chunks == 0:
            return np.zeros(0, dtype=np.int32), pa.array([], column.type)
        dictionary = encoded.chunk(encoded.num_chunks - 1).dictionary
        codes = np.concatenate([c.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
                                for c in encoded.chunks])
        blank = np.flatnonzero(pc.equal(dictionary, "").to_numpy(zero_copy_only=False))
        if len(blank):
            codes[codes == blank[0]] = -1
        return codes, dictionary
    codes, distinct = pd.factorize(_values(column), use_na_sentinel=True)
    return codes.astype(np.int64), distinct


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _values(column: pa.ChunkedArray) -> np.ndarray:
    """A typed column as numpy values (NaN or NaT for nulls); a time with a zone as the time written there."""
    values = column.to_pandas()
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    return values.to_numpy()


def _text_codes(raw: pa.Table, positions: list[int], needed: set[int],
                ) -> dict[int, tuple[np.ndarray, pa.Array | np.ndarray | None]]:
    """``_codes`` of the text columns at these positions, coded on all cores (Arrow lets go of Python's lock);
    the distinct values are kept only for the columns ``needed``: the others' codes serve the exact copies."""
    def code(i: int) -> tuple[np.ndarray, pa.Array | np.ndarray | None]:
        codes, distinct = _codes(raw.column(i))
        return codes, distinct if i in needed else None

    texts = [i for i in positions if _is_text(raw.schema.types[i])]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip(texts, pool.map(code, texts), strict=True))


def _coded(column: pa.ChunkedArray, text: tuple[np.ndarray, pa.Array | np.ndarray | None] | None) -> Coded:
    """A column as base/orders' Coded: codes, and its distinct values as Python objects; ``text`` is its
    ``_codes`` when it is text."""
    if text is None:
        return Coded(_values(column))
    codes, distinct = text
    assert isinstance(distinct, pa.Array)  # a text column's distinct values come as Arrow's
    # what Coded(pd.Categorical) holds, without checking millions of texts again
    return Coded.of_codes(codes, distinct.to_numpy(zero_copy_only=False))


def _id_column(column: pa.ChunkedArray, text: tuple[np.ndarray, pa.Array | np.ndarray | None] | None,
               ) -> tuple[np.ndarray, pa.Array | np.ndarray, pa.Array]:
    """An ID column as codes (int32, -1 for a blank) into its distinct values, those values as read (to show
    them), and base/orders' id_text of each (Arrow text, null for none); ``text`` as ``_coded`` takes it."""
    if text is not None:
        codes, dictionary = text
        assert isinstance(dictionary, pa.Array)  # a text column's distinct values come as Arrow's
        return codes, dictionary, id_texts(dictionary)
    coded = Coded(_values(column))
    return coded.codes.astype(np.int32), coded.typed, pa.array(distinct_id_texts(coded), pa.string())


def _spread(per_distinct: np.ndarray, codes: np.ndarray, missing=-1) -> np.ndarray:
    """Per line, the value of its distinct value (``missing`` for a blank), as Coded.spread does."""
    per_distinct = np.asarray(per_distinct)
    if per_distinct.dtype.kind == "i":
        per_distinct = per_distinct.astype(np.int32)
    if not len(per_distinct):
        return np.full(len(codes), missing, dtype=per_distinct.dtype)
    result = per_distinct.take(codes)
    result[codes < 0] = missing
    return result


def _texts_at(texts: pa.Array, codes: np.ndarray) -> np.ndarray:
    """The texts at these codes (None for -1), as Python objects."""
    return texts.take(pa.array(codes, mask=codes < 0)).to_numpy(zero_copy_only=False)


def _numbered(texts: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Each text's number among the distinct texts (-1 for null), and the distinct texts."""
    encoded = texts.dictionary_encode()
    return encoded.indices.fill_null(-1).to_numpy().astype(np.int64), encoded.dictionary


class _ValueRules:
    """The value rules of base/orders, applied to each distinct value of the columns the run uses; the
    lines' values then are codes into those results."""

    def __init__(self, raw: pa.Table, columns: dict[str, str], date_order: str, decimal: str, dialect: Dialect):
        self.raw, self.columns_used = raw, columns
        self.position = {name: raw.column_names.index(header) for name, header in columns.items()}
        every = range(raw.num_columns) if "order_id" in columns else self.position.values()  # see line_codes
        self.text_codes = _text_codes(raw, list(every), set(self.position.values()))
        self.coded = {name: self._coded(name) for name in
                      ("order_date", "amount", "quantity", "price", *EXTRAS) if name in columns}
        customer, self.customer_shown, customer_text = self._id_column("customer_id")
        self.customer_codes = customer
        key_code, keys = _numbered(matching_keys(customer_text))
        self.keys = keys
        self.customer_key = _spread(key_code, customer)
        text_code, self.customer_texts = _numbered(customer_text)
        self.customer_code = _spread(text_code, customer)
        self.merged_spellings = len(self.customer_texts) > len(keys)
        self.dates, date_notes, self.day_first = column_dates(self.coded["order_date"], date_order, dialect)
        self.notes: list[tuple[str, str, dict]] = [("order_date", kind, facts) for kind, facts in date_notes]
        self.marks: dict[str, str] = {}

        def numbers(name: str) -> tuple[np.ndarray, np.ndarray]:
            coded = self.coded[name]
            if coded.typed.dtype.kind != "O":
                return column_numbers(coded)
            decided = decimal_mark(coded.distinct, decimal, dialect, columns[name])
            self.marks[columns[name]] = decided.mark
            if decided.facts:
                self.notes.append((name, "decimal_mark", decided.facts))
            return column_numbers(coded, decided.mark)

        money = self.coded["amount" if "amount" in self.coded else "price"]
        self.currency = currency_symbol(money.distinct)
        if "amount" in self.coded:
            self.amount, self.repaired = numbers("amount")
        else:
            quantity, cleaned_quantity = numbers("quantity")
            price, cleaned_price = numbers("price")
            self.amount, self.repaired = quantity * price, cleaned_quantity | cleaned_price
        rows = raw.num_rows
        self.cancel_mark = np.zeros(rows, dtype=bool)
        self.order_texts = pa.array([], pa.string())
        self.order_code = np.full(rows, -1, dtype=np.int32)
        self.order_codes = None
        if "order_id" in columns:
            self.order_codes, _, order_text = self._id_column("order_id")
            order_code, self.order_texts = _numbered(order_text)
            self.order_code = _spread(order_code, self.order_codes)
            self.cancel_mark = _spread(cancelled_invoices(order_text), self.order_codes, False)
            if not len(self.order_texts):  # as normalise notes it, before how the dates were read
                self.notes.insert(0, ("order_id", "no_order_ids", {}))
        self.extra_texts: dict[str, tuple[np.ndarray | None, np.ndarray]] = {}  # codes: None once handed over
        for extra in EXTRAS:
            if extra in self.coded:
                codes, texts = pd.factorize(stripped_texts(self.coded[extra].distinct), use_na_sentinel=True)
                self.extra_texts[extra] = (self.coded[extra].spread(codes, -1), texts)

    def line_codes(self) -> dict[str, np.ndarray]:
        """The codes of every raw column (the used ones coded already), as column_0, column_1...: lines whose
        codes are equal in every column are exact copies."""
        used = {self.position[n]: c.codes for n, c in self.coded.items()}
        used[self.position["customer_id"]] = self.customer_codes
        if self.order_codes is not None:
            used[self.position["order_id"]] = self.order_codes
        return {f"column_{i}": used[i] if i in used else self.text_codes[i][0] if i in self.text_codes else
                _codes(self.raw.column(i))[0] for i in range(self.raw.num_columns)}

    def _coded(self, name: str) -> Coded:
        position = self.position[name]
        return _coded(self.raw.column(position), self.text_codes.get(position))

    def _id_column(self, name: str) -> tuple[np.ndarray, pa.Array | np.ndarray, pa.Array]:
        position = self.position[name]
        return _id_column(self.raw.column(position), self.text_codes.get(position))

    def columns(self) -> dict[str, pa.Array]:
        """The lines' columns for the engine, handed over once (the per-line arrays are dropped here): codes
        for texts (-1, none, becomes NULL), dates, amounts, marks."""
        def code(values: np.ndarray) -> pa.Array:
            return pa.array(values.astype(np.int32, copy=False), mask=values < 0)

        found = {"customer_id": code(self.customer_key), "customer": code(self.customer_code),
                 "order_id": code(self.order_code), "order_date": pa.array(self.dates, mask=np.isnat(self.dates)),
                 "amount": pa.array(self.amount, mask=np.isnan(self.amount)), "repaired": pa.array(self.repaired),
                 "cancel_mark": pa.array(self.cancel_mark)}
        for extra, (codes, _) in self.extra_texts.items():
            assert codes is not None  # the columns are handed over once
            found[extra] = code(codes)
        del self.customer_key, self.customer_code, self.order_code, self.dates, self.amount, self.repaired
        del self.cancel_mark
        self.text_codes = {}
        self.extra_texts = {extra: (None, texts) for extra, (_, texts) in self.extra_texts.items()}
        return found

    def decode(self, table: pd.DataFrame) -> pd.DataFrame:
        """The per-customer table with its customer keys, IDs, names and emails as texts again."""
        table = table.copy()
        table.index = pd.Index(_texts_at(self.keys, table.index.to_numpy(dtype=np.int64)), name="customer_id")
        table["customer"] = _texts_at(self.customer_texts, table["customer"].to_numpy(np.int64))
        for extra, (_, texts) in self.extra_texts.items():
            if extra in table:
                codes = table[extra].to_numpy(dtype=float, na_value=np.nan)
                named = np.asarray(texts, dtype=object)[np.nan_to_num(codes, nan=0).astype(np.int64)] if len(texts) \
                    else np.full(len(codes), None, dtype=object)
                table[extra] = np.where(np.isnan(codes), None, named)  # type: ignore[assignment, arg-type]  # numpy's stubs reject None
        return table

    def order_texts_of(self, codes: np.ndarray) -> np.ndarray:
        """The Order IDs as text of the relation's order codes."""
        codes = np.asarray(codes, dtype=float)  # a NULL comes as NaN
        return _texts_at(self.order_texts, np.nan_to_num(codes, nan=-1).astype(np.int64))

    def labels(self) -> dict[str, str]:
        """The header each issue names, by canonical column."""
        return column_labels(self.columns_used)

    def issues(self, found: pd.DataFrame, spellings: pd.DataFrame | None, first_row: int) -> pd.DataFrame:
        """Data Issues from the line rules' findings, valued as normalise shows them."""
        if spellings is not None:
            spellings = spellings.assign(
                customer=_texts_at(self.customer_texts, spellings["customer"].to_numpy(np.int64)),
                first_spelling=_texts_at(self.customer_texts, spellings["first_spelling"].to_numpy(np.int64)))
        order = found["order_id"].to_numpy(dtype=float, na_value=np.nan)
        found = found.assign(order_id=_texts_at(self.order_texts, np.nan_to_num(order, nan=-1).astype(np.int64)))

        def raw(problem: str, rows: np.ndarray) -> list[str]:
            positions = rows - first_row
            if problem == "no_customer":
                codes = self.customer_codes[positions]
                shown = _texts_at(self.customer_shown, codes) if isinstance(self.customer_shown, pa.Array) \
                    else np.where(codes >= 0, self.customer_shown[np.maximum(codes, 0)], None)
                return [shown_value(v) for v in shown]
            if problem == "no_date":
                return self._raw("order_date", positions)
            if "amount" in self.coded:
                return self._raw("amount", positions)
            return [f"{q} × {p}"
                    for q, p in zip(self._raw("quantity", positions), self._raw("price", positions), strict=True)]

        return issue_records(found, spellings, self.labels(), self.notes, raw)

    def _raw(self, name: str, positions: np.ndarray) -> list[str]:
        """The values of a column at these positions, shown as normalise shows them."""
        coded = self.coded[name]
        codes = coded.codes[positions]
        distinct = coded.typed
        return [shown_value(distinct[c]) if c >= 0 else "" for c in codes]


def column_labels(columns: dict[str, str]) -> dict[str, str]:
    """The header each issue names, by canonical column (Quantity × Price for a computed amount)."""
    labels = {name: columns.get(name, LABELS.get(name, name)) for name in LABELS}
    if "amount" not in columns:
        labels["amount"] = f"{columns['quantity']} × {columns['price']}"
    return labels


def issue_records(found: pd.DataFrame, spellings: pd.DataFrame | None, labels: dict[str, str],
                  notes: list[tuple[str, str, dict]], raw: Callable[[str, np.ndarray], list[str]]) -> pd.DataFrame:
    """Data Issues (base/reading/issues.py's records), in normalise's order, from the line rules' findings
    (ISSUES: source_row, problem (its kind), first_copy, amount, order_id as text), the rows whose customer is
    spelled apart from its first spelling (SPELLINGS, texts) and the notes on whole columns (column, kind,
    facts: how dates and decimal marks were read); ``raw(problem, rows)`` shows the values of the skipped
    rows' cells as read."""
    parts = [note_row(kind, labels.get(column, column), **facts) for column, kind, facts in notes]
    found = found.sort_values("source_row", kind="stable")
    for problem, column in FINDINGS.items():
        these = found[found["problem"] == problem]
        if these.empty:
            continue
        rows = these["source_row"].to_numpy(dtype=np.int64)
        amount = these["amount"].to_numpy(dtype=float)  # as used: a cancellation's made negative
        amount = -amount if problem == "cancelled" else amount
        facts = {"first_row": these["first_copy"].to_numpy(dtype=np.int64).tolist()} if problem == "copy" else {}
        if problem == "copy":  # its value is the row it copies
            shown = [""] * len(rows)
        elif problem == "negative":
            shown = [shown_value(v) for v in these["amount"].to_numpy(dtype=float)]
        elif problem == "cancelled":
            shown = these["order_id"].tolist()
        else:
            shown = raw(problem, rows)
        parts.append(issue_rows(problem, rows, labels[column], shown, amount, **facts))
    if spellings is not None and len(spellings):
        spellings = spellings.sort_values("source_row", kind="stable")
        parts.append(issue_rows("spelling", spellings["source_row"].to_numpy(dtype=np.int64), labels["customer_id"],
                                spellings["customer"].to_numpy(dtype=object),
                                spellings["amount"].to_numpy(dtype=float),
                                first=spellings["first_spelling"].tolist()))
    return merged_issues(*parts)


def parquet_table(pattern: str) -> tuple[pa.Table, list[str]]:
    """The rows of the Parquet files matching ``pattern`` (a file, a folder, or a glob such as
    orders/*.parquet), read by DuckDB in the files' name order, and the files' names."""
    import duckdb

    path = Path(pattern)
    if path.is_dir():
        pattern = str(path / "*.parquet")
    connection = duckdb.connect(config={"preserve_insertion_order": False})  # no row order to keep: less memory
    try:
        files = sorted(connection.sql(f"SELECT file FROM glob({_quoted(pattern)})").fetchnumpy()["file"].tolist())
        if not files:
            raise RfmError(f"No Parquet file matches {pattern}; check the folder and the pattern (e.g. "
                           "orders/*.parquet).")
        table = connection.sql(f"SELECT * EXCLUDE (filename, file_row_number) FROM read_parquet("
                               f"{_quoted(files)}, filename = true, file_row_number = true, union_by_name = true) "
                               "ORDER BY filename, file_row_number").arrow()
    except duckdb.Error as error:
        raise RfmError(f"{pattern} could not be read as Parquet files of orders ({str(error).splitlines()[0]}).") \
            from None
    finally:
        connection.close()
    return (table.read_all() if hasattr(table, "read_all") else table), [Path(f).name for f in files]


def _quoted(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_quoted(v) for v in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"
