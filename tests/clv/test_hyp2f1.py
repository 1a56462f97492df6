"""The Pareto/NBD 2F1 term: series and quadrature against SciPy and each other."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import hyp2f1

from outsidein.clv import compress, paretonbd
from outsidein.clv.hyp2f1 import _quadrature, _series, log_g


def test_value_matches_scipy_over_both_methods() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.3, 30, 3000), rng.uniform(0.3, 30, 3000)
    z = rng.uniform(0.0, 0.999, 3000)
    got = log_g(a, b, z, 1 - z)[0]
    assert got == pytest.approx(np.log(hyp2f1(a, b, a + 1, z)), rel=1e-12, abs=1e-12)


def test_series_and_quadrature_agree_with_derivatives() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.2, 40, 500), rng.uniform(0.2, 10, 500)
    z = rng.uniform(0.0, 0.7, 500)
    for s, q in zip(_series(a, b, z, 1 - z), _quadrature(a, b, z, 1 - z), strict=True):
        assert s == pytest.approx(q, rel=1e-11, abs=1e-11)


def test_derivatives_match_finite_differences() -> None:
    a, b = np.array([1.2, 30.0, 0.7, 5.0]), np.array([1.6, 0.9, 40.0, 2.0])
    z = np.array([0.3, 0.95, 0.9, 0.999999])
    _, ga, gb, gz = log_g(a, b, z, 1 - z)
    h = 1e-7
    for got, (da, db, dz) in ((ga, (h, 0, 0)), (gb, (0, h, 0)), (gz, (0, 0, h * 1e-3))):
        up = log_g(a + da, b + db, z + dz, 1 - z - dz)[0]
        down = log_g(a - da, b - db, z - dz, 1 - z + dz)[0]
        assert got == pytest.approx((up - down) / (2 * (da + db + dz)), rel=1e-5)


def test_pareto_likelihood_stays_finite_where_the_series_overflows() -> None:
    """x = 400 purchases and alpha far below beta: SciPy's 2F1 overflows, ours does not."""
    d = compress([400, 0, 3], [38.0, 0.0, 20.0], [39.0, 39.0, 39.0])
    p = np.array([0.6, 0.01, 0.5, 5000.0])
    r, alpha, s, beta = p
    with np.errstate(all="ignore"):
        scipy_value = hyp2f1(r + s + 400, r + 400, r + s + 401, (beta - alpha) / (beta + 38.0))
    assert not np.isfinite(scipy_value)
    value, grad = paretonbd.negll(p, d)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    h = 1e-6 * p
    numeric = [
        (
            paretonbd.negll(p + np.eye(4)[j] * h[j], d)[0]
            - paretonbd.negll(p - np.eye(4)[j] * h[j], d)[0]
        )
        / (2 * h[j])
        for j in range(4)
    ]
    assert grad == pytest.approx(numeric, rel=1e-4)
