"""Health as stored, read for people: the score list, and one account's score with its
explanation, what moved and its trend — the one reading every interface shows.

Everything comes from the history (:mod:`outsidein.health.history`): the score in force at a
time (an active override standing in), and the contributions recorded with it, put into words
by :mod:`outsidein.health.explain` with the measure labels of the configuration in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.health.engine import CONTRIBUTION_SCHEMA, Scores, measure_infos
from outsidein.health.explain import Explanation, Move, explain, what_moved
from outsidein.health.history import HealthScore, TrendPoint, score_at, scores_at, trend
from outsidein.settings.health import HealthConfig

__all__ = [
    "TREND_DAYS",
    "AccountHealth",
    "ScorePage",
    "account_health",
    "list_scores",
    "stored_scores",
]

TREND_DAYS = 90
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class AccountHealth:
    """One account's health at ``at``: the effective score, why, what moved, the trend."""

    account_id: str
    at: datetime
    score: HealthScore
    explanation: Explanation | None  # None: an override stands where nothing was computed
    moves: list[Move]
    trend: list[TrendPoint]


@dataclass(frozen=True)
class ScorePage:
    total: int
    page: int
    page_size: int
    rows: list[dict[str, Any]]  # account_id, name, csm_id, scorecard, score, band, ...


def _row_before(
    con: duckdb.DuckDBPyConnection, account_id: str, at: datetime, strictly: bool
) -> tuple[Any, ...] | None:
    op = "<" if strictly else "<="
    rows = con.execute(
        f"SELECT valid_from, scorecard, score, band FROM health_scores WHERE account_id = ? "
        f"AND valid_from {op} ? ORDER BY valid_from DESC LIMIT 1",
        [account_id, at],
    ).fetchall()
    return rows[0] if rows else None


def stored_scores(
    con: duckdb.DuckDBPyConnection,
    account_id: str,
    at: datetime,
    health: HealthConfig,
    *,
    before: bool = False,
) -> Scores | None:
    """The computed score recorded for ``account_id`` in force at ``at`` (``before``: the one
    before it), with its contributions, as the engine's :class:`Scores` (for the explainer).

    ``set_score`` (the measure that set a worst-of group) is read back as: its group is
    worst-of and it carries weight.
    """
    row = _row_before(con, account_id, at, strictly=False)
    if row is not None and before:
        row = _row_before(con, account_id, row[0], strictly=True)
    if row is None:
        return None
    valid_from, card, value, band = row
    infos = measure_infos(health)
    parts = con.execute(
        "SELECT measure, raw, points, weight, contribution, missing FROM health_contributions "
        "WHERE account_id = ? AND valid_from = ? ORDER BY measure",
        [account_id, valid_from],
    ).fetchall()
    rows = []
    for measure, raw, points, weight, contribution, missing in parts:
        info = infos.get((card, measure))
        worst = info is not None and info.rollup == "worst"
        rows.append(
            {
                "account_id": account_id, "scorecard": card, "measure": measure, "raw": raw,
                "points": points, "weight": weight, "contribution": contribution,
                "missing": missing, "set_score": bool(worst and (weight or 0) > 0 and not missing),
            }
        )  # fmt: skip
    accounts = pa.table(
        {"account_id": [account_id], "scorecard": [card], "score": pa.array([value], pa.float64()),
         "band": pa.array([band], pa.string())}
    )  # fmt: skip
    return Scores(accounts, pa.Table.from_pylist(rows, CONTRIBUTION_SCHEMA), infos)


def account_health(
    con: duckdb.DuckDBPyConnection,
    account_id: str,
    health: HealthConfig,
    *,
    at: datetime,
    trend_days: int = TREND_DAYS,
) -> AccountHealth:
    """``account_id``'s health at ``at``; NotFoundError when it has no score (nor override)."""
    effective = score_at(con, account_id, at)
    if effective is None:
        raise NotFoundError(
            f"no health score for account {account_id!r} at {at:%Y-%m-%d %H:%M}: scores exist "
            "from the first run of the health step (or `outsidein health score`)",
            account_id=account_id,
        )
    now = stored_scores(con, account_id, at, health)
    earlier = stored_scores(con, account_id, at, health, before=True)
    explanation = None if now is None else explain(now, account_id)
    moves = [] if now is None or earlier is None else what_moved(earlier, now, account_id)
    points = trend(con, account_id, at - timedelta(days=trend_days), at)
    return AccountHealth(account_id, at, effective, explanation, moves, points)


def list_scores(
    con: duckdb.DuckDBPyConnection,
    at: datetime,
    *,
    band: str | None = None,
    scorecard: str | None = None,
    csm: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> ScorePage:
    """Every account's effective score at ``at``, lowest first, filtered and paged."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidRequestError(f"page from 1, page_size 1 to {MAX_PAGE_SIZE}")
    cur = con.cursor()
    try:
        cur.register("_oi_now", scores_at(cur, at))
        where, params = ["TRUE"], []
        for column, value in (("s.band", band), ("s.scorecard", scorecard), ("a.csm_id", csm)):
            if value is not None:
                where.append(f"lower({column}) = lower(?)")
                params.append(value)
        sql = "FROM _oi_now s LEFT JOIN accounts a USING (account_id) WHERE " + " AND ".join(where)
        (total,) = cur.execute(f"SELECT count(*) {sql}", params).fetchall()[0]
        result = cur.sql(
            "SELECT s.account_id, a.name, a.csm_id, s.scorecard, s.score, s.band, "
            "s.computed_score, s.computed_band, s.config_version, s.valid_from, "
            f"s.override_id {sql} ORDER BY s.score ASC NULLS LAST, s.account_id "
            "LIMIT ? OFFSET ?",
            params=[*params, page_size, (page - 1) * page_size],
        ).to_arrow_table()
    finally:
        cur.close()
    return ScorePage(int(total), page, page_size, result.to_pylist())
