"""Difference-in-differences robust to staggered adoption (Callaway and Sant'Anna, 2021).

Accounts treated in the same month form a cohort. For a cohort and a month, the effect is
the cohort's change in the outcome since its last month before the firing, minus the change
of the accounts not treated yet in either month (never-treated and later cohorts):
``ATT(g, t)``. Comparing only with accounts not yet treated avoids the bias of a two-way
fixed-effects regression when effects differ by cohort or grow over time. The overall effect
averages the months 0 to ``horizon - 1`` after the firing, each cohort-month weighted by
its treated accounts; the event study averages by months from the firing, the months before
it showing whether the groups moved together (pre-trends). With ``strata`` the controls are
matched: each difference is taken within a cell (segment x ARR band, :mod:`.matching`) of
the reference month. Standard errors come from each account's contribution (:mod:`.stats`),
clustered by account.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from outsidein.impact.matching import matched
from outsidein.impact.panel import WINDOW_DAYS
from outsidein.impact.stats import Difference, combine, wald_p

__all__ = ["Cohorts", "DidResult", "EventEstimate", "cohorts", "did"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
NEVER = np.iinfo(np.int64).max // 2


@dataclass(frozen=True)
class Cohorts:
    """Per panel account: its first fully treated month ``g`` and last clean month ``base``
    (``NEVER`` for accounts the play never treated)."""

    g: I64
    base: I64


def cohorts(end_days: I64, fired_day: I64) -> Cohorts:
    """From each account's firing day (``NEVER``: not treated) and the months' last days.

    A month is fully treated when its 28-day window starts on or after the firing, and clean
    (untreated) when its window ends before it; a month in between is neither.
    """
    starts = end_days - (WINDOW_DAYS - 1)
    treated = fired_day < NEVER
    g = np.searchsorted(starts, fired_day, side="left").astype(np.int64)
    base = np.searchsorted(end_days, fired_day, side="left").astype(np.int64) - 1
    return Cohorts(np.where(treated, g, NEVER), np.where(treated, base, NEVER))


@dataclass(frozen=True)
class EventEstimate:
    event_time: int
    effect: float
    std_error: float


@dataclass(frozen=True)
class DidResult:
    effect: float
    std_error: float
    treated: int  # accounts in a cohort with a month after the firing observed
    controls: int  # accounts compared with them
    events: list[EventEstimate]
    pretrend_p: float | None
    unmatched: int = 0  # treated accounts of the first month after the firing without a control


def did(
    y: F64, groups: Cohorts, *, horizon: int = 3, leads: int = 6, strata: I64 | None = None
) -> DidResult | None:
    """The effect over the first ``horizon`` months and an event study from ``-leads``;
    ``strata`` (accounts x months): match the controls on the cell of the reference month."""
    n, months = y.shape
    seen = ~np.isnan(y)
    post: list[tuple[float, Difference]] = []
    by_event: dict[int, list[tuple[float, Difference]]] = {}
    treated_ids: set[int] = set()
    control_ids: set[int] = set()
    unmatched = 0
    keys = {(int(g), int(b)) for g, b in zip(groups.g, groups.base, strict=True) if g < NEVER}
    for g, b in sorted(keys):
        if b < 0 or g >= months:
            continue
        cohort = (groups.g == g) & (groups.base == b)
        for t in range(max(0, g - leads), min(months, g + horizon)):
            if t == b or b < t < g:  # the reference month, and months part treated
                continue
            both = seen[:, t] & seen[:, b]
            change = np.where(both, y[:, t] - y[:, b], 0.0)
            tr = np.flatnonzero(cohort & both)
            ctrl = np.flatnonzero(~cohort & both & (groups.base >= max(t, b)))
            cells = strata[:, b] if strata is not None else None
            diffs, used_tr, used_ctrl = matched(change, tr, ctrl, cells, n)
            if t == g:
                unmatched += len(tr) - len(used_tr)
            for d in diffs:
                weight = float(d.n_treated)
                by_event.setdefault(t - g, []).append((weight, d))
                if t >= g:
                    post.append((weight, d))
            if t >= g:
                treated_ids.update(used_tr.tolist())
                control_ids.update(used_ctrl.tolist())
    overall = combine(post, n)
    if overall is None:
        return None
    events = []
    pre_effects, pre_contrib = [], []
    for e in sorted(by_event):
        c = combine(by_event[e], n)
        if c is None:
            continue
        events.append(EventEstimate(e, c.effect, c.std_error))
        if e < -1:
            pre_effects.append(c.effect)
            pre_contrib.append(c.contributions)
    pretrend = wald_p(np.array(pre_effects), np.stack(pre_contrib, axis=1)) if pre_effects else None
    return DidResult(
        effect=overall.effect,
        std_error=overall.std_error,
        treated=len(treated_ids),
        controls=len(control_ids),
        events=events,
        pretrend_p=pretrend,
        unmatched=unmatched,
    )
