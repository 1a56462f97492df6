"""track, page and screen calls become ``events`` rows: once each, and never without an account.

Exactly once: a message's id is hashed (``md5_number``, 128 bits: a collision among a
billion ids has a probability below 1e-20) and checked against ``segment_seen``, the hashes
of every event stored in ``events`` or waiting in ``segment_pending``. The check is one
anti-join per apply cycle, not a lookup per event, and ``segment_seen`` has no index: it
costs 16 bytes per event and a scan of a few milliseconds per ten million events.

Never lost: an event whose account is unknown (no ``context.groupId`` that resolves, no
link for its user yet) waits in ``segment_pending``. It moves to ``events`` in the cycle in
which its user is linked to an account, an alias merges it into a linked user, or a group
call creates the account its ``context.groupId`` names.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from outsidein.ingest.segment.entities import resolve_groups

__all__ = ["EventCounts", "place_events", "record_duplicates", "seed_seen"]

_INBOX_COLUMNS = (
    "seq, key_id, request_id, type, message_id, user_id, anonymous_id, previous_id, group_id, "
    "context_group_id, event, timestamp, received_at, payload"
)
_SEEN_WATERMARK = "seen.events_loaded_at"


@dataclass(frozen=True)
class EventCounts:
    """What one cycle did with the events it took."""

    received: int = 0
    duplicates: int = 0
    stored: int = 0
    pending: int = 0
    attached: int = 0


def _count(cur: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = cur.execute(sql).fetchall()
    return int(row[0][0]) if row else 0


def place_events(cur: duckdb.DuckDBPyConnection, recheck_all_pending: bool) -> EventCounts:
    """Store this cycle's new events and the waiting ones that now have an account."""
    cur.execute(
        """
        CREATE OR REPLACE TEMP TABLE _seg_new AS
        SELECT n.* FROM (
            SELECT m.*, md5_number(m.message_id) AS h FROM _seg_m m
            WHERE m.type IN ('track', 'page', 'screen')
            QUALIFY row_number() OVER (PARTITION BY m.message_id ORDER BY m.seq) = 1) n
        ANTI JOIN segment_seen s ON s.h = n.h
        """
    )
    received = _count(cur, "SELECT count(*) FROM _seg_m WHERE type IN ('track', 'page', 'screen')")
    new = _count(cur, "SELECT count(*) FROM _seg_new")
    cur.execute("INSERT INTO segment_seen SELECT h FROM _seg_new")

    _pending_to_retry(cur, recheck_all_pending)
    resolve_groups(
        cur,
        "SELECT context_group_id AS gid FROM _seg_new "
        "UNION ALL SELECT context_group_id FROM _seg_retry",
        "_seg_cgid",
    )
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _seg_placed AS
        SELECT c.*, coalesce(g.account_id, l.account_id) AS account_id
        FROM (SELECT {_INBOX_COLUMNS}, uid, FALSE AS was_pending FROM _seg_new
              UNION ALL
              SELECT {_INBOX_COLUMNS}, uid, TRUE AS was_pending FROM _seg_retry) c
        LEFT JOIN _seg_cgid g ON g.gid = c.context_group_id
        LEFT JOIN segment_user_accounts l ON l.user_id = c.uid
        """
    )
    stored = _count(
        cur,
        "INSERT INTO events SELECT message_id, account_id, uid, event, timestamp, payload, "
        "'segment:' || key_id, getvariable('seg_now') FROM _seg_placed "
        "WHERE account_id IS NOT NULL",
    )
    cur.execute(
        f"INSERT INTO segment_pending SELECT {_INBOX_COLUMNS} FROM _seg_placed "
        "WHERE account_id IS NULL AND NOT was_pending"
    )
    attached = _count(
        cur, "SELECT count(*) FROM _seg_placed WHERE was_pending AND account_id IS NOT NULL"
    )
    if attached:
        cur.execute(
            "DELETE FROM segment_pending WHERE message_id IN (SELECT message_id FROM "
            "_seg_placed WHERE was_pending AND account_id IS NOT NULL)"
        )
    return EventCounts(received, received - new, stored, new - (stored - attached), attached)


def _pending_to_retry(cur: duckdb.DuckDBPyConnection, everything: bool) -> None:
    """``_seg_retry``: waiting events whose user or group changed this cycle (or all)."""
    changed = _count(
        cur, "SELECT (SELECT count(*) FROM _seg_dirty) + (SELECT count(*) FROM _seg_new_groups)"
    )
    condition = (
        "TRUE"
        if everything
        else "coalesce(i.user_id, p.user_id, p.anonymous_id) IN (SELECT uid FROM _seg_dirty) "
        "OR p.context_group_id IN (SELECT gid FROM _seg_new_groups)"
    )
    if not everything and not changed:
        condition = "FALSE"
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _seg_retry AS
        SELECT p.*, coalesce(i.user_id, p.user_id, p.anonymous_id) AS uid
        FROM segment_pending p
        LEFT JOIN segment_identities i ON i.alias_id = coalesce(p.user_id, p.anonymous_id)
        WHERE {condition}
        """
    )


def record_duplicates(cur: duckdb.DuckDBPyConnection) -> None:
    """Count, per key, the events of this cycle that were already stored (client retries)."""
    cur.execute(
        """
        INSERT INTO segment_activity
        SELECT m.key_id, date_trunc('minute', getvariable('seg_now')), 0, 0, 0,
               count(*) - count(n.message_id), 0, max(m.received_at)
        FROM _seg_m m LEFT JOIN _seg_new n ON n.seq = m.seq
        WHERE m.type IN ('track', 'page', 'screen')
        GROUP BY m.key_id HAVING count(*) > count(n.message_id)
        ON CONFLICT DO UPDATE SET duplicates = duplicates + excluded.duplicates
        """
    )


def seed_seen(cur: duckdb.DuckDBPyConnection) -> int:
    """Add the ids of events loaded from files since the last start to ``segment_seen``.

    Files load only while the server is stopped (it owns the store), so doing this at start
    makes a messageId that came through a file count as seen too. A waiting event with the
    same id as a loaded one is dropped from ``segment_pending``: the stored row wins.
    """
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _seg_seed AS
        SELECT md5_number(message_id) AS h, loaded_at FROM events
        WHERE source NOT LIKE 'segment:%' AND loaded_at > coalesce(
            (SELECT value::TIMESTAMP FROM segment_state WHERE name = '{_SEEN_WATERMARK}'),
            TIMESTAMP '0001-01-01')
        """
    )
    added = _count(cur, "SELECT count(*) FROM _seg_seed")
    if added:
        cur.execute("INSERT INTO segment_seen SELECT h FROM _seg_seed")
        cur.execute(
            "DELETE FROM segment_pending WHERE md5_number(message_id) IN (SELECT h FROM _seg_seed)"
        )
        cur.execute(
            f"INSERT INTO segment_state SELECT '{_SEEN_WATERMARK}', max(loaded_at)::VARCHAR "
            "FROM _seg_seed ON CONFLICT (name) DO UPDATE SET value = excluded.value"
        )
    cur.execute("DROP TABLE _seg_seed")
    return added
