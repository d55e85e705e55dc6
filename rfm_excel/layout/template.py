"""The template's own sheets, described once for both writers: Start Here's steps, the Orders
headings and the Settings sheet's texts, widths and grid of values."""

from __future__ import annotations

from ..base.settings import SEGMENT_HEADER, SEGMENT_PLAN_HEADER, SETTING_ROWS, Settings, segment_plan_values, \
    setting_value_for_sheet

ORDER_COLUMNS = [("Customer ID", 14, None), ("Order ID", 14, None), ("Order Date", 13, "date"),
                 ("Amount", 12, "money"), ("Customer Name", 24, None), ("Email", 28, None)]
START_STEPS = [
    "1.  Paste your orders into the Orders sheet under the headings: one row per order, or per order line.",
    "     Customer ID, Order Date and Amount are needed; Order ID joins the lines of one order.",
    "2.  Look over the Settings sheet. The defaults suit most shops; blank means \"use the default\".",
    "3.  Save and close the file, then score it:   rfm-excel score \"your file.xlsx\"",
    "4.  Open it again. Scores lists every customer with R, F and M scores and a segment.",
    "5.  Segments says how many customers each group has, what they are worth and what to offer them.",
]
BUTTON_STEP = ("3.  Click Score customers (the button on the right); the first time, set up Python and xlwings "
               "as docs/excel.md says. Or save and close the file and run:   rfm-excel score \"your file.xlsm\"")
START_NOTES = [
    "Scores go from 1 to 5; with the default settings 5 is best. R = how recently they bought, F = how often, "
    "M = how much they spent.",
    "Contact Plan says whom to contact, when, how and why; rfm-excel export writes it to a CSV file for your email "
    "or mailing tool.",
    "Each run replaces the sheets it writes (Scores, Segments, Data Issues, Contact Plan, Movement, Campaign Results) "
    "and adds its scores to Score History; your Orders and Settings are never changed.",
]


SETTINGS_HELP = "Change the yellow cells. A blank cell uses the default."
SEGMENTS_NOTE = ("Segments: the first row that matches a customer's scores names their segment. "
                 "Limits are on a 1-5 scale where 5 is best.")
PLAN_NOTE = ("For the Contact Plan: Holdout % = share kept back as a control group; "
             "Do Not Contact = Yes leaves the segment out.")
# The Settings sheet's column widths in characters, as (first column, last column, width), zero-based:
# setting, value, five narrow columns under "What it means" (the segment table's limits), its text,
# then the segment table's plan columns.
SETTINGS_COLUMNS = [(0, 0, 36), (1, 1, 18), (2, 6, 9), (7, 7, 80), (8, 8 + len(SEGMENT_PLAN_HEADER) - 1, 12)]


def settings_grid(settings: Settings | None = None) -> list[list]:
    """The values write_settings_sheet puts on a Settings sheet, as rows of cells (None = blank)."""
    settings = settings or Settings()
    rows: list[list] = [["Settings"], [SETTINGS_HELP], [],
                        ["Setting", "Value", "What it means"]]
    for row in SETTING_ROWS:
        value = setting_value_for_sheet(settings, row.key)
        rows.append([row.label, value if value != "" else None, row.help])
    plan = len(SEGMENT_HEADER)
    note = [None] * (plan + 1)
    note[0], note[plan] = SEGMENTS_NOTE, PLAN_NOTE
    rows += [[], note, list(SEGMENT_HEADER + SEGMENT_PLAN_HEADER)]
    for rule in settings.segments:
        plan_values = segment_plan_values(rule)
        rows.append([rule.name, rule.r_min, rule.r_max, rule.f_min, rule.f_max, rule.m_min, rule.m_max, rule.action,
                     *[v if v != "" else None for v in plan_values]])
    return rows
