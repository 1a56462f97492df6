"""The data's last day: how far the store's facts reach, so "today" can follow the data.

Defined as the latest day of any product event, touchpoint, support case (opened or closed)
or invoice (issued or paid). Events are read through the last-seen summary (one row per
account plus the events loaded since its mark), so the answer stays fast at any volume.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from outsidein.store.last_seen import last_seen_mark, last_seen_sql

# (table, timestamp columns) whose latest value says how far the data reaches.
FACT_DATES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("touchpoints", ("at",)),
    ("cases", ("opened_at", "closed_at")),
    ("invoices", ("issued_at", "paid_at")),
)


def data_last_day(cur: duckdb.DuckDBPyConnection) -> date | None:
    """The latest event, touchpoint, case or invoice day in the store; None when it has none."""
    parts = [f"SELECT max(last_seen) AS latest FROM ({last_seen_sql()})"]
    for table, columns in FACT_DATES:
        parts += [f'SELECT max("{column}") FROM {table}' for column in columns]
    row = cur.execute(
        f"SELECT max(latest) FROM ({' UNION ALL '.join(parts)})", {"mark": last_seen_mark(cur)}
    ).fetchall()
    latest = row[0][0] if row else None
    if isinstance(latest, datetime):
        return latest.date()
    return latest if isinstance(latest, date) else None
