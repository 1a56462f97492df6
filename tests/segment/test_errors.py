"""Every error class of the ingestion API: its status, its code, and the field it names.

All errors use the one JSON error shape; a batch with some bad events stores the good ones
and lists the bad ones by index; every rejected event lands in ``rejects`` with its payload.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from segment.analytics.client import Client as SegmentClient

from .conftest import SegmentServer

pytestmark = pytest.mark.timeout(180)


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The error body, after checking it has exactly the one shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"]
    error: dict[str, Any] = body["error"]
    assert set(error) == {"status", "code", "message", "details"}
    assert (error["status"], error["code"]) == (status, code)
    return error


def track(**fields: Any) -> dict[str, Any]:
    return {"type": "track", "userId": "u1", "event": "Clicked", **fields}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (b'{"batch": [', "body", r"not valid JSON: .*line 1 column"),
        (b"[1, 2]", "body", "must be a JSON object"),
        (b"", "body", "the body is empty"),
        (b'{"events": []}', "batch", "must have `batch`"),
    ],
)
def test_invalid_json_names_the_body(
    shared_server: SegmentServer, body: bytes, field: str, message: str
) -> None:
    response = shared_server.post("/v1/batch", content=body)
    error = error_of(response, 400, "invalid_payload")
    assert error["details"]["field"] == field
    assert re.search(message, error["message"]), error["message"]


@pytest.mark.parametrize(
    ("path", "body", "field", "reason"),
    [
        ("/v1/track", {"event": "Clicked"}, "userId", "userId or anonymousId is required"),
        ("/v1/identify", {"traits": {}}, "userId", "userId or anonymousId is required"),
        ("/v1/track", {"userId": "u1"}, "event", "required for track"),
        ("/v1/track", {"userId": "u1", "event": "  "}, "event", "required for track"),
        ("/v1/group", {"userId": "u1"}, "groupId", "required for group"),
        ("/v1/alias", {"userId": "u1"}, "previousId", "required for alias"),
        ("/v1/track", track(timestamp="yesterday"), "timestamp", "not an ISO-8601 timestamp"),
        ("/v1/track", track(originalTimestamp=17), "originalTimestamp", "ISO-8601 string"),
        ("/v1/page", track(sentAt="2024-13-01T00:00:00Z"), "sentAt", "ISO-8601"),
        ("/v1/track", track(userId={"id": 1}), "userId", "must be a string"),
        ("/v1/track", track(properties=[1]), "properties", "must be a JSON object"),
        ("/v1/track", track(context={"groupId": True}), "context.groupId", "must be a string"),
        ("/v1/track", track(timestamp="2999-01-01T00:00:00Z"), "timestamp", "in the future"),
    ],
)
def test_invalid_event_names_the_field(
    shared_server: SegmentServer, path: str, body: dict[str, Any], field: str, reason: str
) -> None:
    error = error_of(shared_server.post(path, body), 400, "invalid_events")
    [problem] = error["details"]["rejected"]
    assert (problem["index"], problem["field"]) == (None, field)
    assert reason in problem["reason"]
    assert error["message"].startswith(f"{field}: ")
    assert error["details"]["accepted"] == 0


def test_batch_of_bad_types_and_shapes(shared_server: SegmentServer) -> None:
    body = {"batch": [{"type": "spam", "userId": "u"}, "text", None]}
    error = error_of(shared_server.post("/v1/batch", body), 400, "invalid_events")
    problems = error["details"]["rejected"]
    assert [(p["index"], p["field"]) for p in problems] == [(0, "type"), (1, None), (2, None)]
    assert "must be one of track, identify, group, page, screen, alias" in problems[0]["reason"]
    assert error["message"].startswith("3 of 3 events rejected; none was stored.")


def test_oversize_calls_and_batches(shared_server: SegmentServer) -> None:
    big = "x" * (33 * 1024)
    error = error_of(
        shared_server.post("/v1/track", track(properties={"blob": big})), 413, "payload_too_large"
    )
    assert "a track call is" in error["message"] and "32 KB" in error["message"]
    batch = {"batch": [track(properties={"blob": "y" * 1000}) for _ in range(520)]}
    error = error_of(shared_server.post("/v1/batch", batch), 413, "payload_too_large")
    assert "the batch is" in error["message"] and "500 KB" in error["message"]
    many = {"batch": [{"type": "track", "userId": "u", "event": "e"} for _ in range(2501)]}
    error = error_of(shared_server.post("/v1/batch", many), 413, "payload_too_large")
    assert "2,501 events; the limit is 2,500" in error["message"]
    # Compressed small, inflated large: the limit applies to what the JSON really is.
    bomb = gzip.compress(json.dumps(batch).encode())
    response = shared_server.post("/v1/batch", content=bomb, headers={"Content-Encoding": "gzip"})
    error_of(response, 413, "payload_too_large")


def test_one_oversize_event_in_a_batch_is_rejected_by_index(
    shared_server: SegmentServer,
) -> None:
    body = {"batch": [track(), track(properties={"blob": "z" * (33 * 1024)}), track()]}
    error = error_of(shared_server.post("/v1/batch", body), 400, "invalid_events")
    [problem] = error["details"]["rejected"]
    assert (problem["index"], problem["reason"]) == (1, "the event is over the 32 KB limit")
    assert error["details"]["accepted"] == 2


def test_write_key_is_required_and_checked(shared_server: SegmentServer) -> None:
    error = error_of(shared_server.post("/v1/track", track(), key=""), 401, "invalid_write_key")
    assert "no write key" in error["message"]
    error_of(shared_server.post("/v1/track", track(), key="oiwk_wrong"), 401, "invalid_write_key")
    response = httpx.post(
        shared_server.url + "/v1/track",
        headers={"Authorization": "Bearer token"},
        json=track(),
    )
    assert error_of(response, 401, "invalid_write_key")
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    # The key may come in the body instead of the header.
    body = track(writeKey=shared_server.key)
    assert shared_server.post("/v1/track", body, key="").json() == {"success": True}


def test_revoked_key_gets_401(shared_server: SegmentServer) -> None:
    created = shared_server.http.post(
        shared_server.url + "/api/v1/segment/keys", json={"name": "temp"}
    )
    assert created.status_code == 201
    secret, key_id = created.json()["secret"], created.json()["key_id"]
    assert shared_server.post("/v1/track", track(), key=secret).status_code == 200
    revoked = shared_server.http.post(f"{shared_server.url}/api/v1/segment/keys/{key_id}/revoke")
    assert revoked.json()["revoked_at"] is not None
    error = error_of(shared_server.post("/v1/track", track(), key=secret), 401, "invalid_write_key")
    assert f"write key {key_id} (temp) was revoked" in error["message"]
    listed = shared_server.http.get(shared_server.url + "/api/v1/segment/keys").json()
    assert "secret" not in listed[0] and {k["key_id"] for k in listed} >= {key_id}


def test_mixed_batch_keeps_the_good_and_records_the_bad(segment_server: SegmentServer) -> None:
    body = {
        "batch": [
            {"type": "group", "userId": "m1", "groupId": "mixed", "messageId": "g"},
            track(userId="m1", messageId="good-1"),
            track(userId=None, messageId="bad-1"),
            track(userId="m1", messageId="good-2", timestamp="not a time"),
            track(userId="m1", messageId="good-3"),
        ]
    }
    error = error_of(segment_server.post("/v1/batch", body), 400, "invalid_events")
    assert error["details"]["accepted"] == 3
    assert [(p["index"], p["field"], p["messageId"]) for p in error["details"]["rejected"]] == [
        (2, "userId", "bad-1"),
        (3, "timestamp", "good-2"),
    ]
    assert error["message"] == (
        "2 of 5 events rejected; the other 3 were stored. "
        "First problem: batch[2].userId: userId or anonymousId is required"
    )
    page = segment_server.http.get(segment_server.url + "/ingestion").text
    assert "userId or anonymousId is required" in page and "batch[3].timestamp" in page
    segment_server.stop()
    assert segment_server.query("SELECT message_id FROM events ORDER BY 1") == [
        ("good-1",),
        ("good-3",),
    ]
    rejects = segment_server.query(
        'SELECT r.kind, r.file, r.line, r."column", r."value", r.reason, p.payload '
        "FROM rejects r JOIN segment_reject_payloads p USING (load_id, line) ORDER BY r.line"
    )
    source = f"segment:{segment_server.key_id}"
    assert [row[:5] for row in rejects] == [
        ("segment.track", source, 2, "userId", None),
        ("segment.track", source, 3, "timestamp", "not a time"),
    ]
    assert json.loads(rejects[1][6])["messageId"] == "good-2"
    assert segment_server.query("SELECT requests, accepted, rejected FROM segment_activity") == [
        (1, 3, 2)
    ]


@pytest.fixture
def busy_server(tmp_path: Path) -> Iterator[SegmentServer]:
    """A server that takes at most 50 unapplied events and applies only when pressed."""
    server = SegmentServer(
        tmp_path / "busy",
        {"OUTSIDEIN_SEGMENT_MAX_BACKLOG": "50", "OUTSIDEIN_SEGMENT_APPLY_INTERVAL": "30"},
    ).start()
    try:
        yield server
    finally:
        server.kill()


def test_saturated_server_answers_429_with_retry_after(busy_server: SegmentServer) -> None:
    first = {"batch": [track(messageId=f"a{i}") for i in range(60)]}
    assert busy_server.post("/v1/batch", first).status_code == 200
    refused = busy_server.post("/v1/track", track(messageId="late"))
    error = error_of(refused, 429, "saturated")
    assert refused.headers["Retry-After"] == "1"
    assert error["details"]["retry_after"] == 1
    assert "accepted events are waiting to be applied" in error["message"]
    # Refusing woke the applier: shortly after, the same request is taken.
    busy_server.wait_applied()
    assert busy_server.post("/v1/track", track(messageId="late")).status_code == 200


@pytest.mark.slow
def test_segment_library_backs_off_on_429_and_loses_nothing(busy_server: SegmentServer) -> None:
    errors: list[Any] = []
    client = SegmentClient(
        busy_server.key,
        host=busy_server.url,
        upload_size=60,
        on_error=lambda e, b: errors.append(e),
    )
    for i in range(300):
        client.track("u1", "Clicked", message_id=f"c{i}")
    client.flush()
    client.join()
    assert errors == []
    busy_server.stop()
    assert busy_server.query("SELECT count(DISTINCT message_id) FROM segment_pending") == [(300,)]
