"""The blend, its contributions and the calibration measures, on small synthetic tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from outsidein.predict.backtest import with_history
from outsidein.predict.calibration import (
    brier,
    expected_calibration_error,
    fit_calibrator,
    reliability,
)
from outsidein.predict.model import _sample, fit, infer_schema


def _table(n: int = 1200, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    usage = rng.gamma(2.0, 10.0, n)
    cases = rng.poisson(1.5, n).astype(float)
    plan = rng.choice(["basic", "pro", "enterprise"], n)
    usage[rng.random(n) < 0.1] = np.nan
    logit = -1.0 - 0.08 * np.nan_to_num(usage, nan=20.0) + 0.6 * cases + (plan == "basic")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"usage": usage, "cases": cases, "plan": plan}), y


def test_contributions_add_up_to_the_margin() -> None:
    frame, y = _table()
    model = fit(frame, y, infer_schema(frame), weight=0.5)
    parts = model.contributions(frame.head(50))
    assert list(parts.columns) == ["usage", "cases", "plan"]
    bias = model.margin(frame.head(50)) - parts.sum(axis=1).to_numpy()
    assert np.allclose(bias, bias[0])  # the rest is one constant: the bias of both models
    assert parts["cases"].corr(frame["cases"].head(50)) > 0.9  # more cases, more risk


def test_the_blend_weight_is_chosen_inside_the_training_rows() -> None:
    frame, y = _table()
    model = fit(frame, y, infer_schema(frame))
    assert set(model.inner_auc) == {0.0, 0.25, 0.5, 0.75}
    assert model.inner_auc[model.weight] == max(model.inner_auc.values())


def test_calibration_measures_on_known_values() -> None:
    p = np.array([0.1, 0.1, 0.9, 0.9])
    y = np.array([0, 0, 1, 0])
    assert brier(p, y) == pytest.approx((0.01 + 0.01 + 0.01 + 0.81) / 4)
    # bins: 0.1 observed 0 (|0.1-0|), 0.9 observed 0.5 (|0.9-0.5|), each half the rows
    assert expected_calibration_error(p, y) == pytest.approx(0.5 * 0.1 + 0.5 * 0.4)
    assert [b.count for b in reliability(p, y)] == [2, 2]


def test_platt_and_isotonic_repair_overconfident_scores() -> None:
    rng = np.random.default_rng(1)
    true = rng.uniform(0.02, 0.5, 4000)
    y = (rng.random(4000) < true).astype(int)
    raw = np.clip(true * 1.8, 0, 0.99)  # overconfident
    before = expected_calibration_error(raw, y)
    for method in ("platt", "isotonic"):
        calibrated = fit_calibrator(raw[:2000], y[:2000], method)  # type: ignore[arg-type]
        after = expected_calibration_error(calibrated(raw[2000:]), y[2000:])
        assert after < before / 3, (method, before, after)
    assert fit_calibrator(raw, np.zeros(4000, dtype=int)).method == "none"


def test_few_positives_are_calibrated_by_platt_not_isotonic_steps() -> None:
    rng = np.random.default_rng(2)
    raw = rng.uniform(0, 0.2, 2000)
    y = (rng.random(2000) < raw).astype(int)  # ~200 rows, under 200 positives
    assert 50 < y.sum() < 200
    calibrated = fit_calibrator(raw, y)
    assert calibrated.method == "platt"  # isotonic's few steps would tie accounts
    assert len(np.unique(calibrated(raw))) == len(np.unique(raw))  # the ranking kept
    many = (rng.random(8000) < rng.uniform(0, 0.5, 8000)).astype(int)
    assert fit_calibrator(rng.uniform(0, 1, 8000), many).method == "isotonic"


def test_the_linear_decision_equals_the_standardised_matrix_route() -> None:
    frame, y = _table()
    model = fit(frame, y, infer_schema(frame), weight=0.5)
    direct = model.design.decision(frame, model.logistic)
    assert np.allclose(direct, model.logistic.decision_function(model.design.matrix(frame)))


def test_many_rows_fit_on_every_positive_and_weighted_negatives() -> None:
    frame, y = _table(n=12_000, seed=5)
    rows, weights = _sample(y, 3000)
    positives = int(y.sum())  # ~3,100: more than the cap, so half of it in negatives
    assert weights is not None and len(rows) == positives + max(3000 - positives, 1500)
    assert set(np.flatnonzero(y == 1)) <= set(rows)  # every positive kept
    assert weights.sum() == pytest.approx(len(y))  # the sample stands for every row
    schema = infer_schema(frame)
    whole = fit(frame, y, schema, weight=0.5, max_rows=len(y))
    part = fit(frame, y, schema, weight=0.5, max_rows=3000)
    test, y_test = _table(n=4000, seed=6)
    assert roc_auc_score(y_test, part.raw(test)) > roc_auc_score(y_test, whole.raw(test)) - 0.01
    # weighted: the probabilities stay at the base rate, not at the sample's
    assert abs(part.raw(test).mean() - y_test.mean()) < 0.03


def test_extreme_margins_give_probabilities_without_overflow() -> None:
    """A row far outside the training range (a tiny demo company's) has a margin past what
    1 / (1 + exp(-m)) survives: the probability is 0 or 1, and no overflow warning is raised
    (the suite turns warnings into errors; the demo with 80 accounts stopped on it)."""
    frame, y = _table()
    model = fit(frame, y, infer_schema(frame), weight=0.5)
    far = pd.DataFrame({"usage": [1e6, 0.0], "cases": [0.0, 1e5], "plan": ["pro", "basic"]})
    raw = model.raw(far)
    assert np.all(np.isfinite(raw)) and raw[0] < 1e-6 and raw[1] > 1 - 1e-6


def test_a_number_seen_in_few_rows_is_scaled_where_present_or_left_to_lightgbm() -> None:
    frame, y = _table()
    rng = np.random.default_rng(5)
    rare = np.full(len(frame), np.nan)
    seen = rng.random(len(frame)) < 0.3
    rare[seen] = rng.normal(6.0, 1.5, seen.sum())
    frame["survey"] = rare
    model = fit(frame, y, infer_schema(frame), weight=0.5)
    x = model.design.matrix(frame)
    value = model.design.owners.index("survey")  # its value column comes first
    # scaled by the spread where present: the rows that have it have unit spread (scaled
    # with the imputed rows, as before, they spread 1.77 times as wide and reach 5.2)
    assert np.abs(x[seen, value]).max() < 5
    assert abs(x[seen, value].std() - 1.0) < 0.05
    frame["survey"] = np.where(np.arange(len(frame)) < 20, 6.0, np.nan)  # 20 of 1,200 rows
    model = fit(frame, y, infer_schema(frame), weight=0.5)
    assert "survey" not in model.design.owners  # too few rows for the logistic regression
    assert "survey" in model.schema.numeric  # LightGBM still has it
    assert "survey" in model.contributions(frame.head(5)).columns


def test_a_feature_known_on_fewer_than_three_days_waits_for_history() -> None:
    days = pd.Series(np.repeat(pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01",
                                               "2025-04-01"]).date, 3))  # fmt: skip
    x = pd.DataFrame({
        "usage": np.arange(12.0),
        "survey": [np.nan] * 6 + [5.0, np.nan, np.nan, 6.0, 7.0, np.nan],  # days 3 and 4
        "sparse": [1.0] + [np.nan] * 3 + [2.0] + [np.nan] * 3 + [3.0] + [np.nan] * 3,
        "never": [np.nan] * 12,
        "plan": ["a", "b", "c"] * 4,
    })  # fmt: skip
    schema = with_history(infer_schema(x), x, days)
    # rare but long-standing ("sparse": one account a day) is learnt; new is not
    assert schema.numeric == ("usage", "sparse") and schema.categorical == ("plan",)
    two = days.isin(days.unique()[:2]).to_numpy()  # a panel of two days: needs both
    assert with_history(infer_schema(x), x[two], days[two]).numeric == ("usage", "sparse")
