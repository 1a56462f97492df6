"""Every model's analytic gradient against central finite differences of its likelihood."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from outsidein.clv import RFM, bgbb, bgnbd, gammagamma, paretonbd, sbg

Floats = np.ndarray


def finite_difference(f: Callable[[Floats], float], p: Floats) -> Floats:
    out = np.empty_like(p)
    for j in range(len(p)):
        h = 1e-6 * p[j]
        up, down = p.copy(), p.copy()
        up[j] += h
        down[j] -= h
        out[j] = (f(up) - f(down)) / (2 * h)
    return out


def agree(negll: Callable[[Floats], tuple[float, Floats]], p: Floats) -> None:
    analytic = negll(p)[1]
    numeric = finite_difference(lambda q: negll(q)[0], p)
    assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-4)


PARAMS = [np.array([0.3, 5.0, 0.9, 2.0]), np.array([0.6, 2.0, 1.5, 8.0])]


@pytest.mark.parametrize("p", PARAMS)
def test_bgnbd_gradient(cdnow_rows: RFM, p: Floats) -> None:
    agree(lambda q: bgnbd.negll(q, cdnow_rows), p)


@pytest.mark.parametrize(
    "p",
    [
        np.array([0.55, 10.6, 0.61, 11.7]),  # alpha < beta: the 2F1 in (r + x)
        np.array([0.6, 20.0, 0.5, 3.0]),  # alpha > beta: the 2F1 in (s + 1)
        np.array([0.6, 400.0, 0.5, 0.05]),  # |alpha - beta| near alpha + t: quadrature
    ],
)
def test_pareto_nbd_gradient(cdnow_rows: RFM, p: Floats) -> None:
    agree(lambda q: paretonbd.negll(q, cdnow_rows), p)


def test_gamma_gamma_gradient(cdnow: pd.DataFrame) -> None:
    rep = cdnow[cdnow["x"] > 0]
    x, m = rep["x"].to_numpy(), rep["monetary"].to_numpy()
    agree(lambda q: gammagamma.negll(q, x, m), np.array([5.0, 3.0, 12.0]))


def test_bgbb_gradient() -> None:
    d = bgbb.simulate([1.2, 0.75, 0.66, 2.8], 3000, 6, seed=5)
    agree(lambda q: bgbb.negll(q, d), np.array([1.0, 0.9, 0.5, 2.0]))


def test_sbg_gradient() -> None:
    alive = np.array([1000.0, 631, 468, 382, 326, 289, 262, 241])
    agree(lambda q: sbg.negll(q, alive), np.array([0.8, 1.5]))
