"""Matched controls: a play aimed at small accounts, which grow faster anyway, is not credited
with their growth. A hand-built panel where unmatched controls bias the estimate and matched
ones (segment x ARR band) do not."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

from outsidein.impact.matching import MATCHING, strata
from outsidein.impact.panel import EPOCH, Firings, Panel
from outsidein.impact.staggered import run_did
from outsidein.store import connect

MONTHS = 10
EFFECT = 2.0


def _panel(*, with_arr: bool) -> tuple[Panel, Firings]:
    rng = np.random.default_rng(3)
    n = 600
    small = rng.random(n) < 0.5
    # the play goes to small accounts four times as often as to large ones
    treated = rng.random(n) < np.where(small, 0.4, 0.1)
    ends = [(date(2026, m + 2, 1) - timedelta(days=1)) for m in range(MONTHS)]
    fired = date(2026, 6, 1)  # month index 5 is the first treated month
    t = np.arange(MONTHS)
    trend = np.where(small, 1.0, 0.0)[:, None] * t[None, :]  # small accounts add a user a month
    y = 10 + trend + rng.normal(0, 1, (n, MONTHS))
    y += EFFECT * (treated[:, None] & (t[None, :] >= 5))
    arr = np.where(small, 12_000.0, 240_000.0)[:, None] * rng.uniform(0.8, 1.2, (n, MONTHS))
    values = {k: y.copy() if k == "active_users_28" else np.full((n, MONTHS), np.nan)
              for k in ("active_users_28", "key_features_used_28", "health_score")}  # fmt: skip
    if with_arr:
        values["arr"] = arr
    ids = [f"A-{i:04d}" for i in range(n)]
    segments = ["smb" if s else "enterprise" for s in small]
    chosen = [a for a, tr in zip(ids, treated, strict=True) if tr]
    firings = Firings(
        playbook="small-accounts", rows=len(chosen), account_ids=chosen,
        fired_day=np.full(len(chosen), (fired - EPOCH).days, dtype=np.int64),
        held_out=np.zeros(len(chosen), dtype=np.bool_), score=np.full(len(chosen), np.nan),
        score_field=None, threshold=None,
    )  # fmt: skip
    return Panel(ids, ends, values, segments), firings


def _estimate(tmp_path: Path, *, with_arr: bool) -> tuple[float, float, list[str]]:
    panel, firings = _panel(with_arr=with_arr)
    con = connect(tmp_path / f"store{with_arr}.duckdb")
    try:
        result = run_did(con, panel, firings)
    finally:
        con.close()
    e = next(e for e in result.estimates if e.outcome == "active_users_28")
    assert e.ci_low is not None and e.ci_high is not None
    return e.ci_low, e.ci_high, result.assumptions


def test_matched_controls_remove_the_bias_of_a_targeted_play(tmp_path: Path) -> None:
    low, high, assumptions = _estimate(tmp_path, with_arr=True)
    assert low <= EFFECT <= high, (low, high)
    assert MATCHING in assumptions
    # the same panel without the ARR to match on: the small accounts' growth is read as effect
    low, high, _ = _estimate(tmp_path, with_arr=False)
    assert low > EFFECT + 0.3, (low, high)


def test_cells_are_segment_by_arr_half_and_missing_when_not_a_customer() -> None:
    arr = np.array([[1.0, np.nan], [2.0, 5.0], [3.0, 6.0], [4.0, 7.0]])
    cells = strata(["a", "a", "b", "b"], arr)
    assert cells[:, 0].tolist() == [0, 0, 2 + 1, 2 + 1]  # segment x above/below the median
    assert cells[0, 1] == -1
