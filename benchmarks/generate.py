"""Generate orders for benchmarks: realistic skew, several lines per order, as a workbook, a CSV, or
clean lines in Parquet.

Usage: python benchmarks/generate.py LINES PATH.xlsx|PATH.csv [--customers N]
"""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import xlsxwriter

HEADERS = ["Customer ID", "Order ID", "Order Date", "Amount"]


def order_lines(lines: int, customers: int, seed: int = 7):
    """Columns of ``lines`` order lines over about ``customers`` customers.

    Customers are drawn with a heavy tail (few buy very often, many buy once); each order has
    1-9 lines (mean about 3.5); dates spread over two years; 2% of orders are refunds.
    """
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 10, size=lines)  # lines per order, drawn generously and trimmed below
    ends = np.cumsum(sizes)
    orders = int(np.searchsorted(ends, lines)) + 1
    order_of_line = np.repeat(np.arange(orders), sizes[:orders])[:lines]
    weights = 1.0 / np.arange(1, customers + 1) ** 0.9
    customer_of_order = rng.choice(customers, size=orders, p=weights / weights.sum())
    # every customer appears at least once where the orders allow it
    customer_of_order[: min(customers, orders)] = rng.permutation(customers)[: min(customers, orders)]
    start = dt.datetime(2023, 1, 1)
    minutes = rng.integers(0, 2 * 365 * 24 * 60, size=orders)
    refund = rng.random(orders) < 0.02
    amount = np.round(rng.gamma(2.0, 12.0, size=lines), 2)
    amount[refund[order_of_line]] *= -1
    customer_ids = (100000 + customer_of_order[order_of_line]).astype(float)
    order_ids = np.char.add("SO", (500000 + order_of_line).astype(str))
    serial = (np.datetime64(start, "m") + minutes[order_of_line].astype("timedelta64[m]"))
    days = (serial - np.datetime64("1899-12-30T00:00", "m")).astype(float) / (24 * 60)
    return customer_ids, order_ids, days, amount


def write_workbook(path: str, lines: int, customers: int) -> None:
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet("Orders")
    date_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.set_column(2, 2, 16, date_format)
    sheet.write_row(0, 0, HEADERS)
    customer_ids, order_ids, days, amount = order_lines(lines, customers)
    for row, values in enumerate(zip(customer_ids.tolist(), order_ids.tolist(), days.tolist(), amount.tolist(),
                                     strict=True), start=1):
        sheet.write_number(row, 0, values[0])
        sheet.write_string(row, 1, values[1])
        sheet.write_number(row, 2, values[2])
        sheet.write_number(row, 3, values[3])
    book.close()


def order_table(lines: int, customers: int) -> pa.Table:
    """The order lines as a CSV export holds them: text Customer ID, Order ID, Order Date (to the minute), Amount."""
    customer_ids, order_ids, days, amount = order_lines(lines, customers)
    minutes = np.rint(days * 24 * 60).astype(np.int64)
    when = np.datetime64("1899-12-30T00:00", "m") + minutes.astype("timedelta64[m]")
    return pa.table({"Customer ID": pa.array(customer_ids.astype(np.int64)).cast(pa.string()),
                     "Order ID": pa.array(order_ids),
                     "Order Date": pa.array(np.datetime_as_string(when, unit="m")).cast(pa.string()),
                     "Amount": pa.array(amount).cast(pa.string())})


def write_csv(path: str, lines: int, customers: int) -> None:
    """The order lines as a comma-separated UTF-8 CSV (Order Date as 2023-06-25T07:49)."""
    pa_csv.write_csv(order_table(lines, customers), path, pa_csv.WriteOptions(quoting_style="none"))


def write_lines_parquet(path: str, lines: int, customers: int) -> None:
    """Clean order lines (customers.LINE_COLUMNS) as a Parquet file, for timing the per-customer aggregation."""
    customer_ids, order_ids, days, amount = order_lines(lines, customers)
    keys = pa.array(customer_ids.astype(np.int64)).cast(pa.string())
    when = np.datetime64("1899-12-30T00:00", "m") + np.rint(days * 24 * 60).astype(np.int64).astype("timedelta64[m]")
    pq.write_table(pa.table({"customer_id": keys, "customer": keys, "order_id": pa.array(order_ids),
                             "order_date": pa.array(when.astype("datetime64[us]")), "amount": pa.array(amount),
                             "source_row": pa.array(np.arange(2, lines + 2))}), path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", type=int)
    parser.add_argument("path")
    parser.add_argument("--customers", type=int, help="default: lines / 10")
    args = parser.parse_args()
    write = write_csv if args.path.lower().endswith(".csv") else write_workbook
    write(args.path, args.lines, args.customers or max(args.lines // 10, 1))


if __name__ == "__main__":
    main()
