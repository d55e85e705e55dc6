"""Score History (every customer's scores at each as-of date scored) and the Movement between two dates.

In memory the history is a long table, one row per customer per as-of date (HISTORY_COLUMNS).
On its sheet it is kept compact: one row per customer and one column per as-of date, headed
"2024-06-30 (scored 2024-07-01)" on two lines, each cell holding the RFM code and the segment, e.g.
"554 Champions". Scoring the same as-of date again replaces that date's column. Snapshots scored
with a filter of the orders (Settings: Score only orders where) are kept apart: their header names
it, "2024-06-30 Category: Furniture (scored 2024-07-01)", and Movement compares only snapshots
of the run's own filter. A customer
"fell" when their segment is further down the segment table (best segments first) than before.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ..base.orders import id_text, matching_keys

HISTORY_COLUMNS = ["As-of Date", "Run Date", "Filter", "Customer ID", "R", "F", "M", "Segment"]
NEW = "New"
NOT_SCORED = "Not scored"
_SNAPSHOT_HEADER = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s+([^(]*?))?(?:\s*\(scored (\d{4}-\d{2}-\d{2})\))?$")
_CELL = re.compile(r"^([1-9])([1-9])([1-9]) (.+)$")


def snapshot(scores: pd.DataFrame, as_of: dt.date, run_date: dt.date, filtered: str = "") -> pd.DataFrame:
    """This run's rows for the Score History; ``filtered`` names the filter of the orders scored ("" for none)."""
    return pd.DataFrame({"As-of Date": pd.Timestamp(as_of), "Run Date": pd.Timestamp(run_date), "Filter": filtered,
                         "Customer ID": scores["Customer ID"].astype(str).array,
                         "R": scores["R"].to_numpy(), "F": scores["F"].to_numpy(), "M": scores["M"].to_numpy(),
                         "Segment": scores["Segment"].to_numpy()})


def empty_history() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c.endswith("Date") else int if len(c) == 1
                                      else object) for c in HISTORY_COLUMNS})


def of_filter(history: pd.DataFrame, filtered: str) -> pd.DataFrame:
    """The snapshots scored with the filter ``filtered`` ("" for those of all orders)."""
    return history[history["Filter"] == filtered]


def add_snapshot(history: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """History with ``rows`` in place of any earlier snapshot of the same as-of date and filter, oldest date first."""
    same = (history["As-of Date"] == rows["As-of Date"].iloc[0]) & (history["Filter"] == rows["Filter"].iloc[0]) \
        if len(rows) else np.zeros(len(history), dtype=bool)
    kept = history[~same]
    combined = pd.concat([kept, rows], ignore_index=True) if len(kept) else rows
    order = np.argsort(combined["As-of Date"].to_numpy(), kind="stable")
    return combined.iloc[order].reset_index(drop=True)


def snapshot_dates(history: pd.DataFrame) -> list[dt.date]:
    """The as-of dates the history holds, oldest first."""
    return [pd.Timestamp(d).date() for d in sorted(history["As-of Date"].unique())]


def to_sheet(history: pd.DataFrame) -> pd.DataFrame:
    """The compact sheet table: Customer ID, then a column per snapshot (oldest first) of "554 Champions".

    A snapshot is an as-of date and a filter; customers come in the order of the latest snapshot (best
    first), then those only in older ones.
    """
    snapshots = history[["As-of Date", "Filter"]].drop_duplicates().sort_values(["As-of Date", "Filter"])
    newest_first = [history[(history["As-of Date"] == d) & (history["Filter"] == f)]
                    for d, f in snapshots.itertuples(index=False)][::-1]
    keys = pa.concat_arrays([_keys(one["Customer ID"]) for one in newest_first] or [pa.array([], pa.string())]
                            ).dictionary_encode()
    codes, customers = keys.indices.fill_null(-1).to_numpy(), len(keys.dictionary)
    ids = np.full(customers, None, dtype=object)
    named = np.zeros(customers, dtype=bool)
    columns = {}
    start = 0
    for one in newest_first:
        at = codes[start:start + len(one)]
        start += len(one)
        first_time = ~named[at]  # the latest spelling of an ID wins
        ids[at[first_time]] = one["Customer ID"].to_numpy()[first_time]
        named[at] = True
        cells = np.full(customers, None, dtype=object)
        cells[at] = (one["R"].astype(str) + one["F"].astype(str) + one["M"].astype(str) + " "
                     + one["Segment"].astype(str)).to_numpy(dtype=object)
        as_of, run, filtered = one["As-of Date"].iloc[0], one["Run Date"].iloc[0], one["Filter"].iloc[0]
        columns[f"{as_of:%Y-%m-%d}" + (f" {filtered}" if filtered else "")
                + ("" if pd.isna(run) else f"\n(scored {run:%Y-%m-%d})")] = cells
    table = pd.DataFrame({"Customer ID": ids})
    for header in reversed(columns):
        table[header] = columns[header]
    return table


def _keys(ids: pd.Series) -> pa.Array:
    """base/orders' matching key of each customer ID text, by Arrow (millions at once)."""
    return matching_keys(pa.array(ids, pa.string(), from_pandas=True))


def from_sheet(rows: list[list] | None) -> pd.DataFrame:
    """The Score History from the cell values of its sheet; cells and columns that cannot be read are skipped."""
    top = next((r for r, row in enumerate(rows or []) if row and row[0] == "Customer ID"), None)
    if top is None:
        return empty_history()
    assert rows is not None  # a header row was found in them
    header = rows[top]
    body = rows[top + 1:]
    ids = _each_distinct(np.array([row[0] if row else None for row in body], dtype=object), id_text)
    parts = []
    for col, label in enumerate(header[1:], start=1):
        dates = _SNAPSHOT_HEADER.match(str(label).strip()) if label is not None else None
        if dates is None:
            continue
        cells = _each_distinct(np.array([row[col] if col < len(row) else None for row in body], dtype=object),
                               _cell)
        found = np.array([c is not None for c in cells], dtype=bool) & np.array([i is not None for i in ids])
        if not found.any():
            continue
        r, f, m, segment = zip(*cells[found], strict=True)
        parts.append(pd.DataFrame({
            "As-of Date": pd.Timestamp(dates[1]), "Run Date": pd.Timestamp(dates[3]) if dates[3] else pd.NaT,
            "Filter": (dates[2] or "").strip(), "Customer ID": ids[found], "R": r, "F": f, "M": m, "Segment": segment}))
    history = empty_history()
    for part in parts:
        history = add_snapshot(history, part)
    return history


def _each_distinct(values: np.ndarray, convert) -> np.ndarray:
    """``convert`` applied once per distinct value (a history has few distinct cells)."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    converted = np.empty(len(distinct) + 1, dtype=object)
    converted[:-1] = [convert(v) for v in distinct]
    converted[-1] = None
    return converted[codes]


def _cell(value) -> tuple[int, int, int, str] | None:
    """"554 Champions" -> (5, 5, 4, "Champions")."""
    found = _CELL.match(value.strip()) if isinstance(value, str) else None
    return (int(found[1]), int(found[2]), int(found[3]), found[4]) if found else None


@dataclass
class Movement:
    """How customers moved between the snapshots of two as-of dates.

    matrix : customers by segment then (rows, plus New for customers not scored then) and segment
        now (columns, plus Not scored for customers missing now).
    fallers : customers whose segment fell, best customers (as they were) first.
    """

    earlier: dt.date
    later: dt.date
    matrix: pd.DataFrame
    fallers: pd.DataFrame


def movement(history: pd.DataFrame, segment_names: list[str], scores: pd.DataFrame | None = None,
             earlier: dt.date | None = None, later: dt.date | None = None,
             best_lowest: bool = False) -> Movement | None:
    """Compare two snapshots: the latest two unless ``earlier`` and ``later`` are given.

    None when there are not two snapshots to compare. ``scores`` (this run's Scores) adds each
    faller's name, email, Monetary and last order where the orders carry them.
    """
    dates = snapshot_dates(history)
    if earlier is None or later is None:
        if len(dates) < 2:
            return None
        earlier, later = dates[-2], dates[-1]
    then, now = _one(history, earlier), _one(history, later)
    codes, keys = pd.factorize(np.concatenate([then.index.to_numpy(), now.index.to_numpy()]))
    at_then, at_now = codes[:len(then)], codes[len(then):]
    was = np.full(len(keys), NEW, dtype=object)
    was[at_then] = then["Segment"].to_numpy()
    is_ = np.full(len(keys), NOT_SCORED, dtype=object)
    is_[at_now] = now["Segment"].to_numpy()
    order = list(dict.fromkeys(segment_names))
    seen = [s for s in pd.unique(np.concatenate([was, is_])) if s not in order and s not in (NEW, NOT_SCORED)]
    rows = order + seen + ([NEW] if (was == NEW).any() else [])
    columns = order + seen + ([NOT_SCORED] if (is_ == NOT_SCORED).any() else [])
    matrix = pd.crosstab(was, is_).reindex(index=rows, columns=columns, fill_value=0)
    matrix.index.name, matrix.columns.name = "Segment Then", "Segment Now"

    rank_then, rank_now = (pd.Index(order).get_indexer(pd.Index(names)).astype(float) for names in (was, is_))
    rank_then[rank_then < 0] = np.nan  # New, or a segment no longer in the table: cannot be said to fall
    rank_now[rank_now < 0] = np.nan
    fell = np.flatnonzero(rank_now > rank_then)  # codes of customers in both snapshots whose segment fell
    before = then.iloc[pd.Index(at_then).get_indexer(pd.Index(fell))]
    after = now.iloc[pd.Index(at_now).get_indexer(pd.Index(fell))]
    total = before[["R", "F", "M"]].sum(axis=1).to_numpy()
    best_first = np.lexsort((before["Customer ID"].to_numpy(dtype=str), total if best_lowest else -total,
                             rank_then[fell]))
    before, after, fell = before.iloc[best_first], after.iloc[best_first], fell[best_first]
    fallers = pd.DataFrame({"Customer ID": after["Customer ID"].to_numpy()})
    current = None if scores is None else scores.set_index(_keys(scores["Customer ID"]).to_numpy(zero_copy_only=False))
    for extra in ("Customer Name", "Email"):
        if current is not None and extra in current:
            fallers[extra] = current[extra].reindex(keys[fell]).to_numpy()
    fallers["Segment Then"] = before["Segment"].to_numpy()
    fallers["Segment Now"] = after["Segment"].to_numpy()
    fallers["RFM Then"] = _code(before)
    fallers["RFM Now"] = _code(after)
    if current is not None:
        fallers["Monetary"] = current["Monetary"].reindex(keys[fell]).to_numpy()
        fallers["Last Order"] = current["Last Order"].reindex(keys[fell]).to_numpy()
    return Movement(earlier, later, matrix, fallers)


def _one(history: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """One snapshot indexed by customer key."""
    rows = history[history["As-of Date"] == pd.Timestamp(as_of)]
    rows = rows.set_index(_keys(rows["Customer ID"]).to_numpy(zero_copy_only=False))
    return rows[~rows.index.duplicated()][["Customer ID", "R", "F", "M", "Segment"]]


def _code(table: pd.DataFrame) -> np.ndarray:
    return (table["R"].astype(str) + table["F"].astype(str) + table["M"].astype(str)).to_numpy(dtype=object)
