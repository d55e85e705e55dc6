"""The Score customers button clicked in LibreOffice: our VBA compiles and calls the Python entry point.

LibreOffice opens the .xlsm, sees the form control with its macro assignment and runs VBA in
compatibility mode. It cannot compile xlwings' own module (``#If`` around ``Function`` headers), so
tests/libreoffice_button.py (run by the system Python, which has LibreOffice's UNO bridge) puts a
stub RunPython in its place that records its argument, checks the project compiles, and invokes the
script assigned to the button. The same check is shown to catch broken variants of our module,
built with the project's own VBA builder. One soffice serves every workbook.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from rfm_excel.layout.template import SCORE_MACRO
from rfm_excel.writers.headless import vba
from rfm_excel.writers.headless.template import MACRO_TEMPLATE_NAME, build_template

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's python3-uno installs the bridge for this Python only
HELPER = Path(__file__).with_name("libreoffice_button.py")
BUTTON_SCRIPT = f"vnd.sun.star.script:VBAProject.{vba.MACRO_MODULE}.{SCORE_MACRO}?language=Basic&location=document"
WRONG_ENTRY_POINT = "import rfm_excel.macro; rfm_excel.macro.score_customers()"

# name: (module, edit of its source); each gives a workbook built by build_template with that source
VARIANTS = {
    "as built": (None, None),
    "a syntax error in our macro module": ("RfmExcel", lambda s: s.replace("End Sub", "")),
    "a syntax error in our Dictionary class": ("Dictionary", lambda s: s.replace("End Function", "End Functio", 1)),
    "the button's sub missing": ("RfmExcel", lambda s: s.replace(f"Sub {SCORE_MACRO}()", "Sub ScoreAllCustomers()")),
    "a wrong entry point": ("RfmExcel", lambda s: s.replace(vba.ENTRY_POINT, WRONG_ENTRY_POINT)),
}


def _skip_reason() -> str | None:
    if shutil.which("soffice") is None:
        return "LibreOffice (soffice) is not installed"
    if not Path(SYSTEM_PYTHON).exists() or subprocess.run([SYSTEM_PYTHON, "-c", "import uno"],
                                                          capture_output=True).returncode != 0:
        return f"python3-uno (LibreOffice's Python bridge for {SYSTEM_PYTHON}) is not installed"
    return None


def _build(path: Path, module: str | None, edit) -> Path:
    """The template at ``path``, its VBA module ``module`` changed by ``edit``, through the project's builder."""
    if module is None:
        return build_template(path)
    original = vba.modules

    def edited(names):
        parts = original(names)
        changed = [(name, kind, edit(source) if name == module else source) for name, kind, source in parts]
        assert changed != parts, f"the edit leaves {module} as it is"
        return changed

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(vba, "modules", edited)
        return build_template(path)


@pytest.fixture(scope="module")
def clicked(tmp_path_factory) -> dict[str, dict]:
    """What LibreOffice saw and did when the button of each variant was clicked, by variant."""
    if reason := _skip_reason():
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("button")
    books = {name: _build(folder / f"variant{n}_{MACRO_TEMPLATE_NAME}", *VARIANTS[name])
             for n, name in enumerate(VARIANTS)}
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    run = subprocess.run([SYSTEM_PYTHON, str(HELPER), *map(str, books.values())], capture_output=True, text=True,
                         timeout=600, env=environment)
    assert run.returncode == 0, run.stderr
    results = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    return dict(zip(books, results, strict=True))


def button_problems(result: dict) -> list[str]:
    """What is wrong with the button of one workbook, as LibreOffice clicked it; [] when nothing is."""
    problems = []
    controls = [(control["label"], [(e["listener"], e["method"], e["type"], e["script"]) for e in control["events"]])
                for control in result["controls"]]
    if controls != [("Score customers", [("XActionListener", "actionPerformed", "Script", BUTTON_SCRIPT)])]:
        problems.append(f"the Start Here sheet's controls are {controls}")
    if not result["compiled"]:
        problems.append(f"the VBA project does not compile: {', '.join(result['modules_that_do_not_compile'])}")
    if result["error"]:
        problems.append(f"clicking the button failed: {result['error']}")
    if result["run_python_calls"] != [vba.ENTRY_POINT]:
        problems.append(f"RunPython received {result['run_python_calls']}")
    return problems


def test_button_runs_the_python_entry_point_in_libreoffice(clicked):
    result = clicked["as built"]
    assert result["modules"] == ["Dictionary", "RfmExcel", "Sheet1", "Sheet2", "Sheet3", "Sheet4", "ThisWorkbook",
                                 "xlwings"]
    assert result["compiled"] and result["error"] is None
    assert result["run_python_calls"] == [vba.ENTRY_POINT]  # which runs macros.score_customers: test_live.py
    assert button_problems(result) == []


def test_button_check_catches_a_syntax_error_in_our_modules(clicked):
    assert button_problems(clicked["a syntax error in our macro module"]) == [
        "the VBA project does not compile: RfmExcel", "RunPython received []"]
    assert button_problems(clicked["a syntax error in our Dictionary class"]) == [
        "the VBA project does not compile: Dictionary", "RunPython received []"]


def test_button_check_catches_a_missing_sub(clicked):
    # LibreOffice resolves the button's macro when it opens the file: without the sub, no script is assigned
    assert button_problems(clicked["the button's sub missing"]) == [
        "the Start Here sheet's controls are [('Score customers', [])]",
        "clicking the button failed: no scripts are assigned to the button's click, not 1", "RunPython received []"]


def test_button_check_catches_a_wrong_entry_point(clicked):
    assert button_problems(clicked["a wrong entry point"]) == [f"RunPython received ['{WRONG_ENTRY_POINT}']"]
