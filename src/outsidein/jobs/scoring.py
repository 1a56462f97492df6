"""Opportunity scores: the one definition of importance, satisfaction and opportunity.

Importance and satisfaction are the top-two-box share (answers of 4 or 5 on the 1-5 scale)
times 10, so each is 0 to 10. Opportunity is ``importance + max(importance - satisfaction, 0)``
(0 to 20): satisfaction above importance does not lower it below importance. Bands are
half-open and read the unrounded score (docs/jobs.md#scores). Every score carries its
respondent count and a bootstrap interval; below :data:`MIN_RESPONDENTS` there is no score.

The bootstrap resamples respondents. For one outcome a respondent is one of four cells
(importance top-two or not x satisfaction top-two or not), so resampling respondents is a
multinomial draw over the four cell counts: exact, and cheap for any number of respondents.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BANDS",
    "DRAWS",
    "LEVEL",
    "MIN_RESPONDENTS",
    "Cells",
    "Change",
    "Interval",
    "Score",
    "band",
    "cells_of",
    "change",
    "opportunity",
    "score",
    "top_two_box",
]

MIN_RESPONDENTS = 30  # fewer respondents to an outcome in a group: "too few respondents"
DRAWS = 2000  # bootstrap resamples per score
LEVEL = 0.95  # the intervals' nominal coverage
TOP_BOX = 4  # an answer of 4 or 5 counts toward the top-two-box share
# (lowest opportunity of the band, band); a score belongs to the first band it reaches.
BANDS: tuple[tuple[float, str], ...] = (
    (15.0, "extreme"),
    (12.0, "high"),
    (10.0, "worth pursuing"),
    (-math.inf, "not attractive"),
)


def top_two_box(ratings: Sequence[int] | NDArray[np.int64]) -> float:
    """The share of 1-5 ratings that are 4 or 5, times 10 (0 to 10)."""
    r = np.asarray(ratings)
    if r.size == 0:
        raise ValueError("top_two_box needs at least one rating")
    return float(10.0 * np.count_nonzero(r >= TOP_BOX) / r.size)


def opportunity(importance: float, satisfaction: float) -> float:
    """importance + max(importance - satisfaction, 0): the max keeps an over-served outcome
    at its importance instead of pulling it below."""
    return importance + max(importance - satisfaction, 0.0)


def band(opportunity_score: float) -> str:
    """The band of an unrounded opportunity: >= 15 extreme, [12, 15) high, [10, 12) worth
    pursuing, < 10 not attractive."""
    for low, name in BANDS:
        if opportunity_score >= low:
            return name
    raise AssertionError("unreachable: the last band has no lower bound")


@dataclass(frozen=True)
class Cells:
    """Respondents to one outcome by cell: both top-two, importance only, satisfaction only,
    neither."""

    both: int
    imp_only: int
    sat_only: int
    neither: int

    @property
    def n(self) -> int:
        return self.both + self.imp_only + self.sat_only + self.neither

    def array(self) -> NDArray[np.int64]:
        return np.array([self.both, self.imp_only, self.sat_only, self.neither], np.int64)


def cells_of(importance: Sequence[int] | NDArray[np.int64],
             satisfaction: Sequence[int] | NDArray[np.int64]) -> Cells:  # fmt: skip
    """The cells of paired 1-5 answers (one pair per respondent)."""
    i = np.asarray(importance) >= TOP_BOX
    s = np.asarray(satisfaction) >= TOP_BOX
    if i.shape != s.shape:
        raise ValueError("importance and satisfaction need one answer each per respondent")
    return Cells(
        int(np.count_nonzero(i & s)),
        int(np.count_nonzero(i & ~s)),
        int(np.count_nonzero(~i & s)),
        int(np.count_nonzero(~i & ~s)),
    )


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class Score:
    """One outcome's scores in one group. ``enough`` is False below :data:`MIN_RESPONDENTS`;
    then the scores and intervals are None ("too few respondents")."""

    respondents: int
    importance: float | None
    satisfaction: float | None
    opportunity: float | None
    band: str | None
    over_served: bool | None  # satisfaction above importance
    importance_ci: Interval | None
    satisfaction_ci: Interval | None
    opportunity_ci: Interval | None

    @property
    def enough(self) -> bool:
        return self.importance is not None

    @property
    def status(self) -> str:
        return "scored" if self.enough else "too few respondents"


def _draws(cells: Cells, rng: np.random.Generator, draws: int) -> tuple[NDArray[np.float64], ...]:
    """Bootstrap importance, satisfaction and opportunity (each ``draws`` values)."""
    c = cells.array()
    n = cells.n
    boot = rng.multinomial(n, c / n, size=draws)
    imp = 10.0 * (boot[:, 0] + boot[:, 1]) / n
    sat = 10.0 * (boot[:, 0] + boot[:, 2]) / n
    return imp, sat, imp + np.maximum(imp - sat, 0.0)


def _interval(values: NDArray[np.float64], level: float) -> Interval:
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(values, [tail, 1.0 - tail])
    return Interval(float(low), float(high))


def score(
    cells: Cells,
    *,
    rng: np.random.Generator | None = None,
    draws: int = DRAWS,
    level: float = LEVEL,
    min_respondents: int = MIN_RESPONDENTS,
) -> Score:
    """The scores of one outcome with percentile bootstrap intervals (seeded: the same
    answers give the same intervals)."""
    n = cells.n
    if n < max(min_respondents, 1):
        return Score(n, None, None, None, None, None, None, None, None)
    imp = 10.0 * (cells.both + cells.imp_only) / n
    sat = 10.0 * (cells.both + cells.sat_only) / n
    opp = opportunity(imp, sat)
    rng = rng if rng is not None else np.random.default_rng(_seed(cells))
    bi, bs, bo = _draws(cells, rng, draws)
    return Score(
        n,
        imp,
        sat,
        opp,
        band(opp),
        sat > imp,
        _interval(bi, level),
        _interval(bs, level),
        _interval(bo, level),
    )


@dataclass(frozen=True)
class Change:
    """Satisfaction (and importance, opportunity) after minus before, with intervals; None
    when either side has too few respondents."""

    before: Score
    after: Score
    satisfaction: float | None
    satisfaction_ci: Interval | None
    importance: float | None
    importance_ci: Interval | None
    opportunity: float | None
    opportunity_ci: Interval | None

    @property
    def significant(self) -> bool | None:
        """Whether the satisfaction interval excludes zero."""
        ci = self.satisfaction_ci
        return None if ci is None else (ci.low > 0 or ci.high < 0)


def change(
    before: Cells,
    after: Cells,
    *,
    draws: int = DRAWS,
    level: float = LEVEL,
    min_respondents: int = MIN_RESPONDENTS,
) -> Change:
    """The change from one wave to a later one; the waves are resampled independently."""
    rng = np.random.default_rng(_seed(before) * 31 + _seed(after))
    b = score(before, rng=rng, draws=draws, level=level, min_respondents=min_respondents)
    a = score(after, rng=rng, draws=draws, level=level, min_respondents=min_respondents)
    if not (a.enough and b.enough):
        return Change(b, a, None, None, None, None, None, None)
    bi, bs, bo = _draws(before, rng, draws)
    ai, as_, ao = _draws(after, rng, draws)
    assert a.satisfaction is not None and b.satisfaction is not None
    assert a.importance is not None and b.importance is not None
    assert a.opportunity is not None and b.opportunity is not None
    return Change(
        b,
        a,
        a.satisfaction - b.satisfaction,
        _interval(as_ - bs, level),
        a.importance - b.importance,
        _interval(ai - bi, level),
        a.opportunity - b.opportunity,
        _interval(ao - bo, level),
    )


def _seed(cells: Cells) -> int:
    """A seed from the answers themselves, so a score's interval is reproducible."""
    b, i, s, n = (int(x) for x in cells.array())
    return (((b * 1_000_003 + i) * 1_000_003 + s) * 1_000_003 + n) % (2**63)
