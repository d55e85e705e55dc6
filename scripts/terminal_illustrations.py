"""Draw the two illustrations docs/excel.md shows: where the one set-up command is pasted on Windows
(Command Prompt) and on a Mac (Terminal), with what rfm-excel excel-setup then prints.

Usage: python scripts/terminal_illustrations.py   (needs ImageMagick's convert)

They are drawings, labelled as such, not screenshots: this project is built where there is no
Windows or Mac desktop. The printed lines are those excel_setup returns, for a user named Sam.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[1] / "docs" / "images"
WIDTH, LINE, LEFT = 980, 19, 16
WINDOWS = {
    "file": "excel-setup-windows.png", "name": "Command Prompt", "title": "Command Prompt", "background": "#0C0C0C",
    "text": "#CCCCCC",
    "bar": "#FFFFFF", "bar_text": "#000000", "prompt": r"C:\Users\Sam>",
    "command": r'py -m pip install "%USERPROFILE%\Downloads\rfm_excel" && py -m rfm_excel excel-setup',
    "output": ["Successfully installed ... rfm-excel-0.1.0 xlwings-0.37.8 ...",
               r"Checked that the workbook's xlwings module will find its library:",
               r"C:\Users\Sam\AppData\Local\Programs\Python\Python312\xlwings64-0.37.8.dll.",
               r"Told xlwings which Python to start (C:\Users\Sam\AppData\Local\Programs\Python\Python312\python.exe)",
               r"in C:\Users\Sam\.xlwings\xlwings.conf.",
               r"Wrote a fresh workbook with the Score customers button: C:\Users\Sam\Documents\Customer scores.xlsm.",
               "It carries xlwings' own VBA module (version 0.37.8, the one installed), so Excel needs no add-in.",
               "Next: open Customer scores.xlsm (in Documents) in Excel and click Enable Content (in the yellow",
               "bar); paste your orders into its Orders sheet and click Score customers on Start Here.",
               "For the =RFM_ worksheet functions as well: ...", "", r"C:\Users\Sam>"]}
MAC = {
    "file": "excel-setup-mac.png", "name": "Terminal", "title": "sam — -zsh — 80×24", "background": "#FFFFFF",
    "text": "#000000",
    "bar": "#E8E8E8", "bar_text": "#333333", "prompt": "sam@Sams-Mac ~ %",
    "command": "python3 -m pip install ~/Downloads/rfm_excel && python3 -m rfm_excel excel-setup",
    "output": ["Successfully installed ... rfm-excel-0.1.0 xlwings-0.37.8 ...",
               "Told xlwings which Python to start (/Library/Frameworks/Python.framework/Versions/3.12/bin/python3)",
               "in /Users/sam/Library/Containers/com.microsoft.Excel/Data/xlwings.conf.",
               "Let Excel start Python: copied xlwings' AppleScript xlwings-0.37.8.applescript into",
               "~/Library/Application Scripts/com.microsoft.Excel.",
               "Wrote a fresh workbook with the Score customers button: /Users/sam/Documents/Customer scores.xlsm.",
               "It carries xlwings' own VBA module (version 0.37.8, the one installed), so Excel needs no add-in.",
               "Next: open Customer scores.xlsm (in Documents) in Excel and click Enable Macros; paste your orders",
               "into its Orders sheet and click Score customers on Start Here.", "", "sam@Sams-Mac ~ %"]}


def drawing(window: dict) -> list[str]:
    """ImageMagick's arguments that draw the window: a label, the window with its title bar, the lines."""
    lines = [(f"{window['prompt']} {window['command']}", "#2E7D32" if window is MAC else "#FFFFFF")] + \
        [(line, window["text"]) for line in window["output"]]
    height = 110 + LINE * len(lines)
    args = ["-size", f"{WIDTH}x{height}", "xc:#F3F3F3",
            "-font", "DejaVu-Sans-Bold", "-pointsize", "13", "-fill", "#B00020",
            "-annotate", f"+{LEFT}+22", f"Illustration, not a screenshot: the {window['name']} "
                                        "window after pasting the command and pressing Enter",
            "-stroke", "#999999", "-fill", window["background"], "-draw", f"rectangle 8,32 {WIDTH - 8},{height - 8}",
            "-fill", window["bar"], "-draw", f"rectangle 8,32 {WIDTH - 8},60", "-stroke", "none",
            "-font", "DejaVu-Sans", "-fill", window["bar_text"], "-gravity", "north",
            "-annotate", "+0+38", window["title"], "-gravity", "northwest", "-font", "DejaVu-Sans-Mono",
            "-pointsize", "12"]
    for i, (line, colour) in enumerate(lines):
        args += ["-fill", colour, "-annotate", f"+{LEFT}+{78 + LINE * i}", _literal(line)]
    return args


def _literal(text: str) -> str:
    """Text as ImageMagick draws it as it is: % and backslash escaped."""
    return text.replace("\\", "\\\\").replace("%", "%%")


def main() -> None:
    for window in (WINDOWS, MAC):
        subprocess.run(["convert", *drawing(window), str(FOLDER / window["file"])], check=True)
        print(f"Wrote {FOLDER / window['file']}")


if __name__ == "__main__":
    main()
