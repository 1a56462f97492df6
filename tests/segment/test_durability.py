"""A 2xx means durable, and retries never duplicate: SIGKILL mid-stream proves both.

Senders post batches with their own retry loop (the Segment library hides which requests
were acknowledged, so a raw client keeps that record). The server is killed with SIGKILL
the moment its store's write-ahead log grows, that is just as a group commit is written and
before its requests can be answered, then restarted, and the senders retry whatever was not
acknowledged. While the server is down the test reads the store: a batch a sender is still
waiting on whose events are already there is a committed response the kill swallowed. At
least one kill must swallow one, and its retry must be absorbed. Afterwards every
acknowledged messageId is stored exactly once, and nothing else is stored twice.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from .conftest import SegmentServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SENDERS = 4
BATCHES = 120  # long enough that every kill lands mid-stream
BATCH_SIZE = 250
KILLS = 4
STORED = (
    "SELECT message_id FROM segment_inbox UNION ALL SELECT message_id FROM segment_pending "
    "UNION ALL SELECT message_id FROM events"
)


class Sender(threading.Thread):
    """Posts its batches in order, resending each until it is acknowledged."""

    def __init__(self, number: int, server: SegmentServer, acked_event: threading.Event) -> None:
        super().__init__(daemon=True)
        self.number, self.server, self.acked_event = number, server, acked_event
        self.acked: list[str] = []
        self.sending: list[str] = []  # the batch being sent until it is acknowledged
        self.attempts = 0
        self.failures = 0

    def run(self) -> None:
        with httpx.Client(auth=(self.server.key, ""), timeout=10) as client:
            for batch in range(BATCHES):
                ids = [f"s{self.number}-b{batch}-e{i}" for i in range(BATCH_SIZE)]
                body = {
                    "batch": [
                        {
                            "type": "track",
                            "userId": f"user-{self.number}",
                            "event": "Heartbeat",
                            "messageId": message_id,
                            "properties": {"batch": batch},
                        }
                        for message_id in ids
                    ]
                }
                self.sending = ids
                while True:
                    self.attempts += 1
                    try:
                        response = client.post(self.server.url + "/v1/batch", json=body)
                    except httpx.TransportError:
                        response = None
                    if response is not None and response.status_code == 200:
                        self.acked.extend(ids)
                        self.sending = []
                        self.acked_event.set()
                        break
                    assert response is None or response.status_code >= 500, response.text
                    self.failures += 1
                    time.sleep(0.05)


def kill_as_it_commits(server: SegmentServer) -> None:
    """SIGKILL the moment the store's write-ahead log changes: a commit is being written."""
    wal = Path(f"{server.db}.wal")

    def size() -> int:
        try:
            return wal.stat().st_size
        except FileNotFoundError:
            return -1

    start, deadline = size(), time.monotonic() + 30
    while size() == start:
        assert time.monotonic() < deadline, "nothing was committed"
        time.sleep(0.0005)
    server.kill()


def swallowed(server: SegmentServer, senders: list[Sender]) -> list[str]:
    """Events of batches still unacknowledged that the dead server had already committed."""
    waiting = {sender.number: list(sender.sending) for sender in senders}
    stored = {message_id for (message_id,) in server.query(STORED)}
    found = []
    for ids in waiting.values():
        kept = [message_id for message_id in ids if message_id in stored]
        assert kept in ([], ids), "a batch was stored in part"  # one commit holds it whole
        found.extend(kept)
    return found


def test_sigkill_mid_stream_loses_nothing_acknowledged_and_stores_it_once(
    tmp_path: Path,
) -> None:
    server = SegmentServer(tmp_path / "kill").start()
    try:
        link = {"batch": [{"type": "group", "userId": f"user-{n}", "groupId": "durable"}
                          for n in range(SENDERS)]}  # fmt: skip
        assert server.post("/v1/batch", link).status_code == 200
        acked_event = threading.Event()
        senders = [Sender(n, server, acked_event) for n in range(SENDERS)]
        for sender in senders:
            sender.start()
        acked_before_kill = []
        lost_answers: list[str] = []
        for _ in range(KILLS):
            time.sleep(0.5)
            acked_event.clear()
            deadline = time.monotonic() + 30
            while not acked_event.wait(0.2):
                streaming = any(sender.is_alive() for sender in senders)
                assert streaming and time.monotonic() < deadline, "no request was acknowledged"
            kill_as_it_commits(server)  # with requests in flight, one of them committing
            time.sleep(0.3)  # any answer already on its way has arrived by now
            acked_before_kill.append(sum(len(s.acked) for s in senders))
            lost_answers.extend(swallowed(server, senders))
            server.start()
        # Every kill landed while the senders still had batches to send.
        assert len(acked_before_kill) == KILLS
        assert all(n < SENDERS * BATCHES * BATCH_SIZE for n in acked_before_kill)
        # At least one kill came after a commit and before its answer reached the client.
        assert lost_answers, "no kill swallowed a committed response"
        for sender in senders:
            sender.join(timeout=180)
            assert not sender.is_alive()
        server.stop()
    finally:
        server.kill()

    acked = [message_id for sender in senders for message_id in sender.acked]
    assert len(acked) == SENDERS * BATCHES * BATCH_SIZE
    # The kills happened mid-stream: before the end, and requests failed and were retried.
    assert 0 < acked_before_kill[0] < len(acked)
    assert sum(sender.failures for sender in senders) > 0

    stored = Counter(message_id for (message_id,) in server.query(STORED))
    missing = set(acked) - set(stored)
    assert not missing, f"{len(missing)} acknowledged events were lost, e.g. {sorted(missing)[:3]}"
    twice = [message_id for message_id, count in stored.items() if count > 1]
    assert not twice, f"{len(twice)} events stored more than once, e.g. {twice[:3]}"
    assert set(stored) == set(acked)
    assert server.query("SELECT count(*) FROM segment_pending") == [(0,)]
    assert server.query("SELECT DISTINCT account_id FROM events") == [("durable",)]
    # Retries were absorbed, and the activity counters say so.
    [(accepted, duplicates)] = server.query(
        "SELECT sum(accepted), sum(duplicates) FROM segment_activity"
    )
    # Each commit whose response the kill swallowed was resent and skipped as a duplicate.
    assert duplicates == accepted - SENDERS - len(acked)
    # The swallowed batches were retried until acknowledged, and are stored once.
    assert set(lost_answers) <= set(acked)
    assert all(stored[message_id] == 1 for message_id in lost_answers)
    assert duplicates >= len(lost_answers)
