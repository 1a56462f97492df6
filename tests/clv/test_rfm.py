"""The RFM summary's conventions and the input checks' messages."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from outsidein.clv import ClvError, compress, gammagamma, sbg, summary


def tx(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer", "date", "amount"])


def test_same_day_purchases_are_one_transaction_and_frequency_counts_repeats() -> None:
    out = summary(
        tx(
            [
                ("a", "2024-01-01 09:00", 10.0),
                ("a", "2024-01-01 17:30", 5.0),  # same day: one transaction of 15
                ("a", "2024-01-08", 20.0),
                ("a", "2024-01-15", 40.0),
                ("a", "2024-03-01", 99.0),  # holdout
                ("b", "2024-01-29", 7.0),
                ("c", "2024-02-20", 1.0),  # first seen after calibration: not summarised
            ]
        ),
        calibration_end=dt.date(2024, 2, 5),
        holdout_end=dt.date(2024, 3, 4),
    )
    assert list(out.index) == ["a", "b"]
    a, b = out.loc["a"], out.loc["b"]
    assert (a["x"], a["t_x"], a["T"]) == (2.0, 2.0, 5.0)
    assert a["monetary"] == 30.0  # mean of the repeat transactions (20, 40)
    assert (b["x"], b["t_x"], b["T"], b["monetary"]) == (0.0, 0.0, 1.0, 0.0)
    assert (a["x_holdout"], b["x_holdout"], a["holdout"]) == (1.0, 0.0, 4.0)


def test_missing_column_is_named() -> None:
    with pytest.raises(ClvError, match="Required column amount missing"):
        summary(pd.DataFrame({"customer": [1], "date": ["2024-01-01"]}), dt.date(2024, 2, 1))


@pytest.mark.parametrize(
    ("x", "t_x", "T", "message"),
    [
        ([1.5], [2.0], [3.0], r"frequency x at row 0 .* whole number"),
        ([1], [4.0], [3.0], r"recency t_x at row 0 .* at most the age T"),
        ([0], [1.0], [3.0], r"0 when x is 0"),
        ([1], [1.0], [0.0], r"age T at row 0 .* a time > 0"),
        ([1], [float("nan")], [3.0], r"recency t_x at row 0 is nan"),
    ],
)
def test_bad_rows_name_the_row_value_and_rule(
    x: list[float], t_x: list[float], T: list[float], message: str
) -> None:
    with pytest.raises(ClvError, match=message):
        compress(x, t_x, T)


def test_compress_merges_identical_rows_and_maps_back() -> None:
    rng = np.random.default_rng(3)
    T = rng.integers(10, 15, 5000).astype(float)
    x = rng.integers(0, 3, 5000).astype(float)
    t_x = np.where(x > 0, np.minimum(rng.integers(1, 4, 5000), T), 0.0)
    d = compress(x, t_x, T)
    assert len(d.x) < 100 and d.customers == 5000
    assert np.array_equal(d.x[d.inverse], x) and np.array_equal(d.t_x[d.inverse], t_x)
    assert np.array_equal(d.T[d.inverse], T)
    assert np.array_equal(d.x_values[d.x_index], d.x)


def test_gamma_gamma_refuses_non_buyers() -> None:
    with pytest.raises(ClvError, match=r"row 1: x=0, m_x=3; Gamma-Gamma uses repeat buyers"):
        gammagamma.fit([2, 0], [10.0, 3.0])


def test_sbg_counts_must_not_rise() -> None:
    with pytest.raises(ClvError, match="never rise"):
        sbg.fit([100, 80, 90])


def test_sbg_derl_is_the_discounted_sum_of_survival() -> None:
    """Fader & Hardie (2010): DERL = sum_{t>=n} S(t) / S(n-1) / (1+d)^(t-n)."""
    params = np.array([0.668, 3.806])
    surv = sbg.survival(params, 4000)
    for renewals in (0, 1, 4):
        n = renewals + 1
        direct = sum(surv[t] / surv[n - 1] / 1.1 ** (t - n) for t in range(n, 4000))
        assert sbg.derl(params, 0.1, renewals) == pytest.approx(direct, rel=1e-10)
    assert sbg.retention(params, 3) == pytest.approx(surv[1:4] / surv[0:3])
