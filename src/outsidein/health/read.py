"""Health as stored, read for people: the score list, and one account's score with its
explanation, what moved and its trend — the one reading every interface shows.

Everything comes from the history (:mod:`outsidein.health.history`): the score in force at a
time (an active override standing in), and the contributions recorded with it, put into words
by :mod:`outsidein.health.explain` with the measure labels of the configuration in force.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.health.engine import CONTRIBUTION_SCHEMA, Scores, measure_infos
from outsidein.health.explain import Explanation, Move, explain, what_moved
from outsidein.health.history import HealthScore, TrendPoint, score_at, scores_at, trend
from outsidein.settings.health import Group, HealthConfig

__all__ = [
    "TREND_DAYS",
    "AccountHealth",
    "ScorePage",
    "account_health",
    "band_order",
    "list_scores",
    "stored_scores",
    "stored_scores_of",
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


def band_order(health: HealthConfig) -> list[str]:
    """Every band label of the scorecards, worst first (the default card's order leads)."""
    cards = [health.scorecards[health.default_scorecard], *health.scorecards.values()]
    return list(dict.fromkeys(b.label for card in cards for b in card.bands))


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


def _worst_paths(group: Group, prefix: str = "", under: bool = False) -> set[str]:
    """The measures with a worst-of group above them (their own included)."""
    worst = under or group.rollup == "worst"
    out = {f"{prefix}{name}" for name in group.measures} if worst else set()
    for name, child in group.groups.items():
        out |= _worst_paths(child, f"{prefix}{name}/", worst)
    return out


def stored_scores_of(
    con: duckdb.DuckDBPyConnection, health: HealthConfig, keys: Sequence[tuple[str, datetime]]
) -> Scores:
    """The stored scores and contributions of (account, valid_from) rows as the engine's
    :class:`Scores`, so a stored score is explained exactly as a fresh one.

    The history does not keep which measure set a worst-of group: as the engine says, it is
    one under a worst-of group (at any depth) that carries weight and was not missing.
    """
    table = pa.table(
        {
            "account_id": pa.array([k[0] for k in keys], pa.string()),
            "valid_from": pa.array([k[1] for k in keys], pa.timestamp("us")),
        }
    )
    cur = con.cursor()  # its own registration, released with it
    try:
        cur.register("_oi_keys", table)
        accounts = cur.sql(
            "SELECT s.account_id, s.scorecard, s.score, s.band FROM health_scores s "
            "JOIN _oi_keys k USING (account_id, valid_from) ORDER BY s.account_id"
        ).to_arrow_table()
        parts = cur.sql(
            "SELECT c.account_id, s.scorecard, c.measure, c.raw, c.points, c.weight, "
            "c.contribution, c.missing FROM health_contributions c "
            "JOIN _oi_keys k USING (account_id, valid_from) "
            "JOIN health_scores s USING (account_id, valid_from) ORDER BY c.account_id, c.measure"
        ).to_arrow_table()
    finally:
        cur.close()
    worst = {name: _worst_paths(card) for name, card in health.scorecards.items()}
    set_score = [
        bool(measure in worst.get(card, set()) and not missing and (weight or 0) > 0)
        for card, measure, weight, missing in zip(
            parts.column("scorecard").to_pylist(),
            parts.column("measure").to_pylist(),
            parts.column("weight").to_pylist(),
            parts.column("missing").to_pylist(),
            strict=True,
        )
    ]
    contributions = parts.append_column("set_score", pa.array(set_score, pa.bool_()))
    return Scores(
        accounts,
        contributions.select(CONTRIBUTION_SCHEMA.names).cast(CONTRIBUTION_SCHEMA),
        measure_infos(health),
    )


def stored_scores(
    con: duckdb.DuckDBPyConnection,
    account_id: str,
    at: datetime,
    health: HealthConfig,
    *,
    before: bool = False,
) -> Scores | None:
    """The computed score recorded for ``account_id`` in force at ``at`` (``before``: the one
    before it), with its contributions (:func:`stored_scores_of`)."""
    row = _row_before(con, account_id, at, strictly=False)
    if row is not None and before:
        row = _row_before(con, account_id, row[0], strictly=True)
    if row is None:
        return None
    return stored_scores_of(con, health, [(account_id, row[0])])


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
