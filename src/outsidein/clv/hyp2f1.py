"""The Gauss hypergeometric term of the Pareto/NBD likelihood, with its derivatives.

Pareto/NBD needs G = 2F1(a, b; a + 1; z) for 0 <= z < 1, at a = r + s + x and z built from
one of the customer's times. ``log_g`` returns log G and d log G / d(a, b, z) together.

- Where the power series converges fast (z small enough for b), it is summed term by term
  with the derivative series alongside.
- Elsewhere (|alpha - beta| close to max(alpha, beta) + t, or a large b) the series needs
  thousands of terms or overflows; there G = a * integral_0^1 w^(a-1) (1 - z w)^(-b) dw is
  computed by tanh-sinh quadrature in log space, which resolves the boundary layers at
  w = 0 (a < 1) and w = 1 (z near 1). ``zc`` = 1 - z is passed exactly by the caller.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]

SERIES_TERMS = 400
_TOL = 1e-16


def log_g(a: Floats, b: Floats, z: Floats, zc: Floats) -> tuple[Floats, Floats, Floats, Floats]:
    """log 2F1(a, b; a+1; z) and its partial derivatives in a, b and z (vectors)."""
    out = [np.empty_like(a) for _ in range(4)]
    # Series where it settles within SERIES_TERMS terms: the ratio of terms tends to z,
    # after a rise while (b + n) z > n + 1 (to about n = b z / (1 - z)).
    use_series = (z <= 0.85) & (b * z / np.maximum(zc, 1e-300) < 60.0)
    for mask, method in ((use_series, _series), (~use_series, _quadrature)):
        if mask.any():
            parts = method(a[mask], b[mask], z[mask], zc[mask])
            for o, p in zip(out, parts, strict=True):
                o[mask] = p
    return out[0], out[1], out[2], out[3]


def _series(a: Floats, b: Floats, z: Floats, zc: Floats) -> tuple[Floats, Floats, Floats, Floats]:
    """Term-by-term sums; rows leave the loop as soon as their terms are negligible."""
    out = np.empty((4, len(a)))
    idx = np.arange(len(a))
    g = np.ones_like(a)
    ga = np.zeros_like(a)
    gb = np.zeros_like(a)
    gz = np.zeros_like(a)
    q = np.ones_like(a)  # (b)_n z^n / n!
    qz = np.ones_like(a)  # (b)_n z^(n-1) / (n-1)!, the z-derivative's running factor
    sb = np.zeros_like(a)  # sum_{k<n} 1 / (b + k)
    for n in range(1, SERIES_TERMS + 1):
        bn = b + (n - 1)
        qz = q * bn if n == 1 else qz * bn * z / (n - 1)
        q = q * bn * z / n
        sb += 1.0 / bn
        c = a / (a + n)
        term = c * q
        g += term
        ga += q * n / (a + n) ** 2
        gb += term * sb
        gz += c * qz
        if n % 8 == 0 or n == SERIES_TERMS:
            done = (term * np.maximum(sb, 1.0) <= _TOL * g) & (
                c * qz <= _TOL * np.maximum(gz, 1e-300)
            )
            if done.any():
                out[:, idx[done]] = (
                    np.log(g[done]),
                    ga[done] / g[done],
                    gb[done] / g[done],
                    (gz[done] / g[done]),
                )
                keep = ~done
                if not keep.any():
                    break
                idx, a, b, z = idx[keep], a[keep], b[keep], z[keep]
                g, ga, gb, gz = g[keep], ga[keep], gb[keep], gz[keep]
                q, qz, sb = q[keep], qz[keep], sb[keep]
    else:  # rows the series did not settle in SERIES_TERMS terms: quadrature
        rest = _quadrature(a, b, z, 1.0 - z)
        for k in range(4):
            out[k, idx] = rest[k]
    return out[0], out[1], out[2], out[3]


# tanh-sinh nodes on [0, 1]: w = 1 / (1 + exp(-pi sinh t)), t in [-4.5, 4.5], step 1/24.
_T = np.arange(-4.5, 4.5 + 1e-12, 1.0 / 24.0)
_U = np.pi * np.sinh(_T)
_LOG_W = -np.logaddexp(0.0, -_U)  # log w
_LOG_1MW = -np.logaddexp(0.0, _U)  # log (1 - w)
_W = np.exp(_LOG_W)
_ONE_MINUS_W = np.exp(_LOG_1MW)
_LOG_DW = np.log(np.pi * np.cosh(_T) / 24.0) + _LOG_W + _LOG_1MW  # log dw/dt * step


def _quadrature(
    a: Floats, b: Floats, z: Floats, zc: Floats
) -> tuple[Floats, Floats, Floats, Floats]:
    a2, b2, z2, zc2 = a[:, None], b[:, None], z[:, None], zc[:, None]
    one_minus_zw = zc2 + z2 * _ONE_MINUS_W  # exact for z near 1
    log_1mzw = np.log(one_minus_zw)
    log_f = (a2 - 1.0) * _LOG_W - b2 * log_1mzw + _LOG_DW
    top = log_f.max(axis=1, keepdims=True)
    f = np.exp(log_f - top)
    total = f.sum(axis=1)
    log_j = np.log(total) + top[:, 0]
    ja = (f * _LOG_W).sum(axis=1) / total  # d log J / da
    jb = -(f * log_1mzw).sum(axis=1) / total
    jz = (f * (b2 * _W / one_minus_zw)).sum(axis=1) / total
    return np.log(a) + log_j, 1.0 / a + ja, jb, jz
