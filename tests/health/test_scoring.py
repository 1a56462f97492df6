"""Each scoring function and roll-up against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from outsidein.health import rollup, scoring
from outsidein.settings.health import Bands, Linear

nan = np.nan


def close(a: np.ndarray, b: list[float]) -> None:
    np.testing.assert_allclose(a, np.asarray(b, dtype=float), rtol=0, atol=1e-12)


def test_linear_between_bounds() -> None:
    rule = Linear(kind="linear", low=0, high=20)
    raw = np.array([-5.0, 0.0, 5.0, 20.0, 25.0, nan])
    close(scoring.linear(raw, rule, "higher"), [0, 0, 25, 100, 100, nan])
    close(scoring.linear(raw, rule, "lower"), [100, 100, 75, 0, 0, nan])
    close(scoring.linear(np.array([3.0]), Linear(kind="linear", low=1, high=7), "lower"), [200 / 3])


def test_bands_points_by_band() -> None:
    rule = Bands(kind="bands", thresholds=[3, 8], points=[100, 50, 0])
    raw = np.array([-1.0, 2.999, 3.0, 7.9, 8.0, 1e9, nan])
    close(scoring.bands(raw, rule), [100, 100, 50, 50, 0, 0, nan])


def test_conditions_add_points_and_clamp() -> None:
    holds_a = np.array([True, True, False, False])
    holds_b = np.array([True, False, True, False])
    known = np.array([True, True, True, False])
    out = scoring.conditions(50, [(holds_a, known, 30.0), (holds_b, known, -70.0)])
    # 50+30-70 = 10; 50+30 = 80; 50-70 clamps at 0; nothing decided: no points.
    close(out, [10, 80, 0, nan])
    close(scoring.conditions(90, [(holds_a, known, 30.0)]), [100, 100, 90, nan])


def test_weighted_renormalises_over_present_children() -> None:
    children = np.array([[80.0, 50.0], [nan, 50.0], [nan, nan]])
    score, factors = rollup.weighted(children, np.array([2.0, 1.0]))
    close(score, [70, 50, nan])
    close(factors[0], [2 / 3, 1 / 3])
    close(factors[1], [0, 1])
    close(factors[2], [0, 0])


def test_additive_clamps_and_scales_contributions() -> None:
    children = np.array([[60.0, 90.0], [10.0, 20.0], [nan, 30.0], [nan, nan]])
    score, factors = rollup.additive(children, np.array([0.5, 1.0]))
    close(score, [100, 25, 30, nan])  # 30 + 90 = 120 clamps to 100; 5 + 20; 30
    close(factors[0], [0.5 * 100 / 120, 100 / 120])
    close((factors * np.nan_to_num(children)).sum(axis=1)[:3], [100, 25, 30])


def test_worst_of_picks_the_lowest_and_names_it() -> None:
    children = np.array([[80.0, 40.0, 60.0], [nan, 70.0, 70.0], [nan, nan, nan]])
    score, factors = rollup.worst(children)
    close(score, [40, 70, nan])
    close(factors[0], [0, 1, 0])
    close(factors[1], [0, 1, 0])  # a tie: the first of the lowest
    close(factors[2], [0, 0, 0])


def test_unknown_rollup() -> None:
    with pytest.raises(ValueError, match="unknown roll-up"):
        rollup.combine("median", np.zeros((1, 1)), np.ones(1))
