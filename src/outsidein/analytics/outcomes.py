"""What became of an account after a day: the one definition of churned, contracted and
expanded, read from the daily snapshot's MRR (itself the one per-account MRR).

The health backtest (an account *lost*: churned or contracted) and the propensity models'
labels (churn, revenue churn, expansion) both read it, so a score and a model are judged
against the same outcomes. The outcome is read either a fixed number of days after each
day or on a day of each account's own (its next renewal: :func:`mrr_outcomes_at`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import duckdb
import pyarrow as pa

__all__ = ["mrr_outcomes", "mrr_outcomes_at"]


def mrr_outcomes(
    con: duckdb.DuckDBPyConnection,
    days: Sequence[date],
    horizon_days: int,
    *,
    down: float = 0.2,
    up: float = 0.1,
) -> pa.Table:
    """``account_id, day, churn, revenue_churn, expansion`` (1.0 / 0.0) for every account
    paying (MRR > 0) at the end of each day whose MRR ``horizon_days`` later the snapshot
    knows: churn is MRR 0 then, revenue churn MRR down by ``down`` or more (churn included),
    expansion MRR up by ``up`` or more."""
    points = pa.table(
        {
            "day": pa.array(list(days), pa.date32()),
            "later": pa.array([d + timedelta(days=horizon_days) for d in days], pa.date32()),
        }
    )
    return _compare(con, points, "b.date = p.day", down, up)


def mrr_outcomes_at(
    con: duckdb.DuckDBPyConnection, points: pa.Table, *, down: float = 0.2, up: float = 0.1
) -> pa.Table:
    """:func:`mrr_outcomes` read on each row's own later day: ``points`` has ``account_id,
    day, later`` (for example its next renewal). Rows whose ``later`` the snapshot does not
    know yet are left out, as are accounts not paying on ``day``."""
    return _compare(con, points, "b.date = p.day AND b.account_id = p.account_id", down, up)


def _compare(
    con: duckdb.DuckDBPyConnection, points: pa.Table, base: str, down: float, up: float
) -> pa.Table:
    """Each point's paying accounts (``base``: the join on the day) against ``later``."""
    cur = con.cursor()
    try:
        cur.register("_oi_points", points)
        return cur.sql(
            f"""
            SELECT b.account_id, p.day,
                   (e.mrr = 0)::DOUBLE AS churn,
                   (e.mrr <= b.mrr * (1 - $down))::DOUBLE AS revenue_churn,
                   (e.mrr >= b.mrr * (1 + $up))::DOUBLE AS expansion
            FROM _oi_points p
            JOIN account_daily_metrics b ON {base} AND b.mrr > 0
            JOIN account_daily_metrics e ON e.date = p.later AND e.account_id = b.account_id
            """,
            params={"down": down, "up": up},
        ).to_arrow_table()
    finally:
        cur.close()
