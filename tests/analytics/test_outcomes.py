"""The one definition of what became of an account: churned, contracted, expanded.

Four accounts paying on day 0, by hand: one churns, one loses 30 % of its MRR, one grows 50 %,
one stays. The health backtest's *lost* and the propensity labels read the same function.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from outsidein.analytics import AnalyticsConfig, build_snapshot
from outsidein.analytics.outcomes import mrr_outcomes
from outsidein.health.backtest import _outcomes
from outsidein.predict.dataset import labels_for
from outsidein.store import connect
from tests.health.conftest import insert
from tests.web.conftest import TODAY

DAY = TODAY - timedelta(days=120)


def test_churn_contraction_and_expansion_by_hand(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    try:
        start, end = DAY - timedelta(days=60), DAY + timedelta(days=30)
        later = DAY + timedelta(days=45)
        # fmt: off
        made = datetime.combine(start, datetime.min.time())
        insert(con, "accounts", [(a, a, None, "x", "SMB", "NA", 1, None, made)
                                 for a in ("A-churn", "A-down", "A-up", "A-same")])
        insert(con, "subscriptions", [
            ("S-1", "A-churn", "Pro", 100, "USD", 1, start, end, "churned", None),
            ("S-2", "A-down", "Pro", 70, "USD", 1, start, None, "active", None),
            ("S-3", "A-down", "Add", 30, "USD", 1, start, end, "churned", None),
            ("S-4", "A-up", "Pro", 100, "USD", 1, start, None, "active", None),
            ("S-5", "A-up", "Add", 50, "USD", 1, later, None, "active", None),
            ("S-6", "A-same", "Pro", 100, "USD", 1, start, None, "active", None),
        ])
        # fmt: on
        build_snapshot(con, AnalyticsConfig(), TODAY, since=start)
        out = mrr_outcomes(con, [DAY], 90).to_pylist()
        got = {r["account_id"]: (r["churn"], r["revenue_churn"], r["expansion"]) for r in out}
        assert got == {
            "A-churn": (1.0, 1.0, 0.0),
            "A-down": (0.0, 1.0, 0.0),  # 30 % down: revenue churn at 20 %
            "A-up": (0.0, 0.0, 1.0),
            "A-same": (0.0, 0.0, 0.0),
        }
        assert labels_for(con, [DAY], 90).to_pylist() == out
        lost = {r["account_id"]: r["lost"] for r in _outcomes(con, [DAY], 90, 0.2).to_pylist()}
        assert lost == {"A-churn": True, "A-down": True, "A-up": False, "A-same": False}
        # at a contraction of 40 % the account that lost 30 % is not lost
        assert not {r["account_id"]: r["lost"]
                    for r in _outcomes(con, [DAY], 90, 0.4).to_pylist()}["A-down"]  # fmt: skip
    finally:
        con.close()
