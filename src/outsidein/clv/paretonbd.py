"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader & Hardie 2005 note on its
likelihood).

Purchases: Poisson with rate lambda ~ gamma(r, alpha); lifetime: exponential with rate
mu ~ gamma(s, beta). With m = max(alpha, beta) the likelihood is

    L = G(r+x) alpha^r beta^s / G(r) * [ (alpha+T)^-(r+x) (beta+T)^-s
                                        + s (F(t_x) - F(T)) ]
    F(t) = integral_t^inf (alpha+u)^-(r+x) (beta+u)^-(s+1) du
         = (m+t)^-(r+s+x) 2F1(r+s+x, c; r+s+x+1; |alpha-beta| / (m+t)) / (r+s+x)

with c = s+1 when alpha >= beta and c = r+x otherwise. The 2F1 values and derivatives come
from ``hyp2f1.log_g``, once per distinct (x, t_x) and (x, T) pair.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import digamma, gammaln

from outsidein.clv.data import RFM, Floats, distinct_rows
from outsidein.clv.fit import Fit, maximise
from outsidein.clv.hyp2f1 import log_g

NAMES = ("r", "alpha", "s", "beta")


class _Pairs:
    """The distinct (x, t) pairs of t_x and of T, computed once per data set."""

    def __init__(self, d: RFM) -> None:
        first, inv = distinct_rows(np.concatenate([d.x, d.x]), np.concatenate([d.t_x, d.T]))
        both_x, both_t = np.concatenate([d.x, d.x]), np.concatenate([d.t_x, d.T])
        self.x, self.t = both_x[first], both_t[first]
        n = len(d.x)
        self.at_tx, self.at_T = inv[:n], inv[n:]
        self.T, self.at_T_value = np.unique(d.T, return_inverse=True)


def _log_tail(params: Floats, x: Floats, t: Floats) -> Floats:
    """log F(t) and its derivatives in (r, alpha, s, beta) at distinct (x, t): 5 rows."""
    r, alpha, s, beta = params
    a = r + s + x
    if alpha >= beta:
        m, diff, c = alpha, alpha - beta, s + 1.0
    else:
        m, diff, c = beta, beta - alpha, r + x
    mt = m + t
    z = diff / mt
    zc = (min(alpha, beta) + t) / mt
    lg, ga, gc, gz = log_g(a, c * np.ones_like(a), z, zc)
    log_mt = np.log(mt)
    out = np.empty((5, len(x)))
    out[0] = -a * log_mt + lg - np.log(a)
    common = -log_mt + ga - 1.0 / a  # d/da, shared by r and s
    dz_dm = zc / mt  # d z / d max
    dz_dn = -1.0 / mt  # d z / d min
    if alpha >= beta:
        out[1], out[3] = common, common + gc
        out[2] = -a / mt + gz * dz_dm
        out[4] = gz * dz_dn
    else:
        out[1], out[3] = common + gc, common
        out[4] = -a / mt + gz * dz_dm
        out[2] = gz * dz_dn
    return out


def _terms(params: Floats, d: RFM, pairs: _Pairs) -> tuple[Floats, Floats, Floats]:
    """log L per row, d log L / d params (4 x rows) and the alive share A1 / bracket."""
    r, alpha, s, beta = params
    x = d.x
    tail = _log_tail(params, pairs.x, pairs.t)
    f_tx = tail[:, pairs.at_tx]
    f_T = tail[:, pairs.at_T]
    k, j = d.x_index, pairs.at_T_value
    log_aT, log_bT = np.log(alpha + pairs.T)[j], np.log(beta + pairs.T)[j]
    rx = r + x
    log_a1 = -rx * log_aT - s * log_bT
    d_a1 = np.stack([-log_aT, -rx / (alpha + pairs.T)[j], -log_bT, -s / (beta + pairs.T)[j]])
    top = np.maximum(log_a1, np.log(s) + f_tx[0])
    e1 = np.exp(log_a1 - top)
    e2 = np.exp(f_tx[0] - top)
    e3 = np.exp(f_T[0] - top)
    diff = np.maximum(e2 - e3, 0.0)
    bracket = e1 + s * diff
    grad = e1 * d_a1 + s * (e2 * f_tx[1:] - e3 * f_T[1:])
    grad[2] += diff
    grad /= bracket
    xv = d.x_values
    head = (gammaln(r + xv) - gammaln(r))[k] + r * np.log(alpha) + s * np.log(beta)
    ll = head + top + np.log(bracket)
    grad[0] += (digamma(r + xv) - digamma(r))[k] + np.log(alpha)
    grad[1] += r / alpha
    grad[2] += np.log(beta)
    grad[3] += s / beta
    return ll, grad, e1 / bracket


def negll(params: Floats, d: RFM, pairs: _Pairs | None = None) -> tuple[float, Floats]:
    """Weighted negative log-likelihood of the distinct rows and its gradient."""
    ll, grad, _ = _terms(params, d, pairs or _Pairs(d))
    return -float(d.weight @ ll), -(grad @ d.weight)


def fit(d: RFM, starts: Sequence[Sequence[float]] | None = None, **kw: bool) -> Fit:
    """Maximum likelihood from several starts (the surface has long flat ridges)."""
    pairs = _Pairs(d)
    starts = starts or [(1.0, 1.0, 1.0, 1.0), (0.5, 10.0, 0.5, 10.0)]
    return maximise("paretonbd", NAMES, lambda p: negll(p, d, pairs), starts, d.customers, **kw)


def p_alive(params: Floats, d: RFM) -> Floats:
    """P(alive at T | x, t_x, T) per distinct row (index with ``d.inverse``)."""
    return _terms(params, d, _Pairs(d))[2]


def expected(params: Floats, t: float, d: RFM) -> Floats:
    """E[X(T, T + t) | x, t_x, T] per distinct row."""
    r, alpha, s, beta = params
    bT = beta + d.T
    if abs(s - 1.0) < 1e-10:
        lifetime = bT * np.log1p(t / bT)
    else:
        lifetime = bT / (s - 1) * (1.0 - (bT / (bT + t)) ** (s - 1))
    return np.asarray((r + d.x) / (alpha + d.T) * lifetime * p_alive(params, d), dtype=np.float64)
