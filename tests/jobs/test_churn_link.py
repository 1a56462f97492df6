"""Which unmet outcomes cost revenue, on the simulator: the accounts not satisfied with the
planted under-served outcomes churn more than those satisfied (docs/jobs.md, the business)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from outsidein.analytics import update_snapshot
from outsidein.config import load_config
from outsidein.ingest import load_directory
from outsidein.jobs.business import churn_link
from outsidein.sim import simulate
from outsidein.store import connect

pytestmark = pytest.mark.slow
AS_OF = date(2026, 11, 1)


def test_unsatisfied_accounts_of_planted_outcomes_churn_more(tmp_path: Path) -> None:
    # without the planted plays: the upsell push churns accounts whatever their needs
    simulate(tmp_path / "company", accounts=600, months=12, seed=4, as_of=AS_OF,
             events_per_user_day=0.02, plays=False)  # fmt: skip
    config = load_config(tmp_path / "company" / "outsidein.toml")
    con = connect(tmp_path / "store.duckdb")
    try:
        assert sum(r.rows_rejected for r in load_directory(con, tmp_path / "company")) == 0
        update_snapshot(con, config.analytics)
        found = churn_link(con, config, as_of=AS_OF)
    finally:
        con.close()
    truth = json.loads((tmp_path / "company/ground_truth/needs_segments.json").read_text())
    under = set(next(s for s in truth["segments"] if s["underserved"])["key_outcomes"])
    planted = [x for x in found if x.outcome_id in under and x.churn_difference is not None]
    assert len(planted) == len(under)
    mean = sum(x.churn_difference or 0 for x in planted) / len(planted)
    assert mean > 0.08, mean  # measured: 0.13 (churn 13 points higher when unsatisfied)
    significant = [x for x in planted if x.churn_difference_ci and x.churn_difference_ci.low > 0]
    assert len(significant) >= len(planted) // 2, planted
