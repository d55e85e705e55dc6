"""The export layouts of shop and accounting systems, recognised by their own headers.

Each layout says, as data, which of a system's columns give the customer, the order, its date and
its amount, and what in the export means "not a purchase" or "a refund". ``orders.normalise``
applies whichever layout an export's headers match (every signature header present); the column
lists are those each system documents for its export (docs/exports.md says why each column).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class ExportLayout:
    """How one system's export writes orders.

    name : as the run note says it ("a Shopify orders export").
    signature : headers that all appear in this export and together in no other.
    columns : role -> header, for the roles of orders.SYNONYMS (customer_id, order_id, order_date, amount,
        customer_name, email) and: refunded (an amount refunded, netted), kept (the amount an order kept
        after a partial refund, where above zero), reference (the order a refund row belongs to).
    amount_per_order : the amount is the order's total, written on every line or the first: counted once.
    first_line_only : headers written on an order's first line only, taken for all its lines.
    not_purchase : header -> values (any case) that make a row no purchase: cancelled, voided, failed.
    filled_not_purchase : headers where any value makes a row no purchase ("Cancelled at").
    returns : header -> values that make a row a return: a positive amount is made negative.
    paid_out : a row with a negative amount and no reference is money the business paid out, not a sale.
    """

    name: str
    signature: tuple[str, ...]
    columns: dict[str, str]
    amount_per_order: bool = False
    first_line_only: tuple[str, ...] = ()
    not_purchase: dict[str, tuple[str, ...]] = field(default_factory=dict)
    filled_not_purchase: tuple[str, ...] = ()
    returns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    paid_out: bool = False


STRIPE = ExportLayout(
    "a Stripe payments export",
    ("id", "Created (UTC)", "Amount", "Amount Refunded", "Status", "Customer ID"),
    {"customer_id": "Customer ID", "order_id": "id", "order_date": "Created (UTC)", "amount": "Amount",
     "refunded": "Amount Refunded", "email": "Customer Email", "customer_name": "Customer Description"},
    not_purchase={"Status": ("failed", "canceled", "uncaptured"), "Captured": ("false",)})

EXPORT_LAYOUTS = (
    ExportLayout(
        "a Shopify orders export",
        ("Name", "Email", "Financial Status", "Created at", "Lineitem quantity", "Lineitem name", "Total"),
        {"customer_id": "Email", "order_id": "Name", "order_date": "Created at", "amount": "Total",
         "refunded": "Refunded Amount", "customer_name": "Billing Name", "email": "Email"},
        amount_per_order=True,
        first_line_only=("Email", "Financial Status", "Total", "Refunded Amount", "Cancelled at", "Billing Name"),
        not_purchase={"Financial Status": ("voided",)}, filled_not_purchase=("Cancelled at",)),
    ExportLayout(
        "a WooCommerce orders export",
        ("Order Number", "Order Status", "Order Date", "Order Total Amount"),
        {"customer_id": "Email (Billing)", "order_id": "Order Number", "order_date": "Order Date",
         "amount": "Order Total Amount", "refunded": "Order Refund Amount", "email": "Email (Billing)"},
        amount_per_order=True,
        not_purchase={"Order Status": ("cancelled", "failed", "pending payment", "pending", "draft",
                                       "checkout-draft", "trash")}),
    ExportLayout(
        "an Etsy sold orders export",
        ("Sale Date", "Order ID", "Buyer User ID", "Order Total", "Adjusted Order Total"),
        {"customer_id": "Buyer User ID", "order_id": "Order ID", "order_date": "Sale Date", "amount": "Order Total",
         "kept": "Adjusted Order Total", "customer_name": "Full Name"},
        not_purchase={"Status": ("canceled", "cancelled", "fully refunded", "refunded")}),
    ExportLayout(
        "a Square item sales export",
        ("Date", "Transaction ID", "Net Sales", "Customer ID", "Event Type"),
        {"customer_id": "Customer ID", "order_id": "Transaction ID", "order_date": "Date", "amount": "Net Sales",
         "customer_name": "Customer Name"}),
    STRIPE,
    replace(STRIPE, signature=("id", "Created date (UTC)", "Amount", "Amount Refunded", "Status", "Customer ID"),
            columns={**STRIPE.columns, "order_date": "Created date (UTC)"}),  # the current dashboard's names
    ExportLayout(
        "a PayPal activity download",
        ("Date", "Type", "Status", "Gross", "From Email Address", "To Email Address", "Transaction ID",
         "Reference Txn ID"),
        {"customer_id": "From Email Address", "order_id": "Transaction ID", "order_date": "Date", "amount": "Gross",
         "reference": "Reference Txn ID", "customer_name": "Name", "email": "From Email Address"},
        not_purchase={"Status": ("denied", "pending", "reversed", "canceled", "cancelled", "failed", "unclaimed",
                                 "held"), "Balance Impact": ("memo",)},
        paid_out=True),
    ExportLayout(
        "a QuickBooks invoice list",
        ("Date", "Transaction type", "Num", "Name", "Amount"),
        {"customer_id": "Name", "order_id": "Num", "order_date": "Date", "amount": "Amount"},
        not_purchase={"Memo": ("voided",)},
        returns={"Transaction type": ("credit memo", "refund receipt")}),
    ExportLayout(
        "a Xero invoices export",
        ("ContactName", "InvoiceNumber", "InvoiceDate", "Total", "Type", "Status"),
        {"customer_id": "ContactName", "order_id": "InvoiceNumber", "order_date": "InvoiceDate", "amount": "Total",
         "email": "EmailAddress"},
        amount_per_order=True,
        not_purchase={"Status": ("voided", "deleted", "draft", "awaiting approval")},
        returns={"Type": ("sales credit note",)}),
)
