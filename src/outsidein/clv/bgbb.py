"""BG/BB for discrete transaction opportunities (Fader, Hardie & Shang 2010, "Customer-base
analysis in a discrete-time noncontractual setting").

While alive a customer transacts at each opportunity with probability p ~ beta(alpha, beta);
at the start of each opportunity they die with probability theta ~ beta(gamma, delta).
Data: x transactions in n opportunities, the last at opportunity t_x.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, digamma

from outsidein.clv.data import RFM, Floats, compress
from outsidein.clv.errors import ClvError
from outsidein.clv.fit import Fit, maximise

NAMES = ("alpha", "beta", "gamma", "delta")


def summarise(x: ArrayLike, t_x: ArrayLike, n: ArrayLike) -> RFM:
    """Check (x, t_x, n) and merge identical rows; ``T`` holds n."""
    d = compress(x, t_x, n)
    whole = (np.floor(d.T) == d.T) & (np.floor(d.t_x) == d.t_x)
    bad = ~whole | (d.x > d.t_x)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ClvError(
            f"BG/BB row x={d.x[i]:g}, t_x={d.t_x[i]:g}, n={d.T[i]:g}: opportunities are whole "
            "numbers and x <= t_x <= n"
        )
    return d


def _log_terms(params: Floats, d: RFM) -> tuple[Floats, Floats, list[Floats]]:
    """Log of each term of L (column 0: alive through n; then death after t_x + i)."""
    al, be, ga, de = params
    x, tx, n = d.x, d.t_x, d.T
    width = int(np.max(n - tx)) + 1
    i = np.arange(width - 1)[None, :]
    valid = np.concatenate([np.ones((len(x), 1), bool), i < (n - tx)[:, None]], axis=1)
    pa = np.concatenate([(be + n - x)[:, None], be + (tx - x)[:, None] + i], axis=1)
    th_a = np.concatenate([np.full((len(x), 1), ga), np.full((len(x), width - 1), ga + 1)], 1)
    th_b = np.concatenate([(de + n)[:, None], de + tx[:, None] + i], axis=1)
    xa = (al + x)[:, None]
    log_t = betaln(xa, pa) + betaln(th_a, th_b)
    log_t = np.where(valid, log_t, -np.inf)
    pieces = [xa, pa, th_a, th_b]
    return log_t, valid.astype(np.float64), pieces


def negll(params: Floats, d: RFM) -> tuple[float, Floats]:
    """Weighted negative log-likelihood and its gradient."""
    al, be, ga, de = params
    log_t, valid, (xa, pa, th_a, th_b) = _log_terms(params, d)
    top = log_t.max(axis=1, keepdims=True)
    e = np.exp(log_t - top) * valid
    tot = e.sum(axis=1, keepdims=True)
    w = e / tot
    ll = top[:, 0] + np.log(tot[:, 0]) - betaln(al, be) - betaln(ga, de)
    psi_p = digamma(xa + pa)
    psi_t = digamma(th_a + th_b)
    safe_pa = np.where(valid > 0, pa, 1.0)
    safe_tb = np.where(valid > 0, th_b, 1.0)
    g_al = (w * (digamma(xa) - psi_p)).sum(1) - (digamma(al) - digamma(al + be))
    g_be = (w * (digamma(safe_pa) - psi_p)).sum(1) - (digamma(be) - digamma(al + be))
    g_ga = (w * (digamma(th_a) - psi_t)).sum(1) - (digamma(ga) - digamma(ga + de))
    g_de = (w * (digamma(safe_tb) - psi_t)).sum(1) - (digamma(de) - digamma(ga + de))
    wt = d.weight
    return -float(wt @ ll), -np.array([wt @ g_al, wt @ g_be, wt @ g_ga, wt @ g_de])


def fit(d: RFM, starts: Sequence[Sequence[float]] | None = None) -> Fit:
    """Maximum likelihood on rows from ``summarise``."""
    starts = starts or [(1.0, 1.0, 1.0, 1.0), (0.5, 0.5, 0.5, 3.0)]
    return maximise("bgbb", NAMES, lambda p: negll(p, d), starts, d.customers)


def simulate(params: Sequence[float], customers: int, n: int, seed: int) -> RFM:
    """Draw (x, t_x, n) from the model: the ground truth for the recovery tests."""
    al, be, ga, de = params
    rng = np.random.default_rng(seed)
    p = rng.beta(al, be, customers)
    theta = rng.beta(ga, de, customers)
    alive_for = np.minimum(rng.geometric(theta) - 1, n)  # opportunities survived
    buys = rng.random((customers, n)) < p[:, None]
    buys &= np.arange(1, n + 1)[None, :] <= alive_for[:, None]
    x = buys.sum(axis=1)
    last = np.where(x > 0, n - np.argmax(buys[:, ::-1], axis=1), 0)
    return summarise(x, last, np.full(customers, n))


def p_alive(params: Floats, d: RFM) -> Floats:
    """P(alive at n + 1 | x, t_x, n) per distinct row."""
    al, be, ga, de = params
    log_t, valid, _ = _log_terms(params, d)
    top = log_t.max(axis=1)
    log_l = top + np.log((np.exp(log_t - top[:, None]) * valid).sum(1))
    alive = betaln(al + d.x, be + d.T - d.x) + betaln(ga, de + d.T + 1)
    return np.asarray(np.exp(alive - log_l), dtype=np.float64)
