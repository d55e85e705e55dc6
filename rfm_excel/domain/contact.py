"""Who to contact, when, how and why: the contact plan, suppression and the holdout.

Every scored customer gets one plan:

- *Left out* when their segment is marked Do Not Contact, or their last purchase was at most
  ``recent_purchase_days`` days before the as-of date (contacting them now would be wasted, or annoying);
- otherwise *Control* when the holdout draw puts them in their segment's control group
  (not contacted, so a campaign can be measured against them);
- otherwise *Contact*, on a suggested date, by the segment's channel.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..base.settings import SegmentRule, Settings
from .timing import MONTH_NAMES

CONTACT, CONTROL, LEFT_OUT = "Contact", "Control", "Left out"
PLANS = (CONTACT, CONTROL, LEFT_OUT)
DUE, SLIPPING, NOT_WORTH = "due", "slipping away", "not worth a paid contact"  # what the forecast adds to a plan
DUE_FROM = 0.5  # P(Active) from which a customer whose next order is expected soon is due
NOT_WORTH_BELOW = 0.05  # P(Active) under which a low spender is not worth a paid contact
VALUABLE_SHARE, LOW_VALUE_SHARE = 0.4, 0.4  # the top and bottom shares of customers by Monetary
UNMATCHED_ACTION = "Review the segment table in Settings."
MONTHS = np.array([None, *MONTH_NAMES], dtype=object)  # by usual_month: 0 (none), 1-12


def holdout_draws(keys, seed: str) -> np.ndarray:
    """A number from 0 to 1 per customer: the first 8 bytes of SHA-256 of "seed:key", over 2**64.

    It depends only on the seed and the customer, never on the order of the rows or on other
    customers, so a customer keeps their group run after run while the seed is unchanged.
    """
    prefix = f"{seed}:".encode()
    return np.array([int.from_bytes(hashlib.sha256(prefix + str(key).encode()).digest()[:8], "big")
                     for key in keys], dtype=np.float64) / 2.0 ** 64


class SegmentRules:
    """The segment rule of each customer, for looking up its channel, cost, holdout and so on.

    The first rule of a name counts, as in ``segments.assign``; a segment missing from the table
    (Unclassified) gets a rule of defaults.
    """

    def __init__(self, segment, settings: Settings):
        self.codes, names = pd.factorize(np.asarray(segment, dtype=object))
        first: dict[str, SegmentRule] = {}
        for rule in settings.segments:
            first.setdefault(rule.name, rule)
        self.rules = [first.get(name) or SegmentRule(name, action=UNMATCHED_ACTION) for name in names]

    def __getitem__(self, attribute: str) -> np.ndarray:
        return np.array([getattr(rule, attribute) for rule in self.rules] + [None], dtype=object)[self.codes]


def plan_groups(segment, recency, keys, settings: Settings) -> np.ndarray:
    """Contact, Control or Left out per customer (see the module's rules)."""
    rules = SegmentRules(segment, settings)
    recent = (np.asarray(recency) <= settings.recent_purchase_days) & (settings.recent_purchase_days > 0)
    holdout = rules["holdout"].astype(float)
    control = np.zeros(len(holdout), dtype=bool)
    if (holdout > 0).any():
        control = holdout_draws(keys, settings.holdout_seed) < holdout
    return np.select([rules["do_not_contact"].astype(bool) | recent, control], [LEFT_OUT, CONTROL],
                     CONTACT).astype(object)


def contact_plan(scores: pd.DataFrame, keys, timing: pd.DataFrame, settings: Settings,
                 offers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The Contact Plan: every scored customer with plan, suggested date, channel, cost and reason.

    ``scores`` is the Scores table, ``keys`` its customer keys row by row, ``timing`` indexed by
    key (``timing.purchase_timing``); ``offers`` by key, columns added as they are (offer, why,
    reorder, reorder_due: ``products.offers``). Rows: Contact first, by suggested date, then Control, then
    Left out; best customers first within each.
    """
    segment = scores["segment"].to_numpy(dtype=object)
    rules = SegmentRules(segment, settings)
    recency = scores["recency_days"].to_numpy()
    plan = plan_groups(segment, recency, keys, settings)
    when = timing.reindex(pd.Index(keys, dtype=object))  # as texts are in numpy: no copy into Arrow to compare
    gap, overdue = when["typical_gap"].to_numpy(), when["days_overdue"].to_numpy()
    usual = when["usual_month"].fillna(0).to_numpy(dtype=int)
    assert settings.as_of is not None  # set before scoring
    expected, by_month = _next_purchase(when, settings.as_of)
    as_of, lead = np.datetime64(settings.as_of, "D"), np.timedelta64(settings.contact_lead_days, "D")
    suggested = np.where(np.isnat(expected), as_of, np.maximum(expected - lead, as_of))
    outlook = _outlook(scores, plan, rules, settings)
    plan = np.where(outlook == NOT_WORTH, LEFT_OUT, plan).astype(object)
    suggested = np.where((outlook == DUE) | (outlook == SLIPPING), as_of, suggested)
    contact = plan == CONTACT
    table = scores[[c for c in ("customer_id", "customer_name", "email") if c in scores]].copy()
    table["segment"] = segment
    table["plan"] = plan
    table["contact_on"] = np.where(contact, suggested.astype("datetime64[ns]"), np.datetime64("NaT"))
    table["channel"] = np.where(contact, rules["channel"], None)  # type: ignore[call-overload]  # numpy's stubs reject None
    reason = _reasons(segment, rules, recency, scores["frequency"].to_numpy(), plan, gap, usual, by_month, overdue,
                      settings)
    table["reason"] = _outlook_reasons(reason, outlook, scores, settings) if "p_active" in scores else reason
    del reason
    table["cost"] = np.where(contact, rules["cost"].astype(float), np.nan)
    table["last_order"] = scores["last_order"].to_numpy()
    table["usual_gap_days"] = gap
    table["next_order_due"] = when["next_due"].to_numpy()
    table["days_overdue"] = overdue
    table["overdue_gaps"] = when["overdue_gaps"].round(2).to_numpy()
    table["usual_month"] = MONTHS[usual]
    for column in ("p_active", "expected_next_order"):
        if column in scores:
            table[column] = scores[column].to_numpy()
    table["action"] = rules["action"]
    if offers is not None:
        for column in offers.columns:
            table[column] = offers[column].reindex(keys).to_numpy()
    rank = pd.Categorical(plan, categories=PLANS).codes
    contact_day = table["contact_on"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    order = np.lexsort((np.arange(len(table)), np.where(contact, contact_day, 0), rank))
    return table.iloc[order].reset_index(drop=True)


def _outlook(scores: pd.DataFrame, plan: np.ndarray, rules: SegmentRules, settings: Settings) -> np.ndarray:
    """What the forecast says of each customer to contact: DUE, SLIPPING, NOT_WORTH or "" (nothing to add).

    Only customers the segment rules would contact are looked at: a control group and the owner's Do Not
    Contact marks stay as they are.
    """
    said = np.full(len(plan), "", dtype=object)
    if "p_active" not in scores:
        return said
    active = scores["p_active"].to_numpy(dtype=float)
    value = scores["monetary"].rank(pct=True).to_numpy()  # the share of customers who spent as much or less
    next_order = scores["expected_next_order"].to_numpy(dtype="datetime64[D]")
    soon = np.datetime64(settings.as_of, "D") + np.timedelta64(settings.contact_lead_days, "D")
    contact = plan == CONTACT
    said[contact & (active >= DUE_FROM) & ~np.isnat(next_order) & (next_order <= soon)] = DUE
    said[contact & (active < settings.slipping_below) & (value > 1 - VALUABLE_SHARE)] = SLIPPING
    paid = rules["cost"].astype(float) > 0
    said[contact & paid & (active < NOT_WORTH_BELOW) & (value <= LOW_VALUE_SHARE)] = NOT_WORTH
    return said


def _outlook_reasons(text: np.ndarray, outlook: np.ndarray, scores: pd.DataFrame, settings: Settings) -> np.ndarray:
    """The reasons with what the forecast says put first, where it says something."""
    said = outlook != ""
    chance = scores["p_active"].to_numpy(dtype=float)
    active = np.full(len(text), "", dtype=object)
    active[said] = [f"{p:.0%}" for p in chance[said]]
    next_order = np.full(len(text), "", dtype=object)
    next_order[said] = pd.Series(scores["expected_next_order"].to_numpy()[said]).dt.strftime("%Y-%m-%d").fillna(
        "").to_numpy(dtype=object)
    text = text.copy()
    due, slipping, not_worth = outlook == DUE, outlook == SLIPPING, outlook == NOT_WORTH
    text[due] = ("due: likely still buying (P(Active) " + active[due] + "), next order expected by "
                 + next_order[due] + "; " + text[due])
    text[slipping] = ("slipping away, act now: a valuable customer whose chance of buying again is "
                      + active[slipping] + f" (below {settings.slipping_below:.0%}); " + text[slipping])
    text[not_worth] = ("not worth a paid contact: unlikely to buy again (P(Active) " + active[not_worth]
                       + ") and among the lowest spenders")
    return text


def _next_purchase(when: pd.DataFrame, as_of: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """When each customer is next expected to buy, and whether their usual month says so.

    The expected day is the start of the customer's usual month (the as-of date when it is the
    as-of date's month) or their next due order, whichever comes first; NaT when neither is known.
    """
    due = when["next_due"].to_numpy(dtype="datetime64[D]")
    usual = when["usual_month"].fillna(0).to_numpy(dtype=int)
    month_start = np.array([np.datetime64(dt.date(as_of.year + (m < as_of.month), m, 1), "D") if m else
                            np.datetime64("NaT") for m in range(13)])  # the next start of each month
    month_start[as_of.month] = np.datetime64(as_of, "D")
    in_month = month_start[usual]
    by_month = ~np.isnat(in_month) & (np.isnat(due) | (in_month <= due))
    return np.fmin(in_month, due), by_month


def _days(count: np.ndarray) -> np.ndarray:
    """'1 day', '2 days'... for whole numbers (NaN counts as 0), as an array of text."""
    count = np.nan_to_num(np.asarray(count, dtype=float)).astype(np.int64)
    low = count.min(initial=0)
    texts = np.array([f"{n:,} day" if n == 1 else f"{n:,} days" for n in range(low, count.max(initial=0) + 1)],
                     dtype=object)
    return texts[count - low]


def _reasons(segment, rules: SegmentRules, recency, frequency, plan, gap, usual, by_month, overdue,
             settings: Settings) -> np.ndarray:
    """Why each customer is in their plan, in the owner's words. Later rules below win over earlier ones."""
    left_out = plan == LEFT_OUT
    marked = left_out & rules["do_not_contact"].astype(bool)
    names = ["marked", "left out", "control", "by month", "regular", "once", "one day"]
    rule = np.select([marked, left_out, plan == CONTROL, by_month, ~np.isnan(gap), frequency == 1],
                     range(6), 6)
    text = np.empty(len(rule), dtype=object)

    def ago(rows: np.ndarray) -> np.ndarray:
        return "last order " + _days(recency[rows]) + " ago"

    for number, name in enumerate(names):  # each customer's text made once, by the rule that wins for them
        rows = rule == number
        if name == "one day":
            text[rows] = ago(rows) + ", all orders on one day"
        elif name == "once":
            text[rows] = "bought once, " + _days(recency[rows]) + " ago"
        elif name == "regular":
            late = np.where(overdue[rows] > 0, " (" + _days(overdue[rows]) + " overdue)", "")
            text[rows] = ago(rows) + ", usually orders every " + _days(gap[rows]) + late
        elif name == "by month":
            text[rows] = ago(rows) + ", usually orders in " + MONTHS[usual[rows]]
        elif name == "control":
            share = np.array([f"{value:.0%}" for value in rules["holdout"][rows]], dtype=object)
            text[rows] = "held out as control (" + share + " of " + segment[rows] + ")"
        elif name == "left out":
            text[rows] = "bought " + _days(recency[rows]) + f" ago (within {settings.recent_purchase_days} days)"
        else:
            text[rows] = segment[rows] + " is marked Do Not Contact"
    return text


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_PATTERN = "^[=+\\-@\t\r]"  # the same, for Arrow


def neutralise_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose text cells that a spreadsheet would run as a formula (starting with
    =, +, -, @, a tab or a carriage return) begin with an apostrophe instead, so they stay text."""
    safe = table.copy()
    for column in safe.columns[[pd.api.types.is_string_dtype(t) or t == np.dtype(object) for t in safe.dtypes]]:
        text = safe[column]
        try:  # text (and blanks) only: Arrow looks at every value at once
            risky = pc.fill_null(pc.match_substring_regex(pa.array(text, pa.string(), from_pandas=True),
                                                          FORMULA_PATTERN), False).to_numpy(zero_copy_only=False)
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers or dates among the text
            risky = text.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS)).to_numpy(dtype=bool)
        if risky.any():
            safe[column] = text.where(~risky, "'" + text.astype(str))
    return safe
