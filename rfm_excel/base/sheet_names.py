"""The sheets of the workbook contract: those the owner keeps and those every run writes (docs/workbook.md)."""

from __future__ import annotations

START_HERE, ORDERS, SETTINGS = "Start Here", "Orders", "Settings"
SCORES, SEGMENTS, DATA_ISSUES = "Scores", "Segments", "Data Issues"
CONTACT_PLAN, MOVEMENT = "Contact Plan", "Movement"
CAMPAIGN_RESULTS, SCORE_HISTORY = "Campaign Results", "Score History"
FORECAST, PRODUCTS = "Forecast", "Products"
CUSTOMER_PROFILE, PROSPECT_SCORES = "Customer Profile", "Prospect Scores"
CUSTOMERS, PROSPECTS = "Customers", "Prospects"  # the owner's own tables: read, never written


def find(names, wanted: str) -> str | None:
    """The name among ``names`` that means ``wanted``, ignoring case and surrounding spaces."""
    key = wanted.strip().casefold()
    return next((name for name in names if name.strip().casefold() == key), None)
