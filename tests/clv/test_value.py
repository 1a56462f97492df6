"""Discounted CLV and confidence intervals on predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from outsidein.clv import RFM, bgnbd, discounted_clv, gammagamma
from outsidein.clv.fit import interval


def test_clv_sums_discounted_period_increments(cdnow: pd.DataFrame, cdnow_rows: RFM) -> None:
    d = cdnow_rows
    fit = bgnbd.fit(d, standard_errors=False)
    spend = np.full(len(d.x), 40.0)

    def expected(t: float) -> np.ndarray:
        return bgnbd.expected(fit.params, t, d.x, d.t_x, d.T)

    clv = discounted_clv(expected, spend, periods=12, period_length=4.0, discount=0.01)
    by_hand = sum(
        (expected(4.0 * i) - expected(4.0 * (i - 1))) * 40.0 / 1.01**i for i in range(1, 13)
    )
    assert np.allclose(clv, by_hand)
    undiscounted = discounted_clv(expected, spend, 12, 4.0, 0.0)
    assert np.allclose(undiscounted, expected(48.0) * 40.0)
    assert np.all(clv < undiscounted)
    rep = cdnow[cdnow["x"] > 0]
    gg = gammagamma.fit(rep["x"], rep["monetary"])
    e = gammagamma.expected_spend(gg.params, np.array([0.0, 5.0]), np.array([0.0, 100.0]))
    p, q, g = gg.params
    assert e[0] == p * g / (q - 1)  # a non-repeater: the population mean
    assert 35 < e[0] < 100 < e[1] or e[1] < 100  # shrunk toward the mean
    assert abs(e[1] - 100) < abs(e[0] - 100)


def test_interval_contains_the_estimate_and_narrows_with_more_data(cdnow_rows: RFM) -> None:
    d = cdnow_rows
    fit = bgnbd.fit(d)
    row = (np.array([2.0]), np.array([30.43]), np.array([38.86]))
    point = bgnbd.expected(fit.params, 39.0, *row)[0]
    low, high = interval(fit, lambda p: bgnbd.expected(p, 39.0, *row), draws=300)
    assert low[0] < point < high[0]
    assert 0.05 < high[0] - low[0] < 1.0
