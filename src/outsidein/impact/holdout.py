"""A randomised holdout: treated against held-out accounts, the experiment's own comparison."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import numpy as np
from numpy.typing import NDArray

from outsidein.impact.common import (
    HORIZON,
    LEADS,
    PANEL_OUTCOMES,
    PRIMARY,
    Result,
    change_after,
    estimate_of,
    event_point,
    fired_days,
    missing,
    warn_few,
    with_reference,
)
from outsidein.impact.did import NEVER, Cohorts, cohorts
from outsidein.impact.models import OUTCOMES, Estimate, EventPoint
from outsidein.impact.panel import EPOCH, Firings, Panel
from outsidein.impact.retention import churned_within
from outsidein.impact.stats import difference

__all__ = ["run_holdout"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def run_holdout(con: duckdb.DuckDBPyConnection, panel: Panel, firings: Firings) -> Result:
    """Treated against held-out accounts: the experiment's own comparison."""
    r = Result(
        assumptions=[
            "Who is held out is decided at random (a stable draw per account), so the two "
            "groups differ only by the play.",
            f"Effect on usage and health: the change from the last month before the firing "
            f"to the mean of the {HORIZON} months after it, treated minus held out.",
            "Churn: share of paying accounts that stopped paying within 90 days of the firing.",
        ]
    )
    n = len(panel.account_ids)
    fired = fired_days(panel, firings, held=None)
    groups = cohorts(panel.end_days(), fired)
    arm = np.zeros(n, dtype=np.int64)  # 1 treated, 2 held out
    index = panel.index()
    for a, h in zip(firings.account_ids, firings.held_out, strict=True):
        if a in index:
            arm[index[a]] = 2 if h else 1
    for outcome in PANEL_OUTCOMES:
        change = change_after(panel.values[outcome], groups, HORIZON)
        ok = ~np.isnan(change)
        d = difference(change, np.flatnonzero(ok & (arm == 1)), np.flatnonzero(ok & (arm == 2)), n)
        if d is None:
            r.estimates.append(missing(outcome, "no treated or no held-out account observed"))
            continue
        se = float(np.sqrt(np.sum(d.contributions**2)))
        r.estimates.append(estimate_of(outcome, d.effect, se, d.n_treated, d.n_control))
        if outcome == PRIMARY:
            r.treated, r.controls = d.n_treated, d.n_control
            _balance(r, panel.values[outcome], groups, arm)
            r.events = _event_diffs(panel.values[outcome], groups, arm)
    r.estimates.append(_churn_by_arm(con, panel, fired, arm))
    warn_few(r, r.treated, r.controls, "held out")
    return r


def _balance(r: Result, y: F64, groups: Cohorts, arm: I64) -> None:
    """Warn when the arms differed before the firing (randomisation gone wrong)."""
    base = np.full(len(arm), np.nan)
    has = (groups.base >= 0) & (groups.base < NEVER)
    base[has] = y[np.flatnonzero(has), groups.base[has]]
    ok = ~np.isnan(base)
    d = difference(base, np.flatnonzero(ok & (arm == 1)), np.flatnonzero(ok & (arm == 2)), len(arm))
    if d is None:
        return
    se = float(np.sqrt(np.sum(d.contributions**2)))
    if se > 0 and abs(d.effect) / se > 2.58:
        r.warnings.append(
            f"treated and held-out accounts differed before the firing ({d.effect:+.2f} "
            f"{OUTCOMES[PRIMARY].lower()}, beyond 2.58 standard errors): check the holdout draw"
        )


def _event_diffs(y: F64, groups: Cohorts, arm: I64) -> list[EventPoint]:
    n, months = y.shape
    points = []
    for e in range(-LEADS, HORIZON):
        change = np.full(n, np.nan)
        for i in np.flatnonzero((arm > 0) & (groups.base >= 0) & (groups.base < NEVER)):
            t, b = int(groups.g[i]) + e, int(groups.base[i])
            if 0 <= t < months and (t >= groups.g[i] or t < b) and not np.isnan(y[i, b]):
                change[i] = y[i, t] - y[i, b]
        ok = ~np.isnan(change)
        d = difference(change, np.flatnonzero(ok & (arm == 1)), np.flatnonzero(ok & (arm == 2)), n)
        if d is not None:
            points.append(event_point(e, d))
    return with_reference(points)


def _churn_by_arm(con: duckdb.DuckDBPyConnection, panel: Panel, fired: I64, arm: I64) -> Estimate:
    who = np.flatnonzero(arm > 0)
    days = sorted({int(fired[i]) for i in who})
    dates = [EPOCH + timedelta(days=d) for d in days]
    churn = churned_within(con, [panel.account_ids[i] for i in who], dates)
    col = {d: j for j, d in enumerate(days)}
    values = np.full(len(arm), np.nan)
    for k, i in enumerate(who):
        values[i] = churn[k, col[int(fired[i])]]
    ok = ~np.isnan(values)
    d = difference(
        values, np.flatnonzero(ok & (arm == 1)), np.flatnonzero(ok & (arm == 2)), len(arm)
    )
    if d is None:
        return missing("churn_90d", "no paying account with 90 days of data after its firing")
    se = float(np.sqrt(np.sum(d.contributions**2)))
    return estimate_of("churn_90d", d.effect, se, d.n_treated, d.n_control)
