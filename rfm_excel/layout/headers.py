"""The output tables' one schema: the domain's field names and the header an owner reads over each.

Domain and core make and use tables whose columns are field names (``customer_id``, ``recency_days``);
a sheet layout renames them to these headers where it builds the sheet (``shown``), and a door that
reads one of the tool's own sheets back names its columns as fields (``fields``). No module outside
the layout writes a header (tests/test_schema.py).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

HEADERS = {
    # Scores: a customer's values, scores and segment; the forecast's and the events' columns when there are any
    "customer_id": "Customer ID", "customer_name": "Customer Name", "email": "Email",
    "first_order": "First Order", "last_order": "Last Order", "recency_days": "Recency (days)",
    "frequency": "Frequency", "monetary": "Monetary", "r": "R", "f": "F", "m": "M", "rfm_code": "RFM Code",
    "rfm_score": "RFM Score", "segment": "Segment",
    "p_active": "P(Active)", "expected_orders": "Expected Orders", "predicted_value": "Predicted Value",
    "expected_next_order": "Expected Next Order",
    "returns": "Returns", "return_share": "Return Share", "complaints": "Complaints", "enquiries": "Enquiries",
    "tenure_days": "Tenure (days)", "returns_score": "Returns Score", "complaints_score": "Complaints Score",
    "enquiries_score": "Enquiries Score", "tenure_score": "Tenure Score", "watch": "Watch",
    # Segments
    "customers": "Customers", "customers_percent": "% of Customers", "revenue": "Revenue",
    "revenue_percent": "% of Revenue", "avg_recency_days": "Avg Recency (days)", "avg_frequency": "Avg Frequency",
    "avg_monetary": "Avg Monetary", "avg_p_active": "Avg P(Active)", "total_predicted_value": "Total Predicted Value",
    "recommended_action": "Recommended Action",
    # Contact Plan
    "plan": "Plan", "contact_on": "Contact On", "channel": "Channel", "reason": "Reason", "cost": "Cost",
    "usual_gap_days": "Usual Gap (days)", "next_order_due": "Next Order Due", "days_overdue": "Days Overdue",
    "overdue_gaps": "Overdue (gaps)", "usual_month": "Usual Month", "action": "Action",
    "offer": "Offer", "why": "Why", "reorder": "Reorder", "reorder_due": "Reorder Due",
    # Score History (in memory) and Movement
    "as_of_date": "As-of Date", "run_date": "Run Date", "filter": "Filter",
    "segment_then": "Segment Then", "segment_now": "Segment Now", "rfm_then": "RFM Then", "rfm_now": "RFM Now",
    # Campaign Results
    "test_customers": "Test Customers", "test_responders": "Test Responders", "test_rate": "Test Rate",
    "control_customers": "Control Customers", "control_responders": "Control Responders",
    "control_rate": "Control Rate", "difference": "Difference", "low_95": "95% Low", "high_95": "95% High",
    "test_revenue_per_customer": "Test Revenue per Customer",
    "control_revenue_per_customer": "Control Revenue per Customer", "incremental_revenue": "Incremental Revenue",
    "net_gain": "Net Gain",
    # Products
    "product": "Product", "product_name": "Product Name", "customers_share": "Share of Customers",
    "revenue_share": "Share of Revenue", "rank": "Rank", "segment_share": "Share of Segment",
    "also_bought": "Also Bought", "also_bought_name": "Also Bought Name", "bought_both": "Customers Who Bought Both",
    "product_buyers_share": "Share of Product's Buyers", "also_bought_buyers_share": "Share of Also Bought's Buyers",
    "lift": "Lift", "recommendation": "Recommendation", "customers_checked": "Customers Checked",
    "hits_at_1": "Hits at 1", "hit_rate_at_1": "Hit Rate at 1", "hits_at_5": "Hits at 5",
    "hit_rate_at_5": "Hit Rate at 5",
    # Customer Profile and Prospect Scores
    "attribute": "Attribute", "value": "Value", "best_customers": "Best Customers", "best_share": "Share of Best",
    "all_share": "Share of All", "raw_index": "Raw Index", "index": "Index", "few": "Few", "score": "Score",
    "tier": "Tier", "weight": "Weight",
    # Data Issues (a record's value and the Action words under the headers above) and its totals
    "row": "Row", "column": "Column", "problem": "Problem", "amount": "Amount", "rows": "Rows",
}
FIELDS = {header: field for field, header in HEADERS.items()}
assert len(FIELDS) == len(HEADERS)  # one header per field, one field per header


def header(field: str) -> str:
    """The header an owner reads over ``field``."""
    return HEADERS[field]


def headers(fields: Iterable[str]) -> list[str]:
    """The headers of ``fields``, in their order."""
    return [HEADERS[field] for field in fields]


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its field names as the headers an owner reads (other columns, and the row labels' name, as
    they are, except a field name)."""
    renamed = table.rename(columns=HEADERS)
    for axis in (renamed.index, renamed.columns):
        if axis.name in HEADERS:
            axis.name = HEADERS[axis.name]
    return renamed


def fields(table: pd.DataFrame) -> pd.DataFrame:
    """A table read from one of the tool's own sheets with its headers as field names."""
    return table.rename(columns=FIELDS)
