"""Shifted-beta-geometric retention for contractual cohorts (Fader & Hardie 2007, "How to
project customer retention"; 2010, "Customer-base valuation in a contractual setting").

Each customer renews every period with probability 1 - theta, theta ~ beta(alpha, beta).
Fitted on the number of a cohort's customers still active at the start of each period.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, digamma, hyp2f1

from outsidein.clv.data import Floats
from outsidein.clv.errors import ClvError
from outsidein.clv.fit import Fit, maximise

NAMES = ("alpha", "beta")


def _counts(alive: ArrayLike) -> Floats:
    s = np.asarray(alive, dtype=np.float64).reshape(-1)
    if len(s) < 2:
        raise ClvError("sBG needs the active count for at least two periods (start and one more)")
    if np.any(~np.isfinite(s)) or np.any(s < 0) or np.any(np.diff(s) > 0):
        raise ClvError(
            f"active counts {s.tolist()} must be non-negative and never rise: a cohort only "
            "loses customers"
        )
    if s[0] <= 0:
        raise ClvError("the cohort's first period has no customers")
    return s


def negll(params: Floats, alive: Floats) -> tuple[float, Floats]:
    """Negative log-likelihood of the churned per period and survivors, with gradient."""
    a, b = params
    t = np.arange(1, len(alive))
    lost = alive[:-1] - alive[1:]
    base = betaln(a, b)
    psi_ab, psi_a, psi_b = digamma(a + b), digamma(a), digamma(b)
    # P(T = t) = B(a + 1, b + t - 1) / B(a, b); S(n) = B(a, b + n) / B(a, b).
    lp = betaln(a + 1, b + t - 1) - base
    ls = betaln(a, b + t[-1]) - base
    ll = lost @ lp + alive[-1] * ls
    psi_end = digamma(a + b + t)  # digamma(a + 1 + b + t - 1)
    dlp_a = digamma(a + 1) - psi_end - (psi_a - psi_ab)
    dlp_b = digamma(b + t - 1) - psi_end - (psi_b - psi_ab)
    dls_a = psi_a - digamma(a + b + t[-1]) - (psi_a - psi_ab)
    dls_b = digamma(b + t[-1]) - digamma(a + b + t[-1]) - (psi_b - psi_ab)
    grad = np.array([lost @ dlp_a + alive[-1] * dls_a, lost @ dlp_b + alive[-1] * dls_b])
    return -float(ll), -grad


def fit(alive: ArrayLike, starts: Sequence[Sequence[float]] | None = None) -> Fit:
    """Fit alpha and beta to a cohort's active counts at the start of periods 0..n."""
    s = _counts(alive)
    starts = starts or [(1.0, 1.0), (0.5, 3.0)]
    return maximise("sbg", NAMES, lambda p: negll(p, s), starts, int(s[0]))


def fit_cohorts(cohorts: Sequence[ArrayLike]) -> Fit:
    """One (alpha, beta) for several cohorts, each observed for its own number of periods.

    A cohort seen for a single period (no renewal due yet) carries no information and is
    skipped; the likelihood is the sum over the cohorts.
    """
    usable = [_counts(c) for c in cohorts if len(np.asarray(c).reshape(-1)) >= 2]
    if not usable:
        raise ClvError("sBG needs a cohort observed for at least two billing periods")

    def total(p: Floats) -> tuple[float, Floats]:
        value, grad = 0.0, np.zeros(2)
        for alive in usable:
            v, g = negll(p, alive)
            value, grad = value + v, grad + g
        return value, grad

    starts = [(1.0, 1.0), (0.5, 3.0)]
    return maximise("sbg", NAMES, total, starts, int(sum(c[0] for c in usable)))


def survival(params: Floats, periods: int) -> Floats:
    """S(t) for t = 0..periods: the share of a cohort still active at the start of t."""
    a, b = params
    t = np.arange(periods + 1)
    return np.asarray(np.exp(betaln(a, b + t) - betaln(a, b)), dtype=np.float64)


def retention(params: Floats, periods: int) -> Floats:
    """r_t = S(t) / S(t - 1) for t = 1..periods: (beta + t - 1) / (alpha + beta + t - 1)."""
    a, b = params
    t = np.arange(1, periods + 1)
    return np.asarray((b + t - 1) / (a + b + t - 1), dtype=np.float64)


def derl(params: Floats, discount: float, renewals: int) -> float:
    """Discounted expected residual lifetime, in payments, of a customer who has made
    ``renewals`` + 1 payments and is about to renew (Fader & Hardie 2010, eq. 6).
    """
    a, b = params
    n = renewals + 1
    return float((b + n - 1) / (a + b + n - 1) * hyp2f1(1.0, b + n, a + b + n, 1 / (1 + discount)))
