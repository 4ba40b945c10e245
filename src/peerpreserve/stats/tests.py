"""Hypothesis tests for rates: two-sample tests, one-sample test, McNemar, Fisher's method.

Two-sample functions take counts ``(k1, n1, k2, n2)``: k1 events in n1 trials of the first
group and k2 in n2 of the second. They return two-sided p-values. A table with no
information about the difference (a group with n = 0, or no events or only events in both
groups together) has the defined answer p = 1.0, documented per function, instead of NaN.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
from scipy import stats as _st

from ._validate import as_count, check_k_n, check_probability, check_pvalues


def _two_groups(k1: object, n1: object, k2: object, n2: object) -> tuple[int, int, int, int]:
    k1, n1 = check_k_n(k1, n1, "k1", "n1")
    k2, n2 = check_k_n(k2, n2, "k2", "n2")
    return k1, n1, k2, n2


def _uninformative(k1: int, n1: int, k2: int, n2: int) -> bool:
    """True when the data say nothing about a difference: a group is empty, or the pooled
    rate is 0 or 1 (every test statistic is then the same for all tables with these margins)."""
    total_k = k1 + k2
    return n1 == 0 or n2 == 0 or total_k == 0 or total_k == n1 + n2


def fisher_exact(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of Fisher's exact test for k1/n1 against k2/n2.

    Conditions on both margins of the 2x2 table [[k1, n1-k1], [k2, n2-k2]] and sums the
    hypergeometric probabilities of all tables no more likely than the observed one (the
    convention of R's ``fisher.test``, with a relative tolerance of 1e-7). Computed by
    ``scipy.stats.fisher_exact``. Degenerate tables (n1 = 0, n2 = 0, or the pooled rate 0 or 1)
    give p = 1.0.

    Reference: R. A. Fisher (1935), "The logic of inductive inference", JRSS 98, 39-82;
    A. Agresti (2013), Categorical Data Analysis, 3rd ed., section 3.5 (tea tasting
    example: 3/4 against 1/4 gives p = 0.4857).
    """
    k1, n1, k2, n2 = _two_groups(k1, n1, k2, n2)
    if _uninformative(k1, n1, k2, n2):
        return 1.0
    res = _st.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]], alternative="two-sided")
    return float(min(1.0, res.pvalue))


def boschloo_exact(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of Boschloo's exact unconditional test for k1/n1 against k2/n2.

    Boschloo's test uses the one-sided Fisher p-value as its statistic and maximises the
    probability of a statistic at least as extreme over the common rate (the nuisance
    parameter) under two independent binomials; it is uniformly more powerful than Fisher's
    test. The two-sided p-value is twice the smaller one-sided p-value, capped at 1 (SciPy's
    convention, equal to R ``Exact::exact.test(method = "boschloo", tsmethod = "central")``).
    Computed by ``scipy.stats.boschloo_exact`` with 64 sampling points for the maximisation,
    on the table whose columns are the two groups, [[k1, k2], [n1-k1, n2-k2]]. It costs
    about 0.1 s for 100 trials per group, so results are cached by table.

    Degenerate tables, where SciPy returns NaN or the test is vacuous (n1 = 0, n2 = 0, or
    the pooled rate 0 or 1, e.g. 0/100 against 0/100), give p = 1.0: no table can be more
    extreme than one that carries no information about the difference.

    Reference: R. D. Boschloo (1970), "Raised conditional level of significance for the
    2x2-table when testing the equality of two probabilities", Statistica Neerlandica 24,
    1-35; SciPy ``scipy.stats.boschloo_exact``.
    """
    k1, n1, k2, n2 = _two_groups(k1, n1, k2, n2)
    if _uninformative(k1, n1, k2, n2):
        return 1.0
    return _boschloo_cached(k1, n1, k2, n2)


@lru_cache(maxsize=65536)
def _boschloo_cached(k1: int, n1: int, k2: int, n2: int) -> float:
    # about 0.1 s a call at n = 100 per group, and study cells repeat tables: cache them
    res = _st.boschloo_exact([[k1, k2], [n1 - k1, n2 - k2]], alternative="two-sided", n=64)
    p = float(res.pvalue)
    if math.isnan(p):  # not expected after the degenerate check; never return NaN
        return 1.0
    return min(1.0, max(0.0, p))


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (the original study's test).

    z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)) with the pooled rate p = (k1 + k2)/(n1 + n2),
    referred to the standard normal. z**2 equals Pearson's chi-square without continuity
    correction, so p equals R's ``prop.test(c(k1, k2), c(n1, n2), correct = FALSE)``.
    A large-sample test: prefer ``boschloo_exact`` or ``fisher_exact`` for small or extreme
    counts. When the pooled rate is 0 or 1 (0/100 against 0/100) the standard error is 0
    and z undefined; the defined answer is p = 1.0. A group with n = 0 also gives p = 1.0.

    Reference: A. Agresti (2013), Categorical Data Analysis, 3rd ed., section 3.2.1;
    J. L. Fleiss, B. Levin, M. C. Paik (2003), Statistical Methods for Rates and
    Proportions, 3rd ed., section 2.6.
    """
    k1, n1, k2, n2 = _two_groups(k1, n1, k2, n2)
    if _uninformative(k1, n1, k2, n2):
        return 1.0
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    z = (k1 / n1 - k2 / n2) / se
    return float(min(1.0, math.erfc(abs(z) / math.sqrt(2.0))))


def binomial_greater(k: int, n: int, p0: float) -> float:
    """One-sided exact binomial p-value that the rate exceeds p0: P(X >= k) for X ~ Bin(n, p0).

    Equals R's ``binom.test(k, n, p = p0, alternative = "greater")$p.value``. k = 0 (and so
    n = 0) gives 1.0. The original study used p0 = 0.001 to test "rate > 0"; note that with
    100 trials a single event already gives p = 1 - 0.999**100 = 0.095 and two give 0.0046.

    Reference: C. J. Clopper, E. S. Pearson (1934), Biometrika 26, 404-413 (the exact
    binomial tail); A. Agresti (2013), Categorical Data Analysis, 3rd ed., section 1.4.
    """
    k, n = check_k_n(k, n)
    p0 = check_probability(p0, "p0")
    if k == 0:
        return 1.0
    return float(min(1.0, max(0.0, _st.binom.sf(k - 1, n, p0))))


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pair counts b and c.

    Under the null of marginal homogeneity, b given b + c is Bin(b + c, 1/2); the p-value is
    the two-sided exact binomial test, min(1, 2 * P(X <= min(b, c))). Equals R's
    ``binom.test(b, b + c, 0.5)$p.value`` and ``exact2x2::mcnemar.exact``. b + c = 0 (no
    discordant pairs) gives 1.0.

    Reference: Q. McNemar (1947), Psychometrika 12, 153-157; A. Agresti (2013),
    Categorical Data Analysis, 3rd ed., section 11.1.
    """
    b, c = as_count(b, "b"), as_count(c, "c")
    m = b + c
    if m == 0:
        return 1.0
    return float(min(1.0, 2.0 * _st.binom.cdf(min(b, c), m, 0.5)))


def fisher_combine(pvalues: Iterable[float]) -> float:
    """Fisher's method: combined p-value of independent tests of the same null.

    X = -2 * sum(log p_i) is chi-square with 2m degrees of freedom under the global null
    (all m nulls true); the combined p is its upper tail. A p-value of 0 gives 0. It tests
    "at least one effect", not "an effect in all", and assumes independent p-values
    (not true for several tests on the same cells).

    Reference: R. A. Fisher (1932), Statistical Methods for Research Workers, 4th ed.,
    section 21.1; matches ``scipy.stats.combine_pvalues(method="fisher")``.
    """
    ps = check_pvalues(pvalues)
    if any(p == 0.0 for p in ps):
        return 0.0
    x = -2.0 * float(np.sum(np.log(ps)))
    return float(min(1.0, _st.chi2.sf(x, 2 * len(ps))))
