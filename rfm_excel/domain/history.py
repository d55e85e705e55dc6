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

HISTORY_COLUMNS = ["as_of_date", "run_date", "filter", "customer_id", "r", "f", "m", "segment"]
NEW = "New"
NOT_SCORED = "Not scored"
_SNAPSHOT_HEADER = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s+([^(]*?))?(?:\s*\(scored (\d{4}-\d{2}-\d{2})\))?$")
_CELL = re.compile(r"^([1-9])([1-9])([1-9]) (.+)$")


def snapshot(scores: pd.DataFrame, as_of: dt.date, run_date: dt.date, filtered: str = "") -> pd.DataFrame:
    """This run's rows for the Score History; ``filtered`` names the filter of the orders scored ("" for none)."""
    return pd.DataFrame({"as_of_date": pd.Timestamp(as_of), "run_date": pd.Timestamp(run_date), "filter": filtered,
                         "customer_id": scores["customer_id"].astype(str).array,
                         "r": scores["r"].to_numpy(), "f": scores["f"].to_numpy(), "m": scores["m"].to_numpy(),
                         "segment": scores["segment"].to_numpy()})


def empty_history() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c.endswith("_date") else int if len(c) == 1
                                      else object) for c in HISTORY_COLUMNS})


def of_filter(history: pd.DataFrame, filtered: str) -> pd.DataFrame:
    """The snapshots scored with the filter ``filtered`` ("" for those of all orders)."""
    return history[history["filter"] == filtered]


def add_snapshot(history: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """History with ``rows`` in place of any earlier snapshot of the same as-of date and filter, oldest date first."""
    same = (history["as_of_date"] == rows["as_of_date"].iloc[0]) & (history["filter"] == rows["filter"].iloc[0]) \
        if len(rows) else np.zeros(len(history), dtype=bool)
    kept = history[~same]
    combined = pd.concat([kept, rows], ignore_index=True) if len(kept) else rows
    order = np.argsort(combined["as_of_date"].to_numpy(), kind="stable")
    return combined.iloc[order].reset_index(drop=True)


def snapshot_dates(history: pd.DataFrame) -> list[dt.date]:
    """The as-of dates the history holds, oldest first."""
    return [pd.Timestamp(d).date() for d in sorted(history["as_of_date"].unique())]


def to_sheet(history: pd.DataFrame) -> pd.DataFrame:
    """The compact sheet table: customer_id, then a column per snapshot (oldest first) of "554 Champions".

    A snapshot is an as-of date and a filter; customers come in the order of the latest snapshot (best
    first), then those only in older ones.
    """
    snapshots = history[["as_of_date", "filter"]].drop_duplicates().sort_values(["as_of_date", "filter"])
    newest_first = [history[(history["as_of_date"] == d) & (history["filter"] == f)]
                    for d, f in snapshots.itertuples(index=False)][::-1]
    keys = pa.concat_arrays([_keys(one["customer_id"]) for one in newest_first] or [pa.array([], pa.string())]
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
        ids[at[first_time]] = one["customer_id"].to_numpy()[first_time]
        named[at] = True
        cells = np.full(customers, None, dtype=object)
        cells[at] = (one["r"].astype(str) + one["f"].astype(str) + one["m"].astype(str) + " "
                     + one["segment"].astype(str)).to_numpy(dtype=object)
        as_of, run, filtered = one["as_of_date"].iloc[0], one["run_date"].iloc[0], one["filter"].iloc[0]
        columns[f"{as_of:%Y-%m-%d}" + (f" {filtered}" if filtered else "")
                + ("" if pd.isna(run) else f"\n(scored {run:%Y-%m-%d})")] = cells
    table = pd.DataFrame({"customer_id": ids})
    for header in reversed(columns):
        table[header] = columns[header]
    return table


def _keys(ids: pd.Series) -> pa.Array:
    """base/orders' matching key of each customer ID text, by Arrow (millions at once)."""
    return matching_keys(pa.array(ids, pa.string(), from_pandas=True))


def from_sheet(rows: list[list] | None, id_header: str) -> pd.DataFrame:
    """The Score History from the cell values of its sheet, whose table starts at the row whose first cell is
    ``id_header``; cells and columns that cannot be read are skipped."""
    top = next((r for r, row in enumerate(rows or []) if row and row[0] == id_header), None)
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
            "as_of_date": pd.Timestamp(dates[1]), "run_date": pd.Timestamp(dates[3]) if dates[3] else pd.NaT,
            "filter": (dates[2] or "").strip(), "customer_id": ids[found], "r": r, "f": f, "m": m, "segment": segment}))
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
    was[at_then] = then["segment"].to_numpy()
    is_ = np.full(len(keys), NOT_SCORED, dtype=object)
    is_[at_now] = now["segment"].to_numpy()
    order = list(dict.fromkeys(segment_names))
    seen = [s for s in pd.unique(np.concatenate([was, is_])) if s not in order and s not in (NEW, NOT_SCORED)]
    rows = order + seen + ([NEW] if (was == NEW).any() else [])
    columns = order + seen + ([NOT_SCORED] if (is_ == NOT_SCORED).any() else [])
    matrix = pd.crosstab(was, is_).reindex(index=rows, columns=columns, fill_value=0)
    matrix.index.name, matrix.columns.name = "segment_then", "segment_now"

    rank_then, rank_now = (pd.Index(order).get_indexer(pd.Index(names)).astype(float) for names in (was, is_))
    rank_then[rank_then < 0] = np.nan  # New, or a segment no longer in the table: cannot be said to fall
    rank_now[rank_now < 0] = np.nan
    fell = np.flatnonzero(rank_now > rank_then)  # codes of customers in both snapshots whose segment fell
    before = then.iloc[pd.Index(at_then).get_indexer(pd.Index(fell))]
    after = now.iloc[pd.Index(at_now).get_indexer(pd.Index(fell))]
    total = before[["r", "f", "m"]].sum(axis=1).to_numpy()
    best_first = np.lexsort((before["customer_id"].to_numpy(dtype=str), total if best_lowest else -total,
                             rank_then[fell]))
    before, after, fell = before.iloc[best_first], after.iloc[best_first], fell[best_first]
    fallers = pd.DataFrame({"customer_id": after["customer_id"].to_numpy()})
    current = None if scores is None else scores.set_index(_keys(scores["customer_id"]).to_numpy(zero_copy_only=False))
    for extra in ("customer_name", "email"):
        if current is not None and extra in current:
            fallers[extra] = current[extra].reindex(keys[fell]).to_numpy()
    fallers["segment_then"] = before["segment"].to_numpy()
    fallers["segment_now"] = after["segment"].to_numpy()
    fallers["rfm_then"] = _code(before)
    fallers["rfm_now"] = _code(after)
    if current is not None:
        fallers["monetary"] = current["monetary"].reindex(keys[fell]).to_numpy()
        fallers["last_order"] = current["last_order"].reindex(keys[fell]).to_numpy()
    return Movement(earlier, later, matrix, fallers)


def _one(history: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """One snapshot indexed by customer key."""
    rows = history[history["as_of_date"] == pd.Timestamp(as_of)]
    rows = rows.set_index(_keys(rows["customer_id"]).to_numpy(zero_copy_only=False))
    return rows[~rows.index.duplicated()][["customer_id", "r", "f", "m", "segment"]]


def _code(table: pd.DataFrame) -> np.ndarray:
    return (table["r"].astype(str) + table["f"].astype(str) + table["m"].astype(str)).to_numpy(dtype=object)
