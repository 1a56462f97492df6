"""The daily per-account snapshot in the store, built once and then kept current.

``account_daily_metrics`` holds one row per account and day (docs/metrics.md lists every
column). :func:`build_snapshot` computes it from scratch; :func:`update_snapshot` brings it
up to date after new events, subscriptions or accounts were loaded, recomputing only:

* accounts with new events or new or changed usage counts (``usage_daily``), from the day
  of their earliest new one;
* accounts whose subscriptions or account record changed, or that are new, entirely;
* every account for the days after the snapshot's last day.

No row is ever written for a day after today (UTC): a later ``as_of`` is clamped to today, and
rows after the snapshot's last day (left by an older version) are deleted.

New work is found by ``loaded_at`` watermarks kept in ``analytics_state``. Each run is one
transaction: the rollups, the deleted and re-inserted rows and the watermarks commit
together, so a crash leaves the previous, consistent snapshot. A change of the analytics
settings that shape the numbers (currencies, key features, value event) forces a rebuild.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from outsidein.analytics.backend import Sources, store_sources
from outsidein.analytics.errors import AnalyticsError, SnapshotMissingError
from outsidein.analytics.periods import day_number, day_of, from_day_number
from outsidein.analytics.revenue import priced
from outsidein.analytics.usage import (
    SNAPSHOT_WINDOWS,
    Activity,
    account_targets,
    count_activity,
    daily_usage,
    split_user_days,
    user_day_counts,
    with_counts,
)
from outsidein.settings.analytics import AnalyticsConfig

TABLE = "account_daily_metrics"
TARGETS = "_oi_snapshot_targets"
ROLLUP = "_oi_snapshot_rollup"
WATERMARKS = ("events", "subscriptions", "accounts", "usage_daily")


@dataclass
class SnapshotResult:
    """What a build or update did."""

    mode: str  # "full" or "incremental"
    reason: str
    first_date: date
    last_date: date
    accounts: int = 0
    rows: int = 0
    new_events: int = 0
    seconds: float = 0.0


def fingerprint(config: AnalyticsConfig) -> str:
    """The settings that change stored numbers; another value means a rebuild."""
    shaping = config.model_dump(
        mode="json", include={"reporting_currency", "currency_rates", "key_features", "value_event"}
    )
    return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:16]


def read_state(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("SELECT name, value FROM analytics_state").fetchall()
    return {str(name): str(value) for name, value in rows}


def _write_state(con: duckdb.DuckDBPyConnection, values: dict[str, str]) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    con.executemany(
        "INSERT INTO analytics_state VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
        "value = excluded.value, updated_at = excluded.updated_at",
        [(name, value, now) for name, value in values.items()],
    )


def _one(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None
) -> tuple[Any, ...]:
    """The single row of an aggregate query, fully fetched (DuckDB 2 refuses new work on a
    connection whose previous result was left half-read)."""
    rows = con.execute(sql, params or []).fetchall()
    return tuple(rows[0])


def _watermarks(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The latest ``loaded_at`` of each input table ('' when empty)."""
    marks = {}
    for table in WATERMARKS:
        (value,) = _one(con, f"SELECT max(loaded_at)::VARCHAR FROM {table}")
        marks[f"loaded_{table}"] = "" if value is None else str(value)
    return marks


def store_activity(
    sources: Sources, config: AnalyticsConfig, *, unique: bool = False, counts: bool = False
) -> Activity:
    """The rollups kept in the store, with day numbers, and (``counts``) the aggregated usage
    of ``usage_daily``, read as it is: its rows may be reloaded with other counts, so they
    are never folded into the append-only rollups.

    ``unique``: the rollups were just rebuilt in one pass (a build), so each key is there
    once; after incremental appends a key may repeat and is summed.
    """
    users = sources.backend.table("usage_user_days")
    features = sources.backend.table("usage_feature_days")
    if counts:
        stored = store_activity(sources, config)
        return with_counts(stored, count_activity(sources.usage_counts, config))
    return Activity(
        users.select("account_id", "user_id", day=day_of(users.activity_date), events="events"),
        features.select(
            "account_id", "feature", day=day_of(features.activity_date), events="events"
        ),
        unique=unique,
    )


def _append_rollups(
    con: duckdb.DuckDBPyConnection, sources: Sources, config: AnalyticsConfig, events: ir.Table
) -> None:
    """Roll ``events`` up and append them to the stored rollups.

    The per-user roll-up is staged once: both rollups come from it, and computing it is
    the one pass over the events.
    """
    backend = sources.backend
    con.execute(f"DROP TABLE IF EXISTS {ROLLUP}")
    backend.create_table(ROLLUP, user_day_counts(events, config), temp=True)
    # No try/finally around the inserts: after a failed statement the transaction refuses
    # even a DROP, which would hide the real error; the caller's ROLLBACK drops the table.
    activity = split_user_days(backend.table(ROLLUP), config)
    as_date = ibis.date("1970-01-01")
    for table, rows, key in (
        ("usage_user_days", activity.user_days, "user_id"),
        ("usage_feature_days", activity.feature_days, "feature"),
    ):
        backend.insert(
            table,
            rows.select(
                "account_id",
                key,
                activity_date=as_date + rows.day.as_interval("D"),
                events="events",
            ),
        )
    con.execute(f"DROP TABLE IF EXISTS {ROLLUP}")


def build_snapshot(
    con: duckdb.DuckDBPyConnection,
    config: AnalyticsConfig,
    as_of: date,
    *,
    since: date | None = None,
    reason: str = "asked for a full build",
) -> SnapshotResult:
    """Recompute the rollups and the whole snapshot, from ``since`` to ``as_of`` (at most
    today)."""
    started = time.perf_counter()
    as_of = min(as_of, _today())
    first = since or as_of - timedelta(days=config.snapshot_history_days - 1)
    if first > as_of:
        raise AnalyticsError(f"the snapshot cannot start ({first}) after its last day ({as_of})")
    sources = store_sources(con)
    con.execute("BEGIN TRANSACTION")
    try:
        marks = _watermarks(con)
        con.execute("DELETE FROM usage_user_days")
        con.execute("DELETE FROM usage_feature_days")
        _append_rollups(con, sources, config, _upto(sources.events, marks["loaded_events"]))
        _stage_targets(con, sources, account_targets(sources.accounts, day_number(first)))
        con.execute(f"DELETE FROM {TABLE}")
        result = _recompute(con, sources, config, day_number(first), as_of, unique=True)
        _write_state(
            con,
            {
                **marks,
                "snapshot_first_date": first.isoformat(),
                "snapshot_last_date": as_of.isoformat(),
                "snapshot_settings": fingerprint(config),
            },
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    result.mode, result.reason, result.first_date = "full", reason, first
    result.seconds = time.perf_counter() - started
    return result


def snapshot_staleness(
    con: duckdb.DuckDBPyConnection, config: AnalyticsConfig, today: date
) -> str | None:
    """Why an existing snapshot is out of date on ``today``, or None when it is current (or
    was never built: building the first one is asked for, not done in the background).

    Cheap enough to ask every few seconds: three ``max(loaded_at)`` and the state rows.
    """
    state = read_state(con)
    if "snapshot_last_date" not in state or "snapshot_first_date" not in state:
        return None
    if state.get("snapshot_settings") != fingerprint(config):
        return "analytics settings changed"
    if today > date.fromisoformat(state["snapshot_last_date"]):
        return "a new day"
    for name, mark in _watermarks(con).items():
        if mark != state.get(name, ""):
            return f"new {name.removeprefix('loaded_')}"
    return None


def update_snapshot(
    con: duckdb.DuckDBPyConnection, config: AnalyticsConfig, as_of: date | None = None
) -> SnapshotResult:
    """Bring the snapshot up to date incrementally (a first run or new settings: a build)."""
    state = read_state(con)
    last = date.fromisoformat(state["snapshot_last_date"]) if state else None
    as_of = min(max(as_of or last or _today(), last or date.min), _today())
    if not state or "snapshot_first_date" not in state:
        return build_snapshot(con, config, as_of, reason="no snapshot yet")
    if state.get("snapshot_settings") != fingerprint(config):
        first = date.fromisoformat(state["snapshot_first_date"])
        return build_snapshot(con, config, as_of, since=first, reason="analytics settings changed")
    started = time.perf_counter()
    first = date.fromisoformat(state["snapshot_first_date"])
    first_day = day_number(first)
    sources = store_sources(con)
    con.execute("BEGIN TRANSACTION")
    try:
        marks = _watermarks(con)
        fresh = _upto(
            _since(sources.events, state.get("loaded_events", "")), marks["loaded_events"]
        )
        new_events = int(fresh.count().to_pyarrow().as_py())
        _append_rollups(con, sources, config, fresh)
        counted = _since(sources.backend.table("usage_daily"), state.get("loaded_usage_daily", ""))
        targets = _targets(sources, state, fresh, counted, first_day, as_of, last or as_of)
        _stage_targets(con, sources, targets)
        result = _recompute(con, sources, config, first_day, as_of)
        con.execute(f"DELETE FROM {TABLE} WHERE date > ?", [as_of])  # never a future day
        result.new_events = new_events
        _write_state(con, {**marks, "snapshot_last_date": as_of.isoformat()})
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    result.mode, result.reason, result.first_date = "incremental", "new data", first
    result.seconds = time.perf_counter() - started
    return result


def _today() -> date:
    return datetime.now(UTC).date()


def _since(table: ir.Table, mark: str) -> ir.Table:
    """Rows loaded after the watermark ``mark`` (all rows when there is none)."""
    if not mark:
        return table
    return table.filter(table.loaded_at > ibis.literal(mark).cast(dt.timestamp))


def _upto(table: ir.Table, mark: str) -> ir.Table:
    """Rows loaded up to and including the watermark ``mark`` (none when there is none)."""
    if not mark:
        return table.filter(ibis.literal(False))
    return table.filter(table.loaded_at <= ibis.literal(mark).cast(dt.timestamp))


def _targets(
    sources: Sources,
    state: dict[str, str],
    fresh_events: ir.Table,
    fresh_counts: ir.Table,
    first_day: int,
    as_of: date,
    last: date,
) -> ir.Table:
    """(account_id, from_day) for every account with something to recompute."""
    accounts = sources.backend.table("accounts")
    subs = sources.backend.table("subscriptions")
    whole = account_targets(sources.accounts, first_day)
    changed_ids = ibis.union(
        *(
            t.select(account_id=t.account_id.cast(dt.string))
            for t in (
                _since(accounts, state.get("loaded_accounts", "")),
                _since(subs, state.get("loaded_subscriptions", "")),
                accounts.anti_join(sources.backend.table(TABLE), "account_id"),
            )
        ),
        distinct=True,
    )
    pieces = [whole.semi_join(changed_ids, "account_id")]
    dated = ibis.union(
        fresh_events.select("account_id", day=day_of(fresh_events.timestamp)),
        fresh_counts.filter(fresh_counts.account_id.notnull()).select(
            "account_id", day=day_of(fresh_counts.day)
        ),
    )
    by_events = dated.group_by("account_id").agg(from_day=dated.day.min())
    pieces.append(
        by_events.select(
            "account_id", from_day=ibis.greatest(by_events.from_day, first_day).cast(dt.int64)
        )
    )
    if as_of > last:
        pieces.append(whole.select("account_id", from_day=ibis.literal(day_number(last) + 1)))
    both = ibis.union(
        *(
            p.select(account_id=p.account_id.cast(dt.string), from_day=p.from_day.cast(dt.int64))
            for p in pieces
        )
    )
    merged = both.group_by("account_id").agg(from_day=both.from_day.min())
    return merged.filter(merged.from_day <= day_number(as_of))


def _stage_targets(con: duckdb.DuckDBPyConnection, sources: Sources, targets: ir.Table) -> None:
    """Materialise the targets once: both the DELETE and the recompute read them."""
    con.execute(f"DROP TABLE IF EXISTS {TARGETS}")
    sources.backend.create_table(
        TARGETS,
        targets.select("account_id", from_day=targets.from_day.cast(dt.int64)),
        temp=True,
    )


def _recompute(
    con: duckdb.DuckDBPyConnection,
    sources: Sources,
    config: AnalyticsConfig,
    first_day: int,
    as_of: date,
    *,
    unique: bool = False,
) -> SnapshotResult:
    """Replace the staged targets' rows from their ``from_day`` to ``as_of``.

    ``unique``: the stored rollups hold each key once (see :func:`store_activity`).
    """
    targets = sources.backend.table(TARGETS)
    count, low = _one(con, f"SELECT count(*), min(from_day) FROM {TARGETS}")
    accounts = int(count)
    result = SnapshotResult("", "", from_day_number(first_day), as_of, accounts=accounts)
    if not accounts or low is None:
        return result
    con.execute(
        f"DELETE FROM {TABLE} USING {TARGETS} t WHERE {TABLE}.account_id = t.account_id "
        f"AND {TABLE}.date >= DATE '1970-01-01' + t.from_day::INTEGER"
    )
    (has_counts,) = _one(con, "SELECT count(*) > 0 FROM usage_daily")
    rows = daily_usage(
        store_activity(sources, config, unique=unique, counts=bool(has_counts)),
        priced(sources, config),
        targets,
        max(int(low), first_day),
        day_number(as_of),
        config,
        SNAPSHOT_WINDOWS,
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    sources.backend.insert(TABLE, rows.mutate(computed_at=ibis.literal(now, dt.timestamp)))
    (inserted,) = _one(con, f"SELECT count(*) FROM {TABLE} WHERE computed_at = ?", [now])
    result.rows = int(inserted)
    return result


def snapshot_range(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    """The first and last day the stored snapshot covers."""
    state = read_state(con)
    if "snapshot_last_date" not in state:
        raise SnapshotMissingError(
            "the daily snapshot has not been built in this store; run `outsidein metrics "
            "snapshot` (or POST /api/v1/metrics/snapshot while the server runs)"
        )
    return (
        date.fromisoformat(state["snapshot_first_date"]),
        date.fromisoformat(state["snapshot_last_date"]),
    )
