"""The words the tool says: the run note, the one-line summaries and the campaign notes, in one place so
the sheets, the command line and the button say the same thing in the same words."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..base.reading.plan import COMMA, DELIMITER_NAMES, ReadingPlan
from ..base.settings import BEST_LOWEST, DEFAULT_SEGMENTS, UNMATCHED_SEGMENT, SegmentRule
from ..base.sheet_names import Placement
from ..core import Origin, Result, best_segments
from ..domain import profiles
from ..domain.campaign import CampaignResults
from ..domain.contact import CONTACT, CONTROL, LEFT_OUT
from ..domain.forecast import MODIFIED_NAME, Forecast
from ..domain.products import Offers
from .headers import header
from .issue_words import SUMMARY_PHRASES, notes_said, summary_kinds

NO_DROP_OUT = 1e-3  # a mean chance of dropping out after an order below this: the orders show no one leaving

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
        "RFM Score = " + " + ".join(f"{w:g} × {letter}" for w, letter in zip(weights, "RFM", strict=True))
    return [f"Scored {scored_at:%Y-%m-%d %H:%M} for the as-of date {s.as_of:%Y-%m-%d}: "
            f"{counted(result.customers, 'customer')} from {counted(result.orders, 'order')} "
            f"({result.lines_used:,} of {result.rows_read:,} order rows used; see Data Issues).{origin_note(result)}"
            f"{plan_note(result.reading_plan)}",
            f"Scores: {'; '.join(scales)} ({best}). Frequency and Monetary over {window}. {weighting}."] + \
        ([f"Only orders where {s.filter_column} is {' or '.join(s.filter_values)} were scored (Settings: Score only "
          "orders where); Score History keeps these snapshots apart from those of all orders."]
         if s.filter_column else [])


def origin_note(result: Result) -> str:
    """Where the orders came from, when a door says so (a sentence to follow the run note's first): the file,
    how it was read, the dates, and, when the lines were more than a sheet holds, that the workbook has no
    Orders sheet."""
    origin = result.origin
    if origin is None:
        return ""
    how = f" ({read_as})" if (read_as := source_read_as(origin)) and read_as != origin.name else ""
    dates = f", dated {result.first_date:%Y-%m-%d} to {result.last_date:%Y-%m-%d}" if result.first_date else ""
    if origin.in_workbook:
        return f" Orders: {counted(origin.lines, 'line')} from {origin.name}{how}{dates}, copied into the Orders sheet."
    several = len(result.unused_columns) > 1
    unused = (f" The {' and '.join(result.unused_columns)} column{'s were' if several else ' was'} not used: offers, "
              "returns and complaints need the lines of an order history that fits on a sheet (docs/big-data.md)."
              if result.unused_columns else "")
    return (f" Orders: {counted(origin.lines, 'line')} from {origin.name}{how}{dates}: more than a sheet holds, so "
            f"this workbook has no Orders sheet; score {origin.name} again to update it.{unused}")


ENCODING_NAMES = {"utf-8": "UTF-8 text", "utf-8-sig": "UTF-8 text (with a byte order mark)",
                  "utf-16": "UTF-16 text", "cp1252": "Windows-1252 text"}


def source_read_as(origin: Origin) -> str:
    """How the orders' source was read, in a few words: 'UTF-8 text, comma-separated', '12 files, 2024-01.csv
    to 2024-12.csv', 'Parquet'; "" where there is nothing to say.

    >>> source_read_as(Origin("orders.csv", encoding="utf-16", delimiter=";"))
    'UTF-16 text, semicolon-separated'
    >>> source_read_as(Origin("orders/*.parquet", files=("2024-01.parquet", "2024-02.parquet"), parquet=True))
    '2 Parquet files, 2024-01.parquet to 2024-02.parquet'
    """
    if origin.engine == "spark":
        return "Parquet, read by Spark and cleaned on this machine" if origin.brought else "Parquet, read by Spark"
    if len(origin.files) > 1:
        return f"{len(origin.files)} {'Parquet files' if origin.parquet else 'files'}, {origin.files[0]} to " \
               f"{origin.files[-1]}"
    if origin.files:
        return origin.files[0]
    if origin.parquet:
        return "Parquet"
    if origin.encoding and origin.delimiter:
        return f"{ENCODING_NAMES.get(origin.encoding, f'{origin.encoding} text')}, " \
               f"{DELIMITER_NAMES[origin.delimiter]}-separated"
    return ""


def plan_note(plan: ReadingPlan | None) -> str:
    """What the reading plan decided that a plain sheet of orders would not (a sentence to follow the run note's
    first): the header row below title lines, an export layout, decimal commas, the order of day and month.

    >>> from rfm_excel.base.reading.plan import plan_reading
    >>> top = pd.DataFrame([["Customer", "Date", "Total"], ["C1", "05/03/2024", "12,50"]])
    >>> plan = plan_reading(["Payments report", None, None], top)
    >>> plan_note(plan.decided({"Total": ","}, True))
    ' Read with the header row on row 2 (1 title line above it left out), a decimal comma in Total, day/month dates.'
    """
    if plan is None:
        return ""
    parts = [f"the header row on row {plan.first_row - 1} ({counted(plan.title_rows, 'title line')} above it left "
             "out)"] if plan.title_rows else []
    if plan.layout is not None:
        parts.append(f"the rules of {plan.layout.name} (docs/exports.md)")
    commas = [header for header, mark in plan.marks.items() if mark == COMMA]
    if commas:
        parts.append(f"a decimal comma in {' and '.join(commas)}")
    if plan.day_first is not None:
        parts.append(f"{'day/month' if plan.day_first else 'month/day'} dates")
    return f" Read with {', '.join(parts)}." if parts else ""


def counted(number: int, noun: str) -> str:
    """'1 customer', '2,000 customers'."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def rows_summary(result: Result) -> str:
    """One line accounting for every row read: used, skipped (and why), and what else was done."""
    table = result.issues
    kinds, skipped = summary_kinds(table)
    line = f"{result.rows_read:,} order rows read, {result.lines_used:,} used"
    if skipped.any():
        reasons = pd.Series(kinds[skipped]).value_counts()
        line += f", {skipped.sum():,} skipped (" + ", ".join(f"{n:,} {why}" for why, n in reasons.items()) + ")"
    done = [f"{count:,} {phrase}" for phrase in SUMMARY_PHRASES
            if (count := (kinds[~skipped] == phrase).sum())]
    return " ".join([line + ("; " + ", ".join(done) if done else "") + ".", *notes_said(table)])


def issue_totals(issues: pd.DataFrame) -> pd.DataFrame:
    """Per kind of issue, how many rows and how much money they carried: the rows skipped, most first, then
    what was done, in the order of the one-line summary (notes without a row are left out).

    Examples
    --------
    >>> from rfm_excel.base.reading.issues import issue_rows, merged_issues, note_row
    >>> issues = merged_issues(issue_rows("no_customer", [2, 4], "Customer", "", [10.0, 2.5]),
    ...                        issue_rows("no_date", [3], "Date", "x", [5.0]),
    ...                        note_row("zones", "Date", sample="2024-03-05 10:00 PDT"))
    >>> issue_totals(issues)
                             Rows  Amount
    Skipped: no customer ID     2    12.5
    Skipped: not a date         1     5.0
    """
    kinds, skipped = summary_kinds(issues)
    kind, names = pd.factorize(kinds)  # -1 for a note without a row
    key = np.where(kind >= 0, kind * 2 + skipped, -1)
    amount = issues["amount"].to_numpy(dtype=float)
    known = (key >= 0) & ~np.isnan(amount)
    groups = 2 * len(names)
    rows = np.bincount(key[key >= 0], minlength=groups)
    money = np.where(np.bincount(key[known], minlength=groups) > 0,
                     np.bincount(key[known], weights=amount[known], minlength=groups), np.nan)
    phrases = list(SUMMARY_PHRASES)
    present = [k for k in range(groups) if rows[k]]
    first = sorted((k for k in present if k % 2), key=lambda k: (-rows[k], k))
    then = sorted((k for k in present if not k % 2),
                  key=lambda k: (phrases.index(names[k // 2]) if names[k // 2] in phrases else len(phrases), k))
    labels = [f"Skipped: {names[k // 2]}" for k in first] + [names[k // 2][0].upper() + names[k // 2][1:] for k in then]
    return pd.DataFrame({"Rows": rows[first + then].astype(int), "Amount": money[first + then]},
                        index=pd.Index(labels, dtype=object))


def overflow_note(sheet: str, overflow) -> str:
    """What of a table too big for its sheet was left out, and where the whole of it is (layout Overflow)."""
    rows, columns = overflow.table.shape
    left_out = ([f"its last {overflow.rows:,} of {rows:,} rows"] if overflow.rows else []) + \
        ([f"its oldest {overflow.columns:,} of {columns - 1:,} snapshot columns"] if overflow.columns else [])
    return (f"{sheet} is bigger than an Excel sheet can hold, so {' and '.join(left_out)} are left out of the "
            f"sheet; the whole table is in {overflow.file}.")


def summary(result: Result) -> str:
    """Two lines for a terminal or a status bar."""
    return (f"{rows_summary(result)}\n{counted(result.customers, 'customer')} scored from "
            f"{counted(result.orders, 'order')} as of {result.as_of:%Y-%m-%d}.")


def segment_lines(result: Result) -> list[str]:
    """The segments with customers, as a terminal shows them: name, customers and share of revenue."""
    segments = result.segments[result.segments["customers"] > 0]
    width = max(len(s) for s in segments["segment"])
    lines = [f"{header('segment'):<{width}}  {header('customers')}  Revenue share"]
    for name, customers, share in segments[["segment", "customers", "revenue_percent"]].itertuples(index=False):
        lines.append(f"{name:<{width}}  {customers:>9,}  {share:>12.1%}")
    return lines


def plan_summary(plan: pd.DataFrame, currency_symbol: str = "") -> str:
    """One line: how many to contact, at what cost, by channel; how many held out and left out."""
    contact = plan[plan["plan"] == CONTACT]
    channels = ", ".join(f"{n:,} by {str(channel).lower()}"
                         for channel, n in contact["channel"].value_counts().items())
    left_out = plan[plan["plan"] == LEFT_OUT]
    marked = int(left_out["reason"].str.endswith("Do Not Contact").sum())
    return (f"{counted(len(contact), 'customer')} to contact ({channels or 'none'}), costing "
            f"{money(contact['cost'].sum(), currency_symbol)}; {(plan['plan'] == CONTROL).sum():,} held out as "
            f"control; {len(left_out):,} left out ({len(left_out) - marked:,} bought recently, {marked:,} in "
            "segments marked Do Not Contact).")


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
        return [*notes, f"No customer had bought by {sent:%Y-%m-%d}."]
    if outcome.days_passed < days:
        notes.append(f"Only {outcome.days_passed} of the {days} days had passed by the as-of date "
                     f"{as_of:%Y-%m-%d}: responses are still coming in.")
    if not (outcome.table["control_customers"] > 0).any():
        notes.append("Nobody was held out: give segments a Holdout % in Settings before the next campaign.")
    return notes


def forecast_notes(outlook: Forecast) -> list[str]:
    """The sentences of the Forecast sheet: what was fitted, how well it predicted, what the figures mean."""
    if outlook.reason is not None:  # no forecast
        return [f"No forecast this time: {outlook.reason[0].lower()}{outlook.reason[1:]}",
                "Everything else in the workbook is worked out as usual; the forecast appears once the orders "
                "allow it."]
    discount = (f", money expected later discounted at {outlook.monthly_discount_rate:.1%} a month"
                if outlook.monthly_discount_rate else "")
    lines = [f"Fitted on the orders up to {outlook.as_of:%Y-%m-%d} of {counted(outlook.customers_used, 'customer')} "
             f"({outlook.repeat_buyers:,} bought again on another day), with the {outlook.model} model (Settings: "
             f"Forecast model); Expected Orders and Predicted Value cover the next {outlook.horizon_days:,} days"
             f"{discount}."]
    check = outlook.holdout
    if check is None:
        assert outlook.holdout_reason is not None  # it says why there is no check
        lines.append(f"No check of the fit: {outlook.holdout_reason[0].lower()}{outlook.holdout_reason[1:]}")
    else:
        other = next(name for name in check.predicted if name != outlook.model)
        lines.append(f"Check: fitted again on the orders up to {check.calibration_end:%Y-%m-%d} only, the model "
                     f"predicted {check.predicted[outlook.model]:,.0f} repeat orders in the "
                     f"{check.holdout_days:,} days "
                     f"after; {check.actual:,} happened ({other} predicted {check.predicted[other]:,.0f}). The table "
                     "below compares them by how many repeat orders customers had placed before.")
    model = outlook.modified_bgnbd if outlook.model == MODIFIED_NAME else outlook.bgnbd
    if model is not None and model.a / (model.a + model.b) < NO_DROP_OUT:
        lines.append("These orders show no sign yet of customers leaving for good (the fitted chance of dropping out "
                     "after an order is close to 0), so P(Active) is near 100% for everyone and Expected Orders "
                     "assume all keep buying at their pace; a longer history tells more. Until then, judge a quiet "
                     "customer by Days Overdue in the Contact Plan.")
    return [
        *lines,
        "P(Active) is the chance a customer still buys from you: high for those who buy regularly and recently, "
        "falling the longer a customer is quieter than usual. Use it to tell a quiet spell from a customer lost.",
        "Expected Orders and Predicted Value say what a customer is likely to buy in the horizon: contact the most "
        "valuable first, and spend on a customer no more than they are likely to bring.",
        "Expected Next Order is when a customer who is still active most likely orders next (blank below 20% "
        "P(Active))."]


def products_notes(offers: Offers) -> list[str]:
    """The sentences of the Products sheet: what was counted, how the offers did on the hold-out check."""
    check = offers.holdout
    offered, baseline = check.loc["Next best product"], check.loc["Best seller"]
    assert isinstance(offered, pd.Series) and isinstance(baseline, pd.Series)  # one row each
    people = int(offered["customers_checked"])
    lines = [f"{counted(offers.products, 'product')} bought; {counted(offers.pairs, 'pair')} of products bought by "
             f"the same {offers.min_support:,} or more customers (Settings: Bought together: at least). The Contact "
             "Plan's Offer is each customer's next best product: the one most often bought with a product of theirs, "
             "else a best seller of their segment."]
    if people:
        lines.append(
            f"Check: hiding each repeat buyer's last order and offering from what they had bought before, the next "
            f"best product was in that order for {int(offered['hits_at_1']):,} of {people:,} customers "
            f"({offered['hit_rate_at_1']:.1%}), and one of their top 5 for {int(offered['hits_at_5']):,} "
            f"({offered['hit_rate_at_5']:.1%}); offering the best seller they had not bought instead: "
            f"{int(baseline['hits_at_1']):,} ({baseline['hit_rate_at_1']:.1%}) and {int(baseline['hits_at_5']):,} "
            f"({baseline['hit_rate_at_5']:.1%}).")
    return [*lines, "Lift: how many times more often the pair is bought together than if the two were bought "
                    "independently; above 1 means they go together."]


MEANINGS = {  # the default segments, as an owner would put them
    "Champions": "Bought recently and often, and spend the most.",
    "Loyal": "Buy often and not long ago: your regulars.",
    "Potential Loyalist": "Bought recently, a few times: could become regulars.",
    "New Customers": "Bought for the first time, very recently.",
    "Promising": "Bought recently, but only once.",
    "Need Attention": "Bought a while ago, a few times: slipping away.",
    "About to Sleep": "Last bought a while ago, and not often: going quiet.",
    "Can't Lose Them": "Used to buy often and spend the most, but not for a long time.",
    "At Risk": "Used to buy often, but not for a long time.",
    "Hibernating": "Last bought some time ago, and rarely.",
    "Lost": "Bought once or twice, very long ago.",
}
_DEFAULT_LIMITS = {rule.name: rule for rule in DEFAULT_SEGMENTS}
RECENCY_WORDS = {(5, 5): "very recently", (4, 5): "recently", (4, 4): "recently", (3, 5): "fairly recently",
                 (3, 4): "fairly recently", (3, 3): "a while ago", (2, 3): "not recently", (1, 3): "not recently",
                 (2, 2): "some time ago", (1, 2): "long ago", (1, 1): "very long ago"}
FREQUENCY_WORDS = {(4, 5): "often", (5, 5): "very often", (4, 4): "often", (3, 5): "several times",
                   (3, 4): "several times", (3, 3): "a few times", (2, 3): "a few times", (2, 2): "twice",
                   (1, 3): "a few times at most", (1, 2): "once or twice", (1, 1): "only once"}
MONETARY_WORDS = {(4, 5): "spend the most", (5, 5): "spend the most", (4, 4): "spend a lot",
                  (3, 5): "spend more than most", (3, 4): "spend more than most", (3, 3): "spend a middling amount",
                  (2, 3): "spend less than most", (1, 3): "spend less than most", (2, 2): "spend little",
                  (1, 2): "spend little", (1, 1): "spend the least"}


def segment_meaning(rule: SegmentRule) -> str:
    """One plain sentence of what a segment's limits mean (5 is best on each 1-5 scale).

    >>> segment_meaning(SegmentRule("Big spenders", 1, 5, 1, 5, 4, 5))
    'Spend the most.'
    >>> segment_meaning(SegmentRule("Regulars", 3, 5, 4, 5, 1, 5))
    'Bought fairly recently and often.'
    >>> segment_meaning(SegmentRule("Loyal Customers", 2, 4, 2, 4, 2, 4))  # the R rfm package's rule
    'Recency, Frequency and Monetary scores each 2 to 4 (5 is best).'
    >>> segment_meaning(SegmentRule("Mixed", 4, 5, 2, 4, 1, 5))
    'Bought recently; Frequency score 2 to 4 (5 is best).'
    """
    default = _DEFAULT_LIMITS.get(rule.name)
    if default is not None and (rule.r_min, rule.r_max, rule.f_min, rule.f_max, rule.m_min, rule.m_max) == (
            default.r_min, default.r_max, default.f_min, default.f_max, default.m_min, default.m_max):
        return MEANINGS[rule.name]
    when = RECENCY_WORDS.get((rule.r_min, rule.r_max))
    how_often = FREQUENCY_WORDS.get((rule.f_min, rule.f_max))
    spend = MONETARY_WORDS.get((rule.m_min, rule.m_max))
    if when and how_often:
        bought = f"bought {how_often}, {when}" if rule.f_max <= 2 else f"bought {when} and {how_often}"
    else:
        bought = f"bought {when or how_often}" if when or how_often else ""
    sentence = f"{bought}, and {spend}" if bought and spend else bought or spend
    unworded = [(name, limits) for name, limits, words in (
        ("Recency", (rule.r_min, rule.r_max), when), ("Frequency", (rule.f_min, rule.f_max), how_often),
        ("Monetary", (rule.m_min, rule.m_max), spend)) if not words and limits != (1, 5)]
    if unworded:  # limits the word tables have no words for, said as scores
        ranges = {f"{low} to {high}" if low < high else f"{low}" for _, (low, high) in unworded}
        names = [name for name, _ in unworded]
        named = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        scores = f"{named} score{'s each' if len(names) > 1 else ''} {ranges.pop()}" if len(ranges) == 1 else \
            ", ".join(f"{name} score {low} to {high}" if low < high else f"{name} score {low}"
                      for name, (low, high) in unworded)
        sentence = f"{sentence}; {scores}" if sentence else scores
        sentence += " (5 is best)"
    return f"{sentence[0].upper()}{sentence[1:]}." if sentence else "Any customer the rows above do not take."


def segment_meanings(rules: tuple[SegmentRule, ...], names) -> list[str]:
    """What each named segment means, by the first rule of that name; Unclassified explained."""
    first: dict[str, SegmentRule] = {}
    for rule in rules:
        first.setdefault(rule.name, rule)
    return [segment_meaning(first[name]) if name in first else
            "Matched no row of the segment table in Settings." if name == UNMATCHED_SEGMENT else "" for name in names]


def money(amount: float, currency_symbol: str = "") -> str:
    """'£1,234.50'; a negative amount as '-£12.00'."""
    return f"{'-' if amount < 0 else ''}{currency_symbol}{abs(amount):,.2f}"


def start_here_news(result: Result, scored_at: dt.datetime) -> list[str]:
    """Start Here after a run: when and on what it was scored, then the headline in two lines (the customers
    and their segments; whom to contact this week and what they have spent)."""
    scored = (f"Scored {scored_at:%Y-%m-%d %H:%M} for the as-of date {result.as_of:%Y-%m-%d}, from the "
              f"{result.source} sheet: {result.lines_used:,} of {result.rows_read:,} order rows used.")
    if result.source.lower().endswith(".csv"):
        scored = scored.replace(f"the {result.source} sheet", result.source)
    sizes = result.segments[result.segments["customers"] > 0]
    largest = sizes.sort_values("customers", ascending=False, kind="stable").iloc[0]
    who = (f"{counted(result.customers, 'customer')} in {counted(len(sizes), 'segment')}; the largest is "
           f"{largest['segment']} ({largest['customers']:,}).")
    week_end = pd.Timestamp(result.as_of) + pd.Timedelta(days=6)
    plan = result.plan
    due = plan[(plan["plan"] == CONTACT) & (plan["contact_on"] <= week_end)]
    if due.empty:
        contact = "Nobody to contact this week; the Contact Plan gives the next dates."
    else:
        ids = pa.array(result.scores["customer_id"])  # IDs are texts; Arrow matches millions of them fast
        where = pc.index_in(pa.array(due["customer_id"]).cast(ids.type), value_set=ids)
        spent = result.scores["monetary"].to_numpy()[where.to_numpy(zero_copy_only=False)].sum()
        contact = (f"{counted(len(due), 'customer')} to contact this week (by {week_end:%Y-%m-%d}): together they "
                   f"have spent {money(spent, result.currency_symbol)} with you.")
    return [scored, who, contact]


def start_here_links(result: Result) -> list[tuple[str, str]]:
    """The sheets Start Here links to after a run, each with a few words of what it holds."""
    left_out = result.rows_read - result.lines_used
    issues = f"all {result.rows_read:,} order rows used" if not left_out else \
        f"{left_out:,} of {result.rows_read:,} order rows left out, and why"
    return [("Segments", "what each group means, what it is worth and what to offer it"),
            ("Contact Plan", "whom to contact, when, how and why"), ("Data Issues", issues)]


def taken_note(placement: Placement, sheets: list[str]) -> str:
    """What the owner reads when sheets of theirs have the names of ``sheets`` (the tool's, by default name),
    so the tool's have other names; "" when none has."""
    taken = [sheet for sheet in sheets if sheet in placement.taken]
    if not taken:
        return ""
    if len(taken) == 1:
        return (f"You have a sheet of your own named {taken[0]}, so the tool's is {placement[taken[0]]}; yours is "
                "not touched.")
    return (f"You have sheets of your own named {_listed(taken)}, so the tool's are "
            f"{_listed([placement[sheet] for sheet in taken])}; yours are not touched.")


def _listed(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1]


# ---------------------------------------------------------------- Customer Profile and Prospect Scores


def _best_names(settings) -> str:
    """The best customers' segments in words: "Champions and Loyal"."""
    names = best_segments(settings) or list(settings.best_segments)
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0] if names else "none"


def _unknown_segments(settings) -> list[str]:
    """A sentence when Settings' best segments are not in the segment table."""
    unknown = [name for name in settings.best_segments if name not in best_segments(settings)]
    if not unknown:
        return []
    return [f"Settings name {', '.join(unknown)} among the best customers' segments (Best customers are), but the "
            f"segment table has no such segment; name the segments whose customers are your best."]


def check_words(found: profiles.Profile) -> str:
    """The check's figures in a sentence, or why there is none."""
    names = " and ".join(found.attributes)
    if not found.attributes:
        return ("The orders and the customers table have no column describing customers (such as Country, Channel or "
                "Industry), so there is no profile and prospects are not scored; add one, or name it in Settings "
                "(Profile columns).")
    if found.check is None:
        return (f"Too few best customers ({found.best:,} of {found.customers:,}) to check whether {names} tell them "
                "apart, so prospects are not scored.")
    figures = (f"Does it work? Predicting from {names} alone which customers are best, each checked on customers "
               f"left out of the fit ({found.check.folds}-fold cross-validation): AUC {found.check.auc:.2f} (0.5 is "
               f"chance, 1 is perfect); the tenth scored highest hold {found.check.lift:.1f} times the average share "
               "of best customers (top-decile lift).")
    if found.trusted:
        return figures + " Good enough to rank prospects by, though not to be sure of any one."
    return figures + (f" That is no better than chance (AUC below {profiles.CHANCE_BELOW}): do not trust scores from "
                      f"these attributes, and prospects are not scored.")


def profile_notes(found: profiles.Profile, settings) -> list[str]:
    """The lines on top of Customer Profile."""
    share = found.best / found.customers if found.customers else 0.0
    return [f"Your best customers ({_best_names(settings)}: {found.best:,} of {found.customers:,} customers, "
            f"{share:.0%}) compared with all. An index of 150 means a value is 1.5 times as common among your best "
            "customers as among all of them; 100 is average, 50 half as common.",
            f"Index is smoothed towards 100 for values held by few customers (as if {profiles.M_ESTIMATE} average "
            f"customers were added to each); values held by fewer than {settings.profile_min_customers} customers are "
            f"marked few customers (Settings: Profile: at least), and values of fewer than {profiles.POOL_BELOW} "
            f"customers are pooled as {profiles.OTHER}. Each customer counts with their latest value.",
            *_unknown_segments(settings), check_words(found)]


def prospect_notes(found: profiles.Profile, settings, count: int) -> list[str]:
    """The lines on top of Prospect Scores."""
    if not found.trusted:
        return [f"{counted(count, 'prospect')}, not scored.", *_unknown_segments(settings), check_words(found)]
    share = found.best / found.customers
    return [f"{counted(count, 'prospect')}, highest score first, scored by how much they "
            f"look like your best customers ({_best_names(settings)}) in {' and '.join(found.attributes)}.",
            f"Score: the chance, in %, that a customer with these values is among the best (naive Bayes); among your "
            f"customers it is {share:.0%}. Tier A: at least {profiles.TIER_A / 100:g} times that; B: at least that; "
            "C: less.",
            "Reasons: the values that weigh most, with their index on Customer Profile; a value never seen among your "
            "customers counts for nothing.", check_words(found)]


def reasons_text(reasons: pd.DataFrame, rows) -> list[str | None]:
    """Per prospect row, its reasons in words: "Country NL: index 210; Channel Referral: index 180"."""
    said = reasons.assign(text=reasons["attribute"] + " " + reasons["value"] + ": index "
                          + reasons["index"].round().astype(int).astype(str)).groupby("prospect")["text"] \
        .agg("; ".join)
    return [said.get(row) for row in rows]


def audience_notes(sizes: list[tuple[str, str, int, int | None]]) -> list[str]:
    """The audiences run note: each file's size against its platform's published minimum, and the privacy
    sentence. ``sizes``: (file name, platform title, rows, minimum)."""
    lines = []
    for name, title, rows, minimum in sizes:
        against = "" if minimum is None else \
            f" ({title} asks for at least {minimum:,}{'' if rows >= minimum else ': too few to use yet'})"
        lines.append(f"{name}: {counted(rows, 'customer')}{against}")
    lines.append("Hashing is pseudonymisation, not anonymisation: these files are still personal data. Upload them "
                 "only where your customers have agreed to it, and delete them once uploaded.")
    return lines
