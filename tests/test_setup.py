"""rfm-excel excel-setup, run here as it would run on Windows and on a Mac, into a fake home folder.

What it writes is checked file by file: xlwings' config file (the other settings in it kept), the
AppleScript on a Mac, the workbook in Documents (the same bytes as the shipped .xlsm). What only
Excel can show (that the button then runs) is on the checklist in docs/excel.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import xlwings as xw

from rfm_excel.base.errors import RfmError
from rfm_excel.doors.cli import main
from rfm_excel.doors.setup import excel_setup

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "workbook_templates" / "rfm_template.xlsm"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty home folder, and no conda environment."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("USERPROFILE", str(folder))
    monkeypatch.delenv("CONDA_DEFAULT_ENV", raising=False)
    monkeypatch.delenv("CONDA_EXE", raising=False)
    return folder


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def windows(home, tmp_path, monkeypatch):
    """Python installed in its own folder with xlwings' library beside it, and xlwings' Windows config path."""
    python = tmp_path / "Python311" / "python.exe"
    python.parent.mkdir()
    python.write_bytes(b"")
    (python.parent / f"xlwings64-{xw.__version__}.dll").write_bytes(b"")
    monkeypatch.setattr(sys, "executable", str(python))
    monkeypatch.setattr(xw, "USER_CONFIG_FILE", str(home / ".xlwings" / "xlwings.conf"))
    return python


def test_on_windows_it_configures_xlwings_and_puts_a_workbook_in_documents(home, windows):
    config = home / ".xlwings" / "xlwings.conf"
    config.parent.mkdir()
    config.write_text('"LICENSE_KEY","noncommercial"\n')  # someone's own xlwings setting: kept
    done = excel_setup("win32")
    assert config.read_text() == f'"LICENSE_KEY","noncommercial"\n"INTERPRETER_WIN","{windows}"\n'
    workbook = home / "Documents" / "Customer scores.xlsm"
    assert workbook.read_bytes() == SHIPPED.read_bytes()  # the button, xlwings' module and the functions' sheet
    assert files_under(home) == [".xlwings/xlwings.conf", "Documents/Customer scores.xlsm"]
    assert done[0] == f"Checked that the workbook's xlwings module will find its library: " \
                      f"{windows.parent / f'xlwings64-{xw.__version__}.dll'}."
    assert done[1].startswith(f"Told xlwings which Python to start ({windows}) in {config}")
    assert str(workbook) in done[2] and "needs no add-in" in done[2]
    assert done[3].startswith("Next: open Customer scores.xlsm (in Documents) in Excel and click Enable Content")
    assert "Trust access to the VBA project object model" in done[4]
    excel_setup("win32")  # again: the owner's first workbook is never overwritten, the setting not repeated
    assert files_under(home) == [".xlwings/xlwings.conf", "Documents/Customer scores 2.xlsm",
                                 "Documents/Customer scores.xlsm"]
    assert config.read_text().count("INTERPRETER_WIN") == 1


def test_on_windows_without_xlwings_library_it_says_how_to_fix_it_and_changes_nothing(home, windows):
    (windows.parent / f"xlwings64-{xw.__version__}.dll").unlink()
    with pytest.raises(RfmError, match=r"xlwings' library \(xlwings64-.*\.dll\) is not beside .*reinstall xlwings"):
        excel_setup("win32")
    assert files_under(home) == []


def test_on_a_mac_it_also_lets_excel_start_python(home, monkeypatch):
    config = home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "xlwings.conf"
    monkeypatch.setattr(xw, "USER_CONFIG_FILE", str(config))
    done = excel_setup("darwin")
    assert config.read_text() == f'"INTERPRETER_MAC","{sys.executable}"\n'
    script = home / "Library" / "Application Scripts" / "com.microsoft.Excel" / f"xlwings-{xw.__version__}.applescript"
    assert script.read_bytes() == (Path(xw.__file__).parent / script.name).read_bytes()
    assert (home / "Documents" / "Customer scores.xlsm").read_bytes() == SHIPPED.read_bytes()
    assert len(files_under(home)) == 3
    assert [line.split(":")[0] for line in done] == [
        "Told xlwings which Python to start (" + sys.executable + ") in " + str(config) + ".",
        "Let Excel start Python", "Wrote a fresh workbook with the Score customers button", "Next"]
    assert "Enable Macros" in done[-1]


def test_elsewhere_it_says_excel_runs_on_windows_and_mac_only_and_changes_nothing(home, capsys):
    assert main(["excel-setup"]) == 1  # an input problem: nothing to set up here
    out, err = capsys.readouterr()
    assert out == "" and err == ("Error: Excel runs on Windows and Mac only, so there is nothing to set up on this "
                                 "computer (nothing was changed); score workbooks here with: rfm-excel score "
                                 "BOOK.xlsx\n")
    assert files_under(home) == []


def test_python_dash_m_runs_the_command(home):
    """``python -m rfm_excel``, for a computer where pip's scripts folder is not on the PATH."""
    done = subprocess.run([sys.executable, "-m", "rfm_excel", "excel-setup"], capture_output=True, text=True,
                          env={**os.environ, "HOME": str(home)}, cwd=home, timeout=120)
    assert done.returncode == 1 and done.stderr.startswith("Error: Excel runs on Windows and Mac only")
