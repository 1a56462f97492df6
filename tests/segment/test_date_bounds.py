"""Event times outside the store's bounds are rejected, naming the field, value and range.

An event whose ``sentAt`` was year 9999 used to be stored as 7974 BC (the clock-skew
correction moved it back by the device's "error"), and a year-1 timestamp was accepted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from segment.analytics.client import Client as SegmentClient

from .conftest import SegmentServer

pytestmark = pytest.mark.timeout(180)

RANGE = "events are accepted from 2000-01-01 to "


def test_sent_at_9999_and_year_1_are_rejected_with_the_range(
    segment_server: SegmentServer,
) -> None:
    now = datetime.now(UTC).isoformat()
    body = {
        "batch": [
            {"type": "group", "userId": "b1", "groupId": "bounds"},
            {"type": "track", "userId": "b1", "event": "Ok", "messageId": "ok", "timestamp": now},
            {"type": "track", "userId": "b1", "event": "Far", "messageId": "far",
             "timestamp": now, "sentAt": "9999-12-31T23:59:59Z"},
        ]
    }  # fmt: skip
    response = segment_server.post("/v1/batch", body)
    assert response.status_code == 400, response.text
    [problem] = response.json()["error"]["details"]["rejected"]
    assert (problem["index"], problem["field"], problem["value"]) == (
        2, "sentAt", "9999-12-31T23:59:59Z")  # fmt: skip
    assert (
        "the clock-skew correction would date the event a day before year 1" in (problem["reason"])
    )
    assert RANGE in problem["reason"]

    # The real Segment library: it sends the call's own time and sentAt (now).
    errors: list[Any] = []
    client = SegmentClient(
        segment_server.key,
        host=segment_server.url,
        on_error=lambda exc, batch: errors.append(exc),
        max_retries=0,
    )
    client.track("b1", "Ancient", timestamp=datetime(1, 1, 1, tzinfo=UTC), message_id="ancient")
    client.flush()
    client.join()
    assert len(errors) == 1 and "before 2000-01-01" in str(errors[0]), errors

    segment_server.stop()
    assert segment_server.query("SELECT message_id FROM events ORDER BY 1") == [("ok",)]
    rejects = segment_server.query(
        'SELECT "column", "value", reason FROM rejects ORDER BY "column" DESC'
    )
    assert [(c, v) for c, v, _ in rejects] == [
        ("timestamp", "0001-01-01T00:00:00.000+00:00"),
        ("sentAt", "9999-12-31T23:59:59Z"),
    ]
    assert rejects[0][2].startswith("is before 2000-01-01: " + RANGE)
    assert RANGE in rejects[1][2]
