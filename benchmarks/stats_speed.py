"""Speed of the interval and test functions of peerpreserve.stats over many cells.

Usage::

    python benchmarks/stats_speed.py                 # 10,000 cells; Boschloo timed on a sample
    python benchmarks/stats_speed.py --full          # Boschloo on every cell too (minutes)
    python benchmarks/stats_speed.py --cells 2000 --trials 50

A cell is one comparison: k1/n vs k2/n events (n trials per condition, 100 as in the study),
plus one paired table for McNemar. Rates are drawn so that most cells sit near 0, like the
study's. Boschloo's test is about 0.1 s a table at n = 100 (SciPy maximises over the nuisance
parameter), so by default it is timed on a sample of distinct tables with the cache cleared
and extrapolated; the printout also gives the number of distinct tables, which is what the
cache actually pays for.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from peerpreserve.stats import (
    binomial_greater,
    boschloo_exact,
    fisher_exact,
    mcnemar_exact,
    newcombe_interval,
    two_proportion_z,
    wilson_interval,
)
from peerpreserve.stats import tests as _tests


def make_cells(count: int, trials: int, seed: int) -> list[tuple[int, int, int, int, int, int]]:
    rng = np.random.default_rng(seed)
    rates = rng.beta(0.4, 3.0, size=(count, 2))  # skewed towards 0
    k = rng.binomial(trials, rates)
    disc = rng.poisson(3.0, size=(count, 2))  # discordant pairs b, c
    return [(int(a), trials, int(b), trials, int(c), int(d)) for (a, b), (c, d) in zip(k, disc)]


def timed(label: str, func: Callable[[], object], calls: int) -> None:
    start = time.perf_counter()
    func()
    elapsed = time.perf_counter() - start
    per_call = elapsed / calls
    print(f"{label:<34} {calls:>7} calls {elapsed:9.3f} s  {per_call * 1e6:10.1f} us/call")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", type=int, default=10_000)
    ap.add_argument("--trials", type=int, default=100, help="trials per condition (n1 = n2)")
    ap.add_argument("--boschloo-sample", type=int, default=100, help="distinct tables timed when not --full")
    ap.add_argument("--full", action="store_true", help="run Boschloo on every cell")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    cells = make_cells(args.cells, args.trials, args.seed)
    tables = [c[:4] for c in cells]
    distinct = sorted(set(tables))
    print(f"{len(cells):,} cells, n = {args.trials} per condition, {len(distinct):,} distinct 2x2 tables")

    timed("wilson_interval (x2 per cell)", lambda: [(wilson_interval(a, b), wilson_interval(c, d)) for a, b, c, d in tables], 2 * len(tables))
    timed("newcombe_interval", lambda: [newcombe_interval(*t) for t in tables], len(tables))
    timed("two_proportion_z", lambda: [two_proportion_z(*t) for t in tables], len(tables))
    timed("binomial_greater (p0 = 0.001)", lambda: [binomial_greater(a, b, 0.001) for a, b, _, _ in tables], len(tables))
    timed("fisher_exact", lambda: [fisher_exact(*t) for t in tables], len(tables))
    timed("mcnemar_exact", lambda: [mcnemar_exact(c[4], c[5]) for c in cells], len(cells))

    _tests._boschloo_cached.cache_clear()
    if args.full:
        timed("boschloo_exact (first pass)", lambda: [boschloo_exact(*t) for t in tables], len(tables))
        timed("boschloo_exact (second, all cached)", lambda: [boschloo_exact(*t) for t in tables], len(tables))
    else:
        rng = np.random.default_rng(args.seed + 1)
        pick = rng.choice(len(distinct), size=min(args.boschloo_sample, len(distinct)), replace=False)
        sample = [distinct[i] for i in pick]
        start = time.perf_counter()
        for t in sample:
            boschloo_exact(*t)
        per_table = (time.perf_counter() - start) / len(sample)
        print(f"{'boschloo_exact (distinct, cold)':<34} {len(sample):>7} calls {per_table * len(sample):9.3f} s  "
              f"{per_table * 1e6:10.1f} us/call")
        print(f"{'  extrapolated, no cache':<34} ~{per_table * len(tables):8.1f} s for {len(tables):,} cells")
        print(f"{'  extrapolated, with cache':<34} ~{per_table * len(distinct):8.1f} s "
              f"({len(distinct):,} distinct tables; the rest are cache hits)")


if __name__ == "__main__":
    main()
