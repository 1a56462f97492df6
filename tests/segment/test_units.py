"""The pure parts of the write path: timestamps, bodies, message checks, keys, back-pressure."""

from __future__ import annotations

import base64
import gzip
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outsidein.ingest.segment import (
    InvalidPayloadError,
    PayloadTooLargeError,
    SaturatedError,
    SegmentSettings,
    WriteKeyError,
    secret_from_authorization,
)
from outsidein.ingest.segment.body import decompress, parse_json
from outsidein.ingest.segment.keys import KeyRing, create_key, revoke_key
from outsidein.ingest.segment.messages import check_messages
from outsidein.ingest.segment.timestamps import (
    corrected_timestamp,
    from_micros,
    parse_timestamp,
    to_micros,
)
from outsidein.ingest.segment.writer import Backlog, GroupCommitWriter, Submission
from outsidein.store import connect

NOW = datetime(2024, 5, 1, 12, 0, 0)


def test_clock_skew_correction_is_segments_formula() -> None:
    received = to_micros(NOW)
    original = parse_timestamp("2024-05-01T13:59:00Z")  # the device is two hours fast
    sent = parse_timestamp("2024-05-01T14:00:00Z")
    assert from_micros(corrected_timestamp(original, sent, received)) == NOW - timedelta(minutes=1)
    assert corrected_timestamp(original, None, received) == original
    assert corrected_timestamp(None, sent, received) == received


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)))
def test_timestamps_round_trip_through_micros(value: datetime) -> None:
    assert from_micros(parse_timestamp(value.isoformat())) == value
    assert parse_timestamp(value.replace(tzinfo=UTC).isoformat()) == to_micros(value)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2024-05-01T09:30:00.123Z", datetime(2024, 5, 1, 9, 30, 0, 123000)),
        ("2024-05-01T11:30:00+02:00", datetime(2024, 5, 1, 9, 30)),
        ("2024-05-01", datetime(2024, 5, 1)),
    ],
)
def test_iso_8601_forms(text: str, utc: datetime) -> None:
    assert from_micros(parse_timestamp(text)) == utc


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", 1714550400, None])
def test_unparsable_timestamps(value: Any) -> None:
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_timestamp(value)


def test_gzip_is_limited_after_inflating() -> None:
    data = b'{"batch": []}'
    assert decompress(gzip.compress(data), "gzip", 100, "the batch") == data
    with pytest.raises(PayloadTooLargeError, match="once decompressed"):
        decompress(gzip.compress(b" " * 10_000), "gzip", 1000, "the batch")
    with pytest.raises(InvalidPayloadError, match="cannot be decompressed"):
        decompress(b"not gzip", "gzip", 1000, "the batch")
    with pytest.raises(InvalidPayloadError, match="truncated"):
        decompress(gzip.compress(data)[:-8], "gzip", 1000, "the batch")
    with pytest.raises(InvalidPayloadError, match="Content-Encoding 'br'"):
        decompress(data, "br", 1000, "the batch")
    deflated = zlib.compress(data)
    with pytest.raises(InvalidPayloadError):
        decompress(deflated, "gzip", 1000, "the batch")


def test_json_errors_say_where() -> None:
    with pytest.raises(InvalidPayloadError, match="line 2 column"):
        parse_json(b'{"batch":\n  [,]}')
    with pytest.raises(InvalidPayloadError):
        parse_json(b'{"x": NaN}')


def check(*messages: Any, **kw: Any) -> Any:
    return check_messages(
        list(messages),
        call_type=kw.pop("call_type", None),
        sent_at=kw.pop("sent_at", None),
        received_at=NOW,
        future_tolerance=timedelta(hours=24),
        **kw,
    )


def test_messages_become_rows() -> None:
    result = check(
        {"type": "track", "userId": 42, "event": "E", "messageId": "m", "properties": {"a": 1}},
        {"type": "page", "anonymousId": "an", "name": "Home", "context": {"groupId": "g"}},
        {"type": "screen", "userId": "u"},
        {"type": "group", "userId": "u", "groupId": 7, "traits": {"name": "N"}},
        {"type": "alias", "previousId": "p", "userId": "u"},
    )
    assert result.problems == []
    track, page, screen, group, alias = result.rows
    assert track[:3] == ("track", "m", "42") and track[9] == '{"a":1}'
    assert (page[3], page[6], page[7], page[9]) == (
        "an",
        "g",
        "Viewed Home Page",
        '{"name":"Home"}',
    )
    assert screen[7] == "Loaded a Screen"
    assert group[5] == "7" and group[9] == '{"name":"N"}'
    assert alias[4] == "p"
    assert len(page[1]) == 36  # a messageId is made up when the sender has none
    assert track[8] == to_micros(NOW)  # no device time: the arrival time


def test_a_bad_sent_at_rejects_the_whole_batch_by_name() -> None:
    result = check({"type": "track", "userId": "u", "event": "E"}, sent_at="soon")
    [problem] = result.problems
    assert problem.field == "sentAt" and problem.reason.startswith("the request's sentAt")


def test_batch_context_group_applies_to_its_messages() -> None:
    result = check(
        {"type": "track", "userId": "u", "event": "E"},
        {"type": "track", "userId": "u", "event": "E", "context": {"groupId": "own"}},
        batch_context={"groupId": "shared"},
    )
    assert [row[6] for row in result.rows] == ["shared", "own"]


@given(st.dictionaries(st.text(max_size=8), st.none() | st.integers() | st.text(max_size=8)))
def test_any_object_gets_a_row_or_a_problem_never_an_exception(message: dict[str, Any]) -> None:
    result = check(message)
    assert len(result.rows) + len(result.problems) == 1


def test_authorization_header() -> None:
    header = "Basic " + base64.b64encode(b"the-key:").decode()
    assert secret_from_authorization(header) == "the-key"
    assert secret_from_authorization(None) is None
    with pytest.raises(WriteKeyError, match="HTTP Basic"):
        secret_from_authorization("Bearer x")
    with pytest.raises(WriteKeyError, match="base64"):
        secret_from_authorization("Basic !!!")


def test_key_ring(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    created = create_key(con, "app")
    ring = KeyRing()
    ring.load(con)
    assert ring.authenticate(created.secret).key_id == created.key.key_id
    revoke_key(con, created.key.key_id)
    ring.load(con)
    with pytest.raises(WriteKeyError, match="was revoked"):
        ring.authenticate(created.secret)
    with pytest.raises(WriteKeyError, match="no write key"):
        ring.authenticate("")
    con.close()


def test_writer_refuses_beyond_its_queue(tmp_path: Path) -> None:
    """Back-pressure: with the queue full, a request is refused with 429, not buffered."""
    con = connect(tmp_path / "s.duckdb")
    writer = GroupCommitWriter(
        con.cursor(), SegmentSettings(max_queued_events=100), Backlog()
    )  # not started: nothing drains the queue

    def submission(n: int) -> Submission:
        row = ("track", "m", "u", None, None, None, None, "E", 0, None)
        return Submission("k", "r", NOW, [row] * n, [], 10, lambda error: None)

    writer.submit(submission(60))
    writer.submit(submission(40))
    with pytest.raises(SaturatedError) as refused:
        writer.submit(submission(1))
    assert refused.value.retry_after == 1 and refused.value.http_status == 429
    con.close()


def test_writer_adds_activity_up_per_key_and_minute(tmp_path: Path) -> None:
    """Counters of later commits add to the row of their key and minute, or start a new one."""
    con = connect(tmp_path / "s.duckdb")
    writer = GroupCommitWriter(con.cursor(), SegmentSettings(), Backlog())
    writer.start()
    committed: list[BaseException | None] = []
    later = NOW + timedelta(seconds=30)
    next_minute = NOW + timedelta(minutes=1)
    for n, (key, received, size) in enumerate(
        [("k1", NOW, 100), ("k1", later, 50), ("k2", NOW, 7), ("k1", next_minute, 1)]
    ):
        row = ("track", f"m{n}", "u", None, None, None, None, "E", 0, None)
        writer.submit(Submission(key, f"r{n}", received, [row] * 2, [], size, committed.append))
        deadline = time.monotonic() + 10
        while len(committed) <= n and time.monotonic() < deadline:
            time.sleep(0.01)  # each request in a commit of its own
    writer.close()
    assert committed == [None] * 4 and writer.commits == 4
    rows = con.execute(
        "SELECT key_id, minute, requests, accepted, rejected, bytes, last_seen "
        "FROM segment_activity ORDER BY key_id, minute"
    ).fetchall()
    assert rows == [
        ("k1", NOW, 2, 4, 0, 150, later),
        ("k1", next_minute, 1, 2, 0, 1, next_minute),
        ("k2", NOW, 1, 2, 0, 7, NOW),
    ]
    con.close()
