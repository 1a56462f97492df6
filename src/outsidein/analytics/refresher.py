"""Keeps the daily snapshot current while the server runs.

Events arrive all day (the Segment API applies them every few seconds) and the pages and
scores that read ``account_daily_metrics`` should see them without anyone asking. A thread
checks every ``snapshot_refresh_seconds`` whether the snapshot is stale (new data, a new
day, new settings) and runs :func:`update_snapshot` if so. Asked-for runs (the API's POST)
go through the same lock, so two updates never race on the same rows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime

import duckdb

from outsidein.analytics.snapshot import SnapshotResult, snapshot_staleness, update_snapshot
from outsidein.settings.analytics import AnalyticsConfig

log = logging.getLogger(__name__)

IDLE_SECONDS = 5.0  # how often to look at the settings again while refreshing is off


def utc_today() -> date:
    return datetime.now(UTC).date()


class SnapshotRefresher:
    """Runs snapshot updates: in the background when stale, or when asked (:meth:`run`)."""

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
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="snapshot-refresher", daemon=True)
        self.last: SnapshotResult | None = None
        self.last_error: str | None = None

    def start(self) -> None:
        self._thread.start()

    def close(self, timeout: float = 120.0) -> None:
        """Stop; an update under way finishes (it is one transaction) before this returns."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run(self, as_of: date | None = None) -> SnapshotResult:
        """Bring the snapshot up to date now (the first run builds it)."""
        config = self._config()
        with self._lock:
            cur = self._cursor()
            try:
                result = update_snapshot(cur, config, as_of)
            finally:
                cur.close()
            self.last = result
            return result

    def refresh_if_stale(self) -> SnapshotResult | None:
        """One background step: update if the built snapshot is out of date."""
        config = self._config()
        today = self._today()
        with self._lock:
            cur = self._cursor()
            try:
                reason = snapshot_staleness(cur, config, today)
                if reason is None:
                    return None
                result = update_snapshot(cur, config, today)
            finally:
                cur.close()
            self.last = result
        log.info(
            "daily snapshot %s (%s): %d accounts, %d rows in %.1f s",
            result.mode, reason, result.accounts, result.rows, result.seconds,
        )  # fmt: skip
        return result

    def _loop(self) -> None:
        while True:
            try:
                interval = self._config().snapshot_refresh_seconds
            except Exception as exc:  # a broken outsidein.toml: say so, keep serving
                self.last_error = f"cannot read the analytics settings: {exc}"
                interval = 0.0
            if self._stop.wait(interval or IDLE_SECONDS):
                return
            if not interval:
                continue
            try:
                self.refresh_if_stale()
            except Exception as exc:
                # The previous snapshot stays (each update is one transaction); try again.
                log.exception("daily snapshot refresh failed")
                self.last_error = str(exc)
            else:
                self.last_error = None
