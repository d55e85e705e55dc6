"""The one computation every door calls: raw orders + settings -> result tables.

``score`` is a short pipeline of named steps, each returning what it made; the Result holds
data only (the words a sheet or a terminal shows are in layout/wording.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .base.errors import RfmError
from .base.orders import ISSUE_COLUMNS, CleanOrders, Dialect, header_key, id_text, normalise, zero_orders
from .base.settings import BEST_LOWEST, Settings
from .domain import campaign, contact, events, scoring, segments, timing
from .domain import forecast as forecasting
from .domain import products
from .domain.history import Movement, add_snapshot, empty_history, movement, of_filter, snapshot

DIMENSIONS = ("recency", "frequency", "monetary")
ISSUES = [*ISSUE_COLUMNS, "Amount"]  # Amount: the row's amount as used (a customer not scored: their net)


@dataclass
class Result:
    """What a run produces.

    scores : one row per customer, best customers first.
    segments : one row per segment of the segment table.
    issues : rows of the orders that were skipped or repaired, and why (ISSUES: the row's amount too).
    settings : the settings used (as_of filled in).
    rows_read, lines_used, orders, customers : counts for the run note.
    source : where the orders came from (a sheet or file name), for the issues list.
    plan : the Contact Plan (contact.contact_plan), every customer with plan, date, channel and reason.
    history : the Score History with this run's snapshot (history.HISTORY_COLUMNS).
    movement : between the latest two snapshots (None with fewer than two).
    campaign : Campaign Results when Settings give a campaign date.
    offers : what to offer each customer, from the products on the order lines (None without a product column).
    forecast : the lifetime-value forecast (forecast.Forecast) unless Settings turn it off; its ``reason``
        says why there is none when the orders are too few.
    rf_customers, rf_monetary : customers and average Monetary per R score (rows) and F score (columns).
    orders_currency : the currency symbol the orders' amounts carry, if any ("£" for "£12.50").
    """

    scores: pd.DataFrame
    segments: pd.DataFrame
    issues: pd.DataFrame
    settings: Settings
    rows_read: int
    lines_used: int
    orders: int
    customers: int
    source: str
    plan: pd.DataFrame
    history: pd.DataFrame
    movement: Movement | None
    campaign: campaign.CampaignResults | None
    forecast: forecasting.Forecast | None
    offers: products.Offers | None
    rf_customers: pd.DataFrame
    rf_monetary: pd.DataFrame
    orders_currency: str = ""

    @property
    def as_of(self) -> dt.date:
        return self.settings.as_of

    @property
    def currency_symbol(self) -> str:
        """The symbol money is shown with: the one chosen in Settings, else the one the orders carry."""
        return self.settings.currency_symbol or self.orders_currency

    def __repr__(self) -> str:
        return (f"Result(as_of={self.as_of:%Y-%m-%d}, customers={self.customers:,}, orders={self.orders:,}, "
                f"lines_used={self.lines_used:,} of {self.rows_read:,} rows, issues={len(self.issues):,})")


def score(orders: pd.DataFrame, settings: Settings | None = None, as_of: dt.date | None = None,
          first_row: int = 2, sheet: str = "Orders", read_issues: pd.DataFrame | None = None,
          history: pd.DataFrame | None = None, run_date: dt.date | None = None,
          dialect: Dialect | None = None) -> Result:
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
    dialect : what the reader knows of how the file writes values (CSV delimiter, locale, 1904 dates).

    Raises
    ------
    RfmError
        For orders or settings that cannot be scored, with one sentence saying what to fix. Any
        other exception is a bug and is raised as it is, with its traceback: from Python the
        traceback is what the reader needs (the other doors write it to a log file instead).

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
    clean = _clean(orders, settings, first_row, sheet, dialect)
    settings = _with_default_as_of(settings, clean)
    clean = _filtered(clean, settings)
    lines, issues = _drop_after_as_of(clean, settings.as_of)
    issues = _merge_issues(issues, zero_orders(lines, clean.columns))
    orders_table = _orders(lines, settings)
    values = _customer_values(orders_table, lines, clean, settings, sheet)
    scores, keys = _score_table(values, lines, settings)
    scores = _with_events(scores, keys, clean, lines, orders_table, settings)
    outlook = _forecast(orders_table, settings)
    scores = _with_forecast(scores, keys, outlook)
    offers = _offers(lines, scores, keys, settings)
    issues = _unscored(lines, values, _merge_issues(issues, read_issues), clean.columns["customer_id"])
    issues = _with_amounts(issues, clean)
    history = add_snapshot(empty_history() if history is None else history,
                           snapshot(scores, settings.as_of, run_date or dt.date.today(), settings.filter_label))
    rf_customers, rf_monetary = segments.rf_grid(scores, settings.bins("recency"), settings.bins("frequency"),
                                                 settings.best_score == BEST_LOWEST)
    return Result(
        scores=scores, segments=segments.summary(scores, settings.segments), issues=issues, settings=settings,
        rows_read=clean.rows_read, lines_used=len(lines), orders=len(orders_table), customers=len(scores),
        source=sheet,
        plan=contact.contact_plan(scores, keys, timing.purchase_timing(orders_table, settings.as_of), settings,
                                  None if offers is None else offers.customers),
        history=history,
        movement=movement(of_filter(history, settings.filter_label), [rule.name for rule in settings.segments], scores,
                          best_lowest=settings.best_score == BEST_LOWEST),
        campaign=_campaign(orders_table, settings) if settings.campaign_date else None, forecast=outlook, offers=offers,
        rf_customers=rf_customers, rf_monetary=rf_monetary, orders_currency=clean.currency)


def _clean(orders: pd.DataFrame, settings: Settings, first_row: int, sheet: str,
           dialect: Dialect | None) -> CleanOrders:
    """The usable order lines, and what was wrong with the others."""
    clean = normalise(orders, first_row=first_row, sheet=sheet, date_order=settings.date_order,
                      chosen=settings.chosen_columns(), decimal=settings.decimal_mark, dialect=dialect)
    if clean.lines.empty:
        raise RfmError(f"The {sheet} sheet has no usable orders: every row lacks a customer ID, a date or an amount.")
    return clean


def _with_default_as_of(settings: Settings, clean: CleanOrders) -> Settings:
    """The settings with the as-of date filled in: the day after the latest order unless one is given."""
    if settings.as_of is not None:
        return settings
    return settings.with_as_of(scoring.default_as_of(clean.lines["order_date"]))


def _filtered(clean: CleanOrders, settings: Settings) -> CleanOrders:
    """Only the lines whose filter column (Settings: Score only orders where) holds one of the values to keep,
    compared as ID texts without case; the others are left out, said in one note."""
    if not settings.filter_column:
        return clean
    orders = clean.raw
    by_key = {header_key(h): h for h in orders.columns}
    header = by_key.get(header_key(settings.filter_column))
    if header is None:
        shown = ", ".join(str(h) for h in list(orders.columns)[:8]) + (", ..." if len(orders.columns) > 8 else "")
        raise RfmError(f"Settings say to score only orders where {settings.filter_column!r} is one of some values, but "
                       f"the orders have no such column (they have: {shown}); fix the setting or clear it.")
    if not settings.filter_values:
        raise RfmError(f"Settings say to score only orders where {settings.filter_column!r} is one of some values, but "
                       "name none: type them in '... is one of', or clear 'Score only orders where'.")
    wanted = {value.casefold() for value in settings.filter_values}
    cells = orders[header].to_numpy(dtype=object)[clean.lines["source_row"].to_numpy() - clean.first_row]
    keep = np.array([(id_text(v) or "").casefold() in wanted for v in cells], dtype=bool)
    left_out = int((~keep).sum())
    note = pd.DataFrame({"Row": [None], "Column": [header], "Value": [""], "Problem": [
        f"{left_out:,} order lines are outside the filter {settings.filter_label} and were not scored"],
        "Action": ["left out by the filter"]})
    lines = clean.lines[keep].reset_index(drop=True)
    if lines.empty:
        raise RfmError(f"No order line has {header} {' or '.join(settings.filter_values)}; check the values in "
                       "'... is one of' in Settings.")
    return replace(clean, lines=lines, issues=_merge_issues(clean.issues, note.reindex(columns=clean.issues.columns)))


def _orders(lines: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The orders the lines make up (scoring.group_orders); a plain message when no line is left."""
    if lines.empty:
        raise _nothing_before(settings)
    return scoring.group_orders(lines)


def _customer_values(orders_table: pd.DataFrame, lines: pd.DataFrame, clean: CleanOrders, settings: Settings,
                     sheet: str) -> pd.DataFrame:
    """Recency, frequency and monetary of every customer with a purchase; a plain message when nobody has one."""
    values = scoring.customer_values(orders_table, settings.as_of, settings.window_months)
    if values.empty:
        if len(lines) < len(clean.lines):  # later orders were left out: the as-of date may be the cause
            raise _nothing_before(settings)
        raise RfmError(f"No order in the {sheet} sheet adds up to more than zero: every order is a return or nets "
                       "to zero; check that the Amount column holds what customers paid.")
    return values


def _nothing_before(settings: Settings) -> RfmError:
    return RfmError(f"No customer has a purchase on or before the as-of date {settings.as_of:%Y-%m-%d}; "
                    "check the As-of date in Settings.")


def _with_events(scores: pd.DataFrame, keys: np.ndarray, clean: CleanOrders, lines: pd.DataFrame,
                 orders_table: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The Scores table with the returns, complaints and enquiries columns, when the orders carry them."""
    found = events.event_columns(list(clean.raw.columns))
    if not found:
        return scores
    return events.add_event_scores(
        scores, keys, events.customer_events(clean.raw, lines, clean.first_row, found, orders_table), settings)


def _forecast(orders_table: pd.DataFrame, settings: Settings) -> forecasting.Forecast | None:
    """Each customer's chance of buying again and value over the horizon, unless Settings turn it off."""
    if not settings.forecast:
        return None
    return forecasting.forecast(orders_table, settings.as_of, horizon_days=settings.forecast_horizon_days,
                                model=settings.forecast_model, monthly_discount_rate=settings.monthly_discount_rate)


def _with_forecast(scores: pd.DataFrame, keys: np.ndarray, outlook: forecasting.Forecast | None) -> pd.DataFrame:
    """The Scores table with P(Active), Expected Orders, Predicted Value and Expected Next Order, when there
    is a forecast."""
    if outlook is None or not outlook.available:
        return scores
    figures = outlook.customers.reindex(keys)
    table = scores.copy()
    for column, decimals in zip(forecasting.COLUMNS, (4, 2, 2, None)):
        table[column] = (figures[column] if decimals is None else figures[column].round(decimals)).to_numpy()
    return table


def _offers(lines: pd.DataFrame, scores: pd.DataFrame, keys: np.ndarray, settings: Settings) -> products.Offers | None:
    """What to offer each customer and when a regular product is due again, when the orders name products."""
    if "product" not in lines:
        return None
    return products.offers(lines, pd.Series(scores["Segment"].to_numpy(), index=keys), settings.as_of,
                           settings.do_not_recommend, settings.pair_min_support)


def _campaign(orders_table: pd.DataFrame, settings: Settings) -> campaign.CampaignResults:
    """Test against Control for the campaign of ``settings.campaign_date``: groups as the Contact Plan had
    them on that date, responses in the window after it."""
    sent, days = settings.campaign_date, settings.response_days
    outcome = campaign.CampaignResults(pd.DataFrame(columns=campaign.RESULT_COLUMNS), sent, days,
                                       days_passed=max((settings.as_of - sent).days, 0))
    before = orders_table[orders_table["order_date"].dt.normalize() <= pd.Timestamp(sent)]
    values = scoring.customer_values(before, sent, settings.window_months)
    if values.empty:
        return outcome
    _, _, five_point = _dimension_scores(values, settings)
    groups = pd.DataFrame({"Segment": segments.assign(five_point["recency"], five_point["frequency"],
                                                      five_point["monetary"], settings.segments)},
                          index=values.index)
    groups["Plan"] = contact.plan_groups(groups["Segment"], values["recency"], values.index, settings)
    names = [rule.name for rule in settings.segments]
    costs = dict(zip(names, contact.SegmentRules(names, settings)["cost"]))
    outcome.table = campaign.campaign_results(groups, campaign.responses(orders_table, sent, days), names, costs)
    return outcome


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
        "Action": "customer not scored", "Amount": per_customer["net"].to_numpy()}))


def _with_amounts(issues: pd.DataFrame, clean: CleanOrders) -> pd.DataFrame:
    """The issues with each row's amount where none was given (the amount of its sheet row, as used)."""
    first_row = clean.first_row
    rows = issues["Row"].to_numpy(dtype=float)
    known = ~np.isnan(rows) & (rows >= first_row) & (rows < first_row + len(clean.amounts))
    amounts = np.full(len(issues), np.nan)
    amounts[known] = clean.amounts[rows[known].astype(np.int64) - first_row]
    return issues.assign(Amount=issues["Amount"].astype(float).fillna(pd.Series(amounts, index=issues.index)))


def _merge_issues(*tables: pd.DataFrame | None) -> pd.DataFrame:
    tables = tuple(t for t in tables if t is not None)
    merged = pd.concat([t for t in tables if len(t)], ignore_index=True) if any(len(t) for t in tables) else tables[0]
    return merged.reindex(columns=ISSUES).sort_values("Row", kind="stable", na_position="first", ignore_index=True)


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
