"""What every design shares: the result it fills, the outcomes, and the per-account steps.

An estimate of usage or health compares each account's change from its last month before
the firing to the mean of the ``HORIZON`` months after it (:func:`change_after`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from outsidein.impact.did import NEVER, Cohorts
from outsidein.impact.models import Estimate, EventPoint
from outsidein.impact.panel import Firings, Panel
from outsidein.impact.stats import Difference, interval

__all__ = [
    "HORIZON",
    "LEADS",
    "MIN_ACCOUNTS",
    "PANEL_OUTCOMES",
    "PRIMARY",
    "Result",
    "change_after",
    "estimate_of",
    "event_point",
    "fired_days",
    "missing",
    "warn_few",
    "with_reference",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
HORIZON = 3  # months after the firing the effect is averaged over
LEADS = 6  # months before it in the event study
MIN_ACCOUNTS = 20
PRIMARY = "active_users_28"
PANEL_OUTCOMES = ("active_users_28", "key_features_used_28", "health_score")


@dataclass
class Result:
    estimates: list[Estimate] = field(default_factory=list)
    events: list[EventPoint] = field(default_factory=list)
    pretrend_p: float | None = None
    treated: int = 0
    controls: int = 0
    assumptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)  # account -> running variable


def estimate_of(outcome: str, effect: float, se: float, treated: int, control: int) -> Estimate:
    lo, hi = interval(effect, se)
    return Estimate(outcome, effect, lo, hi, se, treated, control)


def missing(outcome: str, note: str) -> Estimate:
    return Estimate(outcome, None, None, None, None, 0, 0, note)


def fired_days(panel: Panel, firings: Firings, *, held: bool | None) -> I64:
    """Per panel account: its first firing day (``NEVER`` if not fired, or not in the arm)."""
    days = np.full(len(panel.account_ids), NEVER, dtype=np.int64)
    index = panel.index()
    for a, d, h in zip(firings.account_ids, firings.fired_day, firings.held_out, strict=True):
        i = index.get(a)
        if i is not None and (held is None or bool(h) == held):
            days[i] = int(d)
    return days


def change_after(y: F64, groups: Cohorts, horizon: int) -> F64:
    """Per account: its mean over the first ``horizon`` treated months minus its base month."""
    n, months = y.shape
    out = np.full(n, np.nan)
    for i in np.flatnonzero(groups.g < NEVER):
        g, b = int(groups.g[i]), int(groups.base[i])
        if b < 0 or g >= months or np.isnan(y[i, b]):
            continue
        post = y[i, g : min(months, g + horizon)]
        if (~np.isnan(post)).any():
            out[i] = float(np.nanmean(post)) - y[i, b]
    return out


def warn_few(result: Result, treated: int, control: int, what: str) -> None:
    if treated == 0:
        result.warnings.append(
            "nothing to measure yet: no treated account was observed in a month before and a "
            "month after its firing (a firing needs the month its 28-day window starts after)"
        )
    elif min(treated, control) < MIN_ACCOUNTS:
        result.warnings.append(
            f"few accounts: {treated} treated and {control} {what} (fewer than "
            f"{MIN_ACCOUNTS} on a side makes the interval unreliable)"
        )


def event_point(e: int, d: Difference) -> EventPoint:
    se = float(np.sqrt(np.sum(d.contributions**2)))
    lo, hi = interval(d.effect, se)
    return EventPoint(e, d.effect, lo, hi)


def with_reference(points: list[EventPoint]) -> list[EventPoint]:
    if all(p.event_time != -1 for p in points):
        points.append(EventPoint(-1, 0.0, 0.0, 0.0))
    return sorted(points, key=lambda p: p.event_time)
