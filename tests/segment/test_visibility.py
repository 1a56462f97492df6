"""Accepted events reach the ``events`` table the metrics read within seconds (promise: 60).

The store is owned by the running server, so the check reads through its API
(``/api/v1/status`` counts the canonical tables) while ingestion keeps going.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from outsidein.ingest.segment import SegmentSettings

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
            tables = httpx.get(server.url + "/api/v1/status").json()["tables"]
            if tables["events"] == 500:
                break
            waited = time.monotonic() - acknowledged
            assert waited < PROMISE_SECONDS, f"only {tables['events']} events after {waited} s"
            time.sleep(0.1)
        assert time.monotonic() - acknowledged <= float(default) + 3
        assert tables["accounts"] == 1
        # The per-account usage metrics read them too, at once (computed from `events`).
        usage = httpx.get(
            server.url + "/api/v1/metrics/usage", params={"account": "visible"}, timeout=30
        ).json()
        (row,) = usage["rows"]
        assert (row["events_7"], row["active_users_7"]) == (500, 1), row
        assert time.monotonic() - acknowledged < PROMISE_SECONDS
    finally:
        server.kill()
