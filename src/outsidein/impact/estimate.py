"""Each playbook's measured effect: pick the design its firings allow, run it, rank the plays.

A playbook with held-out firings ran an experiment, and its estimate is the experiment's;
one whose firings record the score and threshold they fired on gets a regression
discontinuity; any other gets difference-in-differences against accounts not treated yet.
Pages, the API and the CLI all call :func:`estimate_play` and :func:`estimate_all`.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb
import numpy as np

from outsidein.impact.common import PRIMARY, Result
from outsidein.impact.holdout import run_holdout
from outsidein.impact.models import AccountRow, PlayImpact
from outsidein.impact.panel import EPOCH, Firings, Panel, read_firings, read_panel
from outsidein.impact.staggered import run_did
from outsidein.impact.threshold import run_threshold

__all__ = ["METHODS", "estimate_all", "estimate_play", "playbooks_fired"]

METHODS = {
    "holdout": "Randomised holdout: treated minus held-out accounts",
    "threshold": "Regression discontinuity at the firing threshold (robust bias-corrected)",
    "did": "Difference-in-differences, Callaway-Sant'Anna, not-yet-treated controls",
}


def playbooks_fired(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every playbook with at least one firing, by name."""
    rows = con.execute("SELECT DISTINCT playbook FROM playbook_firings ORDER BY 1").fetchall()
    return [str(r[0]) for r in rows]


def design_of(firings: Firings) -> str:
    if firings.held_out.any() and (~firings.held_out).any():
        return "holdout"
    if firings.score_field and firings.threshold is not None:
        return "threshold"
    return "did"


def estimate_play(
    con: duckdb.DuckDBPyConnection, playbook: str, *, panel: Panel | None = None
) -> PlayImpact:
    """The playbook's effect on every outcome (404 when it never fired)."""
    firings = read_firings(con, playbook)
    panel = panel or read_panel(con)
    design = design_of(firings)
    run = {"holdout": run_holdout, "threshold": run_threshold, "did": run_did}[design]
    result = run(con, panel, firings)
    return _impact(playbook, design, firings, result)


def estimate_all(con: duckdb.DuckDBPyConnection) -> list[PlayImpact]:
    """Every fired playbook's effect, ranked by its effect on active users (largest first;
    plays without an estimate last)."""
    names = playbooks_fired(con)
    if not names:
        return []
    panel = read_panel(con)
    plays = [estimate_play(con, name, panel=panel) for name in names]

    def key(p: PlayImpact) -> tuple[int, float, str]:
        e = p.estimate(PRIMARY)
        effect = e.effect if e is not None and e.effect is not None else None
        return (effect is None, -(effect or 0.0), p.playbook)

    return sorted(plays, key=key)


def _impact(playbook: str, design: str, firings: Firings, result: Result) -> PlayImpact:
    def iso(day: int) -> str:
        return (EPOCH + timedelta(days=int(day))).isoformat()

    accounts = [
        AccountRow(
            account_id=a,
            group="held_out" if h else "treated",
            fired_at=iso(d),
            score=result.scores.get(a, None if np.isnan(s) else float(s)),
        )
        for a, d, h, s in zip(
            firings.account_ids, firings.fired_day, firings.held_out, firings.score, strict=True
        )
    ]
    treated = int((~firings.held_out).sum())
    return PlayImpact(
        playbook=playbook,
        design=design,
        method=METHODS[design],
        firings=firings.rows,
        treated=treated,
        held_out=int(firings.held_out.sum()),
        controls=result.controls,
        first_fired=iso(int(firings.fired_day.min())),
        last_fired=iso(int(firings.fired_day.max())),
        estimates=result.estimates,
        event_study=result.events,
        pretrend_p=result.pretrend_p,
        assumptions=result.assumptions,
        warnings=result.warnings,
        accounts=sorted(accounts, key=lambda r: (r.fired_at or "", r.account_id)),
    )
