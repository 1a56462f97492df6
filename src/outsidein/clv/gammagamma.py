"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005 "RFM and CLV"; Fader & Hardie 2013
note "The Gamma-Gamma Model of Monetary Value").

A customer's transaction values are gamma(p, nu) with nu ~ gamma(q, gamma) across
customers; fitted on the mean value m_x of each repeat buyer's x transactions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma, gammaln

from outsidein.clv.data import Floats
from outsidein.clv.errors import ClvError
from outsidein.clv.fit import Fit, maximise

NAMES = ("p", "q", "gamma")


def _inputs(x: ArrayLike, m_x: ArrayLike) -> tuple[Floats, Floats]:
    xs = np.asarray(x, dtype=np.float64).reshape(-1)
    ms = np.asarray(m_x, dtype=np.float64).reshape(-1)
    bad = ~(np.isfinite(xs) & np.isfinite(ms) & (xs > 0) & (ms > 0))
    if len(xs) != len(ms) or len(xs) == 0:
        raise ClvError("Gamma-Gamma needs one x and one mean spend m_x per repeat buyer")
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ClvError(
            f"row {i}: x={xs[i]:g}, m_x={ms[i]:g}; Gamma-Gamma uses repeat buyers only "
            "(x > 0) with a positive mean spend"
        )
    return xs, ms


def negll(params: Floats, x: Floats, m: Floats) -> tuple[float, Floats]:
    """Negative log-likelihood of the mean spends and its gradient."""
    p, q, g = params
    px = p * x
    lgm = np.log(g + m * x)
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * lgm
    )
    psi = digamma(px + q)
    d_p = x * (psi - digamma(px) + np.log(m) + np.log(x) - lgm)
    d_q = psi - digamma(q) + np.log(g) - lgm
    d_g = q / g - (px + q) / (g + m * x)
    return -float(ll.sum()), -np.array([d_p.sum(), d_q.sum(), d_g.sum()])


def fit(x: ArrayLike, m_x: ArrayLike, starts: Sequence[Sequence[float]] | None = None) -> Fit:
    """Maximum likelihood on the repeat buyers' (x, m_x)."""
    xs, ms = _inputs(x, m_x)
    starts = starts or [(1.0, 1.0, 1.0), (5.0, 3.0, float(np.mean(ms)))]
    return maximise("gammagamma", NAMES, lambda p: negll(p, xs, ms), starts, len(xs))


def expected_spend(params: Floats, x: ArrayLike, m_x: ArrayLike) -> Floats:
    """E[M | x, m_x]: the customer's expected value per transaction (population mean at x=0)."""
    p, q, g = params
    xs = np.asarray(x, dtype=np.float64)
    ms = np.where(xs > 0, np.asarray(m_x, dtype=np.float64), 0.0)
    return np.asarray(p * (g + xs * ms) / (p * xs + q - 1), dtype=np.float64)
