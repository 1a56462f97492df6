"""A play fired at a score threshold: the regression discontinuity there (:mod:`.rd`)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

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
    missing,
    warn_few,
    with_reference,
)
from outsidein.impact.did import NEVER, Cohorts, cohorts
from outsidein.impact.models import EventPoint
from outsidein.impact.panel import EPOCH, Firings, Panel
from outsidein.impact.rd import local_linear
from outsidein.impact.retention import churned_within
from outsidein.impact.stats import interval

__all__ = ["run_threshold"]

F64 = NDArray[np.float64]


def run_threshold(con: duckdb.DuckDBPyConnection, panel: Panel, firings: Firings) -> Result:
    """The jump at the threshold of the score the play fired on."""
    field_name = firings.score_field or ""
    threshold = float(firings.threshold or 0.0)
    r = Result(
        assumptions=[
            f"The play fired for accounts whose {field_name} crossed {threshold:g}; accounts "
            "just either side are alike but for the play (nothing else changes there).",
            "Accounts cannot place themselves just below or above the threshold.",
            "Local quadratic fits on each side (triangular kernel; the robust bias-corrected "
            "estimate of Calonico, Cattaneo and Titiunik): the effect is the jump at the "
            "threshold, for accounts near it. Usage and health: the change from the day "
            f"before the firing to the mean of the {HORIZON} months after it.",
        ]
    )
    counts = Counter(int(d) for d in firings.fired_day)
    day, fired_that_day = counts.most_common(1)[0]
    if len(counts) > 1:
        r.warnings.append(
            f"the play fired on {len(counts)} days; the estimate uses the accounts scored on "
            f"{EPOCH + timedelta(days=day)} ({fired_that_day} firings)"
        )
    when = EPOCH + timedelta(days=day)
    score = _scores(con, panel, field_name, when)
    fired_set = {a for a, d in zip(firings.account_ids, firings.fired_day, strict=True) if d == day}
    index = panel.index()
    for a, d, recorded in zip(firings.account_ids, firings.fired_day, firings.score, strict=True):
        if d == day and a in index and not np.isnan(recorded):
            score[index[a]] = recorded  # the score the firing itself saw
    fired_mask = np.zeros(len(panel.account_ids), dtype=np.bool_)
    for a in fired_set:
        if a in index:
            fired_mask[index[a]] = True
    has = ~np.isnan(score)
    below = (
        bool(np.median(score[fired_mask & has]) < threshold) if (fired_mask & has).any() else True
    )
    side = (score < threshold) if below else (score >= threshold)
    off = int((has & (side != fired_mask)).sum())
    if off:
        r.warnings.append(
            f"{off} accounts were treated against the threshold rule (or not treated despite "
            "it): the jump measures the rule, not each firing (a fuzzy discontinuity)"
        )
    fire_days = np.where(has, day, NEVER).astype(np.int64)
    groups = cohorts(panel.end_days(), fire_days)
    for a, i in index.items():
        if has[i]:
            r.scores[a] = float(score[i])
    bw: float | None = None
    for outcome in PANEL_OUTCOMES:
        change = change_after(panel.values[outcome], groups, HORIZON)
        res = local_linear(score, change, threshold, below_treated=below)
        if res is None:
            r.estimates.append(missing(outcome, "too few accounts on a side of the threshold"))
            continue
        r.estimates.append(estimate_of(outcome, res.effect, res.std_error, res.below, res.above))
        if outcome == PRIMARY:
            bw = res.bandwidth
            r.treated, r.controls = res.below, res.above
            r.assumptions.append(f"Bandwidth: {res.bandwidth:g} either side of the threshold.")
            r.events = _rd_events(panel.values[outcome], groups, score, threshold, below, bw)
    churn = churned_within(con, panel.account_ids, [when])[:, 0]
    res = local_linear(score, churn, threshold, below_treated=below, h=bw)
    r.estimates.append(
        estimate_of("churn_90d", res.effect, res.std_error, res.below, res.above)
        if res is not None
        else missing("churn_90d", "too few paying accounts with 90 days of data")
    )
    warn_few(r, r.treated, r.controls, "above the threshold")
    return r


def _scores(con: duckdb.DuckDBPyConnection, panel: Panel, field_name: str, fired: date) -> F64:
    """The running variable of every account paying or trialling the day before ``fired``:
    a snapshot field that day, or the health score in force on the firing day (what a
    ``health_below`` playbook reads when it runs)."""
    day = fired - timedelta(days=1)
    columns = {str(row[0]) for row in con.execute("DESCRIBE account_daily_metrics").fetchall()}
    out = np.full(len(panel.account_ids), np.nan)
    paying = "(mrr > 0 OR coalesce(seats_bought, 0) > 0)"
    if field_name == "health_score":
        rows = con.execute(
            "SELECT h.account_id, arg_max(h.score, h.valid_from) FROM health_scores h "
            f"WHERE h.valid_from < ? AND h.account_id IN (SELECT account_id FROM "
            f"account_daily_metrics WHERE date = ? AND {paying}) GROUP BY 1",
            [fired + timedelta(days=1), day],
        ).fetchall()
    elif field_name in columns:
        rows = con.execute(
            f'SELECT account_id, "{field_name}" FROM account_daily_metrics '
            f"WHERE date = ? AND {paying}",
            [day],
        ).fetchall()
    else:
        return out
    index = panel.index()
    for account_id, value in rows:
        i = index.get(str(account_id))
        if i is not None and value is not None:
            out[i] = float(value)
    return out


def _rd_events(
    y: F64, groups: Cohorts, score: F64, threshold: float, below: bool, h: float | None
) -> list[EventPoint]:
    n, months = y.shape
    points = []
    for e in range(-LEADS, HORIZON):
        change = np.full(n, np.nan)
        for i in np.flatnonzero(groups.g < NEVER):
            t, b = int(groups.g[i]) + e, int(groups.base[i])
            if 0 <= t < months and b >= 0 and (t >= groups.g[i] or t < b):
                change[i] = y[i, t] - y[i, b]
        res = local_linear(score, change, threshold, below_treated=below, h=h)
        if res is not None:
            lo, hi = interval(res.effect, res.std_error)
            points.append(EventPoint(e, res.effect, lo, hi))
    return with_reference(points)
