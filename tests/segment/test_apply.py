"""What the applier makes of messages, in-process on a real store (no HTTP, fast).

Identity and ordering rules: traits arriving out of order, events waiting for an account,
alias chains, ids already stored (by the API or by a file load), and group ids that the CRM
already knows through ``external_ids``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from outsidein.ingest import load_file
from outsidein.ingest.segment import SegmentService, SegmentSettings, create_key
from outsidein.precedence import PrecedenceConfig
from outsidein.store import connect
from tests.ingest.helpers import write_csv


class Harness:
    """A store, its ingestion service, and a way to send a batch and wait for the commit."""

    def __init__(self, path: Path, scopes: tuple[str, ...] = ()) -> None:
        self.path = path
        self.con = connect(path)
        self.secret = create_key(self.con, "t", scopes).secret
        self.service: SegmentService | None = None
        self.precedence = PrecedenceConfig()

    def start(self) -> Harness:
        self.service = SegmentService(
            self.con.cursor, SegmentSettings(apply_interval=30), precedence=self.precedence
        )
        self.service.start()
        assert self.service.applier is not None
        while not self.service.applier.cycles:  # its first cycle runs at start; let it pass
            threading.Event().wait(0.01)
        return self

    def send(self, *messages: dict[str, Any], sent_at: str | None = None) -> int:
        assert self.service is not None
        body: dict[str, Any] = {"batch": list(messages)}
        if sent_at:
            body["sentAt"] = sent_at
        key = self.service.authenticate(self.secret)
        checked = self.service.check(None, json.dumps(body).encode(), None, key=key)
        done = threading.Event()
        self.service.submit(checked, lambda error: done.set())
        assert done.wait(10)
        return checked.accepted

    def apply(self) -> None:
        """Apply now (the tests' own cycle; the service's applier sleeps for 30 s)."""
        from outsidein.ingest.segment.apply import ApplyRules, apply_cycle

        apply_cycle(self.con.cursor(), max_messages=10_000, rules=ApplyRules(self.precedence))

    def stop(self) -> None:
        if self.service is not None:
            self.service.close()
            self.service = None

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path / "s.duckdb").start()
    yield h
    h.stop()
    h.con.close()


def track(user: str, message_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": "track", "userId": user, "event": "Used", "messageId": message_id, **extra}


def group(user: str, group_id: str, at: str, **traits: Any) -> dict[str, Any]:
    return {"type": "group", "userId": user, "groupId": group_id, "timestamp": at,
            "traits": traits}  # fmt: skip


def test_traits_arriving_out_of_order_never_overwrite_newer_ones(harness: Harness) -> None:
    harness.send(group("u", "acme", "2024-05-02T00:00:00Z", name="Acme New", employees=300))
    harness.apply()
    harness.send(group("u", "acme", "2024-05-01T00:00:00Z", name="Acme Old", industry="Retail"))
    harness.apply()
    assert harness.rows("SELECT name, employees, industry FROM accounts") == [
        ("Acme New", 300, "Retail")
    ]
    # The link too: the older group call does not move the user back.
    harness.send(group("u", "other", "2024-04-01T00:00:00Z"))
    harness.apply()
    assert harness.rows("SELECT account_id FROM segment_user_accounts") == [("acme",)]


def test_events_wait_for_their_account_and_then_attach(harness: Harness) -> None:
    harness.send(track("late", "e1"), track("late", "e2", context={"groupId": "future-co"}))
    harness.apply()
    assert harness.rows("SELECT count(*) FROM events") == [(0,)]
    assert harness.rows("SELECT message_id FROM segment_pending ORDER BY 1") == [("e1",), ("e2",)]
    # The account named by context.groupId appears: e2 attaches to it, e1 still waits.
    harness.send(group("someone-else", "future-co", "2024-05-01T00:00:00Z", name="Future"))
    harness.apply()
    assert harness.rows("SELECT message_id, account_id FROM events") == [("e2", "future-co")]
    # The user is linked: e1 attaches to the user's account.
    harness.send(group("late", "acme", "2024-05-01T00:00:00Z"))
    harness.apply()
    assert harness.rows("SELECT message_id, account_id FROM events ORDER BY 1") == [
        ("e1", "acme"),
        ("e2", "future-co"),
    ]
    assert harness.rows("SELECT count(*) FROM segment_pending") == [(0,)]


def test_alias_chains_merge_into_one_user(harness: Harness) -> None:
    harness.send(group("c", "acme", "2024-05-01T00:00:00Z"))
    harness.send(
        {"type": "track", "anonymousId": "a", "event": "Visit", "messageId": "m-a",
         "context": {"groupId": "acme"}},
        {"type": "identify", "userId": "b", "traits": {"email": "b@x.test"}, "messageId": "i"},
    )  # fmt: skip
    harness.apply()
    harness.send({"type": "alias", "previousId": "a", "userId": "b", "messageId": "al1"})
    harness.apply()
    harness.send({"type": "alias", "previousId": "b", "userId": "c", "messageId": "al2"})
    harness.send(track("a", "m-late"))  # an old id, sent after the merges
    harness.apply()
    assert harness.rows("SELECT alias_id, user_id FROM segment_identities ORDER BY 1") == [
        ("a", "c"),
        ("b", "c"),
    ]
    assert harness.rows("SELECT message_id, user_id, account_id FROM events ORDER BY 1") == [
        ("m-a", "c", "acme"),
        ("m-late", "c", "acme"),
    ]
    # b's traits moved to c, who is linked: c is the contact now.
    assert harness.rows("SELECT contact_id, account_id, email FROM contacts") == [
        ("c", "acme", "b@x.test")
    ]


def test_a_message_id_is_stored_once(harness: Harness) -> None:
    harness.send(group("u", "acme", "2024-05-01T00:00:00Z"))
    harness.send(track("u", "dup"), track("u", "dup"), track("u", "once"))
    harness.send(track("u", "dup", event="Changed on retry"))
    harness.apply()
    harness.send(track("u", "dup"), track("u", "once"))
    harness.apply()
    assert harness.rows("SELECT message_id, event FROM events ORDER BY 1") == [
        ("dup", "Used"),
        ("once", "Used"),
    ]
    assert harness.rows("SELECT sum(duplicates) FROM segment_activity") == [(4,)]


def test_ids_loaded_from_files_count_as_seen(tmp_path: Path) -> None:
    h = Harness(tmp_path / "s.duckdb")
    accounts = write_csv(
        tmp_path / "accounts.csv",
        ["account_id", "name", "created_at", "segment_id"],
        [["A-1", "Acme (CRM)", "2023-01-01", "ws-acme"]],
    )
    load_file(h.con, "accounts", accounts, mapping={"segment_id": "ext:segment"})
    events = write_csv(
        tmp_path / "events.csv",
        ["message_id", "account_id", "user_id", "event", "timestamp"],
        [["from-file", "A-1", "u", "Imported", "2024-01-01T00:00:00Z"]],
    )
    load_file(h.con, "events", events)
    h.start()
    try:
        # groupId "ws-acme" is the CRM account A-1 (external_ids), not a new account.
        h.send(group("u", "ws-acme", "2024-05-01T00:00:00Z", employees=40))
        h.send(track("u", "from-file"), track("u", "new"))
        h.apply()
    finally:
        h.stop()
    assert h.rows("SELECT account_id, name, employees FROM accounts") == [("A-1", "Acme (CRM)", 40)]
    assert h.rows("SELECT message_id, account_id, event FROM events ORDER BY 1") == [
        ("from-file", "A-1", "Imported"),
        ("new", "A-1", "Used"),
    ]
    h.con.close()


def test_a_crash_before_commit_keeps_the_inbox(tmp_path: Path) -> None:
    """An apply cycle that fails leaves everything accepted where it was."""
    h = Harness(tmp_path / "s.duckdb").start()
    h.send(group("u", "acme", "2024-05-01T00:00:00Z"), track("u", "kept"))
    cur = h.con.cursor()
    cur.execute("DROP TABLE segment_seen")
    cur.execute("CREATE TABLE segment_seen (h VARCHAR NOT NULL, nope INTEGER NOT NULL)")
    with pytest.raises(duckdb.Error):
        h.apply()
    assert h.rows("SELECT count(*) FROM segment_inbox") == [(2,)]
    assert h.rows("SELECT count(*) FROM events") == [(0,)]
    cur.execute("DROP TABLE segment_seen")
    cur.execute("CREATE TABLE segment_seen (h UHUGEINT NOT NULL)")
    h.apply()
    assert h.rows("SELECT message_id FROM events") == [("kept",)]
    h.stop()
    h.con.close()
