"""The xlwings Lite code carried inside a workbook: main.py and requirements.txt as the add-in stores them.

xlwings Lite is an Office add-in (store ID WA200008175). An add-in keeps its per-document settings in
the workbook as a web extension part (MS-OWEXML): xl/webextensions/webextension1.xml holds one
``<we:property>`` per setting, its value the setting as JSON; xl/webextensions/taskpanes.xml docks the
add-in's task pane and, with visibility 1, opens it when the workbook opens. Six workbooks saved by
xlwings Lite and published on GitHub (amararun/xlwings-lite-apps-codes-docs; add-in versions 1.0.0.0-11
and -18) keep the editor's tabs in the properties "main.py" and "requirements.txt", each a JSON string.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

ADDIN_ID = "WA200008175"  # xlwings Lite in Microsoft's add-in store (AppSource)
WE = "http://schemas.microsoft.com/office/webextensions/webextension/2010/11"
WETP = "http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TASKPANES_REL = "http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes"
WEBEXTENSION_REL = "http://schemas.microsoft.com/office/2011/relationships/webextension"
PARTS = {"xl/webextensions/taskpanes.xml": "application/vnd.ms-office.webextensiontaskpanes+xml",
         "xl/webextensions/webextension1.xml": "application/vnd.ms-office.webextension+xml"}
QUOTE = {'"': "&quot;"}  # attribute values in double quotes, as Excel writes them
STORED = (1980, 1, 1, 0, 0, 0)  # the parts' time in the zip, fixed so that a template is the same every time
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

LITE_NAMES = ("RFM_FREQUENCY", "RFM_MONETARY", "RFM_NEXT_PRODUCT", "RFM_P_ACTIVE", "RFM_PREDICTED_VALUE",
              "RFM_RECENCY", "RFM_SCORE", "RFM_SEGMENT", "RFM_SEGMENTS", "RFM_TABLE", "score_customers")
MAIN_PY = ('"""rfm_excel in xlwings Lite: the Score customers script and the =RFM_* worksheet functions.\n\n'
           "The code lives in the rfm_excel package (rfm_excel/doors/lite.py), installed from requirements.txt.\n"
           'Run "Score customers" from the xlwings Lite task pane; type =RFM_SCORE(A2, Orders!A1:F5000) in a cell.\n'
           '"""\n\nfrom rfm_excel.doors.lite import (  # noqa: F401  (xlwings Lite finds the scripts and functions in '
           "main.py)\n" + "".join(f"    {name},\n" for name in LITE_NAMES) + ")\n")  # main.py: it imports them
XLWINGS_LINE = "xlwings==0.37.8  # required by xlwings Lite"


def requirements(package: str = "rfm-excel") -> str:
    """requirements.txt for xlwings Lite: its own xlwings and this package, by name from PyPI or by the URL
    of its wheel."""
    return f"{XLWINGS_LINE}\n{package}\n"


def add_lite_code(path: Path, package: str = "rfm-excel") -> None:
    """Put main.py and requirements.txt into the workbook at ``path`` (written by this package, without add-in
    parts), with the xlwings Lite task pane set to open with the workbook."""
    properties = "".join(f"<we:property name={quoteattr(name)} value={quoteattr(json.dumps(text), QUOTE)}/>"
                         for name, text in (("main.py", MAIN_PY), ("requirements.txt", requirements(package))))
    added = {
        "xl/webextensions/webextension1.xml":
            f'{HEAD}<we:webextension xmlns:we="{WE}" id="{{6F1B6CE9-2C4B-4B0E-9A55-5E2C2B0A7C31}}">'
            f'<we:reference id="{ADDIN_ID.lower()}" version="1.0.0.0" store="en-US" storeType="OMEX"/>'
            f'<we:alternateReferences><we:reference id="{ADDIN_ID}" version="1.0.0.0" store="{ADDIN_ID}" '
            f'storeType="OMEX"/></we:alternateReferences><we:properties>{properties}</we:properties>'
            f'<we:bindings/><we:snapshot xmlns:r="{R}"/></we:webextension>',
        "xl/webextensions/taskpanes.xml":
            f'{HEAD}<wetp:taskpanes xmlns:wetp="{WETP}"><wetp:taskpane dockstate="right" visibility="1" width="438" '
            f'row="3"><wetp:webextensionref xmlns:r="{R}" r:id="rId1"/></wetp:taskpane></wetp:taskpanes>',
        "xl/webextensions/_rels/taskpanes.xml.rels":
            f'{HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{WEBEXTENSION_REL}" Target="webextension1.xml"/></Relationships>'}
    with zipfile.ZipFile(path) as source:
        parts = {info: source.read(info) for info in source.infolist()}
    temporary = path.with_name(f".~lite-{path.name}")
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts.items():
            if info.filename == "[Content_Types].xml":
                overrides = "".join(f'<Override PartName="/{part}" ContentType="{kind}"/>'
                                    for part, kind in PARTS.items())
                data = data.replace(b"</Types>", overrides.encode() + b"</Types>")
            elif info.filename == "_rels/.rels":
                link = f'<Relationship Id="rIdLite1" Type="{TASKPANES_REL}" Target="xl/webextensions/taskpanes.xml"/>'
                data = data.replace(b"</Relationships>", link.encode() + b"</Relationships>")
            target.writestr(info, data)
        for part, text in added.items():
            target.writestr(zipfile.ZipInfo(part, STORED), text.encode(), zipfile.ZIP_DEFLATED)
    temporary.replace(path)
