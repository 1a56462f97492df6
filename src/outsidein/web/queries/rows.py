"""Turn DuckDB result rows into dicts keyed by column name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb

Params = Sequence[Any] | Mapping[str, Any]


def fetch_dicts(
    cur: duckdb.DuckDBPyConnection, sql: str, params: Params = ()
) -> list[dict[str, Any]]:
    """Run ``sql`` with bound ``params`` and return every row as a dict."""
    cur.execute(sql, params if isinstance(params, Mapping) else list(params))
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def fetch_value(cur: duckdb.DuckDBPyConnection, sql: str, params: Params = ()) -> Any:
    """Run ``sql`` and return the first column of the first row (None when empty)."""
    rows = fetch_dicts(cur, sql, params)
    return next(iter(rows[0].values())) if rows else None


def utc_now() -> datetime:
    """Now in UTC without tzinfo, comparable with the store's TIMESTAMP columns (UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)
