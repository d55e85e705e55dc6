"""Render sheets of a workbook to PDF and PNG with LibreOffice, one sheet at a time, to look at them.

Usage: /usr/bin/python3 scripts/render_sheets.py BOOK.xlsx OUT_FOLDER "Sheet name" ["Another sheet" ...]
       [--paper A4|Letter] [--pages N] [--dpi 60]

Run with the system Python that has LibreOffice's "uno" module (Debian: python3-uno). For each sheet a
copy of the workbook keeps only that sheet and is exported as "OUT_FOLDER/<sheet>.pdf", as printed (the
sheet's own page setup: landscape, fitted to the page width or pages across, header rows repeated);
pdftoppm then turns the first --pages pages into "<sheet>-1.png"... at --dpi dots per inch.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.append("/usr/lib/python3/dist-packages")
import uno
from com.sun.star.beans import PropertyValue

PAPER = {"A4": (29700, 21000), "Letter": (27940, 21590)}  # landscape, hundredths of a millimetre


def prop(name: str, value) -> PropertyValue:
    found = PropertyValue()
    found.Name, found.Value = name, value
    return found


def connect(profile: Path, port: int):
    office = subprocess.Popen(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible",
                               "--norestore", f"--accept=socket,host=localhost,port={port};urp;"])
    resolver = uno.getComponentContext().ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", uno.getComponentContext())
    for _ in range(120):
        try:
            context = resolver.resolve(f"uno:socket,host=localhost,port={port};urp;StarOffice.ComponentContext")
            return office, context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        except Exception:
            time.sleep(0.5)
    office.kill()
    raise SystemExit("LibreOffice did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("book", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("sheets", nargs="+")
    parser.add_argument("--paper", choices=sorted(PAPER), default="A4")
    parser.add_argument("--pages", type=int, default=1)
    parser.add_argument("--dpi", type=int, default=60)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-render-") as folder:
        office, desktop = connect(Path(folder) / "profile", 2000 + os.getpid() % 20000)
        try:
            for name in args.sheets:
                document = desktop.loadComponentFromURL(args.book.resolve().as_uri(), "_blank", 0,
                                                        (prop("Hidden", True),))
                sheets = document.Sheets
                for other in [n for n in sheets.ElementNames if n != name]:
                    sheets.removeByName(other)
                style = document.StyleFamilies.getByName("PageStyles").getByName(
                    sheets.getByName(name).PageStyle)
                style.Width, style.Height = PAPER[args.paper]
                pdf = args.out / f"{name}.pdf"
                document.storeToURL(pdf.resolve().as_uri(), (prop("FilterName", "calc_pdf_Export"),))
                document.close(True)
                subprocess.run(["pdftoppm", "-png", "-r", str(args.dpi), "-l", str(args.pages), str(pdf),
                                str(args.out / name)], check=True)
                info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
                print(f"{pdf}: {info.split('Pages:')[1].split()[0]} pages")
        finally:
            desktop.terminate()
            office.wait(30)


if __name__ == "__main__":
    main()
