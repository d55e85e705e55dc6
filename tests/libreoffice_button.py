"""Click the Score customers button of .xlsm workbooks in LibreOffice, headless, over UNO.

Run by tests/test_libreoffice_button.py with the system Python that has LibreOffice's bridge
(Debian's python3-uno), not the project's virtual environment:

    /usr/bin/python3 tests/libreoffice_button.py BOOK.xlsm [BOOK.xlsm ...]

One soffice, with a profile of its own, opens each workbook with its macros allowed, reads the
form controls of the sheet "Start Here" and their script events, replaces xlwings' module (which
LibreOffice cannot compile) with a stub whose RunPython records its argument, checks that the VBA
project compiles, invokes the script the button is assigned to, and prints one JSON line per
workbook: controls, compiled, modules_that_do_not_compile, error, run_python_calls.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

START_HERE = "Start Here"
LIBRARY = "VBAProject"
REPLACED = "xlwings"
STUB = """Rem Attribute VBA_ModuleType=VBAModule
Option VBASupport 1
Option Explicit
' Stands in for xlwings' module: RunPython records the Python code it is asked to run.
Private calls As String

Public Function RunPython(PythonCommand As String)
    calls = calls & PythonCommand & Chr(10)
End Function

Public Function RecordedCalls() As String
    RecordedCalls = calls
End Function

Public Function Compiled() As Long
    Compiled = 42
End Function
"""
COMPILED = 42  # what Compiled() returns when the library compiled; a library that does not compile returns 0


def _script(name: str) -> str:
    return f"vnd.sun.star.script:{LIBRARY}.{REPLACED}.{name}?language=Basic&location=document"


def _start_office():
    """A headless soffice with a fresh profile listening on a pipe; (process, desktop, profile folder)."""
    import uno

    profile = Path(tempfile.mkdtemp(prefix="lo-rfm-button-"))
    pipe = f"rfm-button-{uuid.uuid4().hex}"
    process = subprocess.Popen(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible", "--norestore",
         "--nologo", "--nodefault", "--nolockcheck", f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + 120
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:  # not listening yet
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("soffice did not start") from None
            time.sleep(0.2)
    desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
    return process, desktop, profile


def _property(name: str, value):
    from com.sun.star.beans import PropertyValue

    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def _controls(document) -> list[dict]:
    """The form controls of the Start Here sheet: label and script events, as LibreOffice read them."""
    forms = document.Sheets.getByName(START_HERE).DrawPage.Forms
    controls = []
    for f in range(forms.Count):
        form = forms.getByIndex(f)
        for index in range(form.Count):
            controls.append({"label": form.getByIndex(index).Label, "events": [
                {"listener": event.ListenerType, "method": event.EventMethod, "type": event.ScriptType,
                 "script": event.ScriptCode} for event in form.getScriptEvents(index)]})
    return controls


def _compiles(provider) -> bool:
    return provider.getScript(_script("Compiled")).invoke((), (), ())[0] == COMPILED


def _header(source: str) -> str:
    """A module's source cut to the lines LibreOffice put before the VBA code (its kind and options)."""
    lines = source.split("\n")
    kept = [line for line in lines[:3] if line.startswith(("Rem Attribute VBA_ModuleType", "Option VBASupport",
                                                            "Option ClassModule"))]
    return "\n".join(kept) + "\n"


def _modules_that_do_not_compile(library, provider) -> list[str]:
    """Each module that keeps the library from compiling on its own, the others emptied to their headers."""
    ours = [name for name in library.ElementNames if name != REPLACED]
    sources = {name: library.getByName(name) for name in ours}
    failing = []
    for suspect in ours:
        for name in ours:
            library.replaceByName(name, sources[name] if name == suspect else _header(sources[name]))
        if not _compiles(provider):
            failing.append(suspect)
    for name in ours:
        library.replaceByName(name, sources[name])
    return failing


def click(desktop, path: str) -> dict:
    """Open ``path``, stub xlwings' module, and run the script of the button on Start Here."""
    import uno

    allow = uno.getConstantByName("com.sun.star.document.MacroExecMode.ALWAYS_EXECUTE_NO_WARN")
    document = desktop.loadComponentFromURL(Path(path).resolve().as_uri(), "_blank", 0,
                                            (_property("Hidden", True), _property("MacroExecutionMode", allow)))
    try:
        result = {"book": path, "controls": _controls(document), "error": None}
        library = document.BasicLibraries.getByName(LIBRARY)
        result["modules"] = sorted(library.ElementNames)
        library.replaceByName(REPLACED, STUB)
        provider = document.ScriptProvider
        result["compiled"] = _compiles(provider)
        result["modules_that_do_not_compile"] = [] if result["compiled"] else \
            _modules_that_do_not_compile(library, provider)
        actions = [event["script"] for control in result["controls"] if control["label"] == "Score customers"
                   for event in control["events"] if event["method"] == "actionPerformed"]
        if len(actions) != 1:
            result["error"] = f"{len(actions) or 'no'} scripts are assigned to the button's click, not 1"
        else:
            try:
                provider.getScript(actions[0]).invoke((), (), ())
            except Exception as error:  # the script is not found, or raised: report it
                result["error"] = str(getattr(error, "Message", error)).split(" at ./")[0].strip()
        result["run_python_calls"] = provider.getScript(_script("RecordedCalls")).invoke((), (), ())[0] \
            .split("\n")[:-1]
        return result
    finally:
        document.close(True)


def main(paths: list[str]) -> None:
    process, desktop, profile = _start_office()
    try:
        for path in paths:
            print(json.dumps(click(desktop, path)), flush=True)
    finally:
        try:
            desktop.terminate()
            process.wait(timeout=60)
        except Exception:  # the bridge is gone with soffice: stop it ourselves
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
