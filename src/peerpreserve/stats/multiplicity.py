"""Multiple-comparison adjustments: Holm (family-wise error) and Benjamini-Hochberg (FDR)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ._validate import check_pvalues


def holm(pvalues: Iterable[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input order.

    With the m p-values sorted ascending, p_(1) <= ... <= p_(m), the adjusted value of the
    i-th is max over j <= i of min(1, (m - j + 1) * p_(j)). Rejecting where the adjusted
    p <= alpha controls the family-wise error rate at alpha under any dependence. Adjusted
    values are monotone in the raw ones and capped at 1. Same as R's
    ``p.adjust(p, method = "holm")``.

    Reference: S. Holm (1979), "A simple sequentially rejective multiple test procedure",
    Scandinavian Journal of Statistics 6, 65-70.
    """
    p = np.asarray(check_pvalues(pvalues), dtype=float)
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = (m - np.arange(m)) * p[order]
    adjusted_sorted = np.minimum(1.0, np.maximum.accumulate(stepped))
    out = np.empty(m)
    out[order] = adjusted_sorted
    return [float(v) for v in out]


def benjamini_hochberg(pvalues: Iterable[float]) -> list[float]:
    """Benjamini-Hochberg step-up adjusted p-values (q-values), in the input order.

    With the m p-values sorted ascending, the adjusted value of the i-th is
    min over j >= i of min(1, m * p_(j) / j). Rejecting where the adjusted p <= q controls
    the false discovery rate at q for independent or positively dependent (PRDS) tests.
    Adjusted values are monotone in the raw ones and capped at 1. Same as R's
    ``p.adjust(p, method = "BH")``.

    Reference: Y. Benjamini, Y. Hochberg (1995), "Controlling the false discovery rate: a
    practical and powerful approach to multiple testing", JRSS B 57, 289-300.
    """
    p = np.asarray(check_pvalues(pvalues), dtype=float)
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out = np.empty(m)
    out[order] = adjusted_sorted
    return [float(v) for v in out]
