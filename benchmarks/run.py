"""Benchmark `rfm-excel score` against plain reading and against the openpyxl load/modify/save pipeline.

Usage, from the project folder with the project's environment active:

    python benchmarks/run.py                    # 10,000, 100,000 and 1,048,575 order lines (several minutes)
    python benchmarks/run.py --sizes 10000      # smoke run, seconds
    python benchmarks/run.py --cache ~/.cache/rfm-bench --skip-baseline-above 100000 --markdown

Each size's workbook is generated once with benchmarks/generate.py (kept in --cache for reruns).
Each measurement runs in a fresh interpreter and reports its own peak RSS; wall time is measured
around that process, so it includes start-up and imports, as a user running the tool would see.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (benchmarks/generate.py)

PACKAGES = ("rfm-excel", "pandas", "numpy", "python-calamine", "fastexcel", "pyarrow", "isal", "xlsxwriter", "lxml",
            "openpyxl")
MEASUREMENTS = ("calamine", "pandas+calamine", "rfm-excel", "rfm-excel rerun", "openpyxl baseline")

# Run as `python -c CHILD KIND PATH`; prints one JSON line {"rss_mb": ..., "detail": ...} last.
CHILD = r'''
import contextlib, io, json, resource, sys
kind, path = sys.argv[1:3]
detail = ""
if kind == "calamine":
    from python_calamine import CalamineWorkbook
    rows = CalamineWorkbook.from_path(path).get_sheet_by_name("Orders").to_python(skip_empty_area=False)
    detail = f"{len(rows) - 1:,} rows"
elif kind == "pandas+calamine":
    import pandas
    detail = f"{len(pandas.read_excel(path, sheet_name='Orders', engine='calamine')):,} rows"
elif kind == "rfm-excel":
    from rfm_excel.doors.cli import main
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["score", path])
    if code:
        sys.exit(code)
elif kind == "openpyxl":
    import openpyxl, pandas as pd, rfm_excel
    book = openpyxl.load_workbook(path)
    header, *data = book["Orders"].values
    result = rfm_excel.score(pd.DataFrame(data, columns=header))
    formats = {"Monetary": "#,##0.00", "Revenue": "#,##0.00", "Avg Monetary": "#,##0.00",
               "First Order": "yyyy-mm-dd", "Last Order": "yyyy-mm-dd"}
    for name, table in (("Scores", result.scores), ("Segments", result.segments), ("Data Issues", result.issues)):
        sheet = book.create_sheet(name)
        sheet.append(list(table.columns))
        for row in table.astype(object).where(table.notna(), None).itertuples(index=False):
            sheet.append([v.item() if hasattr(v, "item") else v for v in row])
        for col, header_name in enumerate(table.columns, start=1):
            if header_name in formats:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=col, max_col=col):
                    cell.number_format = formats[header_name]
    book.save(path)
    detail = f"{len(result.scores):,} customers"
else:
    sys.exit(f"unknown measurement {kind}")
# VmHWM is this process's own peak; ru_maxrss can carry the parent's peak over fork/exec.
try:
    rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
except OSError:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if sys.platform != "darwin" else 1024 ** 2)
print(json.dumps({"rss_mb": rss, "detail": detail}))
'''


def measure(kind: str, path: Path) -> dict:
    """Run one measurement in a fresh interpreter: wall seconds, peak RSS MB, detail, or an error."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, kind, str(path)], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode:
        lines = (proc.stderr or proc.stdout).strip().splitlines() or [f"exit status {proc.returncode}"]
        print(f"  {kind} failed: {lines[-1]}", file=sys.stderr)
        return {"wall": wall, "error": lines[-1]}
    return {"wall": wall, **json.loads(proc.stdout.strip().splitlines()[-1])}


def workbook(cache: Path, lines: int) -> Path:
    """The generated workbook of ``lines`` order lines, made once per cache folder."""
    path = cache / f"orders-{lines}.xlsx"
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr)
        partial = path.with_suffix(".partial.xlsx")
        generate.write_workbook(str(partial), lines, max(lines // 10, 1))  # generate.py's default customers
        partial.replace(path)
    return path


def run_size(lines: int, cache: Path, baseline: bool) -> dict:
    source = workbook(cache, lines)
    results = {"source_mb": source.stat().st_size / 1e6}
    with tempfile.TemporaryDirectory(prefix="rfm-bench-") as folder:
        copy, other = Path(folder) / "scored.xlsx", Path(folder) / "openpyxl.xlsx"
        shutil.copyfile(source, copy)
        for name, kind, path in (("calamine", "calamine", source), ("pandas+calamine", "pandas+calamine", source),
                                 ("rfm-excel", "rfm-excel", copy), ("rfm-excel rerun", "rfm-excel", copy)):
            print(f"  {lines:,} lines: {name} ...", file=sys.stderr)
            results[name] = measure(kind, path)
            if kind == "rfm-excel" and "error" not in results[name]:
                results[name]["detail"] = f"file {copy.stat().st_size / 1e6:.1f} MB"
        if baseline:
            print(f"  {lines:,} lines: openpyxl baseline ...", file=sys.stderr)
            shutil.copyfile(source, other)
            results["openpyxl baseline"] = measure("openpyxl", other)
    return results


def ratio(results: dict, top: str, bottom: str) -> float | None:
    a, b = results.get(top), results.get(bottom)
    if not a or not b or "error" in a or "error" in b:
        return None
    return a["wall"] / b["wall"]


def table(headers: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = [headers, ["---" if i in (0, len(headers) - 1) else "---:" for i in range(len(headers))], *rows]
        return "\n".join("| " + " | ".join(row) + " |" for row in lines)
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     for r in [headers, *rows])


def report(lines: int, results: dict, markdown: bool) -> str:
    rows = []
    for name in MEASUREMENTS:
        r = results.get(name)
        if r is None:
            rows.append([name, "skipped", "", ""])
        elif "error" in r:
            rows.append([name, "error", "", r["error"][:60]])
        else:
            rows.append([name, f"{r['wall']:.2f}", f"{r['rss_mb']:.0f}", r["detail"]])
    fmt = lambda x: "n/a" if x is None else f"{x:.2f}"  # noqa: E731
    ratios = (f"rfm-excel/calamine {fmt(ratio(results, 'rfm-excel', 'calamine'))}, "
              f"rfm-excel/pandas+calamine {fmt(ratio(results, 'rfm-excel', 'pandas+calamine'))}, "
              f"openpyxl/rfm-excel {fmt(ratio(results, 'openpyxl baseline', 'rfm-excel'))}, "
              f"rerun/run 1 {fmt(ratio(results, 'rfm-excel rerun', 'rfm-excel'))}")
    title = f"{lines:,} order lines (generated workbook {results['source_mb']:.1f} MB)"
    heading = f"### {title}\n" if markdown else f"== {title} ==\n"
    body = table(["measurement", "wall s", "peak RSS MB", "detail"], rows, markdown)
    return f"{heading}\n{body}\n\nRatios (wall time): {ratios}\n" if markdown else f"{heading}{body}\nratios: {ratios}\n"


def targets(lines: int, results: dict) -> list[str]:
    """PASS/FAIL against the targets, which are set for a full sheet: smaller runs are not judged."""
    if lines < 1_048_575:
        return [f"Targets are set for 1,048,575 lines (start-up dominates {lines:,}); run with --sizes 1048575."]
    tool = results.get("rfm-excel", {})
    checks = [("openpyxl/rfm-excel >= 10", ratio(results, "openpyxl baseline", "rfm-excel"), lambda x: x >= 10),
              ("rfm-excel/calamine <= 1.5", ratio(results, "rfm-excel", "calamine"), lambda x: x <= 1.5),
              ("rfm-excel peak RSS < 1500 MB", tool.get("rss_mb"), lambda x: x < 1500)]
    out = [f"Targets at {lines:,} lines:"]
    for name, value, ok in checks:
        out.append(f"- {'SKIP' if value is None else 'PASS' if ok(value) else 'FAIL'} {name}"
                   + ("" if value is None else f" ({value:,.2f})"))
    return out


def machine(argv: list[str]) -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = next((l.split(":", 1)[1].strip() for l in cpuinfo.splitlines() if l.startswith("model name")),
               platform.processor() or platform.machine())
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else "MemTotal: 0 kB"
    ram = int(next(l.split()[1] for l in meminfo.splitlines() if l.startswith("MemTotal"))) / 1024 ** 2
    versions = ", ".join(f"{p} {_version(p)}" for p in PACKAGES)
    commit = subprocess.run(["git", "-C", str(HERE.parent), "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    return [f"Machine: {cpu}, {os.cpu_count()} cores, {ram:.0f} GB RAM, {platform.platform()}",
            f"Date: {dt.datetime.now():%Y-%m-%d %H:%M}",
            f"Python {platform.python_version()}; {versions}; project commit {commit}",
            f"Command: python {shlex.join(argv)}"]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_048_575],
                        help="order lines per workbook (default: 10000 100000 1048575)")
    parser.add_argument("--skip-baseline-above", type=int, metavar="N",
                        help="skip the slow openpyxl baseline for sizes above N lines (default: run it for all)")
    parser.add_argument("--cache", type=Path, help="keep generated workbooks here (default: a temporary folder)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables, for docs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rfm-bench-cache-") as temporary:
        cache = args.cache or Path(temporary)
        cache.mkdir(parents=True, exist_ok=True)
        header = machine(sys.argv)
        all_results = {}
        for lines in sorted(args.sizes):
            baseline = args.skip_baseline_above is None or lines <= args.skip_baseline_above
            all_results[lines] = run_size(lines, cache, baseline)
    bullet = "- " if args.markdown else ""
    print("\n".join(bullet + line for line in header) + "\n")
    for lines, results in all_results.items():
        print(report(lines, results, args.markdown))
    largest = max(all_results)
    print("\n".join(targets(largest, all_results[largest])))
    failed = any("error" in r for results in all_results.values() for r in results.values() if isinstance(r, dict))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
