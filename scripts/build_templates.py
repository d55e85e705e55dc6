"""Regenerate the shipped template(s) in workbook_templates/ from the project's own code.

Usage: python scripts/build_templates.py   (a test checks the shipped files match)
"""

from pathlib import Path

from rfm_excel.template import TEMPLATE_NAME, build_template

folder = Path(__file__).resolve().parents[1] / "workbook_templates"
print(f"Wrote {build_template(folder / TEMPLATE_NAME)}")
