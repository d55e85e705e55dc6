"""What to offer each customer, from the products on their order lines.

Works on clean order lines, one row per line: customer_id (the matching key), order_id (None:
the line is an order of its own), order_date, amount (negative for a return, refund or
cancellation), product (the product code as text, None where a line has none) and
product_name (None where unknown). Product codes are compared exactly: ``85123A``, ``85123``
and ``00042`` are three products.

A customer *bought* a product when the net amount of their lines of it (purchases less returns,
over all their history) is above 0. The amount decides, not the quantity: every order-line
export has an amount (or a quantity and a price, which the cleaning multiplies), a return at the
price paid nets out either way, and a free line (price 0) is not a purchase, as on the rest of
the workbook. Sums are compared with a millionth of a unit to spare, so 3 × 1.10 bought and
3.30 returned nets to nothing although the floating-point sum is 4e-16.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..base.errors import RfmError
from ..base.settings import Settings
from .timing import MONTH_NAMES

MIN_SUPPORT = Settings.pair_min_support  # customers who bought both, for a pair to count: the setting's default
BOUGHT = 1e-6  # a net amount above this is a purchase; below it, the rounding left by a full return
TOGETHER, IN_SEGMENT, OVERALL = "bought together", "best seller in segment", "best seller"
BASES = np.array([TOGETHER, IN_SEGMENT, OVERALL, None], dtype=object)  # by basis code 0, 1, 2, -1
BLOCK_CELLS = 1 << 24  # customers x products cells of one dense block of the recommendation


@dataclass(frozen=True)
class Purchases:
    """What each customer bought, returns netted, per product (``net_purchases``).

    Attributes
    ----------
    customers : Index of customer keys, one per row of ``bought`` (every customer of the lines).
    products : Index of product codes, one per column, best sellers first: most customers, then
        most revenue, then by code.
    names : each product's name (the one on most of its lines), None where no line names it.
    bought : customers x products, 1 where the customer's net amount of the product is above 0.
    last_bought : the same pattern as ``bought``: the day of the latest line buying it (days since 1970).
    net : customers x products net amount, for every pair with a line (bought or not).
    """

    customers: pd.Index
    products: pd.Index
    names: np.ndarray
    bought: sp.csr_matrix
    last_bought: sp.csr_matrix
    net: sp.csr_matrix

    @property
    def buyers(self) -> np.ndarray:
        """Customers who bought each product."""
        return np.bincount(self.bought.indices, minlength=len(self.products))

    @property
    def revenue(self) -> np.ndarray:
        """Net amount of each product over all customers."""
        return np.asarray(self.net.sum(axis=0)).ravel()

    def label(self, product: np.ndarray) -> np.ndarray:
        """Name of each product index where known, else its code (None for -1)."""
        label = np.where(pd.isna(self.names), self.products.to_numpy(dtype=object), self.names)
        return np.append(label, [None])[product]


def net_purchases(lines: pd.DataFrame) -> Purchases:
    """Net each customer's lines per product: what they bought, when last, and for how much.

    Parameters
    ----------
    lines : clean order lines with customer_id, order_date, amount, product and (optional)
        product_name. Lines without a product count for no product; their customers still
        get a row.

    Examples
    --------
    >>> lines = pd.DataFrame({"customer_id": ["a", "a", "a", "b"], "order_date": pd.to_datetime(
    ...     ["2024-01-05", "2024-01-05", "2024-02-01", "2024-01-09"]), "amount": [10.0, 4.0, -4.0, 2.0],
    ...     "product": ["85123A", "00042", "00042", "00042"], "product_name": ["Teacup", None, None, None]})
    >>> bought = net_purchases(lines)
    >>> list(bought.products), list(bought.names)  # one buyer each; 85123A has more revenue
    (['85123A', '00042'], ['Teacup', None])
    >>> bought.bought.toarray().tolist()  # a returned the 00042 they bought: not bought
    [[1, 0], [0, 1]]
    """
    _require(lines, "product")
    customer, customers = pd.factorize(lines["customer_id"])
    has = lines["product"].notna().to_numpy()
    code, products = pd.factorize(lines["product"].to_numpy(dtype=object)[has])
    customer, amount, day = customer[has], lines["amount"].to_numpy(dtype=float)[has], _days(lines["order_date"])[has]
    width, shape = max(len(products), 1), (len(customers), len(products))
    net = pd.Series(amount).groupby(customer.astype(np.int64) * width + code).sum()
    pair, value = net.index.to_numpy(), net.to_numpy()
    buyers = np.bincount(pair[value > BOUGHT] % width, minlength=len(products))
    revenue = np.bincount(code, weights=amount, minlength=len(products))
    by_code = np.argsort(np.argsort(products.astype(str), kind="stable"))
    order = np.lexsort((by_code, -revenue, -buyers))  # best sellers first
    rank = np.empty(len(products), dtype=np.int64)
    rank[order] = np.arange(len(products))
    code, pair = rank[code], pair // width * width + rank[pair % width]
    sort = np.argsort(pair, kind="stable")
    pair, value = pair[sort], value[sort]
    held = value > BOUGHT
    positive = amount > 0
    last = pd.Series(day[positive]).groupby(customer[positive].astype(np.int64) * width + code[positive]).max()
    names = lines["product_name"].to_numpy(dtype=object)[has] if "product_name" in lines else np.full(len(code), None)
    return Purchases(
        customers=pd.Index(customers, name="customer_id"), products=pd.Index(products[order], name="product"),
        names=_names(code, names, len(products)),
        bought=_csr(pair[held], np.ones(held.sum(), dtype=np.int32), width, shape),
        last_bought=_csr(pair[held], last.reindex(pair[held]).to_numpy().astype(np.int64), width, shape),
        net=_csr(pair, value, width, shape))


@dataclass(frozen=True)
class Pairs:
    """Products bought by the same customers (``bought_together``).

    Attributes
    ----------
    purchases : the net purchases the pairs come from.
    min_support : the fewest customers who bought both for a pair to be kept.
    support : products x products, customers who bought both, for kept pairs only (no diagonal);
        each row's pairs come strongest first (most customers, then the better-selling product).
    buyers : customers who bought each product.
    customers : customers who bought any product: the base of the lift.
    """

    purchases: Purchases
    min_support: int
    support: sp.csr_matrix
    buyers: np.ndarray
    customers: int

    def table(self) -> pd.DataFrame:
        """Every kept pair both ways: product, product_name, bought_with, bought_with_name, support,
        confidence (of the product's buyers, the share who bought bought_with) and lift (confidence
        ÷ the share of all customers who bought bought_with). By product (best sellers first), then
        confidence."""
        product = np.repeat(np.arange(self.support.shape[0]), np.diff(self.support.indptr))
        other, support = self.support.indices, self.support.data
        confidence = support / self.buyers[product]
        codes, names = self.purchases.products.to_numpy(dtype=object), self.purchases.names
        return _frame({
            "product": codes[product], "product_name": names[product], "bought_with": codes[other],
            "bought_with_name": names[other], "support": support, "confidence": confidence,
            "lift": confidence * self.customers / self.buyers[other]})


def bought_together(purchases: Purchases, min_support: int = MIN_SUPPORT) -> Pairs:
    """The product pairs that at least ``min_support`` of the same customers bought.

    The customers x products incidence matrix times its transpose counts, for every two products,
    the customers who bought both (one sparse product, no loop over baskets).

    Examples
    --------
    >>> lines = pd.DataFrame({"customer_id": list("aabbc"), "order_date": pd.Timestamp("2024-01-01"),
    ...                       "amount": 1.0, "product": ["tea", "cup", "tea", "cup", "tea"]})
    >>> bought_together(net_purchases(lines), min_support=2).table()[["product", "bought_with", "support",
    ...                                                                   "confidence", "lift"]]
      product bought_with  support  confidence  lift
    0     tea         cup        2    0.666667   1.0
    1     cup         tea        2    1.000000   1.0
    """
    if isinstance(min_support, bool) or not isinstance(min_support, (int, np.integer)) or min_support < 1:
        raise RfmError(f"The minimum support of a product pair must be a whole number of customers, 1 or more "
                       f"(it is {min_support!r}).")
    incidence = purchases.bought
    both = (incidence.T @ incidence).tocoo()
    keep = (both.row != both.col) & (both.data >= min_support)
    row, col, count = both.row[keep].astype(np.int64), both.col[keep].astype(np.int64), both.data[keep]
    order = np.lexsort((col, -count, row))  # strongest first within each product; columns rank best sellers
    size = len(purchases.products)
    support = _by_rows(row[order], col[order], count[order], (size, size))
    return Pairs(purchases, int(min_support), support, purchases.buyers,
                 int(np.count_nonzero(np.diff(incidence.indptr))))


def next_best_products(pairs: Pairs, segments: pd.Series | None = None, do_not_recommend=()) -> pd.DataFrame:
    """Per customer, the product to offer next and why.

    The score of a product the customer has not bought is its best confidence over the products
    they did buy: the largest share, among the buyers of one of their products, of those who also
    bought it (pairs with at least the pairs' minimum support only). Ties go to the pair with
    more customers, then to the better seller. Customers with no such product get the best seller
    of their segment they have not bought, then the best seller overall. Products in
    ``do_not_recommend`` (codes) are never offered.

    Parameters
    ----------
    pairs : from ``bought_together``.
    segments : segment name per customer key (index), for the fallback; None: overall only.
    do_not_recommend : product codes never to offer (postage, gift cards, discontinued lines).

    Returns
    -------
    DataFrame indexed by customer_id (every customer of the purchases), columns product, product_name,
    basis ("bought together", "best seller in segment", "best seller", or None when nothing is left
    to offer), confidence (bought together only), bought_with, bought_with_name (the product of theirs
    the offer comes from) and reason, e.g. "bought with REGENCY TEACUP, which you bought in March 2011"
    or "a best seller among Champions".
    """
    purchases = pairs.purchases
    segment, names = _segment_codes(purchases, segments)
    ranked = _recommend(pairs, segment, len(names), _excluded(purchases, do_not_recommend), count=1)
    product, basis, source = ranked.product[:, 0], ranked.basis[:, 0], ranked.bought_with[:, 0]
    codes = np.append(purchases.products.to_numpy(dtype=object), [None])
    month = ranked.bought_on[:, 0].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    reason = np.full(len(product), None, dtype=object)
    together = basis == 0
    reason[together] = ("bought with " + purchases.label(source[together]).astype(str) + ", which you bought in "
                        + np.array(MONTH_NAMES, dtype=object)[month[together] % 12]
                        + " " + (1970 + month[together] // 12).astype(str))
    reason[basis == 1] = "a best seller among " + names[segment[basis == 1]].astype(str)
    reason[basis == 2] = "a best seller among all customers"
    return _frame({
        "product": codes[product], "product_name": np.append(purchases.names, [None])[product],
        "basis": BASES[basis], "confidence": ranked.confidence[:, 0], "bought_with": codes[source],
        "bought_with_name": np.append(purchases.names, [None])[source], "reason": reason}, purchases.customers)


def reorders(lines: pd.DataFrame, as_of, do_not_recommend=()) -> pd.DataFrame:
    """The products each customer reorders at fairly regular gaps, and when the next is expected.

    A customer reorders a product regularly when they bought it (net, over all their lines of it)
    on at least three different days (days whose lines of it net above 0), and the gaps between
    those days are fairly regular: their spread, the median absolute deviation from the median
    gap, is below half the median gap. The median absolute deviation is used, rather than the
    interquartile range or the mean absolute deviation, because it rests on medians like the gap
    itself (and the Usual Gap of the Contact Plan): one late reorder among several does not make a
    regular buyer irregular. With two gaps it is half their difference, so two gaps are regular
    when the longer is less than three times the shorter.

    Parameters
    ----------
    lines : clean order lines up to the as-of date (see the module).
    as_of : the as-of date (a date or anything ``numpy.datetime64`` reads).
    do_not_recommend : product codes left out (postage, gift cards).

    Returns
    -------
    DataFrame, one row per customer and regular product: customer_id, product, product_name,
    purchase_days, usual_gap (median gap in days, rounded half up), gap_spread (days), last_bought,
    reorder_date (last purchase day + usual gap), days_overdue (as-of date - reorder date) and
    passed (the reorder date is before the as-of date); by customer, earliest reorder first.
    """
    _require(lines, "product")
    has = lines["product"].notna().to_numpy()
    customer, customers = pd.factorize(lines["customer_id"].to_numpy(dtype=object)[has])
    code, products = pd.factorize(lines["product"].to_numpy(dtype=object)[has])
    amount, day = lines["amount"].to_numpy(dtype=float)[has], _days(lines["order_date"])[has]
    width, first = max(len(products), 1), day.min(initial=0)
    span = day.max(initial=0) - first + 1
    pair = customer.astype(np.int64) * width + code
    net = pd.Series(amount).groupby(pair).sum()
    daily = pd.Series(amount).groupby(pair * span + (day - first)).sum()  # sorted by pair, then day
    daily = daily[daily.to_numpy() > BOUGHT]
    pair, day = daily.index.to_numpy() // span, daily.index.to_numpy() % span + first
    held = (net.reindex(pair).to_numpy() > BOUGHT) & ~_excluded_codes(products, do_not_recommend)[pair % width]
    pair, day = pair[held], day[held]
    same = np.zeros(len(pair), dtype=bool)
    same[1:] = pair[1:] == pair[:-1]
    gaps, owner = pd.Series(np.diff(day, prepend=day[:1])[same]), pair[same]
    median = gaps.groupby(owner).median()
    spread = (gaps - median.reindex(owner).to_numpy()).abs().groupby(owner).median().to_numpy()
    days = pd.Series(pair).value_counts(sort=False).reindex(median.index).to_numpy()
    last = pd.Series(day).groupby(pair).max().reindex(median.index).to_numpy()
    regular = (days >= 3) & (spread < median.to_numpy() / 2)
    pair, last, spread, days = median.index.to_numpy()[regular], last[regular], spread[regular], days[regular]
    gap = np.floor(median.to_numpy()[regular] + 0.5).astype(np.int64)
    due = last + gap
    overdue = np.datetime64(as_of, "D").astype(np.int64) - due
    who, product = pair // width, pair % width
    names = _names(code, lines["product_name"].to_numpy(dtype=object)[has] if "product_name" in lines
                   else np.full(len(code), None), len(products))
    table = _frame({
        "customer_id": np.asarray(customers, dtype=object)[who], "product": np.asarray(products, dtype=object)[product],
        "product_name": names[product], "purchase_days": days, "usual_gap": gap, "gap_spread": spread,
        "last_bought": last.astype("datetime64[D]").astype("datetime64[ns]"),
        "reorder_date": due.astype("datetime64[D]").astype("datetime64[ns]"), "days_overdue": overdue,
        "passed": overdue > 0})
    order = np.lexsort((table["product"].to_numpy(dtype=str), -days, due, who))
    return table.iloc[order].reset_index(drop=True)


def reorder_due(lines: pd.DataFrame, as_of, do_not_recommend=()) -> pd.DataFrame:
    """Per customer with a regular product (``reorders``), the one expected back first.

    Returns the ``reorders`` row with the earliest reorder date (on a tie: the product bought on
    more days, then by code), indexed by customer_id.
    """
    table = reorders(lines, as_of, do_not_recommend)
    return table.drop_duplicates("customer_id").set_index("customer_id")


@dataclass(frozen=True)
class ProductsSummary:
    """The tables of a Products sheet, with the owner's headers (``products_summary``)."""

    best_by_revenue: pd.DataFrame
    best_by_customers: pd.DataFrame
    segment_top: pd.DataFrame
    pairs: pd.DataFrame


def products_summary(pairs: Pairs, segments: pd.Series | None = None, do_not_recommend=(), top: int = 20,
                     per_segment: int = 5, top_pairs: int = 100) -> ProductsSummary:
    """The best products, each segment's favourites and the strongest pairs.

    Products in ``do_not_recommend`` (postage, fees) are left out of every table, as they are of
    every offer, so a segment's best seller here is the one its customers are offered.

    Returns
    -------
    ProductsSummary of four tables:

    best_by_revenue, best_by_customers : the ``top`` products by net revenue and by customers who
        bought them: Product, Product Name, Customers, Share of Customers (of the customers who
        bought any product), Revenue, Share of Revenue.
    segment_top : each segment's ``per_segment`` products bought by most of its customers, in the
        order of ``segments``' first appearance: Segment, Rank, Product, Product Name, Customers,
        Share of Segment (of the segment's customers), Revenue (theirs).
    pairs : the ``top_pairs`` pairs with the highest lift (then most customers), each pair once,
        from the product with fewer buyers: Product, Product Name, Also Bought, Also Bought Name,
        Customers Who Bought Both (support), Share of Product's Buyers (confidence), Share of Also
        Bought's Buyers (the confidence the other way) and Lift.
    """
    purchases = pairs.purchases
    codes, names = purchases.products.to_numpy(dtype=object), purchases.names
    buyers, revenue = purchases.buyers, purchases.revenue
    total = revenue.sum()
    allowed = ~_excluded(purchases, do_not_recommend)

    def best(rows: np.ndarray) -> pd.DataFrame:
        return _frame({
            "product": codes[rows], "product_name": names[rows], "customers": buyers[rows],
            "customers_share": buyers[rows] / max(pairs.customers, 1), "revenue": revenue[rows],
            "revenue_share": revenue[rows] / total if total > 0 else np.full(len(rows), np.nan)})

    by_customers = np.flatnonzero(allowed & (buyers > 0))[:top]
    by_revenue = np.lexsort((np.arange(len(revenue)), -revenue))
    by_revenue = by_revenue[allowed[by_revenue] & (revenue[by_revenue] > 0)][:top]

    segment, segment_names = _segment_codes(purchases, segments)
    parts = []
    if len(segment_names):
        members = _members(segment, len(segment_names))
        buyers_in, revenue_in = (members @ purchases.bought).toarray(), (members @ purchases.net).toarray()
        size = np.bincount(segment[segment >= 0], minlength=len(segment_names))
        for group, name in enumerate(segment_names):
            rows = np.argsort(-buyers_in[group], kind="stable")
            rows = rows[allowed[rows] & (buyers_in[group, rows] > 0)][:per_segment]
            parts.append(_frame({
                "segment": np.full(len(rows), name, dtype=object), "rank": np.arange(1, len(rows) + 1),
                "product": codes[rows], "product_name": names[rows],
                "customers": buyers_in[group, rows].astype(np.int64),
                "segment_share": buyers_in[group, rows] / size[group], "revenue": revenue_in[group, rows]}))
    segment_top = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["segment", "rank", "product", "product_name", "customers", "segment_share", "revenue"])

    support = pairs.support
    row = np.repeat(np.arange(support.shape[0]), np.diff(support.indptr))
    col, count = support.indices, support.data
    once = (pairs.buyers[row] < pairs.buyers[col]) | ((pairs.buyers[row] == pairs.buyers[col]) & (row < col))
    once &= allowed[row] & allowed[col]
    row, col, count = row[once], col[once], count[once]
    lift = count * pairs.customers / (pairs.buyers[row] * pairs.buyers[col])
    order = np.lexsort((col, row, -count, -lift))[:top_pairs]
    row, col, count, lift = row[order], col[order], count[order], lift[order]
    strongest = _frame({
        "product": codes[row], "product_name": names[row], "also_bought": codes[col], "also_bought_name": names[col],
        "bought_both": count, "product_buyers_share": count / pairs.buyers[row],
        "also_bought_buyers_share": count / pairs.buyers[col], "lift": lift})
    return ProductsSummary(best(by_revenue), best(by_customers), segment_top, strongest)


def holdout_check(lines: pd.DataFrame, segments: pd.Series | None = None, do_not_recommend=(),
                  min_support: int = MIN_SUPPORT) -> pd.DataFrame:
    """How often the next best product is what the customer bought next, against the best seller.

    Each repeat buyer's last order (their latest order worth more than 0; a line without an order
    ID is an order of its own) is hidden, with all their lines from its time on. Pairs and best
    sellers are worked out again from the lines left (every customer's), and each repeat buyer
    who had bought a product before, and whose hidden order bought one, is offered their top 1 and
    top 5 next best products (filled up from the best sellers as ``next_best_products`` falls
    back) and, for comparison, the top 1 and top 5 best sellers overall they had not bought. A hit
    is an offered product among those the hidden order bought (net amount above 0).

    Returns
    -------
    DataFrame indexed by recommendation ("Next best product", "Best seller"), columns customers_checked,
    hits_at_1, hit_rate_at_1, hits_at_5, hit_rate_at_5.
    """
    _require(lines, "product")
    customer, _ = pd.factorize(lines["customer_id"])
    stamp = np.asarray(lines["order_date"], dtype="datetime64[ns]").astype(np.int64)
    order_id = lines["order_id"] if "order_id" in lines else pd.Series(None, index=lines.index, dtype=object)
    given, known = pd.factorize(order_id.to_numpy(dtype=object))
    given = np.where(given < 0, len(known) + np.arange(len(lines)), given)  # a line without an order ID: its own
    order, _ = pd.factorize(customer.astype(np.int64) * (len(known) + len(lines)) + given)
    placed = pd.Series(stamp).groupby(order).max().to_numpy()
    owner = np.zeros(len(placed), dtype=np.int64)
    owner[order] = customer
    purchase = np.flatnonzero(np.bincount(order, weights=lines["amount"].to_numpy(dtype=float)) > BOUGHT)
    purchase = purchase[np.lexsort((purchase, placed[purchase], owner[purchase]))]
    latest = np.ones(len(purchase), dtype=bool)
    latest[:-1] = owner[purchase][1:] != owner[purchase][:-1]
    repeat = np.bincount(owner[purchase], minlength=customer.max(initial=-1) + 1) >= 2
    hidden = np.full(len(repeat), -1)
    hidden[owner[purchase[latest]]] = purchase[latest]
    hidden[~repeat] = -1
    cut = np.where(hidden >= 0, placed[hidden], np.iinfo(np.int64).max)
    before = stamp < cut[customer]
    purchases = net_purchases(lines[before])
    pairs = bought_together(purchases, min_support)
    excluded = _excluded(purchases, do_not_recommend)
    segment, names = _segment_codes(purchases, segments)
    nobody = np.full(len(purchases.customers), -1)
    offers = {"Next best product": _recommend(pairs, segment, len(names), excluded, 5).product,
              "Best seller": _recommend(pairs, nobody, 0, excluded, 5, together=False).product}

    shown = lines[hidden[customer] == order]
    shown = shown[shown["product"].notna()]
    net = shown.groupby(["customer_id", "product"], sort=False)["amount"].sum()
    net = net[net.to_numpy() > BOUGHT]
    row = purchases.customers.get_indexer(net.index.get_level_values(0))
    column = purchases.products.get_indexer(net.index.get_level_values(1))
    checked = np.zeros(len(purchases.customers), dtype=bool)
    checked[row[row >= 0]] = True
    checked &= np.diff(purchases.bought.indptr) > 0
    width = len(purchases.products) + 1
    targets = (row * width + column)[(row >= 0) & (column >= 0)]
    rows = np.flatnonzero(checked)
    table = {}
    for name, product in offers.items():
        hit = np.isin(rows[:, None] * width + product[rows], targets) & (product[rows] >= 0)
        at_1, at_5 = int(hit[:, 0].sum()), int(hit.any(axis=1).sum())
        table[name] = {"customers_checked": len(rows), "hits_at_1": at_1, "hit_rate_at_1": at_1 / max(len(rows), 1),
                       "hits_at_5": at_5, "hit_rate_at_5": at_5 / max(len(rows), 1)}
    return pd.DataFrame.from_dict(table, orient="index").rename_axis("recommendation")


@dataclass(frozen=True)
class _Ranked:
    """The best ``count`` offers per customer (columns), as product indexes (-1: none)."""

    product: np.ndarray
    basis: np.ndarray  # 0 bought together, 1 best seller in segment, 2 best seller overall, -1 none
    confidence: np.ndarray  # NaN unless bought together
    bought_with: np.ndarray  # the customer's product the pair starts from, -1 unless bought together
    bought_on: np.ndarray  # the day they last bought it


def _recommend(pairs: Pairs, segment: np.ndarray, segments: int, excluded: np.ndarray,
               count: int, together: bool = True) -> _Ranked:
    """Each customer's best ``count`` products not bought and not excluded: by bought-together score,
    then their segment's best sellers (``segment`` -1: none), then the best sellers overall.

    Works on blocks of customers, each with a dense bought/offered matrix of at most BLOCK_CELLS cells.
    """
    purchases = pairs.purchases
    customers, size = purchases.bought.shape
    support = _without(pairs.support, excluded) if together else sp.csr_matrix((size, size), dtype=np.int64)
    fallback = _fallback_lists(purchases, segment, segments, excluded)
    ranked = _Ranked(np.full((customers, count), -1), np.full((customers, count), -1, dtype=np.int8),
                     np.full((customers, count), np.nan), np.full((customers, count), -1),
                     np.zeros((customers, count), dtype=np.int64))
    step = max(1, BLOCK_CELLS // max(size, 1))
    for start in range(0, customers, step):
        stop = min(start + step, customers)
        bought = purchases.bought[start:stop]
        taken = bought.toarray().astype(bool)
        who, slot, product, confidence, source, day = _pairs_for_block(
            pairs, support, bought, purchases.last_bought[start:stop], taken, count)
        ranked.product[start + who, slot], ranked.basis[start + who, slot] = product, 0
        ranked.confidence[start + who, slot], ranked.bought_with[start + who, slot] = confidence, source
        ranked.bought_on[start + who, slot] = day
        taken[who, product] = True
        filled = np.bincount(who, minlength=stop - start)
        for group, (products, basis) in fallback.items():
            who = np.flatnonzero((segment[start:stop] == group) & (filled < count))
            who, product, kind = _first_free(taken, who, count - filled[who], products, basis)
            order = np.argsort(who, kind="stable")
            who, product, kind = who[order], product[order], kind[order]
            slot = filled[who] + np.arange(len(who)) - np.searchsorted(who, who)
            ranked.product[start + who, slot], ranked.basis[start + who, slot] = product, kind
            filled += np.bincount(who, minlength=stop - start)
    return ranked


def _pairs_for_block(pairs: Pairs, support: sp.csr_matrix, bought: sp.csr_matrix, last_bought: sp.csr_matrix,
                     taken: np.ndarray, count: int) -> tuple[np.ndarray, ...]:
    """Each block customer's best ``count`` bought-together offers: arrays of customer (block row),
    rank (0 = best), product, confidence, source product and the day the customer last bought it.

    Each product a customer bought offers its ``count`` strongest partners the customer has not
    bought (its row of ``support`` comes strongest first); a product's score is its best confidence
    over those offers, so the customer's top ``count`` are among them.
    """
    customer = np.repeat(np.arange(bought.shape[0]), np.diff(bought.indptr))
    source, source_day = bought.indices, last_bought.data
    position, end = support.indptr[source].copy(), support.indptr[source + 1]
    need = np.full(len(source), count)
    found_row, found_entry = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    width = count + 3
    while True:
        active = np.flatnonzero((need > 0) & (position < end))
        if not len(active):
            break
        entry = position[active, None] + np.arange(width)
        valid = entry < end[active, None]
        entry = np.where(valid, entry, 0)
        free = valid & ~taken[customer[active, None], support.indices[entry]]
        take = free & (np.cumsum(free, axis=1) <= need[active, None])
        row, column = np.nonzero(take)
        found_row.append(active[row])
        found_entry.append(entry[row, column])
        need[active] -= take.sum(axis=1)
        position[active] += width
        width *= 2
    row, entry = np.concatenate(found_row), np.concatenate(found_entry)
    who, product, source, day = customer[row], support.indices[entry], source[row], source_day[row]
    together = support.data[entry]
    confidence = together / pairs.buyers[source]
    # The best offer per (customer, product), then each customer's best `count` products.
    order = np.lexsort((source, -day, -together, -confidence, product, who))
    first = np.ones(len(order), dtype=bool)
    first[1:] = (who[order][1:] != who[order][:-1]) | (product[order][1:] != product[order][:-1])
    order = order[first]
    order = order[np.lexsort((product[order], -together[order], -confidence[order], who[order]))]
    rank = np.arange(len(order)) - np.searchsorted(who[order], who[order])
    order, rank = order[rank < count], rank[rank < count]
    return who[order], rank, product[order], confidence[order], source[order], day[order]


def _first_free(taken: np.ndarray, who: np.ndarray, need: np.ndarray, products: np.ndarray,
                basis: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first ``need`` products of ``products`` that each customer in ``who`` has not taken, in
    order, as arrays of customer, product and basis; marks them taken."""
    found = [(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int8))]
    offset, width = 0, 64
    while len(who) and offset < len(products):
        chunk = products[offset:offset + width]
        free = ~taken[who[:, None], chunk]
        take = free & (np.cumsum(free, axis=1) <= need[:, None])
        row, column = np.nonzero(take)
        taken[who[row], chunk[column]] = True
        found.append((who[row], chunk[column], basis[offset + column]))
        need = need - take.sum(axis=1)
        who, need = who[need > 0], need[need > 0]
        offset += width
        width *= 2
    who_parts, product_parts, basis_parts = zip(*found, strict=True)
    return np.concatenate(who_parts), np.concatenate(product_parts), np.concatenate(basis_parts)


def _fallback_lists(purchases: Purchases, segment: np.ndarray, segments: int,
                    excluded: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Segment code (-1: none) -> the products to fall back on in order, and their basis (1, 2).

    A segment's list is its own best sellers (most customers of the segment, then the overall
    order), then every other product in the overall order (products are numbered best seller first).
    """
    overall = np.flatnonzero(~excluded & (purchases.buyers > 0))
    lists = {-1: (overall, np.full(len(overall), 2, dtype=np.int8))}
    if segments:
        buyers_in = (_members(segment, segments) @ purchases.bought).toarray()
        for group in range(segments):
            own = overall[buyers_in[group, overall] > 0]
            own = own[np.argsort(-buyers_in[group, own], kind="stable")]
            rest = overall[buyers_in[group, overall] == 0]
            lists[group] = (np.concatenate([own, rest]),
                            np.concatenate([np.full(len(own), 1, dtype=np.int8), np.full(len(rest), 2, dtype=np.int8)]))
    return lists


def _without(support: sp.csr_matrix, excluded: np.ndarray) -> sp.csr_matrix:
    """``support`` without the pairs leading to an excluded product (row order kept)."""
    keep = ~excluded[support.indices]
    rows = np.repeat(np.arange(support.shape[0]), np.diff(support.indptr))
    return _by_rows(rows[keep], support.indices[keep], support.data[keep], support.shape)


# Lines that are not goods, by their product name (or code when there is none), whatever the shop: postage,
# carriage and shipping, fees and charges, discounts, samples, manual adjustments and test items (Online
# Retail's POST "POSTAGE", DOT "DOTCOM POSTAGE", C2 "CARRIAGE", M "Manual", D "Discount", AMAZONFEE...).
SERVICE_LINE = re.compile(r"^\s*(?:dotcom\s+)?(?:postage|carriage|shipping|delivery)(?:\s+charges?)?\s*$|"
                          r"^\s*(?:manual|discount|samples?|bank\s+charges?|amazon\s+fee)\s*$|commission\s*$|"
                          r"^\s*adjust|test\s+product", re.IGNORECASE)


def service_lines(lines: pd.DataFrame) -> tuple[str, ...]:
    """The product codes of lines that are not goods (SERVICE_LINE on the name, or on the code without one),
    never offered, as if listed in Settings' Do not recommend.

    >>> service_lines(pd.DataFrame({"product": ["POST", "85123A", "M", "X1"],
    ...                             "product_name": ["POSTAGE", "WHITE HANGING HEART", "Manual", None]}))
    ('M', 'POST')
    """
    named = lines["product_name"] if "product_name" in lines else pd.Series(None, index=lines.index, dtype=object)
    pairs = pd.DataFrame({"code": lines["product"], "name": named.where(named.notna(), lines["product"])}).dropna()
    pairs = pairs.drop_duplicates()
    service = pairs["name"].astype(str).str.contains(SERVICE_LINE)
    return tuple(sorted({str(code) for code in pairs.loc[service, "code"]}))


def _excluded(purchases: Purchases, do_not_recommend) -> np.ndarray:
    """Per product of ``purchases``: in the do-not-recommend list."""
    return _excluded_codes(purchases.products, do_not_recommend)


def _excluded_codes(products, do_not_recommend) -> np.ndarray:
    """Per product code: in the do-not-recommend list (codes compared as text, exactly)."""
    listed = pd.Index([str(code) for code in do_not_recommend], dtype=object)
    return np.asarray(pd.Index(products, dtype=object).isin(listed), dtype=bool)


def _segment_codes(purchases: Purchases, segments: pd.Series | None) -> tuple[np.ndarray, np.ndarray]:
    """Per customer row: a segment code (-1: none), and the segment names by code."""
    if segments is None:
        return np.full(len(purchases.customers), -1), np.array([], dtype=object)
    names = pd.unique(segments.dropna().to_numpy(dtype=object))
    code = pd.Index(names).get_indexer(segments.reindex(purchases.customers).to_numpy(dtype=object))
    return code, np.asarray(names, dtype=object)


def _names(product: np.ndarray, name: np.ndarray, products: int) -> np.ndarray:
    """Each product's name: the one on most of its lines (the first used on a tie); None if unnamed."""
    named = pd.notna(name)
    spelling, spellings = pd.factorize(name[named])
    product = product[named]
    key = product.astype(np.int64) * max(len(spellings), 1) + spelling
    counts = pd.Series(key).value_counts(sort=False)
    key, lines = counts.index.to_numpy(), counts.to_numpy()
    owner, spelling = key // max(len(spellings), 1), key % max(len(spellings), 1)
    order = np.lexsort((spelling, -lines, owner))
    first = np.ones(len(order), dtype=bool)
    first[1:] = owner[order][1:] != owner[order][:-1]
    names = np.full(products, None, dtype=object)
    names[owner[order][first]] = np.asarray(spellings, dtype=object)[spelling[order][first]]
    return names


def _frame(columns: dict, index=None) -> pd.DataFrame:
    """A DataFrame keeping text columns as Python objects with None for blanks (pandas would turn
    them into its string type, with NaN for None)."""
    return pd.DataFrame({name: pd.Series(values, dtype=object if np.asarray(values).dtype == object else None,
                                         index=index, copy=False) for name, values in columns.items()}, index=index)


def _csr(keys: np.ndarray, values: np.ndarray, width: int, shape: tuple[int, int]) -> sp.csr_matrix:
    """A CSR matrix from sorted keys row * width + column."""
    return _by_rows(keys // width, keys % width, values, shape)


def _by_rows(row: np.ndarray, column: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """A CSR matrix of entries already in row order, keeping their order within each row."""
    return sp.csr_matrix((values, column, np.r_[0, np.cumsum(np.bincount(row, minlength=shape[0]))]), shape=shape)


def _members(segment: np.ndarray, segments: int) -> sp.csr_matrix:
    """Segments x customers, 1 where the customer (row of the purchases) is in the segment (code)."""
    member = segment >= 0
    return sp.csr_matrix((np.ones(member.sum()), (segment[member], np.flatnonzero(member))),
                         shape=(segments, len(segment)))


def _days(dates) -> np.ndarray:
    return np.asarray(dates, dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def _require(lines: pd.DataFrame, *extra: str) -> None:
    missing = [c for c in ("customer_id", "order_date", "amount", *extra) if c not in lines]
    if missing:
        raise RfmError(f"The order lines have no {', '.join(missing)} column; products need customer, date, amount "
                       "and product on every line.")


@dataclass(frozen=True)
class Offers:
    """What a run says about products (``offers``).

    customers : by customer key: Offer (the next best product, its name and code), Why (the reason in
        words), Reorder (the regular product expected back first) and Reorder Due (when; both blank where
        there is none, or where it is more than LAPSED_GAPS usual gaps overdue: a reminder that late would
        not be one).
    summary : the Products sheet's tables.
    holdout : ``holdout_check``'s table.
    products, pairs, min_support : how many products were bought, how many pairs have at least
        ``min_support`` customers.
    """

    customers: pd.DataFrame
    summary: ProductsSummary
    holdout: pd.DataFrame
    products: int
    pairs: int
    min_support: int


LAPSED_GAPS = 2  # a reorder more than this many usual gaps overdue has lapsed


def offers(lines: pd.DataFrame, segments: pd.Series, as_of, do_not_recommend=(),
           min_support: int = MIN_SUPPORT) -> Offers:
    """Everything products give a run: each customer's offer and reorder, the Products tables, the hold-out.

    ``segments``: segment name per customer key (the scored customers). Lines that are not goods
    (``service_lines``) are never offered, as if listed in ``do_not_recommend``.
    """
    do_not_recommend = tuple(do_not_recommend) + service_lines(lines)
    pairs = bought_together(net_purchases(lines), min_support)
    best = next_best_products(pairs, segments, do_not_recommend).reindex(segments.index)
    due = reorder_due(lines, as_of, do_not_recommend).reindex(segments.index)
    lapsed = ~(due["days_overdue"] <= LAPSED_GAPS * due["usual_gap"])
    customers = pd.DataFrame({"offer": _labels(best["product"], best["product_name"]), "why": best["reason"].to_numpy(),
                              "reorder": np.where(lapsed, None,  # type: ignore[call-overload]  # numpy's stubs reject None
                                                  _labels(due["product"], due["product_name"])),
                              "reorder_due": pd.to_datetime(due["reorder_date"]).where(~lapsed).to_numpy()},
                             index=segments.index)
    return Offers(customers, products_summary(pairs, segments, do_not_recommend),
                  holdout_check(lines, segments, do_not_recommend, min_support), len(pairs.purchases.products),
                  int(pairs.support.nnz // 2), min_support)


def _labels(code: pd.Series, name: pd.Series) -> np.ndarray:
    """"NAME (code)" for each product, the code alone where there is no other name; None for none."""
    text = np.where(name.isna() | (name == code), code, name.astype(str) + " (" + code.astype(str) + ")")
    return np.where(code.isna(), None, text).astype(object)  # type: ignore[call-overload]  # numpy's stubs reject None
