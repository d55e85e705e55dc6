"""The rfm-excel command line: template, score, export, compare, demo and excel-setup."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import TypedDict

import numpy as np
import pandas as pd

from .. import __version__
from ..base.errors import RfmError
from ..base.settings import DEFAULT_SEGMENTS, Settings
from ..core import Result, best_segments
from ..layout.wording import audience_notes, counted, plan_summary, segment_lines, summary
from ..writers.headless.template import build_template
from .failures import unexpected
from .files import (
    check_place,
    compare_file,
    export_plan,
    score_file,
    score_source,
    write_audiences,
    write_csv,
    write_template,
)
from .setup import excel_setup

SAMPLE = "online_retail_sample.csv.gz"
DEMO_FIRST_AS_OF = dt.date(2011, 9, 30)  # the demo scores the sample on this date, then on its last day
DEMO_HOLDOUT = 0.2
DEMO_PROSPECTS, DEMO_SEED = 120, 2011  # the demo's prospects: how many, and the seed their countries are drawn with
DEMO_NEW_COUNTRIES = ("Germany", "Sweden")  # countries none of the sample's customers are in
# The sample's codes for postage, carriage, fees and manual adjustments: not products to offer anyone.
DEMO_NOT_PRODUCTS = ("POST", "DOT", "C2", "M", "D", "ADJUST", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS", "S", "B")
INPUT_PROBLEM, USAGE, UNEXPECTED, INTERRUPTED = 1, 2, 3, 130  # exit statuses; 2 is argparse's own
EXIT_STATUSES = f"""exit status:
  0    done
  {INPUT_PROBLEM}    a problem with a file or its contents; the message says what to fix, and nothing was changed
  {USAGE}    a mistake in the command itself, such as an unknown option or a date not like 2024-12-31
  {UNEXPECTED}    an unexpected failure; the message names the log file with the details, to send with a report
  {INTERRUPTED}  stopped with Ctrl-C; nothing was changed"""
FORCE_HELP = "overwrite the output file if it exists (scoring a workbook in place needs no --force)"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2024-12-31") from None


def _book_options(command: argparse.ArgumentParser, output: str, as_of: str) -> None:
    """The options score and export share: the book, --output, --as-of and --orders-sheet."""
    command.add_argument("book", type=Path, help="an .xlsx/.xlsm workbook, or a .csv file of orders")
    _common_options(command, output, as_of)


def _common_options(command: argparse.ArgumentParser, output: str, as_of: str) -> None:
    command.add_argument("--output", "-o", type=Path, help=output)
    command.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD", help=f"{as_of} (overrides Settings)")
    command.add_argument("--orders-sheet", metavar="NAME", help="read orders from this sheet instead of Orders")


def _side_options(command: argparse.ArgumentParser, prospects: bool = True) -> None:
    """--customers and (with ``prospects``) --prospects: the owner's tables beside the orders."""
    command.add_argument("--customers", type=Path, metavar="FILE",
                         help="a CSV file or workbook of your customers (Customer ID, attributes such as Country or "
                              "Channel, contact columns); a workbook's own Customers sheet otherwise")
    if not prospects:
        return
    command.add_argument("--prospects", type=Path, metavar="FILE",
                         help="a CSV file or workbook of prospects to score against your best customers; a "
                              "workbook's own Prospects sheet otherwise")


class _Described(TypedDict):
    """What every command's help ends with, laid out as written."""

    epilog: str
    formatter_class: type[argparse.HelpFormatter]


def _parser() -> argparse.ArgumentParser:
    described: _Described = {"epilog": EXIT_STATUSES, "formatter_class": argparse.RawDescriptionHelpFormatter}
    parser = argparse.ArgumentParser(
        prog="rfm-excel", description="Score customers by Recency, Frequency and Monetary value in Excel workbooks.",
        **described)
    parser.add_argument("--version", action="version", version=f"rfm-excel {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    template = commands.add_parser("template", **described, help="write a new template workbook to fill in",
                                   description="Write a template workbook with Start Here, Orders and Settings sheets.")
    template.add_argument("path", type=Path, help="where to write it, e.g. customers.xlsx")
    template.add_argument("--force", action="store_true", help="overwrite the file if it exists")
    template.add_argument("--lite", action="store_true",
                          help="put the code for xlwings Lite inside (Excel without Python: docs/excel.md)")
    template.add_argument("--wheel-url", metavar="URL",
                          help="with --lite: where xlwings Lite gets rfm-excel's wheel (default: rfm-excel from PyPI)")

    score = commands.add_parser("score", **described, help="score the orders in a workbook or CSV file",
                                description="Score every customer and write the Scores, Segments, Data Issues, "
                                            "Contact Plan, Movement, Campaign Results and Score History sheets. "
                                            "A workbook is updated in place unless --output is given.")
    score.add_argument("book", type=Path, nargs="?",
                       help="an .xlsx/.xlsm workbook, a .csv or .parquet file of orders, or a folder of CSV files "
                            "and workbooks (monthly exports, say)")
    _common_options(score, output="write the scored workbook here instead", as_of="score as on this date")
    score.add_argument("--force", action="store_true", help=FORCE_HELP)
    _side_options(score)
    score.add_argument("--source", metavar="parquet:PATTERN",
                       help="score orders where they live instead of a book, e.g. 'parquet:orders/*.parquet' "
                            "(needs --output); see docs/big-data.md")
    score.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                       help="what reads --source: duckdb on this machine (the default), or spark, where Spark's "
                            "own configuration points it (pip install \"rfm-excel[spark]\")")

    export = commands.add_parser("export", **described, help="write the customers to contact to a CSV file",
                                 description="Score the workbook (without changing it) and write the Contact rows of "
                                             "its Contact Plan to a CSV file for an email or mailing tool.")
    _book_options(export, output="the CSV file (default: '<book> contact plan.csv')", as_of="plan as on this date")

    compare = commands.add_parser("compare", **described, help="compare two snapshots of the Score History",
                                  description="Rewrite the Movement sheet to compare the Score History snapshots of "
                                              "two as-of dates (the latest two when no dates are given).")
    compare.add_argument("book", type=Path, help="a workbook scored at least twice")
    compare.add_argument("--from", dest="earlier", type=_date, metavar="YYYY-MM-DD", help="the earlier as-of date")
    compare.add_argument("--to", dest="later", type=_date, metavar="YYYY-MM-DD", help="the later as-of date")
    compare.add_argument("--output", "-o", type=Path, help="write the workbook here instead")
    compare.add_argument("--orders-sheet", metavar="NAME", help="read orders from this sheet instead of Orders")
    compare.add_argument("--force", action="store_true", help=FORCE_HELP)

    audiences = commands.add_parser(
        "audiences", **described, help="write look-alike seeds and suppression lists for the ad platforms",
        description="Score the workbook (without changing it) and write, per platform, a look-alike seed (the best "
                    "customers) and a suppression list (every customer with contact data), normalised and "
                    "SHA-256 hashed as each platform asks (docs/prospects.md).")
    audiences.add_argument("book", type=Path, help="an .xlsx/.xlsm workbook, or a .csv file of orders")
    audiences.add_argument("--out", type=Path, required=True, metavar="FOLDER", help="the folder to write the files in")
    audiences.add_argument("--platform", default="all", metavar="NAMES",
                           help="any of meta, google, linkedin, tiktok, microsoft, separated by commas (default: all)")
    audiences.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD", help="score as on this date")
    audiences.add_argument("--orders-sheet", metavar="NAME", help="read orders from this sheet instead of Orders")
    _side_options(audiences, prospects=False)

    commands.add_parser("excel-setup", **described,
                        help="set up this Windows or Mac computer for the Score customers button",
                        description="Tell xlwings which Python to use, let Excel start it (Mac), check xlwings' "
                                    "library (Windows) and put a fresh workbook with the Score customers button in "
                                    "your Documents folder. Prints what it did.")

    demo = commands.add_parser("demo", **described, help="score bundled sample orders into a demo workbook",
                               description="Write a workbook of real sample orders and score it.")
    demo.add_argument("path", type=Path, nargs="?", default=Path("rfm-demo.xlsx"),
                      help="where to write it (default: rfm-demo.xlsx)")
    demo.add_argument("--force", action="store_true", help="overwrite the file if it exists")
    return parser


def _report(result: Result, path: Path, notes: Sequence[str] = ()) -> None:
    print(summary(result))
    for note in notes:
        print(note)
    print()
    for line in segment_lines(result):
        print(line)
    print(f"\nContact plan: {plan_summary(result.plan, result.settings.currency_symbol)}")
    print(f"\nWrote {path}")


def _template(args) -> None:
    if args.wheel_url and not args.lite:
        raise RfmError("--wheel-url goes with --lite (the workbook for xlwings Lite).")
    write_template(args.path, args.force, lite=(args.wheel_url or "rfm-excel") if args.lite else None)
    if args.lite:
        print(f"Wrote {args.path}: open it in Excel (Windows, Mac or Excel on the web) with the xlwings Lite add-in, "
              "paste your orders into its Orders sheet and run Score customers in the xlwings Lite pane.")
        return
    print(f"Wrote {args.path}: paste your orders into its Orders sheet, then run: rfm-excel score \"{args.path}\""
          + (" (or, in Excel, click Score customers on its Start Here sheet)" if args.path.suffix == ".xlsm" else ""))


def _score(args) -> None:
    status = _status_line()
    notes: list[str] = []
    if args.source is not None:
        result, path = score_source(args.source, args.output, args.as_of, args.engine, progress=status,
                                    force=args.force, tell=notes.append, customers=args.customers,
                                    prospects=args.prospects)
    else:
        result, path = score_file(args.book, args.output, args.as_of, args.orders_sheet, progress=status,
                                  force=args.force, tell=notes.append, customers=args.customers,
                                  prospects=args.prospects)
    if status:
        status("")
    _report(result, path, notes)


def _status_line():
    """How a long run shows what it is doing: on one terminal line that each step overwrites, where the
    terminal understands the escape code that clears a line; one line per step on a console that does not
    (an old Windows console prints the code as text); nothing when the output is not a terminal."""
    if not sys.stderr.isatty():
        return None
    clears = _clears_lines()

    def status(words: str) -> None:
        if clears:
            print(f"\r\033[K{words}…" if words else "\r\033[K", end="", file=sys.stderr, flush=True)
        elif words:
            print(f"{words}…", file=sys.stderr, flush=True)
    return status


def _clears_lines() -> bool:
    """Whether standard error is a terminal that understands ANSI escape codes (on Windows, one that
    accepts virtual-terminal processing, as Windows 10's console and Windows Terminal do)."""
    if os.environ.get("TERM") == "dumb":
        return False
    if sys.platform != "win32":
        return True
    import ctypes  # Windows only: ask the console to interpret escape codes
    from ctypes import wintypes

    kernel = ctypes.windll.kernel32
    handle, mode = kernel.GetStdHandle(-12), wintypes.DWORD()  # -12: standard error
    enable_virtual_terminal = 0x0004
    return bool(kernel.GetConsoleMode(handle, ctypes.byref(mode))
                and kernel.SetConsoleMode(handle, mode.value | enable_virtual_terminal))


def _export(args) -> None:
    result, path, count = export_plan(args.book, args.output, args.as_of, args.orders_sheet)
    print(f"Contact plan as of {result.as_of:%Y-%m-%d}: {plan_summary(result.plan, result.settings.currency_symbol)}")
    print(f"Wrote {counted(count, 'customer')} to contact to {path}")


def _audiences(args) -> None:
    result, written = write_audiences(args.book, args.out, args.platform, args.as_of, args.orders_sheet,
                                      args.customers)
    print(f"Audiences as of {result.as_of:%Y-%m-%d}, best customers: "
          f"{', '.join(best_segments(result.settings)) or 'none (no segment of Best customers are is in the table)'}.")
    for line in audience_notes([(str(path), platform.title, rows, platform.minimum if path.stem.endswith("seed")
                                 else None) for path, platform, rows in written]):
        print(line)


def _compare(args) -> None:
    layout, path = compare_file(args.book, args.output, args.earlier, args.later, args.orders_sheet, args.force)
    print("\n".join(layout.lines[1:2]))
    print(f"Wrote the Movement sheet of {path}")


def sample_orders() -> pd.DataFrame:
    """The bundled sample: real order lines of a UK online gift shop (UCI Online Retail II, CC BY 4.0)."""
    with resources.as_file(resources.files("rfm_excel.sample") / SAMPLE) as path:
        return pd.read_csv(path, dtype=str, keep_default_na=False).astype(object).replace("", None)


def demo_settings() -> Settings:
    """The demo's Settings: pounds sterling (the sample's shop is in the UK), a fifth of each contacted segment
    held out, a campaign sent on the first scoring date, so that Campaign Results has something to show, and the
    sample's postage and fee codes kept out of the offers."""
    segments = tuple(rule if rule.do_not_contact else replace(rule, holdout=DEMO_HOLDOUT) for rule in DEFAULT_SEGMENTS)
    return Settings(currency_symbol="£", campaign_date=DEMO_FIRST_AS_OF, segments=segments,
                    do_not_recommend=DEMO_NOT_PRODUCTS)


def demo_prospects(orders: pd.DataFrame) -> pd.DataFrame:
    """The demo's prospects: DEMO_PROSPECTS made-up companies, each in a country drawn at random (numpy's
    generator, seed DEMO_SEED) from the sample's countries, each equally likely, and DEMO_NEW_COUNTRIES, where
    the shop has no customer yet."""
    countries = sorted({c for c in orders["Country"].dropna().unique() if c != "Unspecified"}) + \
        list(DEMO_NEW_COUNTRIES)
    drawn = np.random.default_rng(DEMO_SEED).choice(countries, DEMO_PROSPECTS)
    return pd.DataFrame({"Prospect": [f"P{n:03d}" for n in range(1, DEMO_PROSPECTS + 1)],
                         "Company": [f"Demo company {n}" for n in range(1, DEMO_PROSPECTS + 1)],
                         "Country": drawn.astype(object)})


def _demo(args) -> None:
    if args.path.suffix.lower() != ".xlsx":
        raise RfmError(f"The demo workbook must be an .xlsx file; name it e.g. {args.path.stem}.xlsx.")
    check_place(args.path, args.force, elsewhere="choose another place")
    with tempfile.TemporaryDirectory(prefix="rfm-") as folder:
        orders = sample_orders()
        prospects = Path(folder) / "prospects.csv"
        write_csv(demo_prospects(orders), prospects)
        book = build_template(Path(folder) / "demo.xlsx", orders=orders, settings=demo_settings())
        _, first = score_file(book, Path(folder) / "first.xlsx", as_of=DEMO_FIRST_AS_OF)  # Movement and Score
        result, path = score_file(first, args.path, force=args.force,  # History then compare two dates
                                  prospects=prospects)
    print(f"Scored the sample as of {DEMO_FIRST_AS_OF:%Y-%m-%d}, then as of {result.as_of:%Y-%m-%d}.")
    _report(result, path)


def _excel_setup(args) -> None:
    for line in excel_setup():
        print(line)


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit status (EXIT_STATUSES). No error ever shows a traceback."""
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser()
    if not argv:  # rfm-excel alone: what it can do, not an error
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    if args.command == "compare" and (args.earlier is None) != (args.later is None):
        parser.error("compare needs both --from and --to, or neither to compare the latest two snapshots")
    if args.command == "score":
        if (args.book is None) == (args.source is None):
            parser.error("score needs either a workbook, file or folder of orders, or --source, e.g. rfm-excel "
                         "score orders.xlsx, or rfm-excel score --source 'parquet:orders/*.parquet' "
                         "--output scores.xlsx")
        if args.source is not None and args.output is None:
            parser.error("score --source needs --output, the workbook to write, e.g. --output scores.xlsx")
        if args.source is None and args.engine != "duckdb":
            parser.error("--engine spark reads --source only; give the orders as --source 'parquet:PATTERN'")
    try:
        {"template": _template, "score": _score, "export": _export, "compare": _compare, "demo": _demo,
         "audiences": _audiences, "excel-setup": _excel_setup}[args.command](args)
    except RfmError as error:
        print(f"Error: {error}", file=sys.stderr)
        return INPUT_PROBLEM
    except BrokenPipeError:  # output piped into e.g. head, which stopped reading: the work is done
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except KeyboardInterrupt:
        print("Stopped; no file was changed.", file=sys.stderr)
        return INTERRUPTED
    except Exception as error:  # a bug: one sentence here, the traceback in the log it names
        book = getattr(args, "book", None) or getattr(args, "path", None)
        print(f"Error: {unexpected(error, book, ' '.join(['rfm-excel', *argv]))}", file=sys.stderr)
        return UNEXPECTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
