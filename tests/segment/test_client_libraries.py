"""The real Segment and RudderStack libraries, pointed at a real server, change nothing else.

Each test sends through the library, stops the server (which applies everything it
accepted) and reads the store: accounts from group calls, contacts from identify calls,
events from track/page/screen calls with the right account, aliases merged, and events
that arrived before their user's group call attached once it came.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from rudderstack.analytics.client import Client as RudderClient
from segment.analytics.client import Client as SegmentClient

from .conftest import SegmentServer


def _drain(client: Any, errors: list[Any], *, last: bool = True) -> None:
    """Wait until every queued message was answered; ``last`` also stops the client."""
    client.flush()
    if last:
        client.join()
    assert errors == []


def test_segment_library_maps_every_call(segment_server: SegmentServer) -> None:
    errors: list[Any] = []
    client = SegmentClient(
        segment_server.key,
        host=segment_server.url,
        on_error=lambda exc, batch: errors.append(exc),
        max_retries=3,
    )
    old = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    # Out of order on purpose: u1's events arrive before the group call that links u1.
    client.track("u1", "Report Viewed", {"report": "r1"}, timestamp=old)
    client.page("u1", category="Docs", name="Home", timestamp=old)
    client.screen("u1", name="Dashboard", timestamp=old)
    client.flush()
    client.identify("u1", {"email": "ada@acme.test", "firstName": "Ada", "lastName": "Byron",
                           "role": "Executive Sponsor", "title": "CTO"})  # fmt: skip
    client.group("u1", "acme", {"name": "Acme Corp", "industry": "Software", "employees": 250})
    # An anonymous visitor who signs up later: alias merges the two identities.
    client.track(anonymous_id="anon-7", event="Pricing Viewed", context={"groupId": "acme"})
    client.alias("anon-7", "u2")
    client.group("u2", "acme")
    # context.groupId attaches u3 to a second account without a group call from u3.
    client.group("u9", "globex", {"name": "Globex"})
    client.track("u3", "Export Created", context={"groupId": "globex"})
    _drain(client, errors, last=False)
    segment_server.wait_applied()
    client.track("u2", "Report Viewed")  # after the merge: stored under u2 as well
    _drain(client, errors)
    segment_server.stop()

    accounts = segment_server.query(
        "SELECT account_id, name, industry, employees, source FROM accounts ORDER BY 1"
    )
    key_source = f"segment:{segment_server.key_id}"
    assert accounts == [
        ("acme", "Acme Corp", "Software", 250, key_source),
        ("globex", "Globex", None, None, key_source),
    ]
    assert segment_server.query(
        "SELECT system, external_id, account_id FROM external_ids ORDER BY 2"
    ) == [("segment", "acme", "acme"), ("segment", "globex", "globex")]
    assert segment_server.query(
        "SELECT contact_id, account_id, name, email, role, title FROM contacts"
    ) == [("u1", "acme", "Ada Byron", "ada@acme.test", "executive_sponsor", "CTO")]

    events = segment_server.query(
        "SELECT account_id, user_id, event, properties, timestamp FROM events ORDER BY event"
    )
    by_event = {row[2]: row for row in events}
    assert sorted(by_event) == [
        "Export Created", "Pricing Viewed", "Report Viewed", "Viewed Dashboard Screen",
        "Viewed Home Page",
    ]  # fmt: skip
    assert len(events) == 6  # Report Viewed twice: u1 and u2
    assert by_event["Viewed Home Page"][:2] == ("acme", "u1")
    assert json.loads(by_event["Viewed Home Page"][3]) == {"name": "Home", "category": "Docs"}
    assert by_event["Export Created"][:2] == ("globex", "u3")
    assert by_event["Pricing Viewed"][:2] == ("acme", "u2")  # the alias re-attributed it
    # Sent moments ago from the same clock: the skew correction keeps the given time.
    skew = abs(by_event["Viewed Dashboard Screen"][4] - old.replace(tzinfo=None))
    assert skew < timedelta(seconds=5)
    assert segment_server.query("SELECT count(*) FROM segment_pending") == [(0,)]
    assert segment_server.query("SELECT count(*) FROM segment_inbox") == [(0,)]


def test_rudderstack_library_with_gzip(segment_server: SegmentServer) -> None:
    errors: list[Any] = []
    client = RudderClient(
        segment_server.key,
        segment_server.url,
        on_error=lambda exc, batch: errors.append(exc),
        gzip=True,
        max_retries=3,
    )
    client.group("r1", "initech", {"name": "Initech"})
    for i in range(250):
        client.track("r1", "Ticket Closed", {"n": i})
    _drain(client, errors)
    segment_server.stop()
    assert segment_server.query("SELECT count(*), count(DISTINCT message_id) FROM events") == [
        (250, 250)
    ]
    assert segment_server.query("SELECT DISTINCT account_id FROM events") == [("initech",)]


def test_clock_skew_is_corrected(segment_server: SegmentServer) -> None:
    """A device two hours slow: its times are shifted by what its own clock says passed."""
    device_now = datetime.now(UTC) - timedelta(hours=2)
    body = {
        "batch": [
            {"type": "group", "userId": "s1", "groupId": "skew"},
            {
                "type": "track",
                "userId": "s1",
                "event": "Clicked",
                "messageId": "skewed",
                "timestamp": (device_now - timedelta(minutes=10)).isoformat(),
            },
        ],
        "sentAt": device_now.isoformat(),
    }
    assert segment_server.post("/v1/batch", body).status_code == 200
    segment_server.stop()
    [(timestamp,)] = segment_server.query(
        "SELECT timestamp FROM events WHERE message_id = 'skewed'"
    )
    expected = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=10)
    assert abs(timestamp - expected) < timedelta(seconds=30)
