"""The audit log: who did what to the store's configuration, keys, data and copies.

Append-only: :func:`record` inserts, nothing here (or anywhere) updates or deletes a row.
Times are UTC. An ``actor`` is whoever the interface knows: a signed-in user's name, or
``cli`` / ``api`` / ``server`` until users exist (``None`` when nobody is known). Actions are
dotted names, listed in :data:`ACTIONS` for the filters and the docs (docs/operations.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

__all__ = ["ACTIONS", "AuditEntry", "AuditPage", "audited", "read", "record"]

ACTIONS = (
    "signin.ok",
    "signin.failed",
    "signout",
    "user.create",
    "user.role",
    "user.disable",
    "user.enable",
    "user.password",
    "token.create",
    "token.revoke",
    "config.publish",
    "key.create",
    "key.revoke",
    "export",
    "backup",
    "restore",
    "contact.erase",
    "task.create",
    "task.assign",
    "task.comment",
    "task.snooze",
    "task.complete",
    "task.escalate",
    "team.set",
    "team.delete",
    "load.full_refresh",
    "load.churn_ends_subscriptions",
    "load.supersede",
)
MAX_LIMIT = 500


@dataclass(frozen=True)
class AuditEntry:
    """One thing someone did."""

    seq: int
    at: datetime
    actor: str | None
    action: str
    target: str | None
    detail: dict[str, Any] | None


@dataclass(frozen=True)
class AuditPage:
    """A page of the log, newest first, with the total that matches the filters."""

    entries: list[AuditEntry]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        end = self.offset + len(self.entries)
        return end if end < self.total else None


def record(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: str | None,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one entry (in the caller's transaction, if it has one); its ``seq``.

    ``detail`` must be JSON-serialisable; dates in it are written as ISO text.
    """
    text = json.dumps(detail, default=str, sort_keys=True) if detail is not None else None
    rows = con.execute(
        "INSERT INTO audit_log (at_utc, actor, action, target, detail) "
        "VALUES (now() AT TIME ZONE 'UTC', ?, ?, ?, ?::JSON) RETURNING seq",
        [actor, action, target, text],
    ).fetchall()
    return int(rows[0][0])


@contextmanager
def audited(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: str | None,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """Run the body and record it, in one transaction: both happen or neither.

    The body may add to the yielded ``detail`` (e.g. what it changed) before it is recorded.
    """
    extra: dict[str, Any] = dict(detail or {})
    con.execute("BEGIN TRANSACTION")
    try:
        yield extra
        record(con, actor=actor, action=action, target=target, detail=extra or None)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def read(
    con: duckdb.DuckDBPyConnection,
    *,
    action: str | None = None,
    actor: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> AuditPage:
    """Entries newest first, filtered (``action`` matches itself and its dotted children:
    ``key`` finds ``key.create`` and ``key.revoke``); ``since``/``until`` are naive UTC."""
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    where: list[str] = ["TRUE"]
    params: list[object] = []
    if action:
        where.append("(action = ? OR starts_with(action, ? || '.'))")
        params += [action, action]
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if target:
        where.append("target = ?")
        params.append(target)
    if since:
        where.append("at_utc >= ?")
        params.append(since)
    if until:
        where.append("at_utc < ?")
        params.append(until)
    clause = " AND ".join(where)
    total = con.execute(f"SELECT count(*) FROM audit_log WHERE {clause}", params).fetchall()
    rows = con.execute(
        f"SELECT seq, at_utc, actor, action, target, detail FROM audit_log WHERE {clause} "
        "ORDER BY seq DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    entries = [
        AuditEntry(
            int(r[0]), r[1], r[2], r[3], r[4], json.loads(r[5]) if r[5] is not None else None
        )
        for r in rows
    ]
    return AuditPage(entries, int(total[0][0]), offset, limit)
