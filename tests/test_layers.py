"""The package's imports run one way: doors -> readers | writers -> layout -> core -> domain -> base.

Each module may import from its own layer and the layers below it. Readers need nothing above
base; readers and writers never import each other; the live writer and the headless file writer
share only what lies below them (docs/architecture.md draws the same picture).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rfm_excel"
LAYERS = ["base", "domain", "core", "layout", "readers", "writers", "doors"]
# "": the package itself: the Python API door and python -m rfm_excel
RANK = {"base": 0, "domain": 1, "core": 2, "layout": 3, "readers": 4, "writers": 4, "doors": 5, "": 5}
MAY_NOT_IMPORT = {  # beyond the ranks: pairs of (importer, imported) prefixes that must not meet
    ("readers", "domain"), ("readers", "core"), ("readers", "layout"), ("readers", "writers"),
    ("writers", "readers"), ("writers", "core"), ("writers.live", "writers.headless"),
    ("writers.headless", "writers.live")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """The package's own modules that ``path`` imports (as dotted names below rfm_excel)."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    if name == "":
        package = []
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("rfm_excel"):
                target = node.module.removeprefix("rfm_excel").lstrip(".")
            else:
                continue
            for alias in node.names:  # "from . import core" imports a module, "from .x import y" a name
                candidate = f"{target}.{alias.name}".lstrip(".")
                found.add(candidate if (PACKAGE / Path(*candidate.split("."))).with_suffix(".py").exists()
                          or (PACKAGE / Path(*candidate.split("."))).is_dir() else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name.removeprefix("rfm_excel").lstrip(".") for alias in node.names
                         if alias.name.startswith("rfm_excel"))
    return found


def layer(module: str) -> str:
    return module.split(".")[0] if module.split(".")[0] in RANK else ""


def violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = module_name(path)
        for imported in imported_modules(path):
            if RANK[layer(imported)] > RANK[layer(importer)]:
                found.append(f"{importer} imports {imported}, a layer up")
            for low, high in MAY_NOT_IMPORT:
                if (importer + ".").startswith(low + ".") and (imported + ".").startswith(high + "."):
                    found.append(f"{importer} imports {imported}")
    return found


def test_every_module_belongs_to_a_layer():
    top = {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert top - {"__init__", "__main__"} == set(LAYERS) - {"core"} | {"core", "sample"}  # the two: package doors


def test_imports_run_down_the_layers():
    assert violations() == []


@pytest.mark.parametrize("importer, source, message", [
    ("readers/workbook.py", "from ..layout.sheets import SCORES\n", "readers.workbook imports layout.sheets"),
    ("writers/live.py", "from .headless.render import Styles\n", "writers.live imports writers.headless.render"),
    ("domain/scoring.py", "from .. import core\n", "domain.scoring imports core, a layer up"),
    ("base/orders.py", "from rfm_excel.domain import contact\n", "base.orders imports domain.contact, a layer up"),
])
def test_an_import_up_a_layer_is_caught(importer, source, message, monkeypatch):
    original = Path.read_text

    def with_extra_import(self, *args, **kwargs):
        text = original(self, *args, **kwargs)
        return text + source if self == PACKAGE / importer else text

    monkeypatch.setattr(Path, "read_text", with_extra_import)
    assert any(v.startswith(message) for v in violations())


def private_imports() -> list[str]:
    """``from .x import _name``: one module reaching into another's private names."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("rfm_excel")):
                found += [f"{module_name(path)} imports {alias.name} from {node.module or '.'}" for alias in node.names
                          if alias.name.startswith("_") and not alias.name.startswith("__")]
    return found


def test_no_module_imports_another_modules_private_names():
    assert private_imports() == []


def test_a_private_import_is_caught(monkeypatch):
    original = Path.read_text

    def with_extra_import(self, *args, **kwargs):
        text = original(self, *args, **kwargs)
        return text + "from ..base.orders import _ZONE\n" if self == PACKAGE / "readers" / "engine.py" else text

    monkeypatch.setattr(Path, "read_text", with_extra_import)
    assert private_imports() == ["readers.engine imports _ZONE from base.orders"]
