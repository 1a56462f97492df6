"""The background refresh keeps a built snapshot current, and leaves a current one alone."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import duckdb

from outsidein.analytics import SnapshotRefresher, build_snapshot, snapshot_range
from outsidein.analytics.snapshot import read_state
from outsidein.ingest import load_file
from outsidein.pipeline import Scheduler
from tests.analytics.company import AS_OF, CONFIG, write_events
from tests.analytics.test_snapshot import SINCE, stored


def late_events(tmp_path: Path, con: duckdb.DuckDBPyConnection, prefix: str) -> None:
    events = [
        ("A1", "u9", "login", "2024-06-01 10:00:00"),
        ("A2", "u9", "login", "2024-06-15 09:00:00"),
    ]
    load_file(con, "events", write_events(tmp_path / f"{prefix}.csv", events, prefix))


def test_stale_snapshots_are_updated_and_current_ones_left_alone(
    writable: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    today = AS_OF
    refresher = SnapshotRefresher(writable.cursor, lambda: CONFIG, today=lambda: today)
    assert refresher.refresh_if_stale() is None  # nothing built: a first build is asked for

    build_snapshot(writable, CONFIG, AS_OF, since=SINCE)
    before = stored(writable)
    assert refresher.refresh_if_stale() is None
    assert stored(writable) == before

    late_events(tmp_path, writable, "late-")
    result = refresher.refresh_if_stale()
    assert result is not None and (result.mode, result.new_events) == ("incremental", 2)
    assert result.accounts == 2 and refresher.last is result
    assert refresher.refresh_if_stale() is None
    a1 = writable.execute(
        "SELECT active_users_28 FROM account_daily_metrics WHERE account_id = 'A1' AND date = ?",
        [AS_OF],
    ).fetchall()
    assert stored(writable) != before and a1 and a1[0][0] >= 1

    today = AS_OF + timedelta(days=1)  # a new day: every account gets its row
    result = refresher.refresh_if_stale()
    assert result is not None and result.rows == 10
    assert snapshot_range(writable) == (SINCE, today)

    fewer = CONFIG.model_copy(update={"key_features": ["report.created"]})
    changed = SnapshotRefresher(writable.cursor, lambda: fewer, today=lambda: today)
    rebuilt = changed.refresh_if_stale()
    assert rebuilt is not None and rebuilt.mode == "full"


def test_the_pipeline_step_refreshes_on_its_own(
    writable: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    build_snapshot(writable, CONFIG, AS_OF, since=SINCE)
    often = CONFIG.model_copy(update={"snapshot_refresh_seconds": 0.1})
    refresher = SnapshotRefresher(writable.cursor, lambda: often, today=lambda: AS_OF)
    pipeline = Scheduler(writable.cursor)
    pipeline.register(refresher.step(often.snapshot_refresh_seconds))
    pipeline.start()
    try:
        late_events(tmp_path, writable, "bg-")  # not announced: the period finds it
        newest = writable.execute("SELECT max(loaded_at)::VARCHAR FROM events").fetchall()[0][0]
        deadline = time.monotonic() + 30
        while read_state(writable)["loaded_events"] != newest:
            assert time.monotonic() < deadline, pipeline.status("snapshot").last_error
            time.sleep(0.05)
    finally:
        pipeline.close()
    assert refresher.last is not None and refresher.last.new_events == 2
    status = pipeline.status("snapshot")
    assert status.last_error is None and status.runs >= 1
    assert status.inputs == ("events", "subscriptions", "accounts", "usage_daily")
