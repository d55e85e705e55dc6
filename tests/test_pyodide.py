"""The package installs in xlwings Lite: its requirements, evaluated as Pyodide's micropip evaluates them.

Pyodide (the Python that xlwings Lite runs inside Excel) has its own builds of packages with compiled code,
listed in pyodide-lock.json (a copy from the npm package ``pyodide`` 314.0.8 is in tests/data/pyodide); any
other requirement must be a pure-Python wheel from PyPI (tests/data/pyodide/pure-wheels.json holds the
metadata of the two there are). Each requirement whose marker holds on Pyodide must resolve, with its own
requirements, to one or the other. The project's own wheel is built, checked to be pure Python, and
installed with --no-deps into a clean environment.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename

import rfm_excel

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).with_name("data") / "pyodide"
LOCK = json.loads((DATA / "pyodide-lock-314.0.8.json").read_text())
PURE = json.loads((DATA / "pure-wheels.json").read_text())
PYTHON = LOCK["info"]["python"]  # 3.14.2
PYODIDE = {"sys_platform": "emscripten", "platform_system": "Emscripten", "platform_machine": "wasm32",
           "os_name": "posix", "implementation_name": "cpython", "platform_python_implementation": "CPython",
           "python_version": ".".join(PYTHON.split(".")[:2]), "python_full_version": PYTHON, "extra": ""}


def project_requirements() -> list[Requirement]:
    return [Requirement(line) for line in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
            ["dependencies"]]


def applies(requirement: Requirement) -> bool:
    return requirement.marker is None or requirement.marker.evaluate(PYODIDE)


def resolve(requirements: list[Requirement]) -> dict[str, str]:
    """Each requirement that applies on Pyodide, and what it needs in turn: name -> where it comes from
    ("pyodide 2.4.6" or the pure wheel's file name). Raises LookupError for one that cannot be installed."""
    found: dict[str, str] = {}
    waiting = [r for r in requirements if applies(r)]
    wheels = {canonicalize_name(parse_wheel_filename(name)[0]): name for name in PURE}
    while waiting:
        requirement = waiting.pop()
        name = canonicalize_name(requirement.name)
        built = LOCK["packages"].get(name)
        if built is not None:
            if not requirement.specifier.contains(built["version"], prereleases=True):
                raise LookupError(f"{requirement}: Pyodide has {built['version']}")
            if name not in found:
                waiting += [Requirement(dependency) for dependency in built["depends"]]
            found[name] = f"pyodide {built['version']}"
        elif name in wheels:
            wheel = wheels[name]
            _, version, _, tags = parse_wheel_filename(wheel)
            if {(t.interpreter, t.abi, t.platform) for t in tags} != {("py3", "none", "any")}:
                raise LookupError(f"{requirement}: {wheel} is not pure Python")
            if not requirement.specifier.contains(version, prereleases=True) or \
                    not SpecifierSet(PURE[wheel]["requires_python"] or "").contains(PYTHON):
                raise LookupError(f"{requirement}: {wheel} does not fit")
            if name not in found:
                waiting += [r for r in map(Requirement, PURE[wheel]["requires_dist"]) if applies(r)]
            found[name] = wheel
        else:
            raise LookupError(f"{requirement}: neither built in Pyodide nor a pure-Python wheel")
    return found


def test_the_lock_file_is_pyodide_314s():
    assert LOCK["info"] == {"abi_version": "2026_0", "arch": "wasm32", "platform": "emscripten_5_0_3",
                            "python": "3.14.2"}
    assert len(LOCK["packages"]) == 357


def test_every_requirement_resolves_on_pyodide():
    found = resolve(project_requirements())
    assert {name: where for name, where in found.items() if not where.startswith("pyodide")} == {
        "xlsxwriter": "xlsxwriter-3.3.1-py3-none-any.whl", "xlwings": "xlwings-0.37.8-py3-none-any.whl"}
    assert {name: where for name, where in found.items() if where.startswith("pyodide")} == {
        "pandas": "pyodide 3.0.2", "numpy": "pyodide 2.4.6", "scipy": "pyodide 1.18.0",
        "python-calamine": "pyodide 0.6.2", "pyarrow": "pyodide 22.0.0", "lxml": "pyodide 6.1.3",
        "charset-normalizer": "pyodide 3.4.7", "duckdb": "pyodide 1.5.1",
        # what those need in turn, built in too
        "python-dateutil": "pyodide 2.9.0.post0", "pytz": "pyodide 2026.1.post1", "six": "pyodide 1.17.0",
        "packaging": "pyodide 26.1", "pyodide-unix-timezones": "pyodide 1.0.0"}
    assert SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]).contains(
        PYTHON)


def test_what_pyodide_cannot_install_is_left_out_by_its_marker():
    left_out = sorted(str(r.name) + str(r.specifier) for r in project_requirements() if not applies(r))
    assert left_out == ["fastexcel>=0.19", "isal>=1.6", "xlwings==0.37.8"]
    for requirement in ("fastexcel>=0.19", "isal>=1.6"):  # unmarked, either would stop the install
        try:
            resolve([Requirement(requirement)])
        except LookupError as error:
            assert "neither built in Pyodide nor a pure-Python wheel" in str(error)
        else:
            raise AssertionError(f"{requirement} resolved")
    try:
        resolve([Requirement("pandas<3")])  # a pin Pyodide's own build does not meet
    except LookupError as error:
        assert str(error) == "pandas<3: Pyodide has 3.0.2"
    else:
        raise AssertionError("pandas<3 resolved")


def test_desktop_installs_are_unchanged():
    desktop = dict(PYODIDE, sys_platform="win32", platform_system="Windows", platform_machine="AMD64",
                   os_name="nt", python_version="3.12", python_full_version="3.12.4")
    wanted = sorted(str(r.name) + str(r.specifier) for r in project_requirements()
                    if r.marker is None or r.marker.evaluate(desktop))
    assert "fastexcel>=0.19" in wanted and "xlwings==0.37.8" in wanted and "isal>=1.6" in wanted
    assert "xlwings" not in wanted  # only the exact pin, which the .xlsm's VBA module needs


def test_the_wheel_is_pure_python_and_installs_without_its_requirements(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    assert wheel.name == f"rfm_excel-{rfm_excel.__version__}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    assert "rfm_excel/doors/lite.py" in names and "rfm_excel/writers/headless/vba/RfmExcel.bas" in names
    assert not [n for n in names if n.endswith((".so", ".pyd", ".dylib"))]
    clean = tmp_path / "clean"
    venv.create(clean, with_pip=False)
    python = clean / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True, timeout=300)
    listed = subprocess.run([str(python), "-c", "import importlib.metadata as m; print('\\n'.join(m.requires("
                             "'rfm-excel')))"], check=True, capture_output=True, text=True).stdout.splitlines()
    installed = [Requirement(line) for line in listed]
    assert resolve(installed)["xlwings"] == "xlwings-0.37.8-py3-none-any.whl"  # the metadata micropip reads
    assert sorted(r.name for r in installed if applies(r)) == sorted(
        ["pandas", "numpy", "scipy", "python-calamine", "pyarrow", "xlsxwriter", "lxml", "charset-normalizer",
         "duckdb", "xlwings"])
