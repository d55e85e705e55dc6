"""Regenerate the shipped templates in workbook_templates/ from the project's own code.

Usage: python scripts/build_templates.py   (a test checks the shipped files match)

rfm_template.xlsx is the plain template; rfm_template.xlsm adds the Score customers button and
its VBA project, built from rfm_excel/vba/ and the installed xlwings' standalone module (so
build it with the xlwings version pyproject.toml pins); lite/main.py and lite/requirements.txt are what
xlwings Lite's editor holds (rfm_excel.writers.headless.webextension).
"""

from pathlib import Path

from rfm_excel.writers.headless.template import LITE_TEMPLATE_NAME, MACRO_TEMPLATE_NAME, TEMPLATE_NAME, build_template
from rfm_excel.writers.headless.webextension import MAIN_PY, requirements

folder = Path(__file__).resolve().parents[1] / "workbook_templates"
for name in (TEMPLATE_NAME, MACRO_TEMPLATE_NAME):
    print(f"Wrote {build_template(folder / name)}")
print(f"Wrote {build_template(folder / LITE_TEMPLATE_NAME, lite='rfm-excel')}")
for name, text in (("main.py", MAIN_PY), ("requirements.txt", requirements())):  # xlwings Lite's editor tabs
    (folder / "lite" / name).write_text(text, encoding="utf-8", newline="\n")
    print(f"Wrote {folder / 'lite' / name}")
