"""Build the LibreOffice-made test workbooks in tests/data/workbooks by driving LibreOffice Calc over UNO.

Run with the Python that has LibreOffice's UNO bridge (on Debian and Ubuntu, python3-uno with the
system Python), not the project's virtual environment:

    /usr/bin/python3 scripts/make_libreoffice_workbooks.py

Each workbook is typed into a new Calc document cell by cell (real dates, dates as text, decimal
amounts, an ID column in the number format 00000, or the 1904 date system) and saved by Calc's own
xlsx filter, so the files are exactly what an owner using LibreOffice would hand the tool.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.util import Date as UnoDate

TARGET = Path(__file__).resolve().parents[1] / "tests" / "data" / "workbooks"
HEADER = ["Customer ID", "Order ID", "Order Date", "Amount", "Customer Name"]
D = dt.date
# (customer, order, date: a date, a datetime or a text, amount, name)
ORDERS = [
    ("C-101", 5001, D(2024, 2, 10), 19.99, "Ana Lima"),
    ("C-101", 5002, "2024-03-05", 120.5, "Ana Lima"),
    ("C-102", 5003, dt.datetime(2024, 3, 17, 14, 30), 1120.75, "Jonas Berg"),
    ("C-102", 5004, "17 April 2024", 45.1, "Jonas Berg"),
    ("C-103", 5005, D(2024, 4, 30), 33.33, "Mei Chen"),
    ("C-101", 5006, D(2024, 5, 20), 7.25, "Ana Lima"),
]
PADDED = [  # Customer IDs typed as numbers and shown as 00123 by the number format 00000
    (123, "O-1", D(2024, 1, 5), 50.0, "Ruth Ames"),
    (123, "O-2", D(2024, 2, 5), 25.0, "Ruth Ames"),
    (4711, "O-3", D(2024, 2, 20), 80.0, "Karl Weber"),
    (99, "O-4", D(2024, 3, 1), 10.0, "Ola Nord"),
]


def prop(name, value):
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def connect(port: int):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(120):
        try:
            return resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
        except Exception:
            time.sleep(0.5)
    raise SystemExit("LibreOffice did not start")


def number_format(doc, code: str) -> int:
    formats = doc.getNumberFormats()
    locale = uno.createUnoStruct("com.sun.star.lang.Locale")
    key = formats.queryKey(code, locale, False)
    return key if key != -1 else formats.addNew(code, locale)


def write_book(desktop, path: Path, rows, *, null_date: dt.date | None = None, id_format: str | None = None) -> None:
    doc = desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, (prop("Hidden", True),))
    try:
        if null_date is not None:
            doc.setPropertyValue("NullDate", UnoDate(null_date.day, null_date.month, null_date.year))
        epoch = null_date or D(1899, 12, 30)
        sheet = doc.Sheets.getByIndex(0)
        sheet.Name = "Orders"
        date_format = number_format(doc, "YYYY-MM-DD")
        time_format = number_format(doc, "YYYY-MM-DD HH:MM")
        amount_format = number_format(doc, "#,##0.00")
        for column, title in enumerate(HEADER):
            sheet.getCellByPosition(column, 0).setString(title)
        for r, (customer, order, when, amount, name) in enumerate(rows, start=1):
            cell = sheet.getCellByPosition(0, r)
            if isinstance(customer, int):
                cell.setValue(customer)
                if id_format:
                    cell.NumberFormat = number_format(doc, id_format)
            else:
                cell.setString(customer)
            order_cell = sheet.getCellByPosition(1, r)
            order_cell.setValue(order) if isinstance(order, int) else order_cell.setString(order)
            date_cell = sheet.getCellByPosition(2, r)
            if isinstance(when, str):
                date_cell.setString(when)  # a date typed as text
            elif isinstance(when, dt.datetime):
                date_cell.setValue((when.date() - epoch).days + (when.hour * 60 + when.minute) / 1440)
                date_cell.NumberFormat = time_format
            else:
                date_cell.setValue((when - epoch).days)
                date_cell.NumberFormat = date_format
            amount_cell = sheet.getCellByPosition(3, r)
            amount_cell.setValue(amount)
            amount_cell.NumberFormat = amount_format
            sheet.getCellByPosition(4, r).setString(name)
        doc.storeToURL(uno.systemPathToFileUrl(str(path)), (prop("FilterName", "Calc MS Excel 2007 XML"),))
    finally:
        doc.close(True)


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="lo-fixtures-"))
    port = free_port()
    office = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore", "--nologo",
                               f"-env:UserInstallation={profile.as_uri()}",
                               f"--accept=socket,host=127.0.0.1,port={port};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        context = connect(port)
        desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        write_book(desktop, TARGET / "libreoffice_orders.xlsx", ORDERS)
        write_book(desktop, TARGET / "libreoffice_zero_padded_ids.xlsx", PADDED, id_format="00000")
        write_book(desktop, TARGET / "libreoffice_1904.xlsx", ORDERS, null_date=D(1904, 1, 1))
        with contextlib.suppress(Exception):  # the bridge closes as LibreOffice quits
            desktop.terminate()
    finally:
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            office.kill()
        shutil.rmtree(profile, ignore_errors=True)
    with zipfile.ZipFile(TARGET / "libreoffice_1904.xlsx") as book:
        workbook = book.read("xl/workbook.xml")
        if b'date1904="1"' not in workbook and b'date1904="true"' not in workbook:
            raise SystemExit("LibreOffice did not write the 1904 date system")
    print("wrote", ", ".join(sorted(p.name for p in TARGET.glob("libreoffice_*.xlsx"))), file=sys.stderr)


if __name__ == "__main__":
    os.environ.setdefault("SAL_USE_VCLPLUGIN", "svp")
    main()
