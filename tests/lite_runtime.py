"""Run workbook_templates/lite/main.py's Score customers script as xlwings Lite would, as far as CPython can.

Run by tests/test_lite.py as a script, in a fresh interpreter with XLWINGS_ON_SERVER=true (so ``from xlwings import
script, func, arg`` gives the decorators of xlwings' Server/Lite runtime) and XLWINGS_LICENSE_KEY=noncommercial
(the remote engine, tests only). What Pyodide lacks is taken away before anything is imported: fastexcel
(no WebAssembly build), threads (starting one raises, as in Pyodide), subprocesses, and sys.platform is
"emscripten". Reads the workbook's JSON (as Lite's client sends it) on stdin, runs the script through
xlwings.server.custom_scripts_call and prints the recorded actions and what the script printed as JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
import json
import subprocess
import sys
import threading
from pathlib import Path


def _refused(*args, **kwargs):
    raise RuntimeError("can't start new thread or process (Pyodide)")


def pyodide_like() -> None:
    """Take away what Pyodide lacks, before rfm_excel or xlwings is imported."""
    sys.modules["fastexcel"] = None  # type: ignore[assignment]  # import fastexcel raises ImportError
    threading.Thread.start = _refused  # type: ignore[method-assign]
    subprocess.Popen.__init__ = _refused  # type: ignore[method-assign]
    sys.platform = "emscripten"


def main() -> None:
    pyodide_like()
    import xlwings as xw
    from xlwings.server import custom_scripts_call

    spec = importlib.util.spec_from_file_location("main", Path(sys.argv[1]))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    book = xw.Book(json=json.load(sys.stdin))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        asyncio.run(custom_scripts_call(module, "score_customers", typehint_to_value={xw.Book: book}))
    json.dump({"actions": book.json()["actions"], "printed": printed.getvalue()}, sys.stdout, default=str)


if __name__ == "__main__":
    main()
