"""Discounted customer lifetime value from a transaction model and a spend model.

CLV = E[spend per transaction] x sum over future periods i = 1..H of the expected
transactions in period i, discounted by (1 + d)^i (the method of Fader, Hardie & Lee 2005
"RFM and CLV", in discrete periods as lifetimes and CLVTools do).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from outsidein.clv.data import Floats


def discounted_clv(
    expected: Callable[[float], Floats],
    spend: Floats,
    periods: int,
    period_length: float,
    discount: float,
) -> Floats:
    """``expected(t)`` gives each customer's E[X(T, T + t)]; ``discount`` is per period."""
    total = np.zeros_like(np.asarray(spend, dtype=np.float64))
    before = np.zeros_like(total)
    for i in range(1, periods + 1):
        now = expected(i * period_length)
        total += (now - before) / (1.0 + discount) ** i
        before = now
    return np.asarray(total * spend, dtype=np.float64)
