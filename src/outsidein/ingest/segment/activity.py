"""What each write key sent: the facts behind the ingestion activity page and ``keys list``.

Counters come from ``segment_activity`` (one row per key and minute, kept by the writer in
the same transaction as the messages), reasons and samples from ``rejects`` (rows whose
``file`` is ``segment:KEY_ID``), so the page costs a few small aggregates, not a scan of
the events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb

from outsidein.ingest.segment.timestamps import utc_now

__all__ = [
    "IngestionOverview",
    "KeyActivity",
    "ReasonCount",
    "RejectSample",
    "held_back",
    "ingestion_overview",
]

REASON_WINDOW = timedelta(days=7)
# Traits that land in a canonical column, by the call kind that carries them.
HELD_FIELDS = {
    ("group", "accounts", "account_id"): ("name", "industry", "segment", "region"),
    ("identify", "contacts", "contact_id"): ("email", "title"),
}


@dataclass(frozen=True)
class ReasonCount:
    """A reason events were rejected for, and how often (in the last seven days)."""

    field: str | None
    reason: str
    count: int


@dataclass(frozen=True)
class RejectSample:
    """One recent reject, as the page lists it."""

    rejected_at: datetime
    key_id: str
    kind: str
    line: int | None
    field: str | None
    value: str | None
    reason: str

    @property
    def where(self) -> str:
        base = f"batch[{self.line}]" if self.line is not None else ""
        if self.field:
            return f"{base}.{self.field}" if base else self.field
        return base or "body"


@dataclass(frozen=True)
class KeyActivity:
    """One write key: what it is and what arrived with it."""

    key_id: str
    name: str
    key_prefix: str
    created_at: datetime
    revoked_at: datetime | None
    requests: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    accepted_24h: int = 0
    rejected_24h: int = 0
    last_seen: datetime | None = None
    top_reasons: list[ReasonCount] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)
    held_back: int = 0


@dataclass(frozen=True)
class IngestionOverview:
    """Every key's activity, the recent rejects, and what is still on its way."""

    keys: list[KeyActivity]
    recent_rejects: list[RejectSample]
    inbox: int
    pending: int
    events_from_segment_24h: int


def _scalar(cur: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> int:
    row = cur.execute(sql, params).fetchall()
    return int(row[0][0] or 0) if row else 0


def held_back(cur: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Per key: the traits it sent that are not in the account or contact because a file
    set that field (a key without the ``master-data`` scope never changes it, and with the
    scope precedence may still keep the file's value; docs/operations.md)."""
    parts = []
    for (kind, table, key), fields in HELD_FIELDS.items():
        for name in fields:
            stored = f"coalesce(x.field_sources ->> '$.{name}.source', x.source)"
            parts.append(
                f"SELECT t.source FROM segment_traits t JOIN {table} x ON x.{key} = t.entity_id "
                f"WHERE t.kind = '{kind}' AND t.trait = '{name}' AND t.source LIKE 'segment:%' "
                f"AND x.{name} IS NOT NULL AND {stored} NOT LIKE 'segment:%' "
                f"AND (t.value ->> '$') IS NOT NULL AND (t.value ->> '$') <> x.{name}::VARCHAR"
            )
    rows = cur.execute(
        f"SELECT substr(source, 9), count(*) FROM ({' UNION ALL '.join(parts)}) GROUP BY 1"
    ).fetchall()
    return {str(k): int(n) for k, n in rows}


def ingestion_overview(
    cur: duckdb.DuckDBPyConnection,
    *,
    now: datetime | None = None,
    reasons_per_key: int = 3,
    recent: int = 25,
) -> IngestionOverview:
    """The activity of every key (newest activity first) and the latest rejects."""
    now = now or utc_now()
    day_ago, week_ago = now - timedelta(days=1), now - REASON_WINDOW
    reasons: dict[str, list[ReasonCount]] = {}
    for key_id, col, reason, count in cur.execute(
        """
        SELECT substr(file, 9) AS key_id, "column", reason, count(*) AS n FROM rejects
        WHERE file LIKE 'segment:%' AND rejected_at >= ?
        GROUP BY 1, 2, 3
        QUALIFY row_number() OVER (PARTITION BY key_id ORDER BY n DESC, reason) <= ?
        ORDER BY key_id, n DESC, reason
        """,
        [week_ago, reasons_per_key],
    ).fetchall():
        reasons.setdefault(key_id, []).append(ReasonCount(col, reason, int(count)))
    rows = cur.execute(
        """
        SELECT k.key_id, k.name, k.key_prefix, k.created_at, k.revoked_at,
               coalesce(sum(a.requests), 0), coalesce(sum(a.accepted), 0),
               coalesce(sum(a.rejected), 0), coalesce(sum(a.duplicates), 0),
               coalesce(sum(a.accepted) FILTER (WHERE a.minute >= ?), 0),
               coalesce(sum(a.rejected) FILTER (WHERE a.minute >= ?), 0),
               max(a.last_seen), coalesce(k.scopes, [])
        FROM write_keys k LEFT JOIN segment_activity a ON a.key_id = k.key_id
        GROUP BY ALL
        ORDER BY max(a.last_seen) DESC NULLS LAST, k.created_at
        """,
        [day_ago, day_ago],
    ).fetchall()
    held = held_back(cur)
    keys = [
        KeyActivity(
            key_id=row[0],
            name=row[1],
            key_prefix=row[2],
            created_at=row[3],
            revoked_at=row[4],
            requests=int(row[5]),
            accepted=int(row[6]),
            rejected=int(row[7]),
            duplicates=int(row[8]),
            accepted_24h=int(row[9]),
            scopes=list(row[12]),
            rejected_24h=int(row[10]),
            last_seen=row[11],
            top_reasons=reasons.get(row[0], []),
            held_back=held.get(row[0], 0),
        )
        for row in rows
    ]
    samples = [
        RejectSample(at, file.removeprefix("segment:"), kind, line, col, value, reason)
        for at, file, kind, line, col, value, reason in cur.execute(
            'SELECT rejected_at, file, kind, line, "column", "value", reason FROM rejects '
            "WHERE file LIKE 'segment:%' ORDER BY rejected_at DESC, line LIMIT ?",
            [recent],
        ).fetchall()
    ]
    return IngestionOverview(
        keys=keys,
        recent_rejects=samples,
        inbox=_scalar(cur, "SELECT count(*) FROM segment_inbox", []),
        pending=_scalar(cur, "SELECT count(*) FROM segment_pending", []),
        events_from_segment_24h=_scalar(
            cur,
            "SELECT coalesce(sum(accepted), 0) FROM segment_activity WHERE minute >= ?",
            [day_ago],
        ),
    )
