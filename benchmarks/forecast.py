"""What the lifetime-value forecast costs for 100,000 customers: the summary, the fits and every prediction.

Usage: python benchmarks/forecast.py [--customers 100000] [--repeats 3]

The orders are drawn from the BG/NBD and Gamma-Gamma processes with CDNOW's parameters in days
(benchmarks/simulate.py), first purchases spread over two years. Each step is timed on its own
(best of --repeats), then forecast() as a whole: summary, both purchase models and Gamma-Gamma
fitted, the customers' figures, and the holdout check (both models fitted again on the first
three quarters of the history).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from rfm_excel.domain import forecast as fc
from simulate import simulate_orders
from udf_cache import machine

HORIZON_DAYS = 365


def best(repeats: int, work) -> tuple[float, object]:
    """The shortest of ``repeats`` timed runs of ``work()``, and its result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    orders, as_of, _ = simulate_orders(args.customers)
    n = args.repeats

    steps = {}
    steps["customer_summary"], summary = best(n, lambda: fc.customer_summary(orders, as_of))
    x, t_x, age, value = summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"]
    steps["BG/NBD fit"], bgnbd = best(n, lambda: fc.BGNBD.fit(x, t_x, age))
    steps["Modified BG/NBD fit"], modified = best(n, lambda: fc.ModifiedBGNBD.fit(x, t_x, age))
    steps["Gamma-Gamma fit"], gamma_gamma = best(n, lambda: fc.GammaGamma.fit(x, value))
    steps["P(alive)"], _ = best(n, lambda: modified.p_alive(x, t_x, age))
    steps["expected orders"], _ = best(n, lambda: modified.expected_orders(HORIZON_DAYS, x, t_x, age))
    steps["median time to next order"], _ = best(n, lambda: modified.median_time_to_next_order(x, age))
    steps["lifetime value"], _ = best(n, lambda: fc.lifetime_value(modified, gamma_gamma, summary, HORIZON_DAYS))
    steps["lifetime value, 1% a month"], _ = best(
        n, lambda: fc.lifetime_value(modified, gamma_gamma, summary, HORIZON_DAYS, monthly_discount_rate=0.01))
    steps["holdout check"], holdout = best(n, lambda: fc.holdout_check(orders, as_of))
    whole, result = best(n, lambda: fc.forecast(orders, as_of, horizon_days=HORIZON_DAYS))
    discounted, _ = best(n, lambda: fc.forecast(orders, as_of, horizon_days=HORIZON_DAYS, monthly_discount_rate=0.01))
    assert result.available and result.holdout is not None, result.reason or result.holdout_reason

    print(f"{dt.date.today():%Y-%m-%d}, {machine()}")
    print(f"{len(summary):,} customers ({result.repeat_buyers:,} repeat buyers), {len(orders):,} orders over "
          f"two years; best of {n}:")
    for step, seconds in steps.items():
        print(f"  {step:28s} {seconds:6.3f} s")
    print(f"  {'forecast() in all':28s} {whole:6.3f} s")
    print(f"  {'forecast(), 1% a month':28s} {discounted:6.3f} s")
    print("Fitted in days (drawn from BG/NBD r 0.243, alpha 30.9, a 0.793, b 2.426 and Gamma-Gamma p 6.25, "
          "q 3.74, v 15.44;\n  the modified model, fitted to the same orders, need not match):")
    for model in (bgnbd, modified):
        print(f"  {model.name:16s} r {model.r:.3f}, alpha {model.alpha:.1f}, a {model.a:.3f}, b {model.b:.3f}")
    print(f"  {'Gamma-Gamma':16s} p {gamma_gamma.p:.2f}, q {gamma_gamma.q:.2f}, v {gamma_gamma.v:.2f}")
    print(f"Holdout ({holdout.holdout_days} days from {holdout.calibration_end}): {holdout.actual:,} purchase days "
          f"happened; " + ", ".join(f"{name} predicted {total:,.0f}" for name, total in holdout.predicted.items()))


if __name__ == "__main__":
    main()
