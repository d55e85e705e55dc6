"""Who the best customers are, and which prospects look like them.

Customer attributes are columns that describe the customer rather than the order (Country, Channel,
Industry...): each customer takes their latest non-blank value from the order lines, or the value of an
owner's Customers table. For each attribute value the profile gives the share of best customers and of
all customers that hold it and their ratio, the index (100 = average), smoothed towards 100 for small
counts. Prospects are scored by naive Bayes: the prior log-odds of being a best customer plus each of
their values' weight of evidence; a cross-validated check on the customers themselves says whether the
attributes tell anything at all (docs/prospects.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..base.orders import header_key, id_text

# Canonical attribute -> header spellings (compared as orders' headers are: no case, spaces or punctuation).
ATTRIBUTES = {
    "Country": ["country", "billing country", "shipping country", "ship country", "country code", "country/region",
                "billing country code", "shipping country code"],
    "City": ["city", "town", "billing city", "shipping city"],
    "Region": ["region", "state", "province", "county", "billing province", "billing state", "shipping province",
               "shipping state", "billing region"],
    "Channel": ["channel", "sales channel", "acquisition channel", "order channel"],
    "Source": ["source", "referral source", "referrer", "utm source", "lead source", "referring site"],
    "Industry": ["industry", "sector"],
    "Company Size": ["company size", "employees", "headcount", "size band"],
    "Customer Type": ["customer type", "customer group", "account type"],
    "Language": ["language", "locale"],
    "Age Group": ["age group", "age band"],
    "Gender": ["gender"],
}
# Contact fields -> header spellings. E-mail, phone, names and postcodes identify people and are never
# attributes; City, Region and Country are both (an attribute, and part of an address for the ad platforms).
CONTACTS = {
    "email": ["email", "e-mail", "email address", "e-mail address", "customer email", "billing email"],
    "phone": ["phone", "telephone", "phone number", "mobile", "mobile phone", "tel", "billing phone",
              "shipping phone", "cell"],
    "first_name": ["first name", "firstname", "given name", "forename", "billing first name"],
    "last_name": ["last name", "lastname", "surname", "family name", "billing last name"],
    "name": ["customer name", "name", "full name", "client name", "billing name"],
    "zip": ["zip", "zip code", "zipcode", "postcode", "post code", "postal code", "billing zip", "billing postcode",
            "billing postal code", "shipping zip", "shipping postcode"],
    "city": ATTRIBUTES["City"],
    "state": ATTRIBUTES["Region"],
    "country": ATTRIBUTES["Country"],
}
NEVER_ATTRIBUTES = {header_key(s) for field in ("email", "phone", "first_name", "last_name", "name", "zip")
                    for s in CONTACTS[field]} | {header_key(s) for s in ("address", "address 1", "address 2",
                                                                             "street", "billing address")}
OTHER = "Other"  # the value rare values are pooled into
POOL_BELOW = 5  # customers: a value held by fewer is pooled into Other
MOST_VALUES = 25  # values shown per attribute; the rest pooled into Other
M_ESTIMATE = 10  # the index is smoothed as if this many average customers were added to every value
FOLDS = 5  # the check's cross-validation
CHANCE_BELOW = 0.55  # a check AUC below this is no better than chance: prospects are not scored
TOP_SHARE = 0.1  # the top decile, for the lift
TIER_A, TIER_B = 150, 100  # index of a prospect's chance of being a best customer, for tiers A and B
REASONS = 3  # values named per prospect
CHECK_SEED = 23  # the check's folds are drawn with this seed, so a rerun gives the same figures
PROFILE_COLUMNS = ["attribute", "value", "customers", "best_customers", "best_share", "all_share",
                   "raw_index", "index", "few"]


def attribute_headers(headers, named: tuple[str, ...] = (), ignored: tuple[str, ...] = ()) -> dict[str, str]:
    """Attribute label -> the header that carries it, among ``headers``.

    ``named`` (Settings: Profile columns) are used as they are, labelled by their own header; otherwise
    the headers that spell a known attribute (ATTRIBUTES), the first for each. ``ignored`` headers, and
    contact columns (e-mail, phone, names, postcodes), are never attributes.

    >>> attribute_headers(["Customer ID", "Billing Country", "Email", "Channel"])
    {'Country': 'Billing Country', 'Channel': 'Channel'}
    """
    left_out = {header_key(h) for h in ignored} | NEVER_ATTRIBUTES
    present = [h for h in headers if h is not None and header_key(h) not in left_out]
    if named:
        by_key = {header_key(h): h for h in present}
        return {str(by_key[header_key(n)]): by_key[header_key(n)] for n in named if header_key(n) in by_key}
    found: dict[str, str] = {}
    for label, spellings in ATTRIBUTES.items():
        keys = {header_key(s) for s in spellings}
        header = next((h for h in present if header_key(h) in keys), None)
        if header is not None:
            found[label] = header
    return found


def matching_header(label: str, headers) -> str | None:
    """The header among ``headers`` (a prospects table's) that carries the attribute ``label``: the same
    header loosely, or a spelling of the same known attribute."""
    keys = {header_key(s) for s in ATTRIBUTES.get(label, [])} | {header_key(label)}
    return next((h for h in headers if h is not None and header_key(h) in keys), None)


def contact_headers(headers) -> dict[str, str]:
    """Contact field -> the header that carries it (the first spelling found)."""
    found: dict[str, str] = {}
    for field, spellings in CONTACTS.items():
        keys = {header_key(s) for s in spellings}
        header = next((h for h in headers if h is not None and header_key(h) in keys), None)
        if header is not None:
            found[field] = header
    return found


def texts(values) -> np.ndarray:
    """Each value as a text (12.0 is "12"), spaces inside collapsed; a blank is None. Each distinct value is
    looked at once."""
    codes, distinct = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    shown = np.array([" ".join(text.split()) if (text := id_text(v)) else None for v in distinct] + [None],
                     dtype=object)
    return shown[codes]  # the sentinel -1 picks the None at the end


def latest_values(keys: np.ndarray, dates: np.ndarray, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per customer key, the latest non-blank value of each column (lines in any order, dated; the later line
    on equal dates)."""
    order = np.argsort(dates, kind="stable")
    key_codes, distinct_keys = pd.factorize(keys[order])
    table = pd.DataFrame(index=pd.Index(distinct_keys, name="customer_id"))
    for name, values in columns.items():
        shown = texts(values[order])
        known = np.flatnonzero(pd.notna(shown))
        owners = key_codes[known][::-1]
        found, first = np.unique(owners, return_index=True)  # the first from the end is the latest
        latest = np.full(len(distinct_keys), None, dtype=object)
        latest[found] = shown[known[::-1][first]]
        table[name] = latest
    return table


# ---------------------------------------------------------------- the profile


def _pooled(values: pd.Series) -> pd.Series:
    """Values as the profile counts them: matched without case, each shown in its most common spelling;
    those held by fewer than POOL_BELOW customers, or beyond the MOST_VALUES commonest, pooled into Other."""
    known = values.dropna()
    if known.empty:
        return values
    folded = known.str.casefold()
    pairs = pd.DataFrame({"folded": folded.to_numpy(dtype=object), "spelled": known.to_numpy(dtype=object)})
    commonest = pairs.value_counts().reset_index().drop_duplicates("folded")  # counts, highest first
    named = folded.map(dict(zip(commonest["folded"], commonest["spelled"], strict=True)))
    counts = named.value_counts()
    keep = set(counts.index[counts >= POOL_BELOW][:MOST_VALUES])
    return values.where(values.isna(), named.where(named.isin(keep), OTHER))


def profile(attributes: pd.DataFrame, best: np.ndarray, min_customers: int = 20) -> pd.DataFrame:
    """For each attribute and value: customers, best customers, their shares, the index and whether
    fewer than ``min_customers`` customers stand behind it.

    ``attributes``: one row per customer, one column per attribute (texts; None where not known);
    ``best``: whether each row is a best customer. Shares are among the customers whose value is known.
    raw_index = best_share / all_share x 100; index is the m-estimate of the value's rate of best
    customers, (best + m x p) / (customers + m) with p the rate among all and m = M_ESTIMATE, divided by
    p, x 100. Sorted by Index, highest first, values with few customers after the others.

    >>> table = profile(pd.DataFrame({"Country": ["NL"] * 10 + ["FR"] * 10}), np.array([True] * 6 + [False] * 14),
    ...                 min_customers=5)
    >>> table[["value", "customers", "best_customers", "raw_index", "index"]].to_dict("records")
    [{'value': 'NL', 'customers': 10, 'best_customers': 6, 'raw_index': 200.0, 'index': 150.0}, \
{'value': 'FR', 'customers': 10, 'best_customers': 0, 'raw_index': 0.0, 'index': 50.0}]
    """
    parts = []
    for label in attributes.columns:
        values = _pooled(attributes[label])
        known = values.notna().to_numpy()
        if not known.any():
            continue
        counts = pd.DataFrame({"value": values[known].to_numpy(), "best": best[known]}).groupby("value")["best"] \
            .agg(["size", "sum"])
        if len(counts) < 2:  # one value for everyone tells nothing
            continue
        customers, best_count = int(known.sum()), int(best[known].sum())
        rate = best_count / customers
        share_best = counts["sum"] / best_count if best_count else counts["sum"] * 0.0
        share_all = counts["size"] / customers
        smoothed = (counts["sum"] + M_ESTIMATE * rate) / (counts["size"] + M_ESTIMATE)
        parts.append(pd.DataFrame({
            "attribute": label, "value": counts.index.astype(str), "customers": counts["size"].astype(int).to_numpy(),
            "best_customers": counts["sum"].astype(int).to_numpy(), "best_share": share_best.to_numpy(),
            "all_share": share_all.to_numpy(),
            "raw_index": (100 * share_best / share_all).to_numpy() if best_count else np.full(len(counts), 100.0),
            "index": (100 * smoothed / rate).to_numpy() if best_count else np.full(len(counts), 100.0),
            "few": (counts["size"] < min_customers).to_numpy()}))
    if not parts:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in PROFILE_COLUMNS})
    table = pd.concat(parts, ignore_index=True)
    table["raw_index"] = table["raw_index"].round(1)
    table["index"] = table["index"].round(1)
    return table.sort_values(["few", "index", "customers"], ascending=[True, False, False], kind="stable",
                             ignore_index=True)


# ---------------------------------------------------------------- naive Bayes weights and scores


@dataclass
class Weights:
    """Naive Bayes: the prior log-odds of being a best customer; per attribute the weight of evidence of each
    (pooled) value, ln(P(value | best) / P(value | not best)) with Laplace smoothing (one customer added to
    every value on both sides); the values seen among the customers (casefolded), and the share of best."""

    prior: float
    values: dict[str, dict[str, float]]
    seen: dict[str, set[str]]
    rate: float


def weights(attributes: pd.DataFrame, best: np.ndarray) -> Weights:
    """The naive Bayes weights of ``attributes`` (one row per customer) for ``best``.

    With K values of an attribute, B best and R other customers whose value is known, a value held by
    b best and r other customers weighs ln((b + 1) / (B + K)) - ln((r + 1) / (R + K)).

    >>> w = weights(pd.DataFrame({"Country": ["NL"] * 10 + ["FR"] * 10}), np.array([True] * 6 + [False] * 14))
    >>> round(w.prior, 4), round(w.values["Country"]["NL"], 4)
    (-0.8473, 1.0296)
    """
    best = np.asarray(best, dtype=bool)
    count, top = len(best), int(best.sum())
    prior = float(np.log(max(top, 0.5) / max(count - top, 0.5)))
    found: dict[str, dict[str, float]] = {}
    seen: dict[str, set[str]] = {}
    for label in attributes.columns:
        values = _pooled(attributes[label])
        known = values.notna().to_numpy()
        if not known.any():
            continue
        seen[label] = set(attributes[label].dropna().str.casefold())
        codes, named = pd.factorize(values[known].to_numpy(dtype=object))
        b = np.bincount(codes[best[known]], minlength=len(named))
        r = np.bincount(codes[~best[known]], minlength=len(named))
        k = len(named)
        woe = np.log((b + 1) / (b.sum() + k)) - np.log((r + 1) / (r.sum() + k))
        found[label] = {str(v): float(w) for v, w in zip(named, woe, strict=True)}
    return Weights(prior, found, seen, top / count if count else 0.0)


def evidence(attributes: pd.DataFrame, fitted: Weights) -> pd.DataFrame:
    """Per row, the weight of evidence of its value of each attribute: the value's own, Other's for a value
    seen among the customers but pooled, and 0 for a blank or a value never seen among the customers."""
    columns = {}
    for label, table in fitted.values.items():
        if label not in attributes:
            columns[label] = np.zeros(len(attributes))
            continue
        by_value = {value.casefold(): weight for value, weight in table.items() if value != OTHER}
        folded = pd.Series(attributes[label].to_numpy(dtype=object), dtype=object).str.casefold()  # blank: NaN
        own = folded.map(by_value).to_numpy(dtype=float)
        seen = folded.isin(fitted.seen.get(label, set())).to_numpy()
        columns[label] = np.where(~np.isnan(own), own, np.where(seen, table.get(OTHER, 0.0), 0.0))
    return pd.DataFrame(columns, index=attributes.index)


def chance(log_odds: np.ndarray) -> np.ndarray:
    """The probability of a log-odds."""
    return 1.0 / (1.0 + np.exp(-log_odds))


# ---------------------------------------------------------------- does it work?


@dataclass
class Check:
    """The cross-validated check: AUC (the chance that a best customer scores above another) and the lift
    of the top decile (its share of best customers over the share among all), on customers left out of the
    fit each time."""

    auc: float
    lift: float
    folds: int = FOLDS

    @property
    def trusted(self) -> bool:
        return self.auc >= CHANCE_BELOW


def auc(scores: np.ndarray, best: np.ndarray) -> float:
    """The area under the ROC curve by ranks (Mann-Whitney), ties counted half.

    >>> auc(np.array([0.9, 0.8, 0.3, 0.3]), np.array([True, False, True, False]))
    0.625
    """
    best = np.asarray(best, dtype=bool)
    positives, negatives = int(best.sum()), int((~best).sum())
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    return float((ranks[best].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def top_lift(scores: np.ndarray, best: np.ndarray, share: float = TOP_SHARE) -> float:
    """The rate of best customers among the top ``share`` of scores over the rate among all; customers tied
    at the cut count in proportion (their group's rate for the places left).

    >>> top_lift(np.array([5.0, 4, 3, 2, 1, 1, 1, 1, 1, 1]), np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0], bool))
    5.0
    """
    best = np.asarray(best, dtype=bool)
    places = max(int(np.ceil(share * len(scores))), 1)
    frame = pd.DataFrame({"score": scores, "best": best}).groupby("score")["best"].agg(["size", "sum"]) \
        .sort_index(ascending=False)
    taken, found = 0, 0.0
    for size, count in zip(frame["size"], frame["sum"], strict=True):
        take = min(size, places - taken)
        found += count * take / size
        taken += take
        if taken >= places:
            break
    return float((found / places) / best.mean())


def check(attributes: pd.DataFrame, best: np.ndarray, folds: int = FOLDS) -> Check | None:
    """Cross-validate naive Bayes on the customers: fit on all folds but one, score the one left out, and
    measure AUC and top-decile lift over all customers so scored. None with fewer than ``folds`` best or
    other customers."""
    best = np.asarray(best, dtype=bool)
    if best.sum() < folds or (~best).sum() < folds:
        return None
    fold = np.random.default_rng(CHECK_SEED).permutation(len(best)) % folds
    log_odds = np.zeros(len(best))
    for held in range(folds):
        out = fold == held
        fitted = weights(attributes[~out].reset_index(drop=True), best[~out])
        log_odds[out] = fitted.prior + evidence(attributes[out].reset_index(drop=True), fitted).sum(axis=1)
    return Check(auc(log_odds, best), top_lift(log_odds, best), folds)


# ---------------------------------------------------------------- prospects, and the whole profile


@dataclass
class Profile:
    """What a run finds about its best customers and its prospects.

    attributes : the attribute columns used, label -> header (empty: none found).
    customers, best : customers with a purchase, and how many of them are in the best segments.
    table : the profile (PROFILE_COLUMNS).
    check : the cross-validated check (None when there are too few best or other customers to make one).
    prospects : the owner's prospects as given (None without any), and ``scores`` beside them when they are
        scored: Score (0-100, the chance of being a best customer), Index (that chance over the share of best
        customers, x 100), Tier; ``reasons`` one row per prospect and value that carries weight.
    """

    attributes: dict[str, str]
    customers: int
    best: int
    table: pd.DataFrame
    check: Check | None
    prospects: pd.DataFrame | None = None
    scores: pd.DataFrame | None = None
    reasons: pd.DataFrame | None = None

    @property
    def trusted(self) -> bool:
        """Whether prospects may be scored: attributes exist and the check is better than chance."""
        return bool(self.attributes) and self.check is not None and self.check.trusted


def score_prospects(prospects: pd.DataFrame, attributes: pd.DataFrame, fitted: Weights,
                    table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each prospect's Score (100 x the naive Bayes chance of being a best customer, rounded), Index (that
    chance over the share of best customers, x 100) and Tier (A from TIER_A, B from TIER_B, else C); and
    their reasons: up to REASONS values with a weight, heaviest first, each spelled as among the customers, with
    its profile index (Other's for a value pooled there).

    ``prospects``' attribute columns are ``attributes`` (same labels as the customers'; None where blank).
    """
    woe = evidence(attributes, fitted)
    log_odds = fitted.prior + woe.sum(axis=1).to_numpy()
    probability = chance(log_odds)
    index = 100 * probability / fitted.rate if fitted.rate else np.full(len(probability), 100.0)
    scores = pd.DataFrame({"score": np.round(100 * probability).astype(int), "index": np.round(index, 1),
                           "tier": np.where(index >= TIER_A, "A", np.where(index >= TIER_B, "B", "C"))},
                          index=prospects.index)
    shown = {(str(attribute), str(value).casefold()): (str(value), float(value_index)) for attribute, value, value_index
             in zip(table["attribute"], table["value"], table["index"], strict=True)}
    other_index = {attribute: value_index for (attribute, value), (_, value_index) in shown.items()
                   if value == OTHER.casefold()}
    records = []
    for label in woe.columns:
        for row, value, weight in zip(prospects.index, attributes[label].to_numpy(dtype=object),
                                      woe[label].to_numpy(), strict=True):
            if not isinstance(value, str) or weight == 0.0:
                continue
            spelled, value_index = shown.get((label, value.casefold()), (value, other_index.get(label, np.nan)))
            records.append((row, label, spelled, weight, value_index))
    reasons = pd.DataFrame(records, columns=["prospect", "attribute", "value", "weight", "index"])
    reasons = reasons.sort_values(["prospect", "weight"], ascending=[True, False], kind="stable") \
        .groupby("prospect", sort=False).head(REASONS).reset_index(drop=True)
    return scores, reasons


def customer_profile(attributes: pd.DataFrame, best: np.ndarray, labels: dict[str, str], min_customers: int,
                     prospects: pd.DataFrame | None = None,
                     prospect_attributes: pd.DataFrame | None = None) -> Profile:
    """The profile of the customers (``attributes``, one row per customer with a purchase, one column per
    label of ``labels``; ``best`` per row), its check, and the prospects scored when the check says the
    attributes tell something (``prospect_attributes``: their values under the same labels)."""
    best = np.asarray(best, dtype=bool)
    table = profile(attributes, best, min_customers)
    used = {label: header for label, header in labels.items() if label in set(table["attribute"])}
    attributes = attributes[list(used)]
    result = Profile(used, len(best), int(best.sum()), table, check(attributes, best) if used else None, prospects)
    if prospects is not None and prospect_attributes is not None and result.trusted:
        fitted = weights(attributes, best)
        result.scores, result.reasons = score_prospects(prospects, prospect_attributes.reindex(columns=list(used)),
                                                        fitted, table)
    return result
