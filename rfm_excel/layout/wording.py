"""The words the tool says: the run note, the one-line summaries and the campaign notes, in one place so
the sheets, the command line and the button say the same thing in the same words."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..base.settings import BEST_LOWEST
from ..core import Result
from ..domain.campaign import CampaignResults
from ..domain.contact import CONTACT, CONTROL, LEFT_OUT

SUMMARY_PHRASES = {  # issue Action -> how the summary counts it
    "repaired": "values repaired", "counted as a return": "cancelled invoices counted as returns",
    "netted": "returns and refunds netted", "merged": "ID spellings merged",
    "not counted as a purchase": "orders worth nothing", "customer not scored": "customers with no purchase (only returns)"}
LEVEL_NAMES = {2: "halves", 3: "thirds", 4: "quarters", 5: "fifths", 6: "sixths", 7: "sevenths", 8: "eighths",
               9: "ninths"}


def run_note(result: Result, scored_at: dt.datetime) -> list[str]:
    """What this run used, in plain words, a line each."""
    s = result.settings
    best = "1 is best" if s.best_score == BEST_LOWEST else "higher is better"
    scales = []
    for name, dimension in (("Recency", "recency"), ("Frequency", "frequency"), ("Monetary", "monetary")):
        limits = getattr(s, dimension + "_breakpoints")
        scales.append(f"{name} by fixed limits {', '.join(f'{b:g}' for b in limits)}" if limits else
                      f"{name} 1-{s.bins(dimension)} by {LEVEL_NAMES[s.bins(dimension)]} of customers")
    if all(scale.split(" ", 1)[1] == scales[0].split(" ", 1)[1] for scale in scales):
        scales = ["R, F and M each " + scales[0].split(" ", 1)[1]]
    window = f"the last {s.window_months} months" if s.window_months else "all history"
    weights = (s.recency_weight, s.frequency_weight, s.monetary_weight)
    weighting = "R, F and M count equally in the RFM Score" if len(set(weights)) == 1 else \
        "RFM Score = " + " + ".join(f"{w:g} × {letter}" for w, letter in zip(weights, "RFM"))
    return [f"Scored {scored_at:%Y-%m-%d %H:%M} for the as-of date {s.as_of:%Y-%m-%d}: "
            f"{counted(result.customers, 'customer')} from {counted(result.orders, 'order')} "
            f"({result.lines_used:,} of {result.rows_read:,} order rows used; see Data Issues).",
            f"Scores: {'; '.join(scales)} ({best}). Frequency and Monetary over {window}. {weighting}."]



def counted(number: int, noun: str) -> str:
    """'1 customer', '2,000 customers'."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def rows_summary(result: Result) -> str:
    """One line accounting for every row read: used, skipped (and why), and what else was done."""
    table = result.issues
    line = f"{result.rows_read:,} order rows read, {result.lines_used:,} used"
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


def summary(result: Result) -> str:
    """Two lines for a terminal or a status bar."""
    return (f"{rows_summary(result)}\n{counted(result.customers, 'customer')} scored from "
            f"{counted(result.orders, 'order')} as of {result.as_of:%Y-%m-%d}.")


def plan_summary(plan: pd.DataFrame, currency_symbol: str = "") -> str:
    """One line: how many to contact, at what cost, by channel; how many held out and left out."""
    contact = plan[plan["Plan"] == CONTACT]
    channels = ", ".join(f"{n:,} by {channel.lower()}" for channel, n in contact["Channel"].value_counts().items())
    left_out = plan[plan["Plan"] == LEFT_OUT]
    marked = int(left_out["Reason"].str.endswith("Do Not Contact").sum())
    return (f"{counted(len(contact), 'customer')} to contact ({channels or 'none'}), costing "
            f"{currency_symbol}{contact['Cost'].sum():,.2f}; {(plan['Plan'] == CONTROL).sum():,} held out as "
            f"control; {len(left_out):,} left out ({len(left_out) - marked:,} bought recently, {marked:,} in "
            "segments marked Do Not Contact).")


def customers(count: int) -> str:
    return f"{count:,} customer{'' if count == 1 else 's'}"



def campaign_notes(outcome: CampaignResults, as_of: dt.date) -> list[str]:
    """The sentences above the Campaign Results table: what was measured, how to read it, and what is missing."""
    sent, days = outcome.sent, outcome.response_days
    window = f"orders from {sent + dt.timedelta(days=1):%Y-%m-%d} to {sent + dt.timedelta(days=days):%Y-%m-%d}"
    notes = [f"Campaign of {sent:%Y-%m-%d}: Test = customers the Contact Plan had to contact on that date, Control = "
             f"those it held out. A response is a purchase among the {window} ({days} days).",
             "Difference = test rate − control rate, with its 95% interval (normal approximation); an interval "
             "that includes 0 means the campaign's effect cannot be told from chance. With fewer than about 5 "
             "responders (or non-responders) in a group the interval is only rough."]
    if outcome.table.empty:
        return notes + [f"No customer had bought by {sent:%Y-%m-%d}."]
    if outcome.days_passed < days:
        notes.append(f"Only {outcome.days_passed} of the {days} days had passed by the as-of date "
                     f"{as_of:%Y-%m-%d}: responses are still coming in.")
    if not (outcome.table["Control Customers"] > 0).any():
        notes.append("Nobody was held out: give segments a Holdout % in Settings before the next campaign.")
    return notes
