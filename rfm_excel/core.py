"""The one computation every door calls: raw orders + settings -> result tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import campaign, contact, events, scoring, segments, timing
from .errors import RfmError
from .history import Movement, add_snapshot, empty_history, movement, snapshot
from .orders import ISSUE_COLUMNS, CleanOrders, normalise
from .settings import BEST_LOWEST, Settings

DIMENSIONS = ("recency", "frequency", "monetary")
SUMMARY_PHRASES = {  # issue Action -> how the summary counts it
    "repaired": "values repaired", "counted as a return": "cancelled invoices counted as returns",
    "netted": "return lines netted", "merged": "ID spellings merged",
    "customer not scored": "customers with no purchase (only returns)"}


def counted(number: int, noun: str) -> str:
    """'1 customer', '2,000 customers'."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


@dataclass
class Result:
    """What a run produces.

    scores : one row per customer, best customers first.
    segments : one row per segment of the segment table.
    issues : rows of the orders that were skipped or repaired, and why.
    settings : the settings used (as_of filled in).
    rows_read, lines_used, orders, customers : counts for the run note.
    source : where the orders came from (a sheet or file name), for the issues list.
    plan : the Contact Plan (contact.contact_plan), every customer with plan, date, channel and reason.
    history : the Score History with this run's snapshot (history.HISTORY_COLUMNS).
    movement : between the latest two snapshots (None with fewer than two).
    campaign : Campaign Results when Settings give a campaign date.
    rf_customers, rf_monetary : customers and average Monetary per R score (rows) and F score (columns).
    """

    scores: pd.DataFrame
    segments: pd.DataFrame
    issues: pd.DataFrame
    settings: Settings
    rows_read: int
    lines_used: int
    orders: int
    customers: int
    source: str = "Orders"
    plan: pd.DataFrame | None = None
    history: pd.DataFrame | None = None
    movement: Movement | None = None
    campaign: campaign.CampaignResults | None = None
    rf_customers: pd.DataFrame | None = None
    rf_monetary: pd.DataFrame | None = None

    @property
    def as_of(self) -> dt.date:
        return self.settings.as_of

    def rows_summary(self) -> str:
        """One line accounting for every row read: used, skipped (and why), and what else was done."""
        table = self.issues
        line = f"{self.rows_read:,} order rows read, {self.lines_used:,} used"
        skipped = table["Action"].str.startswith("skipped")
        if skipped.any():
            reasons = table.loc[skipped, "Problem"].str.split(" [(:]", regex=True).str[0].value_counts()
            line += f", {skipped.sum():,} skipped (" + ", ".join(f"{n:,} {why}" for why, n in reasons.items()) + ")"
        done = []
        for start, phrase in SUMMARY_PHRASES.items():
            count = (table["Row"].notna() & table["Action"].str.startswith(start)).sum()
            if count:
                done.append(f"{count:,} {phrase}")
        notes = [f"{text[0].upper()}{text[1:]}." for text in table.loc[table["Row"].isna(), "Problem"]]
        return " ".join([line + ("; " + ", ".join(done) if done else "") + "."] + notes)

    def summary(self) -> str:
        """Two lines for a terminal or a status bar."""
        return (f"{self.rows_summary()}\n{counted(self.customers, 'customer')} scored from "
                f"{counted(self.orders, 'order')} "
                f"as of {self.as_of:%Y-%m-%d}.")


def score(orders: pd.DataFrame, settings: Settings | None = None, as_of: dt.date | None = None,
          first_row: int = 2, sheet: str = "Orders", read_issues: pd.DataFrame | None = None,
          history: pd.DataFrame | None = None, run_date: dt.date | None = None) -> Result:
    """Score every customer in a table of orders.

    Parameters
    ----------
    orders : DataFrame whose columns are the order sheet's headers (any of the recognised
        spellings, e.g. "Customer ID", "Invoice", "InvoiceDate", "Quantity", "Price").
    settings : Settings; defaults when None.
    as_of : overrides ``settings.as_of``.
    first_row, sheet : where ``orders`` came from, so the issues list names sheet rows.
    read_issues : what reading the sheet repaired, added to the issues list.
    history : the Score History so far (``history.from_sheet``); this run's snapshot is added to it.
    run_date : the date recorded with the snapshot; today when None.

    Examples
    --------
    >>> import pandas as pd, rfm_excel
    >>> orders = pd.DataFrame({"Customer ID": ["A", "A", "B"], "Order Date": ["2024-01-05", "2024-03-01",
    ...                        "2024-02-10"], "Amount": [20.0, 30.0, 15.0]})
    >>> result = rfm_excel.score(orders)
    >>> result.scores[["Customer ID", "Recency (days)", "Frequency", "Monetary", "RFM Code"]].to_dict("records")
    [{'Customer ID': 'A', 'Recency (days)': 1, 'Frequency': 2, 'Monetary': 50.0, 'RFM Code': '333'}, \
{'Customer ID': 'B', 'Recency (days)': 21, 'Frequency': 1, 'Monetary': 15.0, 'RFM Code': '111'}]
    """
    settings = (settings or Settings()).with_as_of(as_of)
    clean = normalise(orders, first_row=first_row, sheet=sheet, date_order=settings.date_order,
                      chosen=settings.chosen_columns())
    if clean.lines.empty:
        raise RfmError(f"The {sheet} sheet has no usable orders: every row lacks a customer ID, a date or an amount.")
    if settings.as_of is None:
        settings = settings.with_as_of(scoring.default_as_of(clean.lines["order_date"]))
    lines, issues = _drop_after_as_of(clean, settings.as_of)
    if read_issues is not None:
        issues = _merge_issues(issues, read_issues)
    none_before = RfmError(f"No customer has a purchase on or before the as-of date {settings.as_of:%Y-%m-%d}; "
                           "check the As-of date in Settings.")
    if lines.empty:
        raise none_before
    orders_table = scoring.group_orders(lines)
    values = scoring.customer_values(orders_table, settings.as_of, settings.window_months)
    if values.empty:
        if len(lines) < len(clean.lines):  # later orders were left out: the as-of date may be the cause
            raise none_before
        raise RfmError(f"No order in the {sheet} sheet adds up to more than zero: every order is a return or nets "
                       "to zero; check that the Amount column holds what customers paid.")
    table, keys = _score_table(values, lines, settings)
    found = events.event_columns(list(orders.columns))
    if found:
        table = events.add_event_scores(table, keys, events.customer_events(orders, lines, first_row, found,
                                                                            orders_table), settings)
    issues = _unscored(lines, values, issues, clean.columns["customer_id"])
    result = Result(scores=table, segments=segments.summary(table, settings.segments), issues=issues,
                    settings=settings, rows_read=clean.rows_read, lines_used=len(lines),
                    orders=len(orders_table), customers=len(table), source=sheet)
    return _plan_and_history(result, keys, orders_table, history, run_date or dt.date.today())


def _plan_and_history(result: Result, keys: np.ndarray, orders_table: pd.DataFrame, history: pd.DataFrame | None,
                      run_date: dt.date) -> Result:
    """Add to a scored result what follows from the scores: plan, history, movement, campaign, R x F grid."""
    settings, table = result.settings, result.scores
    result.plan = contact.contact_plan(table, keys, timing.purchase_timing(orders_table, settings.as_of), settings)
    past = empty_history() if history is None else history
    result.history = add_snapshot(past, snapshot(table, settings.as_of, run_date))
    result.movement = movement(result.history, [rule.name for rule in settings.segments], table,
                               best_lowest=settings.best_score == BEST_LOWEST)
    if settings.campaign_date:
        result.campaign = _campaign(orders_table, settings)
    result.rf_customers, result.rf_monetary = segments.rf_grid(
        table, settings.bins("recency"), settings.bins("frequency"), settings.best_score == BEST_LOWEST)
    return result


def _campaign(orders_table: pd.DataFrame, settings: Settings) -> campaign.CampaignResults:
    """Test against Control for the campaign of ``settings.campaign_date``: groups as the Contact Plan had
    them on that date, responses in the window after it."""
    sent, days = settings.campaign_date, settings.response_days
    window = f"orders from {sent + dt.timedelta(days=1):%Y-%m-%d} to {sent + dt.timedelta(days=days):%Y-%m-%d}"
    notes = [f"Campaign of {sent:%Y-%m-%d}: Test = customers the Contact Plan had to contact on that date, Control = "
             f"those it held out. A response is a purchase among the {window} ({days} days).",
             "Difference = test rate − control rate, with its 95% interval (normal approximation); an interval "
             "that includes 0 means the campaign's effect cannot be told from chance. With fewer than about 5 "
             "responders (or non-responders) in a group the interval is only rough."]
    before = orders_table[orders_table["order_date"].dt.normalize() <= pd.Timestamp(sent)]
    values = scoring.customer_values(before, sent, settings.window_months)
    if values.empty:
        return campaign.CampaignResults(pd.DataFrame(columns=campaign.RESULT_COLUMNS),
                                        notes + [f"No customer had bought by {sent:%Y-%m-%d}."])
    _, _, five_point = _dimension_scores(values, settings)
    groups = pd.DataFrame({"Segment": segments.assign(five_point["recency"], five_point["frequency"],
                                                      five_point["monetary"], settings.segments)},
                          index=values.index)
    groups["Plan"] = contact.plan_groups(groups["Segment"], values["recency"], values.index, settings)
    names = [rule.name for rule in settings.segments]
    costs = dict(zip(names, contact.SegmentRules(names, settings)["cost"]))
    table = campaign.campaign_results(groups, campaign.responses(orders_table, sent, days), names, costs)
    waited = (settings.as_of - sent).days
    if waited < days:
        notes.append(f"Only {max(waited, 0)} of the {days} days had passed by the as-of date "
                     f"{settings.as_of:%Y-%m-%d}: responses are still coming in.")
    if not (table["Control Customers"] > 0).any():
        notes.append("Nobody was held out: give segments a Holdout % in Settings before the next campaign.")
    return campaign.CampaignResults(table, notes)


def _drop_after_as_of(clean: CleanOrders, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    lines = clean.lines
    late = lines["order_date"].dt.normalize() > pd.Timestamp(as_of)
    if not late.any():
        return lines, clean.issues
    late_issues = pd.DataFrame({
        "Row": lines.loc[late, "source_row"], "Column": clean.columns["order_date"],
        "Value": lines.loc[late, "order_date"].dt.strftime("%Y-%m-%d"),
        "Problem": f"after the as-of date {as_of:%Y-%m-%d}", "Action": "skipped"})
    return lines[~late].reset_index(drop=True), _merge_issues(clean.issues, late_issues)


def _unscored(lines: pd.DataFrame, values: pd.DataFrame, issues: pd.DataFrame, column: str) -> pd.DataFrame:
    """Customers whose orders are all returns or worth nothing: listed, not scored."""
    left_out = lines[~lines["customer_id"].isin(values.index)]
    if left_out.empty:
        return issues
    per_customer = left_out.groupby("customer_id", sort=False).agg(
        row=("source_row", "min"), customer=("customer", "first"), net=("amount", "sum"))
    return _merge_issues(issues, pd.DataFrame({
        "Row": per_customer["row"].to_numpy(), "Column": column, "Value": per_customer["customer"].to_numpy(),
        "Problem": [f"no purchase: only returns or zero-value orders (net {net:,.2f})" for net in per_customer["net"]],
        "Action": "customer not scored"}))


def _merge_issues(*tables: pd.DataFrame) -> pd.DataFrame:
    merged = pd.concat([t for t in tables if len(t)], ignore_index=True) if any(len(t) for t in tables) else tables[0]
    return merged[ISSUE_COLUMNS].sort_values("Row", kind="stable", na_position="first", ignore_index=True)


def _dimension_scores(values: pd.DataFrame, settings: Settings) -> tuple[dict, dict, dict]:
    """R, F and M scores three ways: internal (higher is better), shown, and on the segment table's 1-5 scale."""
    internal, shown, five_point = {}, {}, {}
    for dimension in DIMENSIONS:
        bins = settings.bins(dimension)
        internal[dimension] = scoring.dimension_scores(values[dimension], dimension, settings)
        shown[dimension] = scoring.shown_scores(internal[dimension], bins, settings)
        five_point[dimension] = scoring.on_five_point_scale(internal[dimension], bins)
    return internal, shown, five_point


def _score_table(values: pd.DataFrame, lines: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, np.ndarray]:
    """The Scores table, best customers first, and the customer key of each of its rows."""
    columns = {"recency": "Recency (days)", "frequency": "Frequency", "monetary": "Monetary"}
    internal, shown, five_point = _dimension_scores(values, settings)
    weights = [settings.recency_weight, settings.frequency_weight, settings.monetary_weight]
    total = sum(w * shown[d] for w, d in zip(weights, DIMENSIONS))
    best_first = -sum(w * internal[d] for w, d in zip(weights, DIMENSIONS))
    if all(float(w).is_integer() for w in weights):
        total = total.astype(int)
    first_seen = lines.drop_duplicates("customer_id").set_index("customer_id")
    table = pd.DataFrame({"Customer ID": first_seen["customer"].reindex(values.index).to_numpy()})
    for extra, header in (("customer_name", "Customer Name"), ("email", "Email")):
        if extra in lines and lines[extra].notna().any():
            latest = lines.dropna(subset=[extra]).sort_values("order_date").drop_duplicates("customer_id", keep="last")
            table[header] = latest.set_index("customer_id")[extra].reindex(values.index).to_numpy()
    table["First Order"] = values["first_order"].to_numpy()
    table["Last Order"] = values["last_order"].to_numpy()
    for dimension, header in columns.items():
        table[header] = values[dimension].to_numpy()
    table["Frequency"] = table["Frequency"].astype(int)
    table["Monetary"] = table["Monetary"].round(2)
    for dimension, letter in zip(DIMENSIONS, "RFM"):
        table[letter] = shown[dimension].astype(int)
    table["RFM Code"] = table["R"].astype(str) + table["F"].astype(str) + table["M"].astype(str)
    table["RFM Score"] = total
    table["Segment"] = segments.assign(five_point["recency"], five_point["frequency"], five_point["monetary"],
                                       settings.segments)
    order = np.lexsort((table["Customer ID"].to_numpy(), -table["Monetary"].to_numpy(), best_first))
    return table.iloc[order].reset_index(drop=True), values.index.to_numpy()[order]
