"""Build rfm_excel/sample/online_retail_sample.csv.gz, the demo's bundled orders.

Source: the "Online Retail II" data set (Daqing Chen, UCI Machine Learning Repository, 2019,
CC BY 4.0), the subset kept in the project's shared data folder. Both yearly sheets are
stacked as they are, messy rows included, so the demo shows the cleaning at work.

Usage: python scripts/make_sample_orders.py PATH/TO/online_retail_II_sample.xlsx
"""

import sys
from pathlib import Path

import pandas as pd

source = Path(sys.argv[1])
sheets = pd.read_excel(source, sheet_name=None, engine="calamine", dtype=object)
orders = pd.concat(sheets.values(), ignore_index=True)
for column in ("Invoice", "StockCode", "Customer ID"):
    orders[column] = orders[column].astype("string").str.replace(r"^(\d+)\.0$", r"\1", regex=True)
orders["InvoiceDate"] = pd.to_datetime(orders["InvoiceDate"]).dt.strftime("%Y-%m-%d %H:%M")
target = Path(__file__).resolve().parents[1] / "rfm_excel" / "sample" / "online_retail_sample.csv.gz"
orders.to_csv(target, index=False, compression={"method": "gzip", "mtime": 0})
print(f"{len(orders):,} order lines -> {target.name}")
