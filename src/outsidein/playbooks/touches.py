"""Touch requests: what playbooks ask the outbox to send, and how the outbox takes them.

A playbook's ``touch`` action writes one row of ``touch_requests`` in its firing's
transaction (docs/playbooks.md#touch-requests-what-the-outbox-consumes). The outbox reads the
pending ones (:func:`pending_touches`), queues each for delivery with its idempotency key,
and marks them taken (:func:`mark_consumed`) in the same transaction as its own queue rows,
so none is lost or taken twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

__all__ = ["TouchRequest", "mark_consumed", "pending_touches"]


@dataclass(frozen=True)
class TouchRequest:
    request_id: str
    account_id: str
    playbook: str
    playbook_version: int
    firing_id: str
    channel: str  # email | webhook
    template: str
    recipient: str
    context: dict[str, Any]
    idempotency_key: str
    created_at: datetime


def pending_touches(con: duckdb.DuckDBPyConnection, limit: int = 1000) -> list[TouchRequest]:
    """The oldest requests not taken yet."""
    rows = con.execute(
        "SELECT request_id, account_id, playbook, playbook_version, firing_id, channel, "
        "template, recipient, context, idempotency_key, created_at FROM touch_requests "
        "WHERE consumed_at IS NULL ORDER BY created_at, request_id LIMIT ?",
        [limit],
    ).fetchall()
    return [
        TouchRequest(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8] or "{}"), r[9], r[10]
        )
        for r in rows
    ]


def mark_consumed(
    con: duckdb.DuckDBPyConnection, request_ids: Sequence[str], at: datetime | None = None
) -> int:
    """Mark requests taken (in the caller's transaction); how many were still pending."""
    if not request_ids:
        return 0
    at = at or datetime.now(UTC).replace(tzinfo=None)
    (count,) = con.execute(
        "SELECT count(*) FROM touch_requests WHERE consumed_at IS NULL "
        "AND request_id IN (SELECT unnest(?))",
        [list(request_ids)],
    ).fetchall()[0]
    con.execute(
        "UPDATE touch_requests SET consumed_at = ? WHERE consumed_at IS NULL "
        "AND request_id IN (SELECT unnest(?))",
        [at, list(request_ids)],
    )
    return int(count)
