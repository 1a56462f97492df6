"""The estimators on synthetic panels with a known answer: staggered DiD, RD, the stats."""

from __future__ import annotations

import numpy as np
import pytest

from outsidein.impact.did import NEVER, cohorts, did
from outsidein.impact.rd import local_linear
from outsidein.impact.stats import combine, difference, wald_p

MONTH_ENDS = np.array([30 * (t + 1) - 1 for t in range(12)], dtype=np.int64)  # day numbers


def panel(
    rng: np.random.Generator, n: int, fired: np.ndarray, effect: np.ndarray, trend: float = 0.0
) -> np.ndarray:
    """Accounts x 12 months: account level + common month shock + noise + effect after firing
    (``effect[e]`` for e months after), + ``trend`` per month for treated accounts only."""
    months = len(MONTH_ENDS)
    level = rng.normal(20, 8, n)[:, None]
    shock = rng.normal(0, 2, months)[None, :]
    y = level + shock + rng.normal(0, 1, (n, months))
    groups = cohorts(MONTH_ENDS, fired)
    for i in np.flatnonzero(groups.g < NEVER):
        g = int(groups.g[i])
        for t in range(g, months):
            y[i, t] += effect[min(t - g, len(effect) - 1)]
        y[i, :] += trend * np.arange(months)
    return y


def test_cohorts_month_treated_when_its_window_starts_after_the_firing() -> None:
    # the day after month 3 ends (day 120): month 4's window (days 122-149) is all after it;
    # ten days later (day 129) month 4's window holds the firing, so month 5 is the first
    fired = np.array([MONTH_ENDS[3] + 1, MONTH_ENDS[3] + 10, NEVER], dtype=np.int64)
    g = cohorts(MONTH_ENDS, fired)
    assert g.g.tolist() == [4, 5, NEVER]  # day +10 is inside month 4's 28-day window
    assert g.base.tolist() == [3, 3, NEVER]  # the last month ending before the firing


def test_staggered_did_recovers_dynamic_effects_where_cohorts_differ() -> None:
    """Effects that grow with time since the firing, in three waves: the estimate over the
    first three months is their mean (2 + 4 + 6) / 3 = 4, and each month's effect is found."""
    rng = np.random.default_rng(3)
    n = 900
    wave = rng.integers(0, 4, n)  # 0: never
    start = np.array([NEVER, MONTH_ENDS[3] + 1, MONTH_ENDS[5] + 1, MONTH_ENDS[7] + 1])
    fired = start[wave].astype(np.int64)
    y = panel(rng, n, fired, np.array([2.0, 4.0, 6.0, 8.0]))
    res = did(y, cohorts(MONTH_ENDS, fired), horizon=3)
    assert res is not None
    assert res.effect - 1.96 * res.std_error < 4.0 < res.effect + 1.96 * res.std_error
    assert abs(res.effect - 4.0) < 0.3
    post = {e.event_time: e.effect for e in res.events if e.event_time >= 0}
    assert [round(post[e]) for e in (0, 1, 2)] == [2, 4, 6]
    assert res.pretrend_p is not None and res.pretrend_p > 0.01


def test_pretrend_is_flagged_when_treated_accounts_drift_apart() -> None:
    rng = np.random.default_rng(5)
    n = 600
    fired = np.where(rng.random(n) < 0.4, MONTH_ENDS[6] + 1, NEVER).astype(np.int64)
    y = panel(rng, n, fired, np.array([0.0]), trend=0.8)
    res = did(y, cohorts(MONTH_ENDS, fired))
    assert res is not None and res.pretrend_p is not None
    assert res.pretrend_p < 0.001


def test_missing_months_are_left_out_not_counted_as_zero() -> None:
    rng = np.random.default_rng(8)
    n = 400
    fired = np.where(rng.random(n) < 0.5, MONTH_ENDS[5] + 1, NEVER).astype(np.int64)
    y = panel(rng, n, fired, np.array([3.0]))
    y[rng.random(y.shape) < 0.2] = np.nan  # not a customer that month
    res = did(y, cohorts(MONTH_ENDS, fired))
    assert res is not None
    assert abs(res.effect - 3.0) < 4 * res.std_error


def test_rd_finds_the_jump_of_a_curved_outcome_on_a_whole_number_score() -> None:
    rng = np.random.default_rng(2)
    score = rng.integers(0, 40, 3000).astype(np.float64)
    y = 0.02 * (score - 15) ** 2 + 2.5 * (score < 10) + rng.normal(0, 1, len(score))
    res = local_linear(score, y, 10.0)
    assert res is not None
    assert res.effect - 1.96 * res.std_error < 2.5 < res.effect + 1.96 * res.std_error
    assert res.below >= 40 and res.above >= 40


def test_rd_needs_accounts_on_both_sides() -> None:
    score = np.arange(20, dtype=np.float64)
    assert local_linear(score, score, 0.0) is None


def test_difference_se_matches_welch() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(0, 1, 300)
    values[:100] += 1
    d = difference(values, np.arange(100), np.arange(100, 300), 300)
    assert d is not None
    welch = np.sqrt(values[:100].var(ddof=1) / 100 + values[100:].var(ddof=1) / 200)
    assert np.sqrt(np.sum(d.contributions**2)) == pytest.approx(welch)
    c = combine([(1.0, d), (1.0, d)], 300)
    assert c is not None and c.std_error == pytest.approx(welch)


def test_wald_p_is_large_for_noise_and_small_for_a_shift() -> None:
    rng = np.random.default_rng(4)
    contrib = rng.normal(0, 0.005, (400, 3))  # standard errors near 0.1
    assert (wald_p(np.array([0.01, -0.02, 0.0]), contrib) or 0) > 0.5
    assert (wald_p(np.array([1.0, 1.0, 1.0]), contrib) or 1) < 1e-6


def test_a_play_fired_only_now_says_there_is_nothing_to_measure_yet() -> None:
    from outsidein.impact.common import Result, warn_few

    r = Result()
    warn_few(r, 0, 0, "controls")
    assert r.warnings == [
        "nothing to measure yet: no treated account was observed in a month before and a "
        "month after its firing (a firing needs the month its 28-day window starts after)"
    ]
    few = Result()
    warn_few(few, 12, 300, "controls")
    assert few.warnings[0].startswith("few accounts: 12 treated and 300 controls")
