"""What comes next for each customer: the chance they are still active, their expected orders and value.

Three standard "buy till you die" models, written from the papers and fitted by maximum
likelihood on the owner's own orders (docs/forecast.md explains them in plain words):

- BG/NBD (Fader, Hardie & Lee 2005): while active, a customer buys at their own steady rate
  (Poisson, rates gamma-distributed across customers); after each repeat purchase they may
  drop out for good with their own probability (beta-distributed across customers).
- Modified BG/NBD (Batislam, Denizel & Filiztekin 2007): the same, but a customer may also
  drop out right after the first purchase, so a one-time buyer does not stay 100% active.
- Gamma-Gamma (Fader, Hardie & Lee 2005; Fader & Hardie 2013): the value of a customer's
  orders varies around their own mean, fitted on repeat buyers.

Time is continuous and counted in purchase days (one purchase a day at most), in a unit of
``time_unit_days`` days (1 in the product; 7 for the published figures, which are in weeks).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import ClassVar, Self

import numpy as np
import pandas as pd
from scipy import optimize, special

from ..base.errors import RfmError
from ..base.settings import FORECAST_MODIFIED as MODIFIED_NAME
from ..base.settings import FORECAST_PLAIN as BGNBD_NAME

MODELS = (MODIFIED_NAME, BGNBD_NAME)  # the default first
MIN_REPEAT_BUYERS = 20
NEXT_ORDER_FROM = 0.2  # Expected Next Order is blank under this P(Active)
LONGEST_WAIT_DAYS = 36525  # and blank when the median wait is more than a hundred years
DAYS_PER_MONTH = 365.25 / 12
HOLDOUT_GROUPS = 7  # repeat purchases 0, 1, ..., 6, then 7+
COLUMNS = ["p_active", "expected_orders", "predicted_value", "expected_next_order"]
# Parameters are fitted as logs within bounds, with times in units of the longest T and money in units of
# the mean repeat value. At the upper bounds of r, a and b the gamma or beta mixtures are nearly homogeneous
# (rates or drop-out chances about the same for everyone); within them expected orders are finite for any
# customer (_orders_if_active; the property tests draw parameters across the range). The lower bounds, and
# Gamma-Gamma's, only keep the logs finite.
PURCHASE_BOUNDS = np.log([(6e-6, 1e3), (6e-6, 1.6e5), (6e-6, 50.0), (6e-6, 1e4)])  # r, alpha, a, b
VALUE_BOUNDS = np.log([(6e-6, 1.6e5)] * 3)  # p, q, v


def customer_summary(orders: pd.DataFrame, as_of: dt.date, time_unit_days: float = 1.0) -> pd.DataFrame:
    """Per customer with a purchase: frequency, recency, T and monetary value, as the models take them.

    Parameters
    ----------
    orders : DataFrame
        One row per order: customer_id (the matching key), order_date (datetime64), amount
        (float). An order with an amount of 0 or less is a return, not a purchase. Orders after
        the as-of date are left out; orders on it count.
    as_of : date
        The end of the observed period.
    time_unit_days : float
        The length of the unit recency and T are given in (7 for weeks).

    Returns
    -------
    DataFrame
        Indexed by customer_id, customers in order of first appearance. frequency: repeat
        purchase days (days with a purchase, minus 1); recency: time from the first to the last
        purchase day; T: time from the first purchase day to the as-of date; monetary_value:
        mean value of the repeat purchase days (a day's value is the sum of its purchases), 0
        for a customer with no repeat purchase.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["A", "A", "A", "B", "A", "B"],
    ...     "order_date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-11", "2024-01-05",
    ...                                   "2024-01-21", "2024-01-09"]),
    ...     "amount": [10.0, 20.0, 5.0, 8.0, 30.0, -8.0]})
    >>> summary = customer_summary(orders, dt.date(2024, 1, 31))
    >>> summary.loc["A"].tolist()  # repeat purchase days 01-11 (20 + 5) and 01-21 (30)
    [2.0, 20.0, 30.0, 27.5]
    >>> summary.loc["B"].tolist()  # the -8 is a return, not a purchase
    [0.0, 0.0, 26.0, 0.0]
    """
    end = _day_number(as_of)
    day = orders["order_date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    amount = orders["amount"].to_numpy(dtype=float)
    purchase = (amount > 0) & (day <= end)
    code, keys = pd.factorize(orders["customer_id"][purchase])
    day, amount = day[purchase], amount[purchase]
    order = np.lexsort((day, code))
    code, day, amount = code[order], day[order], amount[order]
    starts = np.flatnonzero(np.r_[True, (code[1:] != code[:-1]) | (day[1:] != day[:-1])]) if len(code) else code
    day_code, day_of = code[starts], day[starts]
    day_value = np.add.reduceat(amount, starts) if len(code) else amount
    first = np.r_[True, day_code[1:] != day_code[:-1]] if len(day_code) else day_code.astype(bool)
    customers = len(keys)
    last_day = np.zeros(customers, dtype=np.int64)
    last_day[day_code] = day_of  # sorted by day within each customer, so the last write is the latest day
    first_day = day_of[first]  # customer codes run 0, 1, ... in this order
    frequency = np.bincount(day_code, minlength=customers) - 1
    repeat_value = np.bincount(day_code[~first], weights=day_value[~first], minlength=customers)
    return pd.DataFrame({
        "frequency": frequency,
        "recency": (last_day - first_day) / time_unit_days,
        "T": (end - first_day) / time_unit_days,
        "monetary_value": np.divide(repeat_value, frequency, out=np.zeros(customers), where=frequency > 0),
    }, index=pd.Index(keys, name="customer_id"))


@dataclass(frozen=True)
class RepeatPurchaseModel:
    """A fitted BG/NBD-type model: purchase rates gamma(r, alpha), drop-out probabilities beta(a, b).

    alpha is in the time unit of the data it was fitted on; r, a and b have no unit. converged
    is False when the optimiser did not meet its tolerance (see ``_maximise``); the
    log-likelihood is that of the fitted data, in its units.
    """

    r: float
    alpha: float
    a: float
    b: float
    converged: bool = True
    log_likelihood: float = float("nan")
    name: ClassVar[str]
    drop_after_first: ClassVar[int]  # 1 when a customer may drop out right after the first purchase

    @classmethod
    def fit(cls, frequency, recency, T) -> Self:
        """Maximum-likelihood fit to customers' frequency, recency and T (one value each per customer).

        The log-likelihood is worked out in log space (gammaln, betaln, logaddexp) so that it
        stays finite for customers with hundreds of purchases, and maximised with its exact
        gradient (``_maximise``), one-time buyers with the same T counted once.
        """
        x, t_x, age = _purchase_arrays(frequency, recency, T)
        if not len(x):
            raise RfmError("There are no customers to fit the forecast model to.")
        scale = age.max() if age.max() > 0 else 1.0  # times in units of the longest T: alpha near 1
        data = _PurchaseData.of(x, t_x / scale, age / scale, cls.drop_after_first)
        rate = max(x.mean(), 0.01) / max(age.mean() / scale, 0.01)  # repeat purchases a unit of time: about r / alpha
        (r, alpha, a, b), converged, mean = _maximise(data.negative_log_likelihood, [1.0, 1.0 / rate, 1.0, 1.0],
                                                   PURCHASE_BOUNDS)
        log_likelihood = mean * len(x) - np.log(scale) * x.sum()
        return cls(r, float(alpha * scale), a, b, converged, float(log_likelihood))

    def p_alive(self, frequency, recency, T) -> np.ndarray:
        """The chance each customer is still active at the end of their history (0 to 1).

        Under BG/NBD a customer with no repeat purchase is always active (1); the modified
        model lets them drop out after the first purchase.
        """
        x, t_x, age = _purchase_arrays(frequency, recency, T)
        return special.expit(-self._log_odds_gone(x, t_x, age))

    def expected_orders(self, t, frequency, recency, T) -> np.ndarray:
        """Each customer's expected number of purchases in the next ``t`` time units, given their history.

        P(alive) times the expectation, over the posterior beta(a, b + x + s) of the drop-out
        probability p (s = 1 for the modified model), of (1 - E[exp(-lambda p t)]) / p, with
        lambda's posterior gamma(r + x, alpha + T): FHL (2005) eq. 10 and its modified form,
        computed by ``_orders_if_active``.
        """
        x, t_x, age = _purchase_arrays(frequency, recency, T)
        t = np.asarray(t, dtype=float)
        a_less_1 = self.a - 1.0
        if abs(a_less_1) < 1e-6:  # a = 1 is a removable singularity; step just off it
            a_less_1 = 1e-6 if a_less_1 >= 0 else -1e-6
        c = a_less_1 + self.b + x + self.drop_after_first
        alive = self.p_alive(x, t_x, age)
        if_active = _orders_if_active(self.r + x, a_less_1, c, t / (self.alpha + age))
        return np.where(alive > 0, alive * if_active, 0.0)

    def median_time_to_next_order(self, frequency, T) -> np.ndarray:
        """Median time from the end of each customer's history to their next purchase, if still active then.

        Conditioned on being active at the end of the history and on that history, the next
        purchase comes after an exponential wait at the customer's rate lambda, whose posterior
        is gamma(r + x, alpha + T); so P(wait > w) = ((alpha + T) / (alpha + T + w))^(r + x) and
        the median is (alpha + T)(2^(1/(r + x)) - 1). It depends on frequency and T only.
        """
        x, _, age = _purchase_arrays(frequency, np.zeros_like(np.asarray(T, dtype=float)), T)
        return (self.alpha + age) * np.expm1(np.minimum(np.log(2.0) / (self.r + x), 700.0))

    def _log_odds_gone(self, x, t_x, age):
        """log P(dropped out at the last purchase) - log P(active), per customer (-inf when it cannot be gone)."""
        after = x + self.drop_after_first - 1.0
        can_be_gone = after >= 0
        odds = (np.log(self.a) - np.log(np.where(can_be_gone, self.b + after, 1.0))
                + (self.r + x) * (np.log(self.alpha + age) - np.log(self.alpha + t_x)))
        return np.where(can_be_gone, odds, -np.inf)


class BGNBD(RepeatPurchaseModel):
    """BG/NBD (Fader, Hardie & Lee 2005): drop-out possible after each repeat purchase."""

    name = BGNBD_NAME
    drop_after_first = 0


class ModifiedBGNBD(RepeatPurchaseModel):
    """Modified BG/NBD (Batislam, Denizel & Filiztekin 2007): drop-out possible after every purchase, the first too."""

    name = MODIFIED_NAME
    drop_after_first = 1


def _orders_if_active(shape, a_less_1: float, c, w) -> np.ndarray:
    """Expected purchases of an active customer: (c / (a - 1)) (1 - 2F1(shape, a - 1; c; -w)).

    shape = r + x, c = a + b + x + s - 1 and w = t / (alpha + T). The hypergeometric function is
    computed as (1 + w)^-(a - 1) 2F1(c - shape, a - 1; c; w / (1 + w)) (Euler's transformation: its
    argument in [0, 1), finite for customers with hundreds of purchases). Where SciPy's hyp2f1
    fails there (NaN for some integer parameters; overflow or lost accuracy when c - shape is far
    below zero) the direct form is used, failing that the first parameter moved by 1e-12 of
    itself, and failing that (extreme parameters) numerical integration. A result counts as
    failed unless it lies between 0 and shape * w, the expected purchases of a customer who never
    drops out.
    """
    size = np.broadcast(shape, c, w).shape
    shape, c, w = (np.atleast_1d(np.broadcast_to(np.asarray(array, dtype=float), size)) for array in (shape, c, w))
    z = w / (1.0 + w)
    attempts = (lambda: np.exp(-a_less_1 * np.log1p(w)) * special.hyp2f1(c - shape, a_less_1, c, z),
                lambda: special.hyp2f1(shape, a_less_1, c, -w),
                lambda: np.exp(-a_less_1 * np.log1p(w)) * special.hyp2f1((c - shape) * (1 + 1e-12), a_less_1, c, z))
    most = shape * w
    orders = np.full(shape.shape, np.nan)
    for attempt in attempts:
        failed = ~((orders >= 0) & (orders <= most * (1 + 1e-9)))
        if not failed.any():
            break
        with np.errstate(all="ignore"):
            orders = np.where(failed, c / a_less_1 * (1.0 - attempt()), orders)
    failed = ~((orders >= 0) & (orders <= most * (1 + 1e-9)))
    for i in zip(*np.nonzero(failed), strict=True):  # rare: extreme parameters and hundreds of purchases
        orders[i] = _orders_if_active_by_quadrature(shape[i], a_less_1 + 1.0, c[i] - a_less_1, w[i])
    return np.clip(orders, 0.0, most).reshape(size)


def _orders_if_active_by_quadrature(shape: float, a: float, beta_b: float, w: float) -> float:
    """E[(1 - (1 + p w)^-shape) / p] for p ~ beta(a, beta_b), by adaptive quadrature around the mode."""
    from scipy import integrate  # imported here, as it is rarely needed: it takes half a second to import

    log_norm = special.betaln(a, beta_b)

    def integrand(p):
        return (-np.expm1(-shape * np.log1p(p * w)) / p
                * np.exp((a - 1) * np.log(p) + (beta_b - 1) * np.log1p(-p) - log_norm))

    mode = min(max((a - 1) / (a + beta_b - 2), 1e-9), 1 - 1e-9) if a + beta_b > 2 else 0.5
    return float(integrate.quad(integrand, 0, 1, points=[mode, 1e-6], limit=500)[0])


@dataclass(frozen=True)
class _PurchaseData:
    """Customers' (x, t_x, T) for the log-likelihood: one-time buyers counted once per T, and the distinct x."""

    x: np.ndarray  # per row
    t_x: np.ndarray
    age: np.ndarray
    weight: np.ndarray  # customers a row stands for
    counts: np.ndarray  # the distinct x
    count_weight: np.ndarray  # customers with each of them
    drop_after_first: int

    @classmethod
    def of(cls, x: np.ndarray, t_x: np.ndarray, age: np.ndarray, drop_after_first: int) -> _PurchaseData:
        once = x == 0
        once_age, once_weight = np.unique(age[once], return_counts=True)
        counts, count_weight = np.unique(x, return_counts=True)
        return cls(np.r_[np.zeros(len(once_age)), x[~once]], np.r_[np.zeros(len(once_age)), t_x[~once]],
                   np.r_[once_age, age[~once]], np.r_[once_weight, np.ones((~once).sum())],
                   counts, count_weight.astype(float), drop_after_first)

    def negative_log_likelihood(self, log_params: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean negative log-likelihood per customer and its gradient in the parameters' logs.

        Per customer (s = 1 for the modified model; the second term only when x + s > 0):
        ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x+s) - ln B(a, b)
        + ln[(alpha+T)^-(r+x) + a / (b+x+s-1) (alpha+t_x)^-(r+x)].
        """
        r, alpha, a, b = np.exp(log_params)
        x, t_x, age, w, s = self.x, self.t_x, self.age, self.weight, self.drop_after_first
        counts, count_weight = self.counts, self.count_weight
        n = count_weight.sum()
        after = x + s - 1.0
        can_be_gone = after >= 0
        b_after = np.where(can_be_gone, b + after, 1.0)
        log_age, log_last = np.log(alpha + age), np.log(alpha + t_x)
        log_alive = -(r + x) * log_age
        log_gone = np.where(can_be_gone, np.log(a) - np.log(b_after) - (r + x) * log_last, -np.inf)
        log_sum = np.logaddexp(log_alive, log_gone)
        gone = np.exp(log_gone - log_sum)  # the share of the likelihood from "dropped out at t_x"
        beta_b = b + counts + s
        psi_a_beta_b = special.digamma(a + beta_b)
        log_likelihood = (np.sum(w * log_sum) + count_weight @ (special.gammaln(r + counts) + special.betaln(a, beta_b))
                          + n * (r * np.log(alpha) - special.gammaln(r) - special.betaln(a, b)))
        d_r = (count_weight @ special.digamma(r + counts) - np.sum(w * ((1 - gone) * log_age + gone * log_last))
               + n * (np.log(alpha) - special.digamma(r)))
        d_alpha = n * r / alpha - np.sum(w * (r + x) * ((1 - gone) / (alpha + age) + gone / (alpha + t_x)))
        d_a = np.sum(w * gone) / a - count_weight @ psi_a_beta_b + n * special.digamma(a + b)
        gone_b = np.sum(w * np.where(can_be_gone, gone / b_after, 0))
        d_b = (count_weight @ (special.digamma(beta_b) - psi_a_beta_b) - gone_b
               - n * (special.digamma(b) - special.digamma(a + b)))
        gradient = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
        return -log_likelihood / n, -gradient / n


@dataclass(frozen=True)
class GammaGamma:
    """A fitted Gamma-Gamma model of order value: order values gamma(p, nu) per customer, nu gamma(q, v).

    v is in money; the mean order value across customers is p v / (q - 1) (finite when q > 1).
    """

    p: float
    q: float
    v: float
    converged: bool = True
    log_likelihood: float = float("nan")

    @classmethod
    def fit(cls, frequency, monetary_value) -> GammaGamma:
        """Maximum-likelihood fit on the repeat buyers (frequency > 0) among the customers given.

        Each repeat buyer contributes the density of the mean m of their x repeat-purchase values:
        G(px+q) / (G(px) G(q)) v^q m^(px-1) x^px / (v + x m)^(px+q) (Fader & Hardie 2013).
        """
        x, m = _value_arrays(frequency, monetary_value)
        repeat = (x > 0) & (m > 0)
        x, m = x[repeat], m[repeat]
        if not len(x):
            raise RfmError("There are no repeat buyers to fit the order value model to.")
        scale = m.mean()
        data = _ValueData.of(x, m / scale)
        (p, q, v), converged, mean = _maximise(data.negative_log_likelihood, [2.0, 3.0, 1.0], VALUE_BOUNDS)
        log_likelihood = mean * len(x) - len(x) * np.log(scale)
        return cls(p, q, float(v * scale), converged, float(log_likelihood))

    def expected_order_value(self, frequency, monetary_value) -> np.ndarray:
        """Each customer's expected value of an order: p (v + x m) / (p x + q - 1).

        A weighted mean of the population mean p v / (q - 1) and the customer's own mean m, the
        own mean weighing more the more repeat purchases x there are; with none, the population mean.
        """
        x, m = _value_arrays(frequency, monetary_value)
        return self.p * (self.v + x * m) / (self.p * x + self.q - 1.0)


@dataclass(frozen=True)
class _ValueData:
    """Repeat buyers' (x, m) for the log-likelihood, with the sums that do not depend on the parameters."""

    x: np.ndarray
    m: np.ndarray
    counts: np.ndarray  # the distinct x
    count_weight: np.ndarray  # repeat buyers with each of them
    sum_log_m: float
    sum_x_log_xm: float  # sum of x ln(x m)

    @classmethod
    def of(cls, x: np.ndarray, m: np.ndarray) -> _ValueData:
        counts, count_weight = np.unique(x, return_counts=True)
        return cls(x, m, counts, count_weight.astype(float), float(np.log(m).sum()), float(np.sum(x * np.log(x * m))))

    def negative_log_likelihood(self, log_params: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean negative log-likelihood per repeat buyer and its gradient in the parameters' logs."""
        p, q, v = np.exp(log_params)
        x, m, counts, count_weight = self.x, self.m, self.counts, self.count_weight
        n = count_weight.sum()
        log_total = np.log(v + x * m)
        x_log_total = np.sum(x * log_total)
        p_counts = p * counts
        log_likelihood = (count_weight @ (special.gammaln(p_counts + q) - special.gammaln(p_counts))
                          + p * self.sum_x_log_xm - self.sum_log_m - p * x_log_total - q * log_total.sum()
                          + n * (q * np.log(v) - special.gammaln(q)))
        psi_total = special.digamma(p_counts + q)
        d_p = count_weight @ (counts * (psi_total - special.digamma(p_counts))) + self.sum_x_log_xm - x_log_total
        d_q = count_weight @ psi_total - log_total.sum() + n * (np.log(v) - special.digamma(q))
        d_v = n * q / v - np.sum((p * x + q) / (v + x * m))
        gradient = np.array([d_p * p, d_q * q, d_v * v])
        return -log_likelihood / n, -gradient / n


def lifetime_value(model: RepeatPurchaseModel, gamma_gamma: GammaGamma, summary: pd.DataFrame, horizon_days: float,
                   monthly_discount_rate: float = 0.0, time_unit_days: float = 1.0) -> np.ndarray:
    """Each customer's predicted value over the horizon: expected orders times expected order value.

    Parameters
    ----------
    model, gamma_gamma : fitted models; ``summary`` as ``customer_summary`` makes it, in the
        time unit the model was fitted in (``time_unit_days`` days).
    horizon_days : the horizon in days.
    monthly_discount_rate : 0 for no discounting. Otherwise the horizon is cut into months of
        365.25 / 12 days (the last one shorter when the horizon is not a whole number of months)
        and the orders expected in month k = 1, 2, ... are valued at the expected order value
        divided by (1 + rate)^k, as if they came at the end of their month. With a rate of 0
        the value is exactly expected orders over the horizon times expected order value.
    """
    x, t_x, age = summary["frequency"], summary["recency"], summary["T"]
    order_value = gamma_gamma.expected_order_value(x, summary["monetary_value"])
    if monthly_discount_rate == 0:
        return model.expected_orders(horizon_days / time_unit_days, x, t_x, age) * order_value
    months = int(np.ceil(horizon_days / DAYS_PER_MONTH - 1e-9))
    ends = np.minimum(np.arange(1, months + 1) * DAYS_PER_MONTH, horizon_days) / time_unit_days
    by_month_end = model.expected_orders(ends[:, None], np.asarray(x)[None, :], np.asarray(t_x)[None, :],
                                         np.asarray(age)[None, :])
    in_month = np.diff(by_month_end, axis=0, prepend=0.0)
    discount = (1.0 + monthly_discount_rate) ** -np.arange(1, months + 1)
    return np.sum(discount[:, None] * in_month, axis=0) * order_value


@dataclass(frozen=True)
class HoldoutCheck:
    """Orders predicted against orders that happened, for a holdout at the end of the history.

    Both purchase models are fitted on the orders up to ``calibration_end`` and predict, for the
    customers who had bought by then, their purchase days in the ``holdout_days`` after it.

    table : one row per number of repeat purchase days before the holdout ("0" to "6", "7+";
        groups with no customer left out), columns customers, then the average purchase days
        per customer in the holdout: actual, and predicted by each model (columns named
        BGNBD_NAME and MODIFIED_NAME).
    actual : the purchase days that happened in the holdout, in total.
    predicted : model name -> the purchase days it predicted in total.
    models : model name -> the model fitted on the orders before the holdout.
    """

    calibration_end: dt.date
    holdout_days: int
    table: pd.DataFrame
    actual: int
    predicted: dict[str, float]
    models: dict[str, RepeatPurchaseModel]


def holdout_check(orders: pd.DataFrame, as_of: dt.date, calibration_end: dt.date | None = None,
                  time_unit_days: float = 1.0) -> HoldoutCheck:
    """Refit both purchase models on the history up to ``calibration_end`` and test them on the rest.

    ``calibration_end`` is by default the as-of date less a quarter of the time from the first
    purchase to the as-of date (rounded to whole days). Raises RfmError, with a sentence for
    the owner, when the earlier part of the history is too small to fit the models to.
    """
    return _holdout(orders, customer_summary(orders, as_of, time_unit_days), as_of, calibration_end, time_unit_days)


def _holdout(orders, summary, as_of, calibration_end, time_unit_days) -> HoldoutCheck:
    if orders is None:
        raise RfmError("The check needs the order lines, which an engine keeps where they are for a history this "
                       "big.")
    end = _day_number(as_of)
    first = end - round(summary["T"].max() * time_unit_days) if len(summary) else end
    if calibration_end is None:
        calibration_end = (np.datetime64(end - round((end - first) / 4), "D")).astype(dt.date)
    holdout_days = end - _day_number(calibration_end)
    if holdout_days < 1 or _day_number(calibration_end) < first:
        raise RfmError("The holdout check needs a calibration end between the first purchase and the as-of date; "
                       f"{calibration_end:%Y-%m-%d} is not.")
    earlier = customer_summary(orders, calibration_end, time_unit_days)
    reason = why_no_forecast(earlier)
    if reason:
        raise RfmError(f"No holdout check: in the history up to {calibration_end:%Y-%m-%d}, {reason[0].lower()}"
                       f"{reason[1:]}")
    x, t_x, age = earlier["frequency"], earlier["recency"], earlier["T"]
    happened = summary["frequency"].reindex(earlier.index).to_numpy() - x.to_numpy()
    models: dict[str, RepeatPurchaseModel] = {model.name: model.fit(x, t_x, age) for model in (BGNBD, ModifiedBGNBD)}
    if not all(model.converged for model in models.values()):
        raise RfmError(f"No holdout check: the models could not be fitted to the history up to "
                       f"{calibration_end:%Y-%m-%d}.")
    predicted = {name: model.expected_orders(holdout_days / time_unit_days, x, t_x, age)
                 for name, model in models.items()}
    group = np.minimum(x.to_numpy(), HOLDOUT_GROUPS)
    labels = [str(n) for n in range(HOLDOUT_GROUPS)] + [f"{HOLDOUT_GROUPS}+"]
    table = pd.DataFrame({"actual": happened, **predicted}).groupby(group).mean()
    table.insert(0, "customers", np.bincount(group, minlength=HOLDOUT_GROUPS + 1)[table.index])
    table.index = pd.Index([labels[n] for n in table.index], name="repeat_purchases")
    return HoldoutCheck(calibration_end, int(holdout_days), table, int(happened.sum()),
                        {name: float(values.sum()) for name, values in predicted.items()}, models)


def why_no_forecast(summary: pd.DataFrame) -> str | None:
    """The plain sentence saying why these customers cannot support a forecast, or None when they can."""
    repeat = summary["frequency"] > 0
    buyers = int(repeat.sum())
    if not len(summary):
        return "There are no purchases to forecast from."
    if buyers == 0 and summary["T"].max() == summary["T"].min():
        return "All purchases are from one day, so there is no history to forecast from yet."
    if buyers == 0:
        return "No customer has bought on two different days yet, so there is no repeat buying to forecast from."
    if buyers < MIN_REPEAT_BUYERS:
        return (f"Only {buyers} customer{' has' if buyers == 1 else 's have'} bought on two different days; "
                f"a forecast needs at least {MIN_REPEAT_BUYERS}.")
    values = summary["monetary_value"].to_numpy()[repeat.to_numpy()]
    if values.max() - values.min() <= 1e-9 * values.max():
        return "Every repeat purchase has the same value, so there is no spread in order values to forecast from."
    return None


@dataclass(frozen=True)
class Forecast:
    """What ``forecast`` returns.

    customers : indexed by customer_id (every customer with a purchase; empty when there is no
        forecast), columns COLUMNS: P(Active) (0 to 1), Expected Orders (over the horizon),
        Predicted Value (money over the horizon, discounted at the monthly rate), Expected Next
        Order (a date; NaT when P(Active) is under 20% or the median wait is over a century).
        No value is NaN or infinite.
    reason : None when there is a forecast; otherwise the sentence for the owner saying why not.
    model : the model the customers' figures come from (MODIFIED_NAME or BGNBD_NAME).
    bgnbd, modified_bgnbd, gamma_gamma : the fitted models (None when not fitted); alpha is
        in units of ``time_unit_days`` days, v in money.
    holdout : the holdout check, or None with ``holdout_reason`` saying why there is none.
    customers_used, repeat_buyers : customers with a purchase, and those with a repeat purchase day.
    """

    customers: pd.DataFrame
    reason: str | None
    model: str
    as_of: dt.date
    horizon_days: int
    monthly_discount_rate: float
    time_unit_days: float
    customers_used: int
    repeat_buyers: int
    bgnbd: BGNBD | None = None
    modified_bgnbd: ModifiedBGNBD | None = None
    gamma_gamma: GammaGamma | None = None
    holdout: HoldoutCheck | None = None
    holdout_reason: str | None = None

    @property
    def available(self) -> bool:
        return self.reason is None


def forecast(orders: pd.DataFrame | None, as_of: dt.date, *, horizon_days: int = 365, model: str = MODIFIED_NAME,
             monthly_discount_rate: float = 0.0, calibration_end: dt.date | None = None,
             time_unit_days: float = 1.0, summary: pd.DataFrame | None = None) -> Forecast:
    """Fit the three models on the orders up to ``as_of`` and forecast every customer over the horizon.

    Parameters
    ----------
    orders : DataFrame or None
        One row per order, as ``customer_summary`` takes them; None where only ``summary`` is known (the
        lines are in an engine), and then there is no holdout check.
    as_of : date
        The last day of the history; forecasts start from it.
    horizon_days : int
        Expected Orders and Predicted Value count the purchases in this many days after as_of.
    model : str
        MODIFIED_NAME (the default) or BGNBD_NAME: the model behind the customers' figures.
        Both are fitted, and both are in the holdout check.
    monthly_discount_rate : float
        Discounts Predicted Value (see ``lifetime_value``); 0 for none.
    calibration_end : date, optional
        Where the holdout check splits the history (see ``holdout_check``).
    time_unit_days : float
        The unit the models are fitted in (alpha is reported in it); 1 for days.
    summary : DataFrame, optional
        ``customer_summary``'s table, where it is already known.

    Returns
    -------
    Forecast
        With ``reason`` set and no customer figures when the orders are too few or too
        uniform to fit the models (fewer than MIN_REPEAT_BUYERS repeat buyers, nobody bought
        twice, one day of history, all values equal) or a fit did not converge.
    """
    if model not in MODELS:
        raise RfmError(f"The forecast model must be {' or '.join(MODELS)}, not {model!r}.")
    if not (isinstance(horizon_days, (int, np.integer)) and horizon_days > 0):
        raise RfmError(f"The forecast horizon must be a whole number of days above 0, not {horizon_days!r}.")
    if not (np.isfinite(monthly_discount_rate) and 0 <= monthly_discount_rate < 1):
        raise RfmError(f"The monthly discount rate must be from 0 up to 100%, not {monthly_discount_rate!r}.")
    if summary is None:
        assert orders is not None  # only an engine's history, whose summary it gives, comes without its lines
        summary = customer_summary(orders, as_of, time_unit_days)
    repeat_buyers = int((summary["frequency"] > 0).sum())
    empty = pd.DataFrame({column: pd.Series(dtype="datetime64[ns]" if column == COLUMNS[-1] else float)
                          for column in COLUMNS}, index=pd.Index(summary.index[:0], name="customer_id"))
    unfitted = Forecast(empty, None, model=model, as_of=as_of, horizon_days=int(horizon_days),
                        monthly_discount_rate=float(monthly_discount_rate), time_unit_days=float(time_unit_days),
                        customers_used=len(summary), repeat_buyers=repeat_buyers)
    reason = why_no_forecast(summary)
    if reason:
        return replace(unfitted, reason=reason)
    x, t_x, age = summary["frequency"], summary["recency"], summary["T"]
    bgnbd, modified = BGNBD.fit(x, t_x, age), ModifiedBGNBD.fit(x, t_x, age)
    gamma_gamma = GammaGamma.fit(x, summary["monetary_value"])
    fitted = replace(unfitted, bgnbd=bgnbd, modified_bgnbd=modified, gamma_gamma=gamma_gamma)
    chosen = {BGNBD_NAME: bgnbd, MODIFIED_NAME: modified}[model]
    if not (chosen.converged and gamma_gamma.converged):
        return replace(fitted, reason="The forecast could not be worked out from these orders: the model fit did not "
                                      "settle on an answer.")
    if gamma_gamma.q <= 1:
        return replace(fitted, reason="Order values are too uneven (a few are very large) to forecast a typical "
                                      "order's value.")
    active = chosen.p_alive(x, t_x, age)
    wait_days = chosen.median_time_to_next_order(x, age) * time_unit_days
    next_order = pd.Timestamp(as_of) + pd.to_timedelta(np.round(np.minimum(wait_days, LONGEST_WAIT_DAYS)), unit="D")
    customers = pd.DataFrame({
        COLUMNS[0]: active,
        COLUMNS[1]: chosen.expected_orders(horizon_days / time_unit_days, x, t_x, age),
        COLUMNS[2]: lifetime_value(chosen, gamma_gamma, summary, horizon_days, monthly_discount_rate, time_unit_days),
        COLUMNS[3]: next_order.where((active >= NEXT_ORDER_FROM) & (wait_days <= LONGEST_WAIT_DAYS)),
    }, index=summary.index)
    if not np.isfinite(customers[COLUMNS[:3]].to_numpy()).all():
        return replace(fitted, reason="The forecast could not be worked out from these orders: some figures came "
                                      "out too large to compute.")
    try:
        holdout, holdout_reason = _holdout(orders, summary, as_of, calibration_end, time_unit_days), None
    except RfmError as error:
        holdout, holdout_reason = None, str(error)
    return replace(fitted, customers=customers, holdout=holdout, holdout_reason=holdout_reason)


def _maximise(negative_log_likelihood, start: list[float], bounds: np.ndarray) -> tuple[list[float], bool, float]:
    """Parameters maximising a likelihood, from ``start``; whether the fit converged; the mean log-likelihood.

    The search runs on the parameters' logs, within ``bounds``, by SLSQP with the exact gradient
    (L-BFGS-B finds the same optimum but, since SciPy 1.15, can spend most of its time waking
    OpenBLAS threads for its tiny matrices). Converged means SLSQP met its tolerance, at a bound
    or not: a maximum at a bound is the likelihood's best within the model's sensible range.
    """
    result = optimize.minimize(negative_log_likelihood, np.log(start), jac=True, method="SLSQP", bounds=bounds,
                               options={"maxiter": 500, "ftol": 1e-14})
    return [float(value) for value in np.exp(result.x)], bool(result.success), -float(result.fun)


def _purchase_arrays(frequency, recency, T):
    return _floats(frequency), _floats(recency), _floats(T)


def _value_arrays(frequency, monetary_value):
    return _floats(frequency), _floats(monetary_value)


def _floats(values) -> np.ndarray:
    """Values as a float array (a Series by its own method: numpy's probing of a Series looks its attribute
    names up in a text index, which hashes millions of customer IDs)."""
    return values.to_numpy(dtype=float) if isinstance(values, pd.Series) else np.asarray(values, dtype=float)


def _day_number(day) -> int:
    """Days since 1970-01-01 of a date, datetime or Timestamp (its calendar day)."""
    return int(np.datetime64(pd.Timestamp(day).date(), "D").astype(np.int64))
