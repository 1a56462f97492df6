"""The stored daily snapshot: a full build, and incremental updates equal to a rebuild."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from outsidein.analytics import (
    CurrencyError,
    SnapshotMissingError,
    build_snapshot,
    daily_snapshot,
    snapshot_range,
    store_sources,
    update_snapshot,
)
from outsidein.ingest import load_file
from tests.analytics.company import AS_OF, CONFIG, write_csv, write_events

SINCE = date(2024, 5, 1)


def stored(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return con.execute(
        "SELECT * EXCLUDE (computed_at) FROM account_daily_metrics ORDER BY account_id, date"
    ).fetchall()


def rebuilt(con: duckdb.DuckDBPyConnection, as_of: date) -> list[tuple[Any, ...]]:
    """What a from-scratch build gives, computed in a throwaway copy of the store."""
    build_snapshot(con, CONFIG, as_of, since=SINCE)
    return stored(con)


def test_build_stores_what_the_report_computes(writable: duckdb.DuckDBPyConnection) -> None:
    result = build_snapshot(writable, CONFIG, AS_OF, since=SINCE)
    assert (result.mode, result.accounts, result.rows) == ("full", 10, 10 * 46)
    assert snapshot_range(writable) == (SINCE, AS_OF)
    table = writable.sql("SELECT * FROM account_daily_metrics").to_arrow_table()
    direct = daily_snapshot(store_sources(writable), CONFIG, SINCE, AS_OF).to_pyarrow()
    assert table.drop_columns(["computed_at"]).schema == direct.schema
    key = [("account_id", "ascending"), ("date", "ascending")]
    assert table.drop_columns(["computed_at"]).sort_by(key).equals(direct.sort_by(key))
    duplicates = writable.execute(
        "SELECT count(*) FROM (SELECT account_id, date FROM account_daily_metrics "
        "GROUP BY ALL HAVING count(*) > 1)"
    ).fetchall()
    assert duplicates == [(0,)]


def test_migration_columns_match_the_computation(writable: duckdb.DuckDBPyConnection) -> None:
    described = writable.execute("DESCRIBE account_daily_metrics").fetchall()
    stored_types = {name: typ for name, typ, *_ in described}
    computed = daily_snapshot(store_sources(writable), CONFIG, AS_OF, AS_OF).schema()
    assert list(stored_types) == [*computed.names, "computed_at"]


def test_incremental_update_equals_a_rebuild(
    writable: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    build_snapshot(writable, CONFIG, AS_OF, since=SINCE)
    nothing = update_snapshot(writable, CONFIG, AS_OF)
    assert (nothing.mode, nothing.accounts, nothing.rows, nothing.new_events) == (
        "incremental",
        0,
        0,
        0,
    )

    # Late events (A1 on 05-20, a new user), today's events, a first value event for A2.
    write_events(
        tmp_path / "late.csv",
        [
            ("A1", "u5", "login", "2024-05-20 10:00:00"),
            ("A2", "u20", "report.created", "2024-06-14 10:00:00"),
            ("A9", "u90", "export.run", "2024-06-15 18:00:00"),
        ],
        "late",
    )
    load_file(writable, "events", tmp_path / "late.csv")
    result = update_snapshot(writable, CONFIG, AS_OF)
    assert (result.mode, result.accounts, result.new_events) == ("incremental", 3, 3)
    assert result.rows == 27 + 2 + 1  # A1 from 05-20, A2 from 06-14, A9 on 06-15
    after_events = stored(writable)

    # A new day, a changed subscription and a new account, all at once.
    write_csv(
        tmp_path / "subs.csv",
        [
            "subscription_id",
            "account_id",
            "plan",
            "mrr",
            "currency",
            "seats",
            "start_date",
            "status",
        ],
        [
            ("S2c", "A2", "Starter", "99.00", "USD", "3", "2024-03-20", "active"),
            ("S11", "A11", "Starter", "10.00", "EUR", "", "2024-06-16", "active"),
        ],
    )
    write_csv(
        tmp_path / "accounts.csv",
        ["account_id", "name", "segment", "created_at"],
        [("A11", "Newcomer", "SMB", "2024-06-10")],
    )
    load_file(writable, "accounts", tmp_path / "accounts.csv")
    load_file(writable, "subscriptions", tmp_path / "subs.csv")
    later = AS_OF + timedelta(days=2)
    update_snapshot(writable, CONFIG, later)
    incremental = stored(writable)
    assert snapshot_range(writable) == (SINCE, later)
    assert incremental == rebuilt(writable, later)
    a2 = writable.execute(
        "SELECT mrr, seats_bought, first_value_date FROM account_daily_metrics "
        "WHERE account_id = 'A2' AND date = ?",
        [later],
    ).fetchall()
    assert a2 == [(Decimal("99.00"), 3, date(2024, 6, 14))]
    assert len(incremental) == len(after_events) + 10 * 2 + 8  # 2 new days; A11 from 06-10


def test_new_settings_force_a_rebuild(writable: duckdb.DuckDBPyConnection) -> None:
    build_snapshot(writable, CONFIG, AS_OF, since=SINCE)
    fewer = CONFIG.model_copy(update={"key_features": ["report.created"]})
    result = update_snapshot(writable, fewer, AS_OF)
    assert (result.mode, result.reason) == ("full", "analytics settings changed")
    assert snapshot_range(writable) == (SINCE, AS_OF)
    breadth = writable.execute(
        "SELECT breadth_90 FROM account_daily_metrics WHERE account_id = 'A1' AND date = ?",
        [AS_OF],
    ).fetchall()
    assert breadth == [(1.0,)]


def test_a_failed_update_changes_nothing(
    writable: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    build_snapshot(writable, CONFIG, AS_OF, since=SINCE)
    before = stored(writable), writable.execute("SELECT * FROM analytics_state").fetchall()
    rollups = writable.execute("SELECT count(*) FROM usage_user_days").fetchall()
    write_events(tmp_path / "e.csv", [("A1", "u9", "login", "2024-06-15 12:00:00")], "f")
    load_file(writable, "events", tmp_path / "e.csv")
    write_csv(
        tmp_path / "subs.csv",
        ["subscription_id", "account_id", "plan", "mrr", "currency", "start_date", "status"],
        [("S12", "A8", "Starter", "1000", "JPY", "2024-06-01", "active")],
    )
    load_file(writable, "subscriptions", tmp_path / "subs.csv")
    with pytest.raises(CurrencyError, match="JPY"):
        update_snapshot(writable, CONFIG, AS_OF)
    after = stored(writable), writable.execute("SELECT * FROM analytics_state").fetchall()
    assert after == before
    assert writable.execute("SELECT count(*) FROM usage_user_days").fetchall() == rollups


def test_first_update_builds_and_range_needs_a_snapshot(
    writable: duckdb.DuckDBPyConnection,
) -> None:
    with pytest.raises(SnapshotMissingError, match="run `outsidein metrics snapshot`"):
        snapshot_range(writable)
    config = CONFIG.model_copy(update={"snapshot_history_days": 10})
    result = update_snapshot(writable, config, AS_OF)
    assert (result.mode, result.reason, result.first_date) == (
        "full",
        "no snapshot yet",
        date(2024, 6, 6),
    )


def test_no_row_is_ever_written_for_a_future_day(writable: duckdb.DuckDBPyConnection) -> None:
    """A far as_of (the probe wrote 7.9M rows for 2100) is clamped to today, and future rows
    an older version left are removed by the next update."""
    today = datetime.now(UTC).date()
    far = date(2100, 1, 1)
    built = build_snapshot(writable, CONFIG, far, since=AS_OF)
    assert built.last_date == today
    assert snapshot_range(writable)[1] == today
    (latest,) = writable.execute("SELECT max(date) FROM account_daily_metrics").fetchone() or ()
    assert latest == today
    # An older version's future rows (and state) are taken back to today.
    writable.execute(
        "INSERT INTO account_daily_metrics SELECT * REPLACE (DATE '2100-01-01' AS date) "
        "FROM account_daily_metrics WHERE date = ?",
        [today],
    )
    writable.execute("UPDATE analytics_state SET value = '2100-01-01' "
                     "WHERE name = 'snapshot_last_date'")  # fmt: skip
    updated = update_snapshot(writable, CONFIG, far)
    assert updated.last_date == today
    (future,) = (
        writable.execute(
            "SELECT count(*) FROM account_daily_metrics WHERE date > ?", [today]
        ).fetchone()
        or ()
    )
    assert future == 0 and snapshot_range(writable)[1] == today
