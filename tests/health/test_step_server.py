"""End to end: events sent through the Segment library move an account's stored score within
60 s, on a real server whose one pipeline runs the snapshot step and then the health step."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from segment.analytics.client import Client as SegmentClient

from outsidein.analytics import AnalyticsConfig, build_snapshot
from outsidein.health.history import score_at
from outsidein.health.step import HealthStep, utc_now
from outsidein.ingest.segment import create_key
from outsidein.store import connect
from outsidein.web import create_app
from outsidein.web.background import pipeline_of
from tests.health.conftest import simple_score
from tests.web.conftest import TODAY, LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
PROMISE_SECONDS = 60


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    db = tmp_path / "store.duckdb"
    con = connect(db)
    key = create_key(con, "tests").secret
    build_snapshot(con, AnalyticsConfig(), TODAY)  # the background step keeps a built one current
    con.close()
    config = tmp_path / "outsidein.toml"
    config.write_text("[analytics]\nsnapshot_refresh_seconds = 1\n")
    app = create_app(db, config_path=config)
    server = LiveServer(app).start()
    analytics = lambda: app.state.config.current.config.analytics  # noqa: E731
    pipeline_of(app).register(HealthStep(simple_score, config=analytics).step(min_gap=1))
    try:
        yield server, key
    finally:
        server.stop()


def _wait_for_score(server: LiveServer, account: str, score: float, since: float) -> float:
    cursor = server.app.state.store.cursor
    while True:
        cur = cursor()
        try:
            now = score_at(cur, account, utc_now())
        finally:
            cur.close()
        if now is not None and now.score == score:
            return time.monotonic() - since
        waited = time.monotonic() - since
        assert waited < PROMISE_SECONDS, f"score {now} after {waited:.0f} s, not {score}"
        time.sleep(0.25)


def test_segment_events_move_the_score_within_a_minute(served: tuple[LiveServer, str]) -> None:
    server, key = served
    errors: list[Any] = []
    client = SegmentClient(
        key, host=server.url, on_error=lambda exc, batch: errors.append(exc), max_retries=3
    )
    client.group("u1", "acme", {"name": "Acme"})
    client.track("u1", "Report Viewed")
    client.flush()
    sent = time.monotonic()
    first = _wait_for_score(server, "acme", 60.0, sent)  # 50 + 10 for one active user
    for user in ("u2", "u3", "u4"):
        client.group(user, "acme")
        client.track(user, "Report Viewed")
    client.flush()
    sent = time.monotonic()
    second = _wait_for_score(server, "acme", 90.0, sent)
    client.join()
    assert errors == []
    cur = server.app.state.store.cursor()
    try:
        rows = cur.execute(
            "SELECT score, band FROM health_scores WHERE account_id = 'acme' ORDER BY valid_from"
        ).fetchall()
    finally:
        cur.close()
    assert rows[-2:] == [(60.0, "amber"), (90.0, "green")]
    print(f"score moved {first:.1f} s and {second:.1f} s after the events were sent")
