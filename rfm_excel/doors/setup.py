"""rfm-excel excel-setup: make a Windows or Mac computer ready for the Score customers button in one step.

It tells xlwings which Python to start (xlwings' own config file, as ``xlwings config create`` writes
it, keeping any other setting there), on a Mac lets Excel start Python (xlwings' AppleScript, as
``xlwings runpython install`` copies it), checks that the workbook's own copy of xlwings' VBA module
will find what it loads, and puts a fresh workbook with the button in the user's Documents folder. It
returns what it did, a line each; elsewhere it changes nothing and says why.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import xlwings as xw
from xlwings import cli as xlwings_cli

from ..base.errors import RfmError
from ..writers.headless.template import build_template

WORKBOOK_NAME = "Customer scores"


def excel_setup(platform: str = sys.platform) -> list[str]:
    """Set this computer up for the Score customers button; return what was done, a line each.

    Raises RfmError, having changed nothing, on a system without desktop Excel (anything but Windows
    and macOS).
    """
    windows, mac = platform.startswith("win"), platform == "darwin"
    if not (windows or mac):
        raise RfmError("Excel runs on Windows and Mac only, so there is nothing to set up on this computer "
                       "(nothing was changed); score workbooks here with: rfm-excel score BOOK.xlsx")
    done = [_library_check()] if windows else []  # before anything is changed
    done.append(_interpreter(windows))
    if mac:
        xlwings_cli.runpython_install(None)
        done.append(f"Let Excel start Python: copied xlwings' AppleScript xlwings-{xw.__version__}.applescript "
                    "into ~/Library/Application Scripts/com.microsoft.Excel.")
    workbook = build_template(_free_name(documents_folder(windows)))
    done.append(f"Wrote a fresh workbook with the Score customers button: {workbook}. It carries xlwings' own "
                f"VBA module (version {xw.__version__}, the one installed), so Excel needs no add-in.")
    done += next_steps(windows, workbook)
    return done


def next_steps(windows: bool, workbook: Path) -> list[str]:
    """What the owner does next, in Excel."""
    enable = "Enable Content (in the yellow bar)" if windows else "Enable Macros"
    steps = [f"Next: open {workbook.name} (in Documents) in Excel and click {enable}; paste your orders into its "
             "Orders sheet and click Score customers on Start Here."]
    if windows:
        steps.append("For the =RFM_ worksheet functions as well: in Excel, File > Options > Trust Center > Trust "
                     "Center Settings > Macro Settings, tick Trust access to the VBA project object model; then "
                     "Alt+F8, ImportPythonUDFs, Run.")
    return steps


def _interpreter(windows: bool) -> str:
    """Write the Python that is running this into xlwings' config file, as ``xlwings config create`` does,
    keeping the file's other settings (a conda environment is named as conda's own settings)."""
    conda_path, conda_env = xlwings_cli.get_conda_settings()
    if windows and conda_path:
        settings = [("CONDA PATH", conda_path), ("CONDA ENV", conda_env)]
    else:
        settings = [("INTERPRETER_WIN" if windows else "INTERPRETER_MAC", sys.executable)]
    for key, value in settings:
        xlwings_cli.update_user_config(key, value)
    return f"Told xlwings which Python to start ({', '.join(value for _, value in settings)}) in {xw.USER_CONFIG_FILE}."


def _library_check() -> str:
    """Whether the library xlwings' VBA module loads on Windows is where the module looks for it: beside the
    interpreter, or one folder up (a virtual environment)."""
    folder = Path(sys.executable).parent
    names = [f"xlwings{bits}-{xw.__version__}.dll" for bits in (64, 32)]
    found = [place / name for place in (folder, folder.parent) for name in names if (place / name).exists()]
    if not found:
        raise RfmError(f"xlwings' library ({names[0]}) is not beside {sys.executable}; reinstall xlwings with: "
                       f'"{sys.executable}" -m pip install --force-reinstall xlwings=={xw.__version__}')
    return f"Checked that the workbook's xlwings module will find its library: {found[0]}."


def documents_folder(windows: bool) -> Path:
    """The user's Documents folder: on Windows where Windows keeps it (it may have moved, e.g. to OneDrive)."""
    if windows and sys.platform == "win32":  # elsewhere ctypes has no windll
        try:
            import ctypes.wintypes
            path = ctypes.create_unicode_buffer(ctypes.wintypes.MAX_PATH)
            ctypes.windll.shell32.SHGetFolderPathW(None, 5, None, 0, path)  # 5: CSIDL_PERSONAL, Documents
            if path.value:
                return Path(path.value)
        except (ImportError, AttributeError, OSError):  # the usual place instead
            pass
    return Path(os.path.expanduser("~")) / "Documents"


def _free_name(folder: Path) -> Path:
    """A workbook name in ``folder`` that is not taken: "Customer scores.xlsm", else "Customer scores 2.xlsm"..."""
    folder.mkdir(parents=True, exist_ok=True)
    number = 1
    while (target := folder / f"{WORKBOOK_NAME}{f' {number}' if number > 1 else ''}.xlsm").exists():
        number += 1
    return target
