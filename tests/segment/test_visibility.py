"""Accepted events reach the ``events`` table the metrics read within seconds (promise: 60).

The store is owned by the running server, so the check reads through its API
(``/api/v1/status`` counts the canonical tables) while ingestion keeps going.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from outsidein.ingest.segment import SegmentSettings
from tests.web.jobs import finished

from .conftest import SegmentServer

pytestmark = pytest.mark.timeout(120)
PROMISE_SECONDS = 60


def test_new_events_are_visible_to_metrics_within_the_promise(tmp_path: Path) -> None:
    default = str(SegmentSettings().apply_interval)
    server = SegmentServer(tmp_path / "v", {"OUTSIDEIN_SEGMENT_APPLY_INTERVAL": default}).start()
    try:
        body = {
            "batch": [{"type": "group", "userId": "v", "groupId": "visible"}]
            + [{"type": "track", "userId": "v", "event": "Used"} for _ in range(500)]
        }
        assert server.post("/v1/batch", body).status_code == 200
        acknowledged = time.monotonic()
        while True:
            tables = server.http.get(server.url + "/api/v1/status").json()["tables"]
            if tables["events"] == 500:
                break
            waited = time.monotonic() - acknowledged
            assert waited < PROMISE_SECONDS, f"only {tables['events']} events after {waited} s"
            time.sleep(0.1)
        assert time.monotonic() - acknowledged <= float(default) + 3
        assert tables["accounts"] == 1
        # The per-account usage metrics read them too, at once (computed from `events`).
        usage = server.http.get(
            server.url + "/api/v1/metrics/usage", params={"account": "visible"}, timeout=30
        ).json()
        (row,) = usage["rows"]
        assert (row["events_7"], row["active_users_7"]) == (500, 1), row
        assert time.monotonic() - acknowledged < PROMISE_SECONDS
    finally:
        server.kill()


def test_a_built_snapshot_takes_new_events_within_the_promise(tmp_path: Path) -> None:
    """The daily snapshot (trend pages, health) is refreshed by the server on its own."""
    config = tmp_path / "outsidein.toml"
    config.write_text("[analytics]\nsnapshot_refresh_seconds = 1\n")
    server = SegmentServer(tmp_path / "s", {"OUTSIDEIN_CONFIG": str(config)}).start()
    try:
        job = server.http.post(server.url + "/api/v1/metrics/snapshot", timeout=60)
        built = finished(job, server.url, headers=server.auth)["result"]
        assert built["mode"] == "full", built
        body = {
            "batch": [{"type": "group", "userId": "s", "groupId": "snap"}]
            + [{"type": "track", "userId": "s", "event": "Used"} for _ in range(300)]
        }
        assert server.post("/v1/batch", body).status_code == 200
        acknowledged = time.monotonic()
        while True:
            trend = server.http.get(
                server.url + "/api/v1/metrics/usage/trend", params={"days": 1}, timeout=30
            ).json()
            if trend["rows"] and trend["rows"][-1]["events_7"] == 300:
                break
            waited = time.monotonic() - acknowledged
            assert waited < PROMISE_SECONDS, (
                f"snapshot still shows {trend['rows']} after {waited} s"
            )
            time.sleep(0.2)
        assert trend["rows"][-1]["active_accounts"] == 1
    finally:
        server.kill()
