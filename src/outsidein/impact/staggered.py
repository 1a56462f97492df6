"""Staggered adoption: difference-in-differences against accounts not treated yet."""

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
    estimate_of,
    fired_days,
    missing,
    warn_few,
    with_reference,
)
from outsidein.impact.did import NEVER, cohorts, did
from outsidein.impact.matching import MATCHING, matched, panel_strata
from outsidein.impact.models import Estimate, EventPoint
from outsidein.impact.panel import EPOCH, Firings, Panel
from outsidein.impact.retention import churned_within
from outsidein.impact.stats import Difference, combine, interval

__all__ = ["run_did"]

I64 = NDArray[np.int64]


def run_did(con: duckdb.DuckDBPyConnection, panel: Panel, firings: Firings) -> Result:
    """Treated accounts against accounts not treated yet, cohort by cohort."""
    r = Result(
        assumptions=[
            "Parallel trends: without the play, treated accounts' outcomes would have moved "
            "as those of accounts not treated yet did (checked on the months before).",
            "No anticipation: the play changes nothing before it fires.",
            f"Callaway-Sant'Anna: each firing month's cohort against accounts not yet treated, "
            f"averaged over the {HORIZON} months after the firing; robust to staggered waves.",
            MATCHING,
            "Churn: treated accounts against accounts of their segment and ARR band not "
            "treated within 90 days, paying on the same firing day (a matched comparison, not a "
            "difference-in-differences: it assumes that within a cell the play was not aimed at "
            "accounts more or less likely to churn).",
        ]
    )
    fired = fired_days(panel, firings, held=False)
    groups = cohorts(panel.end_days(), fired)
    cells = panel_strata(panel)
    for outcome in PANEL_OUTCOMES:
        res = did(panel.values[outcome], groups, horizon=HORIZON, leads=LEADS, strata=cells)
        if res is None:
            r.estimates.append(missing(outcome, "no cohort with a month observed before and after"))
            continue
        r.estimates.append(
            estimate_of(outcome, res.effect, res.std_error, res.treated, res.controls)
        )
        if outcome == PRIMARY:
            r.treated, r.controls = res.treated, res.controls
            if res.unmatched:
                r.warnings.append(
                    f"{res.unmatched} treated accounts had no control of their segment and ARR "
                    "band and are left out of the estimate"
                )
            r.pretrend_p = res.pretrend_p
            r.events = with_reference(
                [
                    EventPoint(e.event_time, e.effect, *interval(e.effect, e.std_error))
                    for e in res.events
                ]
            )
            if res.pretrend_p is not None and res.pretrend_p < 0.05:
                r.warnings.append(
                    f"pre-trends: before the firing, treated accounts already moved apart from "
                    f"the controls (joint test p = {res.pretrend_p:.3f}); the estimate may be "
                    "biased"
                )
    r.estimates.append(_churn_did(con, panel, fired, cells))
    warn_few(r, r.treated, r.controls, "controls")
    return r


def _churn_did(
    con: duckdb.DuckDBPyConnection, panel: Panel, fired: I64, cells: I64 | None
) -> Estimate:
    n = len(panel.account_ids)
    ends = panel.end_days()
    days = sorted({int(d) for d in fired[fired < NEVER]})
    dates = [EPOCH + timedelta(days=d) for d in days]
    churn = churned_within(con, panel.account_ids, dates)
    parts: list[tuple[float, Difference]] = []
    controls = 0
    for j, d in enumerate(days):
        values = churn[:, j]
        ok = ~np.isnan(values)
        tr = np.flatnonzero(ok & (fired == d))
        ctrl = np.flatnonzero(ok & (fired > d + 89))
        before = int(np.searchsorted(ends, d, side="left")) - 1  # the last month end before
        at = cells[:, before] if cells is not None and before >= 0 else None
        diffs, _, used = matched(values, tr, ctrl, at, n)
        parts.extend((float(diff.n_treated), diff) for diff in diffs)
        controls = max(controls, len(used))
    c = combine(parts, n)
    if c is None:
        return missing("churn_90d", "no paying account with 90 days of data after its firing")
    treated = int(sum(p.n_treated for _, p in parts))
    control = controls
    return estimate_of("churn_90d", c.effect, c.std_error, treated, control)
