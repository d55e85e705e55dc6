"""The per-customer table: one row per customer with what scoring, timing, the contact plan, a campaign
and a forecast need of their orders. It is the interface between the order lines and everything after:
``from_lines`` makes it with pandas, and ``QUERY`` is the same table as one relational query, to run in
an engine where the lines live (DuckDB here, Spark on a cluster; query.py runs it).

Order lines become orders first: lines of one customer sharing an Order ID are one order (a line
without an Order ID is an order of its own), dated by its earliest line, worth the sum of its lines.
A purchase is an order worth more than zero; the others (returns, refunds, credits) are netted in.
A purchase day is a day with at least one purchase; its value is the sum of that day's purchases.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from . import campaign, scoring, timing

COLUMNS = {  # the table's columns (its index is the customer key), each as the query and from_lines make it
    "customer": "the customer ID as first written in the lines",
    "first_row": "the source row of the customer's first line",
    "orders": "orders up to the as-of date: purchases, returns and orders that net to zero",
    "net": "net amount of all those orders",
    "returns": "orders that net below zero",
    "purchases": "purchases up to the as-of date",
    "first_purchase": "day of the first purchase (NaT without one)",
    "last_purchase": "day of the last purchase (NaT without one)",
    "frequency": "purchases inside the time window (all purchases without one)",
    "monetary": "net amount of the orders inside the time window",
    "usual_gap": "median days between consecutive purchase days, rounded half up (NaN with one purchase day)",
    "usual_month": "the calendar month (1-12) the customer buys in year after year, else 0 (timing.usual_months)",
    "purchase_days": "distinct purchase days",
    "purchase_span": "days from the first to the last purchase day",
    "repeat_day_value": "mean value of the purchase days after the first (NaN with one purchase day)",
}
OPTIONAL_COLUMNS = {  # present when the lines carry them, or when a response window is asked for
    "customer_name": "the name on the customer's latest line that has one (the later row on equal dates)",
    "email": "the email on the customer's latest line that has one (the later row on equal dates)",
    "responded": "whether the customer bought inside the response window",
    "response_revenue": "net amount of the orders inside the response window (0 without any)",
}
INTEGER_COLUMNS = ("first_row", "orders", "returns", "purchases", "frequency", "usual_month", "purchase_days")


def window_start(as_of: dt.date, window_months: int | None) -> dt.date | None:
    """The last day before the time window: orders after it count for Frequency and Monetary."""
    if not window_months:
        return None
    return (pd.Timestamp(as_of) - pd.DateOffset(months=window_months)).date()


def from_lines(lines: pd.DataFrame, as_of: dt.date, window_months: int | None = None,
               response: tuple[dt.date, int] | None = None, orders: pd.DataFrame | None = None) -> pd.DataFrame:
    """The per-customer table (COLUMNS) of the clean order lines (orders.CleanOrders.lines) up to ``as_of``.

    ``response`` = (campaign date, days) adds ``responded`` and ``response_revenue`` for the window of
    that many days after the campaign date. ``orders`` is scoring.group_orders(lines) where the caller has
    made it already (the lines then all fall on or before ``as_of``). Customers come in the order of their
    first line.
    """
    lines = lines[lines["order_date"].dt.normalize() <= pd.Timestamp(as_of)]
    code, keys = pd.factorize(lines["customer_id"])  # customers numbered in the order of their first line
    index = pd.Index(keys, name="customer_id")
    first = np.flatnonzero(pd.Series(code).duplicated().to_numpy() == 0)  # each customer's first line
    table = pd.DataFrame({"customer": lines["customer"].to_numpy()[first],
                          "first_row": lines["source_row"].to_numpy()[first]}, index=index)
    for extra in ("customer_name", "email"):
        if extra in lines and lines[extra].notna().any():
            latest = lines.assign(code=code).dropna(subset=[extra]).sort_values(["order_date", "source_row"],
                                                                                kind="stable")
            table[extra] = latest.drop_duplicates("code", keep="last").set_index("code")[extra].reindex(
                range(len(keys))).to_numpy()
    orders = scoring.group_orders(lines) if orders is None else orders
    order_code = index.get_indexer(orders["customer_id"])
    amount = orders["amount"].to_numpy()
    purchase = amount > 0
    day = orders["order_date"].dt.normalize()
    start = window_start(as_of, window_months)
    in_window = (day > pd.Timestamp(start)).to_numpy() if start else np.ones(len(orders), dtype=bool)
    sums = pd.DataFrame({  # grouped on the customers' numbers, 0 to len(keys) - 1: every one has an order
        "amount": amount, "purchase": purchase, "returned": amount < 0, "counted": purchase & in_window,
        "in_window": np.where(in_window, amount, 0.0), "purchase_day": day.where(purchase).to_numpy(),
    }).groupby(order_code).agg(orders=("amount", "size"), net=("amount", "sum"), returns=("returned", "sum"),
                               purchases=("purchase", "sum"), first_purchase=("purchase_day", "min"),
                               last_purchase=("purchase_day", "max"), frequency=("counted", "sum"),
                               monetary=("in_window", "sum"))
    for column in sums.columns:
        values = sums[column].to_numpy()
        table[column] = values.round(scoring.MONEY_DECIMALS) if column in ("net", "monetary") else values
    when = timing.purchase_timing(orders, as_of).reindex(index)
    table["usual_gap"] = when["typical_gap"].to_numpy()
    table["usual_month"] = when["usual_month"].to_numpy()
    days = pd.DataFrame({"code": order_code[purchase], "day": day.to_numpy()[purchase], "amount": amount[purchase]}
                        ).groupby(["code", "day"])["amount"].sum().reset_index()  # sorted by customer, then day
    per_day = days.groupby("code")
    spans = pd.DataFrame({"purchase_days": per_day.size(),
                          "purchase_span": (per_day["day"].max() - per_day["day"].min()).dt.days,
                          "repeat_day_value": days[days["code"].duplicated()].groupby("code")["amount"].mean()}
                         ).reindex(range(len(keys)))  # every purchase day but each customer's first, averaged
    for column in spans.columns:
        table[column] = spans[column].to_numpy()
    if response is not None:
        answers = campaign.responses(orders, *response).reindex(index)
        table["responded"] = answers["responded"].to_numpy(dtype=bool, na_value=False)
        table["response_revenue"] = answers["revenue"].to_numpy(dtype=float, na_value=0.0)
    return conform(table)


def conform(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its columns in the documented order and types, as every engine hands it over:
    counts as integers (0 where a customer has none), days as datetimes, money and gaps as floats."""
    table = table.copy()
    table.index = pd.Index(table.index.to_numpy(dtype=object), name="customer_id")
    for column in ("customer", "customer_name", "email"):
        if column in table:
            table[column] = table[column].astype(object).where(table[column].notna(), None)
    for column in INTEGER_COLUMNS:
        table[column] = table[column].fillna(0).astype(np.int64)
    for column in ("first_purchase", "last_purchase"):
        table[column] = pd.to_datetime(table[column]).astype("datetime64[ns]")
    for column in ("net", "monetary", "usual_gap", "purchase_span", "repeat_day_value", "response_revenue"):
        if column in table:
            table[column] = table[column].astype(float)
    if "responded" in table:
        table["responded"] = table["responded"].fillna(False).astype(bool)
    order = [c for c in ["customer", "customer_name", "email"] if c in table] + \
        [c for c in COLUMNS if c not in ("customer",)] + [c for c in ("responded", "response_revenue") if c in table]
    return table[order]


# ---------------------------------------------------------------- the same table as one relational query

LINE_COLUMNS = {  # what an engine's relation of clean order lines holds, as orders.CleanOrders.lines does
    "customer_id": "the customer's matching key (text)", "customer": "the customer ID as written (text)",
    "order_id": "the Order ID (text; NULL where the line has none)", "order_date": "the order date (timestamp)",
    "amount": "the line's amount, returns negative (double)",
    "source_row": "the line's row in its source: unique, and rising in the order of the source (integer)",
    "customer_name": "optional (text)", "email": "optional (text)"}
QUERY = """
WITH lines AS (
    SELECT * FROM {lines} WHERE CAST(order_date AS DATE) <= DATE '{as_of}'
), orders AS (
    SELECT customer_id, CAST(MIN(order_date) AS DATE) AS day, ROUND(SUM(amount), 6) AS amount,
           MIN(source_row) AS first_row, MIN_BY(customer, source_row) AS customer
    FROM lines
    GROUP BY customer_id, order_id, CASE WHEN order_id IS NULL THEN source_row END
), per_order AS (
    SELECT customer_id, MIN_BY(customer, first_row) AS customer, MIN(first_row) AS first_row,
           COUNT(*) AS orders, ROUND(SUM(amount), 6) AS net,
           SUM(CASE WHEN amount < 0 THEN 1 ELSE 0 END) AS returns,
           SUM(CASE WHEN amount > 0 THEN 1 ELSE 0 END) AS purchases,
           MIN(CASE WHEN amount > 0 THEN day END) AS first_purchase,
           MAX(CASE WHEN amount > 0 THEN day END) AS last_purchase,
           SUM(CASE WHEN amount > 0 AND {in_window} THEN 1 ELSE 0 END) AS frequency,
           ROUND(SUM(CASE WHEN {in_window} THEN amount ELSE 0 END), 6) AS monetary{response}
    FROM orders GROUP BY customer_id
), purchase_days AS (
    SELECT customer_id, day, SUM(amount) AS value FROM orders WHERE amount > 0 GROUP BY customer_id, day
), gaps AS (
    SELECT customer_id, day, value,
           DATE_DIFF('day', LAG(day) OVER (PARTITION BY customer_id ORDER BY day), day) AS gap,
           ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY day) AS nth
    FROM purchase_days
), per_day AS (
    SELECT customer_id, COUNT(*) AS purchase_days, DATE_DIFF('day', MIN(day), MAX(day)) AS purchase_span,
           FLOOR(MEDIAN(gap) + 0.5) AS usual_gap, AVG(CASE WHEN nth > 1 THEN value END) AS repeat_day_value
    FROM gaps GROUP BY customer_id
), months AS (
    SELECT DISTINCT customer_id, YEAR(day) * 12 + MONTH(day) - 1 AS m FROM purchase_days
), bought AS (
    SELECT customer_id, COUNT(*) AS months_bought FROM months GROUP BY customer_id
), seasons AS (
    SELECT months.customer_id, starts.start_month, COUNT(*) AS held,
           COUNT(DISTINCT FLOOR((m - starts.start_month) / 12)) AS years
    FROM months CROSS JOIN (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11))
         AS starts(start_month)
    WHERE (m - starts.start_month) % 12 < 2
    GROUP BY months.customer_id, starts.start_month
), season AS (
    SELECT seasons.customer_id, MAX_BY(start_month, held * 12 - start_month) AS start_month
    FROM seasons JOIN bought ON bought.customer_id = seasons.customer_id
    WHERE years >= 2 AND 2 * held >= months_bought
    GROUP BY seasons.customer_id
), month_years AS (
    SELECT customer_id, m % 12 AS month, COUNT(*) AS years FROM months GROUP BY customer_id, m % 12
), usual AS (
    SELECT season.customer_id,
           CASE WHEN COALESCE(later.years, 0) > COALESCE(earlier.years, 0) THEN (season.start_month + 1) % 12
                ELSE season.start_month END + 1 AS usual_month
    FROM season
    LEFT JOIN month_years AS earlier
           ON earlier.customer_id = season.customer_id AND earlier.month = season.start_month
    LEFT JOIN month_years AS later
           ON later.customer_id = season.customer_id AND later.month = (season.start_month + 1) % 12
){latest}
SELECT per_order.customer_id, per_order.customer{latest_columns}, per_order.first_row, per_order.orders, per_order.net,
       per_order.returns, per_order.purchases, per_order.first_purchase, per_order.last_purchase,
       per_order.frequency, per_order.monetary, per_day.usual_gap, COALESCE(usual.usual_month, 0) AS usual_month,
       COALESCE(per_day.purchase_days, 0) AS purchase_days, per_day.purchase_span,
       per_day.repeat_day_value{response_columns}
FROM per_order
LEFT JOIN per_day ON per_day.customer_id = per_order.customer_id
LEFT JOIN usual ON usual.customer_id = per_order.customer_id{latest_joins}
"""
LATEST = """, latest_{column} AS (
    SELECT customer_id, {column} FROM (
        SELECT customer_id, {column},
               ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY order_date DESC, source_row DESC) AS newest
        FROM lines WHERE {column} IS NOT NULL) AS named
    WHERE newest = 1
)"""


def query(lines: str, as_of: dt.date, window_months: int | None = None, response: tuple[dt.date, int] | None = None,
          extras: tuple[str, ...] = (), dialect: str = "duckdb") -> str:
    """The per-customer table (COLUMNS, and ``extras`` of customer_name and email) as one SQL query over the
    relation ``lines`` (LINE_COLUMNS), written for DuckDB and translated by SQLGlot for another engine
    (``dialect``: "spark"); the same table as ``from_lines``."""
    start = window_start(as_of, window_months)
    in_window = f"day > DATE '{start:%Y-%m-%d}'" if start else "TRUE"
    response_sql = response_columns = ""
    if response is not None:
        sent, days = response
        inside = f"day > DATE '{sent:%Y-%m-%d}' AND day <= DATE '{sent + dt.timedelta(days=days):%Y-%m-%d}'"
        response_sql = (f",\n           MAX(CASE WHEN amount > 0 AND {inside} THEN 1 ELSE 0 END) = 1 AS responded,"
                        f"\n           ROUND(SUM(CASE WHEN {inside} THEN amount ELSE 0 END), 6) AS response_revenue")
        response_columns = ", per_order.responded, per_order.response_revenue"
    text = QUERY.format(
        lines=lines, as_of=f"{as_of:%Y-%m-%d}", in_window=in_window, response=response_sql,
        response_columns=response_columns, latest="".join(LATEST.format(column=c) for c in extras),
        latest_columns="".join(f", latest_{c}.{c}" for c in extras),
        latest_joins="".join(f"\nLEFT JOIN latest_{c} ON latest_{c}.customer_id = per_order.customer_id"
                             for c in extras))
    return in_dialect(text, dialect)


def in_dialect(text: str, dialect: str) -> str:
    """SQL written for DuckDB, as ``dialect`` writes it (SQLGlot translates it for another engine)."""
    if dialect == "duckdb":
        return text
    import sqlglot  # only where another engine runs the query: pip install "rfm-excel[spark]"
    return sqlglot.transpile(text, read="duckdb", write=dialect)[0]


def lines_up_to(lines: str, as_of: dt.date, dialect: str = "duckdb") -> str:
    """How many lines of the relation ``lines`` are dated up to ``as_of``, and their first and last order date."""
    return in_dialect(f"SELECT COUNT(*) AS lines, MIN(order_date) AS first, MAX(order_date) AS last FROM {lines} "
                      f"WHERE CAST(order_date AS DATE) <= DATE '{as_of:%Y-%m-%d}'", dialect)


def lines_after(lines: str, as_of: dt.date, dialect: str = "duckdb") -> str:
    """The row, order date and amount of each line of ``lines`` dated after ``as_of``, in row order."""
    return in_dialect(f"SELECT source_row, order_date, amount FROM {lines} WHERE CAST(order_date AS DATE) > "
                      f"DATE '{as_of:%Y-%m-%d}' ORDER BY source_row", dialect)


ZERO_ORDERS = """
WITH lines AS (
    SELECT * FROM {lines} WHERE CAST(order_date AS DATE) <= DATE '{as_of}'
), free AS (
    SELECT DISTINCT customer_id, order_id FROM lines WHERE amount = 0 AND order_id IS NOT NULL
)
SELECT MIN(source_row) AS source_row, order_id FROM lines JOIN free USING (customer_id, order_id)
GROUP BY customer_id, order_id HAVING MAX(CASE WHEN amount <> 0 THEN 1 ELSE 0 END) = 0
UNION ALL
SELECT source_row, order_id FROM lines WHERE order_id IS NULL AND amount = 0
ORDER BY source_row
"""


def zero_orders(lines: str, as_of: dt.date, dialect: str = "duckdb") -> str:
    """The first line (row and Order ID) of each order worth nothing up to ``as_of`` (every line at 0; a line
    without an Order ID is an order of its own), as base/orders.zero_orders finds them in pandas: only the orders
    with a line at 0 are grouped."""
    return in_dialect(ZERO_ORDERS.format(lines=lines, as_of=f"{as_of:%Y-%m-%d}"), dialect)
