"""Build tests/data/csv/: one messy orders sheet saved by LibreOffice Calc as CSV in the encodings and
delimiters owners' files come in.

The sheet is made with openpyxl as an owner would type it (real dates and numbers, text IDs with
leading zeros, a few text dates and amounts, names with accents and a pound sign), then
LibreOffice (headless, its own profile) saves it once per variant, as Excel's "Save As" would:

    orders-utf8.csv        CSV UTF-8 (comma)
    orders-utf8-bom.csv    the same with the byte order mark Excel's "CSV UTF-8" writes
    orders-windows.csv     CSV (Comma delimited) from Excel on Windows: Windows-1252
    orders-semicolon.csv   semicolon-separated, UTF-8 (Excel with a comma as decimal mark)
    orders-unicode.txt     Unicode Text: UTF-16 with its byte order mark, tab-separated

Usage: python scripts/make_csv_fixtures.py   (needs soffice on the PATH)
"""

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

import openpyxl

TARGET = Path(__file__).resolve().parents[1] / "tests" / "data" / "csv"
HEADER = ["Customer ID", "Order ID", "Order Date", "Amount", "Customer Name", "Postcode", "Phone", "SKU"]
D = dt.datetime
ROWS = [  # sheet rows 2-14, as tests/test_csv.py describes them
    ["00123", "1001", D(2024, 1, 5), 120.0, "José Müller", "01234", "07700900123", "000042"],
    ["00123", "1001", D(2024, 1, 5), 30.5, "José Müller", "01234", "07700900123", "000043"],
    ["00123", "1002", "05/03/2024", "£1,234.50", "José Müller", "01234", "07700900123", "1E5"],
    ["A-77", "1003", D(2024, 2, 10), 80.0, "Zoë Brontë", "SW1A 1AA", "", "000042"],
    [" a-77", "1004", D(2024, 4, 1), 20.0, "Zoë Brontë", "SW1A 1AA", "", "000044"],
    ["", "1005", D(2024, 4, 2), 10.0, "Nobody", "", "", ""],
    ["00456", "C1006", D(2024, 4, 3), 40.0, "Renée", "", "", "000042"],
    ["00456", "1007", D(2024, 3, 1), 100.0, "Renée", "", "", "000045"],
    ["00456", "1007", D(2024, 3, 1), 100.0, "Renée", "", "", "000045"],
    ["00789", "1008", "not a date", 5.0, "Ødegård", "", "", ""],
    ["00789", "1009", D(2024, 6, 30), None, "Ødegård", "", "", ""],
    ["00789", "1010", D(2024, 6, 29), 15.0, "Ødegård", "", "", "0042"],
    ["00789", "1011", "2024-06-01", "12.00", "Ødegård", "", "", "000046"],
]
# LibreOffice's CSV filter options: field separator, text delimiter, character set (76 UTF-8,
# 1 Windows-1252, 65535 UTF-16), first line; token 7 true keeps cells' text as shown.
VARIANTS = {"orders-utf8.csv": "44,34,76,1,,0,false,true,true",
            "orders-windows.csv": "44,34,1,1,,0,false,true,true",
            "orders-semicolon.csv": "59,34,76,1,,0,false,true,true",
            "orders-unicode.txt": "9,34,65535,1,,0,false,true,true"}


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rfm-fixtures-") as folder:
        folder = Path(folder)
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "Orders"
        sheet.append(HEADER)
        for row in ROWS:
            sheet.append([value if value != "" else None for value in row])
        for (date,) in sheet.iter_rows(min_row=2, min_col=3, max_col=3):
            date.number_format = "YYYY-MM-DD"
        for (amount,) in sheet.iter_rows(min_row=2, min_col=4, max_col=4):
            amount.number_format = "0.00"
        book.save(folder / "orders.xlsx")
        for name, options in VARIANTS.items():
            out = folder / name
            subprocess.run(["soffice", f"-env:UserInstallation=file://{folder}/profile", "--headless",
                            "--convert-to", f"{Path(name).suffix[1:]}:Text - txt - csv (StarCalc):{options}",
                            "--outdir", str(folder / "out"), str(folder / "orders.xlsx")], check=True,
                           capture_output=True)
            (folder / "out" / f"orders{Path(name).suffix}").replace(out)
            shutil.copyfile(out, TARGET / name)
        (TARGET / "orders-utf8-bom.csv").write_bytes(b"\xef\xbb\xbf" + (TARGET / "orders-utf8.csv").read_bytes())
    for path in sorted(TARGET.iterdir()):
        print(path.name, path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
