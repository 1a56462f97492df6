"""The engine wired to the store: inputs as they were, scored with the configured scorecards,
stored as history with the configuration version that produced them.

:func:`score_fn_for` is the scoring callable the pipeline step, the backtest and the CLI use
(``inputs -> Scored``); :func:`score_now` scores every account for a day and records what
changed; :func:`health_step` is the server's pipeline step, reading the configuration in force
at each run so a new version rescored by the step's own rule (a new version: every account).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import duckdb
import pyarrow as pa

from outsidein.config import OutsideInConfig
from outsidein.errors import InvalidRequestError
from outsidein.health.backtest import BacktestReport, backtest_each
from outsidein.health.engine import Scores, score
from outsidein.health.history import (
    CONTRIBUTION_SCHEMA,
    SCORE_SCHEMA,
    Override,
    Scored,
    add_override,
    record_scores,
    score_at,
)
from outsidein.health.inputs import inputs_at, scoring_day
from outsidein.health.step import HealthStep, ScoreFn
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.settings.health import HealthConfig
from outsidein.settings.journey import JourneyConfig
from outsidein.store.config_versions import current_config_version

__all__ = [
    "ScoreRun",
    "band_for",
    "compare",
    "health_step",
    "override",
    "score_fn_for",
    "score_history",
    "score_now",
    "to_scored",
]


def to_scored(scores: Scores) -> Scored:
    """The engine's result in the history's columns (scorecard and set_score are the engine's
    extras: the scorecard is stored per score row)."""
    return Scored(
        scores.accounts.select(SCORE_SCHEMA.names).cast(SCORE_SCHEMA),
        scores.contributions.select(CONTRIBUTION_SCHEMA.names).cast(CONTRIBUTION_SCHEMA),
    )


def score_fn_for(health: HealthConfig | Callable[[], HealthConfig]) -> ScoreFn:
    """``inputs -> Scored`` with these scorecards (a callable: read at each call, so the
    server's step scores with the version in force)."""
    read = health if callable(health) else (lambda: health)

    def score_fn(inputs: pa.Table) -> Scored:
        return to_scored(score(inputs, read()))

    return score_fn


@dataclass(frozen=True)
class ScoreRun:
    as_of: date
    accounts: int
    written: int
    config_version: int | None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def score_now(
    con: duckdb.DuckDBPyConnection,
    config: OutsideInConfig,
    *,
    at: datetime | None = None,
) -> ScoreRun:
    """Score every account on ``at``'s day (now; the snapshot's last day if it ends before)
    and record the changed scores at ``at``."""
    at = at or _now()
    day = scoring_day(con, at.date())
    inputs = inputs_at(con, day, config=config.analytics, journey=config.journey)
    cur = con.cursor()
    try:
        version = current_config_version(cur)
    finally:
        cur.close()
    written = 0
    if inputs.num_rows:
        written = record_scores(
            con, score_fn_for(config.health)(inputs), config_version=version, at=at
        )
    return ScoreRun(day, inputs.num_rows, written, version)


def score_history(
    con: duckdb.DuckDBPyConnection,
    config: OutsideInConfig,
    since: date,
    until: date,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[ScoreRun]:
    """Score every account on the last day of each month from ``since``'s to the one before
    ``until``'s, as a server running then would have (inputs as they were that day); days at
    or before the latest stored score are skipped. The month ends are where the impact
    estimate reads health (docs/impact.md), so a store with this history has health effects.
    """
    latest = con.execute("SELECT max(valid_from) FROM health_scores").fetchall()[0][0]
    days = []
    month = since.replace(day=1)
    while True:
        end = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        if end >= until:
            break
        if latest is None or end > latest.date():
            days.append(end)
        month = end + timedelta(days=1)
    runs = []
    for i, day in enumerate(days):
        runs.append(score_now(con, config, at=datetime.combine(day, time(23, 0))))
        if progress is not None:
            progress(i + 1, len(days))
    return runs


def health_step(config: Callable[[], OutsideInConfig]) -> HealthStep:
    """The step that keeps scores current in the server (registered by the health section)."""
    return HealthStep(
        score_fn_for(lambda: config().health),
        config=lambda: config().analytics,
        journey=lambda: config().journey,
    )


def band_for(health: HealthConfig, scorecard: str | None, value: float) -> str:
    """The band ``value`` falls in on ``scorecard`` (the default card when it is unknown)."""
    card = health.scorecards.get(scorecard or "", health.scorecards[health.default_scorecard])
    for band in card.bands:
        if band.below is None or value < band.below:
            return band.label
    return card.bands[-1].label


def override(
    con: duckdb.DuckDBPyConnection,
    health: HealthConfig,
    account_id: str,
    *,
    reason: str,
    author: str,
    expires_at: datetime,
    score: float | None = None,
    band: str | None = None,
) -> Override:
    """A manual override by ``author`` (the signed-in user); a score without a band gets the
    band of the account's scorecard, and a band must be one the scorecard has."""
    now = score_at(con, account_id, _now())
    card_name = None if now is None else now.scorecard
    card = health.scorecards.get(card_name or "", health.scorecards[health.default_scorecard])
    labels = [b.label for b in card.bands]
    if band is not None and band not in labels:
        raise InvalidRequestError(
            f"band {band!r} is not one of scorecard {card_name or health.default_scorecard}'s: "
            f"{', '.join(labels)}"
        )
    if band is None and score is not None and 0 <= score <= 100:
        band = band_for(health, card_name, score)
    return add_override(
        con, account_id, reason=reason, author=author, expires_at=expires_at, score=score,
        band=band,
    )  # fmt: skip


def compare(
    con: duckdb.DuckDBPyConnection,
    draft: HealthConfig,
    published: HealthConfig,
    as_of: date,
    *,
    months: int = 12,
    horizon_days: int = 90,
    config: AnalyticsConfig | None = None,
    check: Callable[[], None] = lambda: None,
    journey: JourneyConfig | None = None,
) -> dict[str, BacktestReport]:
    """The backtest of ``draft`` beside the ``published`` scorecards, on the same points and
    the same inputs."""
    return backtest_each(
        con,
        {"draft": score_fn_for(draft), "published": score_fn_for(published)},
        as_of,
        months=months,
        horizon_days=horizon_days,
        config=config,
        check=check,
        journey=journey,
    )
