"""BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

Purchases follow a Poisson process with gamma(r, alpha) heterogeneity in the rate; after
each repeat purchase the customer drops out with probability p ~ beta(a, b).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1

from outsidein.clv.data import RFM, Floats
from outsidein.clv.fit import Fit, maximise

NAMES = ("r", "alpha", "a", "b")


def negll(params: Floats, d: RFM) -> tuple[float, Floats]:
    """Weighted negative log-likelihood of the distinct rows and its gradient."""
    r, alpha, a, b = params
    xv = d.x_values
    # Per distinct x: gamma/beta functions and their digammas, computed once.
    g_x = gammaln(r + xv) - gammaln(r)
    ba = betaln(a, b + xv)
    bd = np.where(xv > 0, betaln(a + 1, b + np.maximum(xv - 1, 0)), -np.inf)
    psi_abx = digamma(a + b + xv)
    da_a = digamma(a) - psi_abx
    da_d = digamma(a + 1) - psi_abx
    db_a = digamma(b + xv) - psi_abx
    db_d = np.where(xv > 0, digamma(b + np.maximum(xv - 1, 0) + (xv == 0)) - psi_abx, 0.0)
    dr_x = digamma(r + xv) - digamma(r)
    k = d.x_index
    x, rx = d.x, r + d.x
    log_aT = np.log(alpha + d.T)
    log_at = np.log(alpha + d.t_x)
    A = ba[k] - rx * log_aT
    D = bd[k] - rx * log_at
    top = np.maximum(A, D)
    ea, ed = np.exp(A - top), np.exp(D - top)
    s = ea + ed
    wa, wd = ea / s, ed / s
    ll = g_x[k] + r * np.log(alpha) - betaln(a, b) + top + np.log(s)
    w = d.weight
    g_r = dr_x[k] + np.log(alpha) - wa * log_aT - wd * log_at
    g_alpha = r / alpha - rx * (wa / (alpha + d.T) + wd / (alpha + d.t_x))
    psi_ab = digamma(a + b)
    g_a = -(digamma(a) - psi_ab) + wa * da_a[k] + wd * da_d[k]
    g_b = -(digamma(b) - psi_ab) + wa * db_a[k] + wd * db_d[k]
    grad = np.array([w @ g_r, w @ g_alpha, w @ g_a, w @ g_b])
    del x
    return -float(w @ ll), -grad


def fit(d: RFM, starts: Sequence[Sequence[float]] | None = None, **kw: bool) -> Fit:
    """Maximum likelihood from the given starts (default: a few spread over the surface)."""
    starts = starts or [(1.0, 1.0, 1.0, 1.0), (0.5, 5.0, 0.5, 2.0)]
    return maximise("bgnbd", NAMES, lambda p: negll(p, d), starts, d.customers, **kw)


def p_alive(params: Floats, x: Floats, t_x: Floats, T: Floats) -> Floats:
    """Probability the customer has not dropped out by T."""
    r, alpha, a, b = params
    log_ratio = (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    odds = np.where(
        x > 0, np.exp(np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) + log_ratio), 0.0
    )
    return np.asarray(1.0 / (1.0 + odds), dtype=np.float64)


def expected(params: Floats, t: float | Floats, x: Floats, t_x: Floats, T: Floats) -> Floats:
    """E[X(T, T + t) | x, t_x, T]: expected repeat transactions in the next t."""
    r, alpha, a, b = params
    z = t / (alpha + T + t)
    h = hyp2f1(r + x, b + x, a + b + x - 1, z)
    head = (a + b + x - 1) / (a - 1)
    body = 1.0 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * h
    log_ratio = (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    denom = 1.0 + np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * np.exp(log_ratio), 0.0)
    return np.asarray(head * body / denom, dtype=np.float64)


def expected_new(params: Floats, t: float | Floats) -> Floats:
    """E[X(t)] for a customer just acquired (the unconditional expectation)."""
    r, alpha, a, b = params
    z = np.asarray(t, dtype=np.float64) / (alpha + np.asarray(t, dtype=np.float64))
    head = (a + b - 1) / (a - 1)
    tail = (alpha / (alpha + np.asarray(t))) ** r * hyp2f1(r, b, a + b - 1, z)
    return np.asarray(head * (1.0 - tail), dtype=np.float64)
