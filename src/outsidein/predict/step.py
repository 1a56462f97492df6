"""Keeps predictions current while the server runs: the pipeline step ``predict``.

It runs after the snapshot and health steps (it reads their tables) and rescores every paying
account with each target's published model when a new day starts, the snapshot moved, or a
version was published since its last run; otherwise it does nothing. Training is not a step:
it is long work a person asks for (a job, ``outsidein predict train``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import duckdb

from outsidein.pipeline import Outcome, Step, StepContext
from outsidein.predict.service import score_accounts
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.settings.journey import JourneyConfig

__all__ = ["INPUTS", "OUTPUTS", "STEP", "predict_step", "run_once"]

STEP = "predict"
INPUTS = ("account_daily_metrics", "health_scores", "predict_models")
OUTPUTS = ("predictions",)


def _marks(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    (snapshot,) = con.execute("SELECT max(updated_at)::VARCHAR FROM analytics_state").fetchone()  # type: ignore[misc]
    (models,) = con.execute(
        "SELECT string_agg(version::VARCHAR, ',' ORDER BY version) FROM predict_models "
        "WHERE published"
    ).fetchone()  # type: ignore[misc]
    today = datetime.now(UTC).date().isoformat()
    return {"snapshot": snapshot or "", "models": models or "", "day": today}


def run_once(
    con: duckdb.DuckDBPyConnection,
    config: AnalyticsConfig | None = None,
    check: Callable[[], None] = lambda: None,
    journey: JourneyConfig | None = None,
) -> int | None:
    """Rescore when something moved since the last run; the predictions written (None: no
    change, nothing run)."""
    marks = _marks(con)
    state = dict(con.execute("SELECT name, value FROM predict_state").fetchall())
    if not marks["models"] or all(state.get(k) == v for k, v in marks.items()):
        return None
    run = score_accounts(con, config=config, check=check, journey=journey)
    now = datetime.now(UTC).replace(tzinfo=None)
    con.executemany(
        "INSERT INTO predict_state VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
        "value = excluded.value, updated_at = excluded.updated_at",
        [(k, v, now) for k, v in marks.items()],
    )
    return sum(run.accounts.values())


def predict_step(
    config: Callable[[], AnalyticsConfig] = AnalyticsConfig,
    *,
    journey: Callable[[], JourneyConfig] = JourneyConfig,
    period: float = 300.0,
) -> Step:
    """The pipeline step (every ``period`` s too: a new day, a version published by a command)."""

    def run(ctx: StepContext) -> Outcome:
        written = run_once(ctx.cursor, config(), ctx.check, journey())
        if written is None:
            return Outcome.nothing("nothing moved")
        return Outcome.wrote(written, detail=f"{written:,} predictions written")

    return Step(
        STEP,
        run,
        inputs=INPUTS,
        outputs=OUTPUTS,
        period=period,
        min_gap=30.0,
        budget_seconds=300.0,
        stale_after=3 * 3600.0,
        description="scores every paying account with the published churn and expansion models",
    )
