"""Keeps segment membership current while the server runs: the pipeline step ``segments``.

It runs after the snapshot and health steps (it reads their tables). A run compares what it
last saw (the latest load of each table a field reads, the snapshot's and health's latest
writes, the saved segments, the configuration version, the day) with the store; when any
moved, it recomputes every saved segment at once
(:func:`outsidein.segments.membership.refresh_membership`: one query for all of them) and
records who entered and left, with its marks, in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import duckdb

from outsidein.pipeline import Outcome, Step, StepContext
from outsidein.segments.fields import Context
from outsidein.segments.membership import Refresh, refresh_membership

__all__ = ["INPUTS", "OUTPUTS", "STEP", "SegmentStep"]

STEP = "segments"
LOADED = ("accounts", "subscriptions", "contracts", "cases", "survey_responses")
INPUTS = (
    "account_daily_metrics", "health_scores", "health_overrides", "custom_values",
    "segment_versions", "config_versions", "account_tiers", *LOADED,
    "predictions",  # churn_risk, expansion_propensity (outsidein.predict)
)  # fmt: skip
OUTPUTS = ("segment_membership",)
STALE_AFTER = 600.0
# Each a query giving one text: when it changes, membership may have moved.
_MARKS = {
    **{f"loaded_{t}": f"SELECT max(loaded_at)::VARCHAR FROM {t}" for t in LOADED},
    "snapshot": "SELECT max(updated_at)::VARCHAR FROM analytics_state",
    "health": "SELECT max(recorded_at)::VARCHAR FROM health_scores",
    "overrides": "SELECT count(*)::VARCHAR || max(created_at)::VARCHAR FROM health_overrides",
    "custom": "SELECT max(loaded_at)::VARCHAR FROM custom_values",
    "segments": "SELECT count(*)::VARCHAR || coalesce(max(created_at)::VARCHAR, '') || "
    "(SELECT count(deleted_at)::VARCHAR FROM segments) FROM segment_versions",
    "config": "SELECT max(version)::VARCHAR FROM config_versions",
    "tiers": "SELECT max(recorded_at)::VARCHAR FROM account_tiers",
    "predictions": "SELECT max(recorded_at)::VARCHAR FROM predictions",
}


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class SegmentStep:
    """Recomputes membership when anything a segment reads moved (or on a new day)."""

    def __init__(
        self,
        context: Callable[[], Context] = Context,
        *,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._context = context
        self._now = now
        self.last: Refresh | None = None

    def step(self, *, min_gap: float = 5.0, period: float = 60.0) -> Step:
        """The pipeline step: after its inputs change (at most every ``min_gap`` s), and
        every ``period`` s (a new day; tables loaded outside the server)."""
        return Step(
            STEP,
            self._step,
            inputs=INPUTS,
            outputs=OUTPUTS,
            period=period,
            min_gap=min_gap,
            budget_seconds=120.0,
            stale_after=STALE_AFTER,
            description="recomputes every saved segment and records who entered and left",
        )

    def _step(self, ctx: StepContext) -> Outcome:
        result = self.run(ctx.cursor, ctx.check)
        if result is None:
            return Outcome.nothing("nothing a segment reads changed")
        detail = (
            f"{result.segments} segments, {result.members:,} members: {result.entered:,} "
            f"entered, {result.left:,} left"
        )
        if result.broken:
            detail += f"; not computed: {', '.join(sorted(result.broken))}"
        if not (result.entered or result.left):
            return Outcome.nothing(detail)
        return Outcome.wrote(result.entered + result.left, detail=detail)

    def run(
        self, con: duckdb.DuckDBPyConnection, check: Callable[[], None] = lambda: None
    ) -> Refresh | None:
        """One run in one transaction; None when nothing moved since the last one."""
        at = self._now()
        con.execute("BEGIN TRANSACTION")
        try:
            marks = {name: str(con.execute(sql).fetchall()[0][0]) for name, sql in _MARKS.items()}
            marks["day"] = at.date().isoformat()
            seen = dict(con.execute("SELECT name, value FROM segments_step_state").fetchall())
            if seen == marks:
                con.execute("COMMIT")
                return None
            check()
            result = refresh_membership(con, self._context(), at=at, transaction=False)
            con.executemany(
                "INSERT INTO segments_step_state VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
                "SET value = excluded.value, updated_at = excluded.updated_at",
                [(name, value, at) for name, value in marks.items()],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self.last = result
        return result
