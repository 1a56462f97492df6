"""Keeps the daily snapshot current while the server runs: the pipeline step ``snapshot``.

Events arrive all day (the Segment API applies them every few seconds) and the pages and
scores that read ``account_daily_metrics`` should see them without anyone asking. The step
runs when the tables it reads changed, at most every ``snapshot_refresh_seconds``, and that
often anyway (a new day, new settings); it updates the snapshot only if
:func:`snapshot_staleness` says it is out of date. Asked-for runs (the API's POST) go
through the same lock, so two updates never race on the same rows; they run as jobs, on the
job's cursor, so cancelling one interrupts its query.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime

import duckdb

from outsidein.analytics.snapshot import (
    TABLE,
    WATERMARKS,
    SnapshotResult,
    snapshot_staleness,
    update_snapshot,
)
from outsidein.pipeline import Outcome, Step, StepContext
from outsidein.pipeline.step import StepCancelled
from outsidein.settings.analytics import AnalyticsConfig

log = logging.getLogger(__name__)

STEP = "snapshot"
OUTPUTS = (TABLE, "usage_user_days", "usage_feature_days")
IDLE_SECONDS = 5.0  # how often to look at the settings again while refreshing is off
STALE_AFTER = 300.0  # pages that read the snapshot warn when it is this far behind


def utc_today() -> date:
    return datetime.now(UTC).date()


class SnapshotRefresher:
    """Runs snapshot updates: as a pipeline step when stale, or when asked (:meth:`run`)."""

    def __init__(
        self,
        cursor: Callable[[], duckdb.DuckDBPyConnection],
        config: Callable[[], AnalyticsConfig],
        *,
        today: Callable[[], date] = utc_today,
    ) -> None:
        self._cursor = cursor
        self._config = config
        self._today = today
        self._lock = threading.Lock()
        self.last: SnapshotResult | None = None

    def step(self, every: float) -> Step:
        """The pipeline step, run at most (and at least) every ``every`` seconds."""
        every = every or IDLE_SECONDS
        return Step(
            STEP,
            self._step,
            inputs=WATERMARKS,
            outputs=OUTPUTS,
            period=every,
            min_gap=every,
            budget_seconds=max(60.0, every),
            stale_after=max(STALE_AFTER, 4 * every),
            description="brings the daily per-account snapshot up to date with new data",
        )

    def run(self, as_of: date | None = None, ctx: StepContext | None = None) -> SnapshotResult:
        """Bring the snapshot up to date now (the first run builds it); with ``ctx`` (a job),
        on its cursor, and a cancel is honoured while waiting for a background update too."""
        config = self._config()
        while not self._lock.acquire(timeout=0.2):
            if ctx is not None and ctx.cancelled():
                raise StepCancelled
        try:
            cur = self._cursor() if ctx is None else ctx.cursor
            try:
                result = update_snapshot(cur, config, as_of)
            finally:
                if ctx is None:
                    cur.close()
            self.last = result
            return result
        finally:
            self._lock.release()

    def refresh_if_stale(
        self,
        cur: duckdb.DuckDBPyConnection | None = None,
        config: AnalyticsConfig | None = None,
    ) -> SnapshotResult | None:
        """Update if the built snapshot is out of date (on ``cur``, or a cursor of its own)."""
        config = config or self._config()
        today = self._today()
        with self._lock:
            own = cur is None
            cur = self._cursor() if cur is None else cur
            try:
                reason = snapshot_staleness(cur, config, today)
                if reason is None:
                    return None
                result = update_snapshot(cur, config, today)
            finally:
                if own:
                    cur.close()
            self.last = result
        log.info(
            "daily snapshot %s (%s): %d accounts, %d rows in %.1f s",
            result.mode, reason, result.accounts, result.rows, result.seconds,
        )  # fmt: skip
        return result

    def _step(self, ctx: StepContext) -> Outcome:
        config = self._config()  # a broken outsidein.toml fails the step: the status says so
        if not config.snapshot_refresh_seconds:
            return Outcome.nothing("off (analytics.snapshot_refresh_seconds = 0)")
        result = self.refresh_if_stale(ctx.cursor, config)
        if result is None:
            return Outcome.nothing("current")
        return Outcome.wrote(
            result.rows, detail=f"{result.mode} ({result.reason}), {result.accounts:,} accounts"
        )
