"""Opportunity scores against hand-computed values, and the bootstrap intervals' coverage
checked by simulation (docs/jobs.md#scores)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from outsidein.jobs.scoring import (
    MIN_RESPONDENTS,
    Cells,
    band,
    cells_of,
    change,
    opportunity,
    score,
    top_two_box,
)


def test_worked_example() -> None:
    # 200 of 270 rate importance 4-5, 75 of 270 rate satisfaction 4-5.
    s = score(Cells(both=60, imp_only=140, sat_only=15, neither=55))
    assert s.respondents == 270
    assert s.importance is not None and s.satisfaction is not None and s.opportunity is not None
    assert round(s.importance, 1) == 7.4
    assert round(s.satisfaction, 1) == 2.8
    assert round(s.opportunity, 1) == 12.0
    assert s.opportunity == pytest.approx(200 / 27 + (200 - 75) / 27)
    assert round(s.opportunity, 2) == 12.04
    assert s.band == "high" and s.over_served is False
    assert s.opportunity_ci is not None
    assert s.opportunity_ci.low < s.opportunity < s.opportunity_ci.high


def test_top_two_box_and_cells() -> None:
    assert top_two_box([1, 2, 3, 4, 5]) == pytest.approx(4.0)
    assert top_two_box([5, 5, 4, 4]) == 10.0
    c = cells_of([5, 4, 1, 2], [1, 5, 4, 3])
    assert (c.both, c.imp_only, c.sat_only, c.neither) == (1, 1, 1, 1)
    with pytest.raises(ValueError, match="at least one rating"):
        top_two_box([])


def test_opportunity_keeps_the_max() -> None:
    # An over-served outcome: satisfaction above importance does not lower the score below it.
    assert opportunity(3.0, 8.0) == 3.0
    assert opportunity(8.0, 3.0) == 13.0
    s = score(Cells(both=20, imp_only=10, sat_only=60, neither=10))
    assert s.over_served is True and s.opportunity == pytest.approx(s.importance)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (20.0, "extreme"),
        (15.0, "extreme"),
        (14.9999, "high"),
        (12.0, "high"),
        (11.96, "worth pursuing"),  # shows as 12.0 but is below 12: the unrounded score decides
        (10.0, "worth pursuing"),
        (9.99, "not attractive"),
        (0.0, "not attractive"),
    ],
)
def test_bands_are_half_open_on_unrounded_scores(value: float, expected: str) -> None:
    assert band(value) == expected


def test_too_few_respondents() -> None:
    few = score(Cells(10, 5, 5, MIN_RESPONDENTS - 21))
    assert few.respondents == MIN_RESPONDENTS - 1
    assert not few.enough and few.status == "too few respondents"
    assert few.opportunity is None and few.opportunity_ci is None
    assert score(Cells(10, 5, 5, MIN_RESPONDENTS - 20)).enough


def test_intervals_are_reproducible() -> None:
    a = score(Cells(60, 140, 15, 55))
    b = score(Cells(60, 140, 15, 55))
    assert a.opportunity_ci == b.opportunity_ci


def test_change_between_waves() -> None:
    before = Cells(20, 100, 10, 70)  # satisfaction 1.5
    after = Cells(90, 30, 40, 40)  # satisfaction 6.5
    d = change(before, after)
    assert d.satisfaction == pytest.approx(6.5 - 1.5)
    assert d.satisfaction_ci is not None and d.satisfaction_ci.low > 3.5
    assert d.significant is True
    same = change(before, before)
    assert same.satisfaction == 0 and same.significant is False
    assert change(Cells(1, 1, 1, 1), after).satisfaction is None


def _coverage(
    p: tuple[float, float, float, float], n: int, reps: int, seed: int
) -> dict[str, float]:
    """Share of ``reps`` simulated surveys whose 95 % intervals hold the true scores."""
    rng = np.random.default_rng(seed)
    probs = np.array(p)
    true_imp = 10 * (probs[0] + probs[1])
    true_sat = 10 * (probs[0] + probs[2])
    truth = {"imp": true_imp, "sat": true_sat, "opp": opportunity(true_imp, true_sat)}
    hits = {k: 0 for k in truth}
    for counts in rng.multinomial(n, probs, size=reps):
        s = score(Cells(*(int(c) for c in counts)), rng=rng, draws=1000)
        cis = {"imp": s.importance_ci, "sat": s.satisfaction_ci, "opp": s.opportunity_ci}
        for k, ci in cis.items():
            assert ci is not None
            hits[k] += ci.low <= truth[k] <= ci.high
    cov = {k: v / reps for k, v in hits.items()}
    print(f"coverage {p} n={n}: " + ", ".join(f"{k} {v:.1%}" for k, v in cov.items()))
    return cov


def test_bootstrap_coverage_away_from_the_kink() -> None:
    # The worked example's true shares (importance 7.4, satisfaction 2.8), 270 respondents.
    cov = _coverage((60 / 270, 140 / 270, 15 / 270, 55 / 270), 270, reps=600, seed=11)
    assert min(cov.values()) >= 0.93, cov
    # A smaller group, just above the minimum, still covers.
    cov = _coverage((0.3, 0.3, 0.1, 0.3), 60, reps=600, seed=12)
    assert min(cov.values()) >= 0.93, cov
    # Half a point from the kink (importance 5.25, satisfaction 4.75).
    cov = _coverage((0.35, 0.175, 0.125, 0.35), 270, reps=600, seed=14)
    assert min(cov.values()) >= 0.93, cov


def test_bootstrap_coverage_at_the_kink_is_documented() -> None:
    # importance == satisfaction: max(., 0) biases the estimate upward and the percentile
    # interval of the opportunity under-covers; docs/jobs.md states the figure measured here.
    cov = _coverage((0.35, 0.15, 0.15, 0.35), 270, reps=600, seed=13)
    assert cov["imp"] >= 0.93 and cov["sat"] >= 0.93, cov
    assert 0.85 <= cov["opp"] <= 0.95, cov  # measured: 92.5 % (95.3 % away from it)


@pytest.mark.parametrize("level", [5.0, 10.0, 12.0, 15.0, 19.0])
def test_iso_opportunity_lines_hold_their_level(level: float) -> None:
    from outsidein.web.outcome_charts import iso_line

    corners = iso_line(level)
    assert all(0 <= x <= 10 and 0 <= y <= 10 for x, y in corners)
    for (x0, y0), (x1, y1) in itertools.pairwise(corners):
        for t in (0.0, 0.5, 1.0):  # every point of each segment scores ``level``
            x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            assert opportunity(y, x) == pytest.approx(level)
