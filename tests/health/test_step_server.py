"""End to end: events sent through the Segment library move an account's stored score within
60 s, on a real server whose one pipeline runs the snapshot step and then the health step the
health section registers: the real engine with the shipped default scorecard."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from segment.analytics.client import Client as SegmentClient

from outsidein.analytics import AnalyticsConfig, build_snapshot
from outsidein.health.history import score_at
from outsidein.health.step import utc_now
from outsidein.ingest.segment import create_key
from outsidein.store import connect
from outsidein.web import create_app
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
    try:
        yield server, key
    finally:
        server.stop()


def _wait_for_users(server: LiveServer, account: str, users: float, since: float) -> float:
    """Seconds until ``account``'s stored score counts ``users`` active users (28 days)."""
    cursor = server.app.state.store.cursor
    while True:
        cur = cursor()
        try:
            now = score_at(cur, account, utc_now())
            raw = cur.execute(
                "SELECT raw FROM health_contributions WHERE account_id = ? AND valid_from = ? "
                "AND measure = 'usage/active_users'",
                [account, None if now is None else now.valid_from],
            ).fetchall()
        finally:
            cur.close()
        if now is not None and raw == [(users,)]:
            return time.monotonic() - since
        waited = time.monotonic() - since
        assert waited < PROMISE_SECONDS, f"score {now}, users {raw} after {waited:.0f} s"
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
    first = _wait_for_users(server, "acme", 1.0, sent)
    for user in ("u2", "u3", "u4"):
        client.group(user, "acme")
        client.track(user, "Report Viewed")
    client.flush()
    sent = time.monotonic()
    second = _wait_for_users(server, "acme", 4.0, sent)
    client.join()
    assert errors == []
    cur = server.app.state.store.cursor()
    try:
        rows = cur.execute(
            "SELECT scorecard, score, band, config_version FROM health_scores "
            "WHERE account_id = 'acme' ORDER BY valid_from"
        ).fetchall()
        (version,) = cur.execute("SELECT max(version) FROM config_versions").fetchall()[0]
    finally:
        cur.close()
    (card1, score1, band1, v1), (card2, score2, band2, v2) = rows[-2:]
    assert (card1, card2) == ("default", "default")  # the shipped scorecard
    assert score2 > score1  # three more active users raise it
    assert {band1, band2} <= {"red", "amber", "green"}
    assert v1 == v2 == version
    print(
        f"score {score1:.1f} -> {score2:.1f} moved {first:.1f} s and {second:.1f} s after the "
        "events were sent"
    )
