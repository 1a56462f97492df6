"""The blend, its contributions and the calibration measures, on small synthetic tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from outsidein.predict.calibration import (
    brier,
    expected_calibration_error,
    fit_calibrator,
    reliability,
)
from outsidein.predict.model import fit, infer_schema


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
