"""The one computation every door calls: raw orders + settings -> result tables.

``score`` is a short pipeline of named steps, each returning what it made; the Result holds
data only (the words a sheet or a terminal shows are in layout/wording.py). The order lines
become a per-customer table (domain/customers.py) first, with pandas here or as one query
where an engine holds the lines (``score_lines``); everything after it works on that table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .base.errors import RfmError
from .base.orders import (
    CleanOrders,
    Dialect,
    customer_keys,
    header_key,
    id_text,
    normalise,
    zero_order_issues,
    zero_orders,
)
from .base.reading.columns import map_columns
from .base.reading.issues import issue_rows, merged_issues, note_row
from .base.reading.plan import ReadingPlan
from .base.settings import BEST_LOWEST, Settings
from .domain import campaign, contact, events, products, profiles, scoring, segments, timing
from .domain import customers as per_customer
from .domain import forecast as forecasting
from .domain.history import Movement, add_snapshot, empty_history, movement, of_filter, snapshot

DIMENSIONS = ("recency", "frequency", "monetary")
RFM_CODES = np.array([f"{n:03d}" for n in range(1000)], dtype=object)  # one digit per score (settings.MAX_BINS)


@dataclass
class Result:
    """What a run produces: data only, its tables' columns named by field (customer_id, recency_days, segment;
    layout/headers.py gives the header each is shown under).

    scores : one row per customer, best customers first.
    segments : one row per segment of the segment table.
    issues : the orders' rows that were skipped or repaired, as coded records (base/reading/issues.py).
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
    first_date, last_date : the earliest and latest order date among the lines used.
    origin : where the orders came from and how they were read, when a door says (a file, not a sheet).
    orders_currency : the currency symbol the orders' amounts carry, if any ("£" for "£12.50").
    unused_columns : headers of columns the orders carry that this run could not use (products, returns and
        complaints, when the lines were summed in an engine: those need the lines in memory).
    profile : the Customer Profile and the prospects' scores (profiles.Profile), when the orders or a customers
        table carry attributes, or prospects are given.
    contacts : per Scores row, the customer's contact fields (audiences.FIELDS) where the orders or a customers
        table give them (None when neither has any), for the ad audiences.
    reading_plan : how the orders were read (header row, columns, export layout, decimal mark, dates).
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
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    origin: Origin | None = None
    unused_columns: tuple[str, ...] = ()
    profile: profiles.Profile | None = None
    contacts: pd.DataFrame | None = None
    reading_plan: ReadingPlan | None = None

    @property
    def as_of(self) -> dt.date:
        assert self.settings.as_of is not None  # a result's settings always have their as-of date
        return self.settings.as_of

    @property
    def currency_symbol(self) -> str:
        """The symbol money is shown with: the one chosen in Settings, else the one the orders carry."""
        return self.settings.currency_symbol or self.orders_currency

    def __repr__(self) -> str:
        return (f"Result(as_of={self.as_of:%Y-%m-%d}, customers={self.customers:,}, orders={self.orders:,}, "
                f"lines_used={self.lines_used:,} of {self.rows_read:,} rows, issues={len(self.issues):,})")


@dataclass
class Origin:
    """Where a run's orders came from, for the run note: a file or folder, how many lines it held, whether the
    workbook holds those lines on its Orders sheet, and how it was read (layout/wording.py words it): a text
    file's ``encoding`` (as Python names it) and ``delimiter``, the ``files`` of a folder or a pattern in the
    order read, whether they are ``parquet``, the ``engine`` that read them where it was not this machine's
    ("spark"), and whether that engine ``brought`` the lines here to be cleaned (an export, title lines, text
    dates or amounts)."""

    name: str
    lines: int = 0
    in_workbook: bool = True
    encoding: str | None = None
    delimiter: str | None = None
    files: tuple[str, ...] = ()
    parquet: bool = False
    engine: str = ""
    brought: bool = False


@dataclass
class Reading:
    """What reading and cleaning the order lines gave, beside the per-customer table: counts for the run
    note, the issues so far, the header of the customer column (for issues about customers), where the
    lines came from, their date range, how many lines fell after the as-of date; where the lines are in
    memory (not in an engine), the lines themselves (for the forecast's check and the offers), each input
    row's amount as used and the sheet row of the first (for the issues' amounts), the currency the
    amounts carry, and the lines as orders (scoring.group_orders)."""

    rows_read: int
    lines_used: int
    issues: pd.DataFrame
    customer_column: str
    source: str
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    late_lines: int = 0
    lines: pd.DataFrame | None = None
    amounts: np.ndarray | None = None
    first_row: int = 2
    currency: str = ""
    orders: pd.DataFrame | None = None


def score(orders: pd.DataFrame, settings: Settings | None = None, as_of: dt.date | None = None,
          first_row: int = 2, sheet: str = "Orders", read_issues: pd.DataFrame | None = None,
          history: pd.DataFrame | None = None, run_date: dt.date | None = None,
          dialect: Dialect | None = None, customers: pd.DataFrame | None = None,
          prospects: pd.DataFrame | None = None) -> Result:
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
    customers : the owner's table of customers (a Customers sheet), keyed by a Customer ID column, with any
        attribute and contact columns; its values win over the orders' own.
    prospects : the owner's table of prospects, scored against the best customers' profile (``Result.profile``).

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
    >>> result.scores[["customer_id", "recency_days", "frequency", "monetary", "rfm_code"]].to_dict("records")
    [{'customer_id': 'A', 'recency_days': 1, 'frequency': 2, 'monetary': 50.0, 'rfm_code': '333'}, \
{'customer_id': 'B', 'recency_days': 21, 'frequency': 1, 'monetary': 15.0, 'rfm_code': '111'}]
    """
    settings = (settings or Settings()).with_as_of(as_of)
    clean = _clean(orders, settings, first_row, sheet, dialect)
    settings = with_default_as_of(settings, clean.lines["order_date"].max())
    assert settings.as_of is not None  # with_default_as_of sets it
    clean = _filtered(clean, settings)
    lines, issues = _drop_after_as_of(clean, settings.as_of)
    if lines.empty:
        raise _nothing_before(settings)
    grouped_orders = scoring.group_orders(lines)
    table = per_customer.from_lines(lines, settings.as_of, settings.window_months, response_window(settings),
                                 grouped_orders)
    at_campaign = per_customer.from_lines(lines, settings.campaign_date, settings.window_months) \
        if settings.campaign_date else None
    assert clean.raw is not None  # normalise keeps the rows as read
    found = events.event_columns(list(clean.raw.columns))
    customer_events = events.customer_events(clean.raw, lines, clean.first_row, found, table["purchases"]) \
        if found else None
    reading = Reading(clean.rows_read, len(lines),
                      merged_issues(issues, zero_orders(lines, clean.columns), read_issues),
                      clean.columns["customer_id"], sheet, lines["order_date"].min().date(),
                      lines["order_date"].max().date(), len(clean.lines) - len(lines), lines, clean.amounts,
                      clean.first_row, clean.currency, grouped_orders)
    result = score_customers(table, settings, reading, history, run_date, at_campaign, customer_events)
    known = _customer_info(clean.raw, lines, clean.first_row, customers, settings)
    result.profile, result.contacts = _profile(known, result, table, settings, prospects)
    result.reading_plan = clean.plan
    return result


def score_lines(lines, settings: Settings | None = None, as_of: dt.date | None = None,
                history: pd.DataFrame | None = None, run_date: dt.date | None = None,
                customers: pd.DataFrame | None = None, prospects: pd.DataFrame | None = None) -> Result:
    """Score order lines an engine holds (readers/engine.EngineLines): the per-customer table is made by
    the relational query where the lines are, and only it comes back to be scored; the engine is closed
    once it has answered. ``customers`` and ``prospects`` as for ``score``; the attributes come from the
    customers table alone, the lines staying where they are."""
    settings = (settings or Settings()).with_as_of(as_of)
    count, latest = lines.latest()
    if not count:
        raise RfmError(f"The {lines.source} sheet has no usable orders: every row lacks a customer ID, a date or an "
                       "amount.")
    settings = with_default_as_of(settings, latest)
    assert settings.as_of is not None  # with_default_as_of sets it
    late = lines.run(per_customer.lines_after(lines.name, settings.as_of, lines.dialect))
    used = lines.run(per_customer.lines_up_to(lines.name, settings.as_of, lines.dialect)).iloc[0]
    if not used["lines"]:
        raise _nothing_before(settings)
    column = lines.columns["customer_id"]

    def table_as_of(day: dt.date, response=None) -> pd.DataFrame:
        found = lines.run(per_customer.query(lines.name, day, settings.window_months, response, lines.extras,
                                          lines.dialect))
        return per_customer.conform(lines.decode(found.set_index("customer_id")))

    table = table_as_of(settings.as_of, response_window(settings))
    at_campaign = table_as_of(settings.campaign_date) if settings.campaign_date else None
    zero = lines.run(per_customer.zero_orders(lines.name, settings.as_of, lines.dialect))
    lines.close()  # the lines are done with: their memory is free for scoring the customers
    issues = merged_issues(lines.issues, _late_issues(late["source_row"], late["order_date"],
                                                      lines.columns["order_date"], settings.as_of).assign(
                               amount=late["amount"].to_numpy(dtype=float)),
                           zero_order_issues(zero["source_row"].to_numpy(dtype=np.int64),
                                             lines.order_texts(zero["order_id"].to_numpy()), lines.columns).assign(
                               amount=0.0))
    reading = Reading(lines.rows_read, int(used["lines"]), issues, column, lines.source,
                      pd.Timestamp(used["first"]).date(), pd.Timestamp(used["last"]).date(), len(late),
                      amounts=lines.amounts, first_row=lines.first_row, currency=lines.currency)
    result = score_customers(table, settings, reading, history, run_date, at_campaign)
    result.profile, result.contacts = _profile(_customer_info(None, None, 2, customers, settings), result, table,
                                               settings, prospects)
    result.reading_plan = lines.plan
    result.unused_columns = tuple(lines.columns[c] for c in ("product", "product_name") if c in lines.columns) + \
        tuple(events.event_columns(list(lines.headers)).values())
    return result


# ---------------------------------------------------------------- from the per-customer table on


def score_customers(table: pd.DataFrame, settings: Settings, reading: Reading, history: pd.DataFrame | None = None,
                    run_date: dt.date | None = None, at_campaign: pd.DataFrame | None = None,
                    customer_events: pd.DataFrame | None = None) -> Result:
    """Score every customer of a per-customer table (customers.COLUMNS), however it was made.

    ``settings.as_of`` must be set (``with_default_as_of``); ``at_campaign`` is the table as of the
    campaign date, when Settings give one; ``customer_events`` is events.customer_events' table.
    """
    assert settings.as_of is not None  # see above
    values = _customer_values(table, settings, reading)
    scores, keys, order = _score_table(values, table, settings)
    if customer_events is not None:
        scores = events.add_event_scores(scores, keys, customer_events, settings)
    outlook = _forecast(table, reading, settings)
    scores = _with_forecast(scores, order, outlook)
    offers = _offers(reading.lines, scores, keys, settings)
    issues = _with_amounts(_unscored(table, reading.issues, reading.customer_column), reading)
    history = add_snapshot(empty_history() if history is None else history,
                           snapshot(scores, settings.as_of, run_date or dt.date.today(), settings.filter_label))
    rf_customers, rf_monetary = segments.rf_grid(scores, settings.bins("recency"), settings.bins("frequency"),
                                                 settings.best_score == BEST_LOWEST)
    scored = np.flatnonzero(table["last_purchase"].notna().to_numpy())[order]  # table rows, as Scores has them
    when = timing.when_due(pd.Index(keys, dtype=object, name="customer_id"), table["last_purchase"].to_numpy()[scored],
                           table["usual_gap"].to_numpy()[scored], table["usual_month"].to_numpy()[scored],
                           settings.as_of)
    return Result(
        scores=scores, segments=segments.summary(scores, settings.segments), issues=issues, settings=settings,
        rows_read=reading.rows_read, lines_used=reading.lines_used, orders=int(table["orders"].sum()),
        customers=len(scores), source=reading.source,
        plan=contact.contact_plan(scores, keys, when, settings, None if offers is None else offers.customers),
        history=history,
        movement=movement(of_filter(history, settings.filter_label), [rule.name for rule in settings.segments], scores,
                          best_lowest=settings.best_score == BEST_LOWEST),
        campaign=_campaign(at_campaign, table, settings) if settings.campaign_date else None, forecast=outlook,
        offers=offers, rf_customers=rf_customers, rf_monetary=rf_monetary, orders_currency=reading.currency,
        first_date=reading.first_date, last_date=reading.last_date)


def _customer_info(raw: pd.DataFrame | None, lines: pd.DataFrame | None, first_row: int, given: pd.DataFrame | None,
                   settings: Settings) -> tuple[pd.DataFrame, dict[str, str]]:
    """Per customer key: each attribute (by its label) and contact field (profiles.CONTACTS), the latest
    non-blank value on the order lines (where they are in memory), overridden by the customers table's where
    it has one; and the attribute labels with their headers."""
    known, labels = pd.DataFrame(index=pd.Index([], dtype=object, name="customer_id")), {}
    if raw is not None and lines is not None:
        mapped = set(map_columns(list(raw.columns), settings.chosen_columns()).values())
        headers = [h for h in raw.columns if h not in mapped]
        labels = profiles.attribute_headers(headers, settings.profile_columns, settings.profile_ignore)
        wanted = {**labels, **profiles.contact_headers(raw.columns)}
        rows = lines["source_row"].to_numpy() - first_row
        known = profiles.latest_values(lines["customer_id"].to_numpy(), lines["order_date"].to_numpy(),
                                       {name: raw[header].to_numpy(dtype=object)[rows]
                                        for name, header in wanted.items()})
    if given is None or given.empty:
        return known, labels
    id_header = map_columns(list(given.columns)).get("customer_id")
    if id_header is None:
        raise RfmError("The customers table has no Customer ID column; add one headed Customer ID, holding the IDs "
                       "the orders use.")
    others = [h for h in given.columns if h != id_header]
    own = profiles.attribute_headers(others, settings.profile_columns, settings.profile_ignore)
    keys = customer_keys([id_text(v) for v in given[id_header].to_numpy(dtype=object)])
    sheet = pd.DataFrame({name: profiles.texts(given[header].to_numpy(dtype=object))
                          for name, header in {**own, **profiles.contact_headers(others)}.items()}, index=keys)
    sheet = sheet[pd.notna(sheet.index)]
    sheet = sheet[~sheet.index.duplicated(keep="last")]
    combined = sheet if known.empty else sheet.combine_first(known.reindex(columns=known.columns.union(sheet.columns)))
    return combined.astype(object).where(lambda t: t.notna(), None), {**labels, **own}


def _profile(known: tuple[pd.DataFrame, dict[str, str]], result: Result, table: pd.DataFrame, settings: Settings,
             prospects: pd.DataFrame | None) -> tuple[profiles.Profile | None, pd.DataFrame | None]:
    """The Customer Profile (and the prospects scored by it) and each Scores row's contact fields."""
    info, labels = known
    keys = table.index.to_numpy()[table["last_purchase"].notna().to_numpy()]
    scored = _score_keys(result, table, keys)
    rows = info.reindex(scored)
    contacts = None
    if any(field in rows for field in ("email", "phone", "first_name", "last_name", "name")):
        contacts = pd.DataFrame({field: rows[field].to_numpy(dtype=object) for field in profiles.CONTACTS
                                 if field in rows}, index=result.scores.index)
    if not labels and prospects is None:
        return None, contacts
    best = result.scores["segment"].isin(best_segments(settings)).to_numpy()
    attributes = pd.DataFrame({label: rows[label].to_numpy(dtype=object) for label in labels},
                              index=result.scores.index)
    prospect_attributes = None
    if prospects is not None:
        prospect_attributes = pd.DataFrame(index=prospects.index)
        for label in labels:
            header = profiles.matching_header(label, prospects.columns)
            prospect_attributes[label] = profiles.texts(prospects[header].to_numpy(dtype=object)) \
                if header is not None else None
    return profiles.customer_profile(attributes, best, labels, settings.profile_min_customers, prospects,
                                     prospect_attributes), contacts


def best_segments(settings: Settings) -> list[str]:
    """The segments of Settings' *Best customers are* that the segment table has (a table of the owner's own
    names may have none of the default Champions and Loyal: then nobody is a best customer, and the sheets
    say why)."""
    names = {rule.name for rule in settings.segments}
    return [name for name in settings.best_segments if name in names]


def _score_keys(result: Result, table: pd.DataFrame, keys: np.ndarray) -> np.ndarray:
    """The customer key of each Scores row (Scores shows each customer as first spelled)."""
    spelled = pd.Series(keys, index=table.loc[keys, "customer"].to_numpy())
    spelled = spelled[~spelled.index.duplicated()]
    return spelled.reindex(result.scores["customer_id"].to_numpy()).to_numpy()


def response_window(settings: Settings) -> tuple[dt.date, int] | None:
    """The campaign date and response days, when Settings give a campaign date."""
    return (settings.campaign_date, settings.response_days) if settings.campaign_date else None


def _clean(orders: pd.DataFrame, settings: Settings, first_row: int, sheet: str,
           dialect: Dialect | None) -> CleanOrders:
    """The usable order lines, and what was wrong with the others."""
    clean = normalise(orders, first_row=first_row, sheet=sheet, date_order=settings.date_order,
                      chosen=settings.chosen_columns(), decimal=settings.decimal_mark, dialect=dialect)
    if clean.lines.empty:
        raise RfmError(f"The {sheet} sheet has no usable orders: every row lacks a customer ID, a date or an amount.")
    return clean


def with_default_as_of(settings: Settings, latest: pd.Timestamp) -> Settings:
    """The settings with the as-of date filled in: the day after the ``latest`` order date unless one is given."""
    if settings.as_of is not None:
        return settings
    return settings.with_as_of(scoring.default_as_of(latest))


def _customer_values(table: pd.DataFrame, settings: Settings, reading: Reading) -> pd.DataFrame:
    """Recency, frequency and monetary of every customer with a purchase, from the per-customer table;
    a plain message when nobody has one."""
    assert settings.as_of is not None  # set before scoring
    values = values_of(table, settings.as_of)
    if values.empty:
        if reading.late_lines:  # later orders were left out: the as-of date may be the cause
            raise _nothing_before(settings)
        raise RfmError(f"No order in the {reading.source} sheet adds up to more than zero: every order is a return or "
                       "nets to zero; check that the Amount column holds what customers paid.")
    return values


def values_of(table: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The customers of a per-customer table with a purchase: first and last order, frequency, monetary and
    recency (days from the last order to ``as_of``)."""
    bought = table[table["last_purchase"].notna().to_numpy()]
    return pd.DataFrame({"first_order": bought["first_purchase"], "last_order": bought["last_purchase"],
                         "frequency": bought["frequency"], "monetary": bought["monetary"],
                         "recency": (pd.Timestamp(as_of) - bought["last_purchase"]).dt.days}, index=bought.index)


def _nothing_before(settings: Settings) -> RfmError:
    return RfmError(f"No customer has a purchase on or before the as-of date {settings.as_of:%Y-%m-%d}; "
                    "check the As-of date in Settings.")


def _filtered(clean: CleanOrders, settings: Settings) -> CleanOrders:
    """Only the lines whose filter column (Settings: Score only orders where) holds one of the values to keep,
    compared as ID texts without case; the others are left out, said in one note."""
    if not settings.filter_column:
        return clean
    orders = clean.raw
    assert orders is not None  # normalise keeps the rows as read
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
    note = note_row("filtered", header, lines=left_out, label=settings.filter_label)
    lines = clean.lines[keep].reset_index(drop=True)
    if lines.empty:
        raise RfmError(f"No order line has {header} {' or '.join(settings.filter_values)}; check the values in "
                       "'... is one of' in Settings.")
    return replace(clean, lines=lines, issues=merged_issues(clean.issues, note))


def _forecast(table: pd.DataFrame, reading: Reading, settings: Settings) -> forecasting.Forecast | None:
    """Each customer's chance of buying again and value over the horizon, unless Settings turn it off: fitted on
    the per-customer table's purchase days, and checked on the order lines where they are in memory."""
    if not settings.forecast:
        return None
    assert settings.as_of is not None  # set before scoring
    bought = table[table["last_purchase"].notna().to_numpy()]
    summary = pd.DataFrame({"frequency": bought["purchase_days"] - 1, "recency": bought["purchase_span"],
                            "T": (pd.Timestamp(settings.as_of) - bought["first_purchase"]).dt.days.astype(float),
                            "monetary_value": bought["repeat_day_value"].fillna(0.0)}, index=bought.index)
    return forecasting.forecast(reading.orders, settings.as_of, horizon_days=settings.forecast_horizon_days,
                                model=settings.forecast_model, monthly_discount_rate=settings.monthly_discount_rate,
                                summary=summary)


def _with_forecast(scores: pd.DataFrame, order: np.ndarray, outlook: forecasting.Forecast | None) -> pd.DataFrame:
    """The Scores table with P(Active), Expected Orders, Predicted Value and Expected Next Order, when there
    is a forecast; ``order`` is where each Scores row is among the customers with a purchase, as the forecast
    has them."""
    if outlook is None or not outlook.available:
        return scores
    figures = outlook.customers.iloc[order]
    table = scores.copy()
    for column, decimals in zip(forecasting.COLUMNS, (4, 2, 2, None), strict=True):
        table[column] = (figures[column] if decimals is None else figures[column].round(decimals)).to_numpy()
    return table


def _offers(lines: pd.DataFrame | None, scores: pd.DataFrame, keys: np.ndarray,
            settings: Settings) -> products.Offers | None:
    """What to offer each customer and when a regular product is due again, when the orders name products and
    their lines are in memory (an engine's lines are summed per customer where they are)."""
    if lines is None or "product" not in lines:
        return None
    return products.offers(lines, pd.Series(scores["segment"].to_numpy(), index=keys), settings.as_of,
                           settings.do_not_recommend, settings.pair_min_support)


def _campaign(at_campaign: pd.DataFrame | None, table: pd.DataFrame,
              settings: Settings) -> campaign.CampaignResults:
    """Test against Control for the campaign of ``settings.campaign_date``: groups as the Contact Plan had
    them on that date (``at_campaign``, the per-customer table then), responses in the window after it."""
    sent, days = settings.campaign_date, settings.response_days
    assert at_campaign is not None and sent is not None and settings.as_of is not None  # called with a campaign date
    outcome = campaign.CampaignResults(pd.DataFrame(columns=campaign.RESULT_COLUMNS), sent, days,
                                       days_passed=max((settings.as_of - sent).days, 0))
    values = values_of(at_campaign, sent)
    if values.empty:
        return outcome
    _, _, five_point = _dimension_scores(values, settings)
    groups = pd.DataFrame({"segment": segments.assign(five_point["recency"], five_point["frequency"],
                                                      five_point["monetary"], settings.segments)},
                          index=values.index)
    groups["plan"] = contact.plan_groups(groups["segment"], values["recency"], values.index, settings)
    names = [rule.name for rule in settings.segments]
    costs = dict(zip(names, contact.SegmentRules(names, settings)["cost"], strict=True))
    answers = table[["responded", "response_revenue"]].rename(columns={"response_revenue": "revenue"})
    outcome.table = campaign.campaign_results(groups, answers, names, costs)
    return outcome


def _drop_after_as_of(clean: CleanOrders, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    lines = clean.lines
    late = lines["order_date"].dt.normalize() > pd.Timestamp(as_of)
    if not late.any():
        return lines, clean.issues
    late_issues = _late_issues(lines.loc[late, "source_row"], lines.loc[late, "order_date"],
                               clean.columns["order_date"], as_of)
    return lines[~late].reset_index(drop=True), merged_issues(clean.issues, late_issues)


def _late_issues(rows: pd.Series, dates: pd.Series, column: str, as_of: dt.date) -> pd.DataFrame:
    """Lines dated after the as-of date, listed as skipped."""
    return issue_rows("late", rows.to_numpy(), column, pd.to_datetime(dates).dt.strftime("%Y-%m-%d").to_numpy(),
                      as_of=as_of)


def _unscored(table: pd.DataFrame, issues: pd.DataFrame, column: str) -> pd.DataFrame:
    """Customers whose orders are all returns or worth nothing: listed, not scored."""
    left_out = table[table["last_purchase"].isna().to_numpy()]
    if left_out.empty:
        return issues
    return merged_issues(issues, issue_rows("unscored", left_out["first_row"].to_numpy(), column,
                                            left_out["customer"].to_numpy(), left_out["net"].to_numpy(),
                                            net=left_out["net"].tolist()))


def _with_amounts(issues: pd.DataFrame, reading: Reading) -> pd.DataFrame:
    """The issues with each row's amount where none was given (the amount of its sheet row, as used), where
    the amounts are known."""
    if reading.amounts is None:
        return issues
    first_row = reading.first_row
    rows = issues["row"].to_numpy(dtype=float)
    known = ~np.isnan(rows) & (rows >= first_row) & (rows < first_row + len(reading.amounts))
    amounts = np.full(len(issues), np.nan)
    amounts[known] = reading.amounts[rows[known].astype(np.int64) - first_row]
    return issues.assign(amount=issues["amount"].fillna(pd.Series(amounts, index=issues.index)))



def _dimension_scores(values: pd.DataFrame, settings: Settings) -> tuple[dict, dict, dict]:
    """R, F and M scores three ways: internal (higher is better), shown, and on the segment table's 1-5 scale."""
    internal, shown, five_point = {}, {}, {}
    for dimension in DIMENSIONS:
        bins = settings.bins(dimension)
        internal[dimension] = scoring.dimension_scores(values[dimension].to_numpy(), dimension, settings)
        shown[dimension] = scoring.shown_scores(internal[dimension], bins, settings)
        five_point[dimension] = scoring.on_five_point_scale(internal[dimension], bins)
    return internal, shown, five_point


def _score_table(values: pd.DataFrame, table: pd.DataFrame,
                 settings: Settings) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The Scores table, best customers first, the customer key of each of its rows, and where each row is
    in ``values``."""
    columns = {"recency": "recency_days", "frequency": "frequency", "monetary": "monetary"}
    internal, shown, five_point = _dimension_scores(values, settings)
    weights = [settings.recency_weight, settings.frequency_weight, settings.monetary_weight]
    total = sum(w * shown[d] for w, d in zip(weights, DIMENSIONS, strict=True))
    best_first = -sum(w * internal[d] for w, d in zip(weights, DIMENSIONS, strict=True))
    if all(float(w).is_integer() for w in weights):
        total = total.astype(int)
    customers_table, bought = table, table["last_purchase"].notna().to_numpy()  # the rows values has, in order
    table = pd.DataFrame({"customer_id": customers_table["customer"].to_numpy()[bought]})
    for extra in ("customer_name", "email"):
        if extra in customers_table and customers_table[extra].notna().any():
            table[extra] = customers_table[extra].to_numpy()[bought]
    table["first_order"] = values["first_order"].to_numpy()
    table["last_order"] = values["last_order"].to_numpy()
    for dimension, field in columns.items():
        table[field] = values[dimension].to_numpy()
    table["frequency"] = table["frequency"].astype(int)
    table["monetary"] = table["monetary"].round(2)
    for dimension, letter in zip(DIMENSIONS, "rfm", strict=True):
        table[letter] = shown[dimension].astype(int)
    table["rfm_code"] = RFM_CODES[table["r"].to_numpy() * 100 + table["f"].to_numpy() * 10 + table["m"].to_numpy()]
    table["rfm_score"] = total
    table["segment"] = segments.assign(five_point["recency"], five_point["frequency"], five_point["monetary"],
                                       settings.segments)
    order = np.lexsort((_text_ranks(table["customer_id"]), -table["monetary"].to_numpy(), best_first))
    return table.iloc[order].reset_index(drop=True), values.index.to_numpy()[order], order


def _text_ranks(texts: pd.Series) -> np.ndarray:
    """Each text's place in the sorted texts (equal texts share one), for sorting by text without comparing
    Python strings: Arrow sorts UTF-8 by code point, as Python compares them."""
    return pc.rank(pa.array(texts, pa.large_string()), sort_keys="ascending", tiebreaker="dense").to_numpy()
