"""One schema for the output tables: no module outside the layout names an output header.

Domain and core make and use tables by field names; layout/headers.py maps each field to the header an owner
reads. This walks every module of rfm_excel outside layout/ with ``ast`` and fails, naming the module, line and
header, on any string constant (docstrings aside: their doctests are examples) equal to an output header.

Exempt, by the name they are assigned to, are only tables that are not output headers, though they share
words with them:
- what the reader looks for in the owner's files: the header spellings and role labels of base/reading/columns.py,
  the shop and accounting export layouts of base/exports.py (Stripe's own "Customer ID" column), the attribute
  spellings of domain/profiles.py (a "Channel" column of the owner's), and the Settings sheet's segment table,
  which the parser reads back (base/settings.py);
- values that are not headers: a contact channel named "Email" (Settings), the owner's Customers sheet's name,
  the ad platforms' published customer-list columns (domain/audiences.py), the demo's product codes ("M").

The Data Issues table's headers (Row, Column, Value, Problem, Action, Amount) are in the schema too: its records
(base/reading/issues.py) have field names, and layout/issue_words.py words them under these headers.
"""

from __future__ import annotations

import ast
from pathlib import Path

from rfm_excel.layout.headers import FIELDS, HEADERS, fields, header, shown

PACKAGE = Path(__file__).resolve().parents[1] / "rfm_excel"
EXEMPT = {  # module -> names whose assigned values are input headers or values, not output headers
    "base/reading/columns.py": {"LABELS", "SYNONYMS"},
    "base/exports.py": {"STRIPE", "EXPORT_LAYOUTS"},
    "base/settings.py": {"SEGMENT_HEADER", "SEGMENT_PLAN_HEADER", "CHANNELS", "channel"},
    "base/sheet_names.py": {"CUSTOMERS"},
    "domain/profiles.py": {"ATTRIBUTES"},
    "domain/audiences.py": {"PLATFORMS"},
    "doors/cli.py": {"DEMO_NOT_PRODUCTS"},
}


def _docstrings(tree: ast.AST) -> set[int]:
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def _assigned_to(tree: ast.AST, names: set[str]) -> set[int]:
    """The nodes of the values assigned (anywhere) to one of ``names``."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            named = {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}
            if named & names:
                inside.update(id(n) for n in ast.walk(node.value))
    return inside


def header_literals(source: str, exempt: set[str] = frozenset(),  # type: ignore[assignment]
                    headers: set[str] | None = None) -> list[tuple[int, str]]:
    """(line, header) of each string constant of ``source`` that is an output header, docstrings and the values
    assigned to ``exempt`` names aside."""
    wanted = set(HEADERS.values()) if headers is None else headers
    tree = ast.parse(source)
    skipped = _docstrings(tree) | _assigned_to(tree, set(exempt))
    return sorted((node.lineno, node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in wanted
                  and id(node) not in skipped)


def test_no_module_outside_the_layout_names_an_output_header():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if module.startswith("layout/"):
            continue
        found += [f"{module}:{line}: {text!r}" for line, text in header_literals(path.read_text(),
                                                                                 EXEMPT.get(module, set()))]
    assert found == []


def test_every_exempt_table_is_there():
    """An exemption names a table its module assigns: a renamed table must not leave a stale exemption."""
    for module, names in EXEMPT.items():
        tree = ast.parse((PACKAGE / module).read_text())
        assigned = {n.id for node in ast.walk(tree) if isinstance(node, ast.Assign | ast.AnnAssign)
                    for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                    for n in ast.walk(target) if isinstance(n, ast.Name)}
        assert names <= assigned, module


def test_a_planted_header_is_found():
    source = '''"""Scores by "Segment" in a docstring: an example, not a literal."""
import pandas as pd
LOOKED_FOR = ("Customer ID", "Email")


def recent(scores: pd.DataFrame) -> pd.DataFrame:
    """Rows with "Recency (days)" under 30."""
    return scores[scores["Recency (days)"] < 30][["customer_id", f"{'RFM Code'}"]]
'''
    assert header_literals(source) == [(3, "Customer ID"), (3, "Email"), (8, "RFM Code"), (8, "Recency (days)")]
    assert header_literals(source, {"LOOKED_FOR"}) == [(8, "RFM Code"), (8, "Recency (days)")]


def test_each_field_has_one_header_and_back():
    assert len(FIELDS) == len(HEADERS)
    assert header("recency_days") == "Recency (days)" and FIELDS["Customer ID"] == "customer_id"
    assert all(field == field.lower() and " " not in field for field in HEADERS)


def test_shown_and_fields_rename_only_the_schema():
    import pandas as pd
    table = pd.DataFrame({"customer_id": ["A"], "segment": ["Champions"], "Country": ["NL"]})
    table.index.name = "segment_then"
    seen = shown(table)
    assert list(seen.columns) == ["Customer ID", "Segment", "Country"] and seen.index.name == "Segment Then"
    assert list(fields(seen).columns) == ["customer_id", "segment", "Country"]


def test_the_documented_fields_are_those_of_the_layout():
    """docs/scoring.md's table of fields and headers says what layout/headers.py says, row by row."""
    text = (PACKAGE.parent / "docs" / "scoring.md").read_text(encoding="utf-8")
    table = text.split("<!-- fields:", 1)[1].split("<!-- end of fields -->", 1)[0]
    rows = [line.strip("|").split("|") for line in table.splitlines() if line.startswith("| `")]
    documented = {}
    for names, shown_as in rows:
        names_ = [name.strip(" `") for name in names.split(",")]
        documented.update(zip(names_, [h.strip() for h in shown_as.split(", ")], strict=True))
    assert len(documented) == 53  # the Scores, Segments and Contact Plan fields
    assert documented == {field: HEADERS[field] for field in documented}
