"""Aggregated usage (``usage_daily``: counts per account or subscription, optional user,
feature and day) counts beside raw events in every usage metric: the on-the-fly report,
per-feature counts, the stored snapshot built whole and kept current incrementally.

Expected values are computed here from the rows the test writes, not typed in."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from outsidein.analytics import (
    AnalyticsConfig,
    account_usage,
    build_snapshot,
    feature_counts,
    store_sources,
    update_snapshot,
)
from outsidein.ingest import load_file
from outsidein.store import connect
from tests.ingest.helpers import write_csv

AS_OF = date(2024, 6, 15)
CONFIG = AnalyticsConfig(key_features=["report.created", "export.run"], value_event=None)
ACCOUNTS = [("A1", "Acme", "2024-01-01"), ("A2", "Beta", "2024-01-01")]
SUBS = [
    ("S1", "A1", "pro", 100, "2024-01-01", "active"),
    ("S2", "A2", "pro", 50, "2024-01-01", "active"),
]
# (account, user, event, timestamp)
EVENTS = [
    ("A1", "u1", "report.created", "2024-06-14 10:00:00"),
    ("A1", "u2", "export.run", "2024-06-13 09:00:00"),
    ("A2", "v1", "report.created", "2024-05-01 09:00:00"),
]
# (subscription, account, user, feature, day, count): by subscription or account, with or
# without a user
COUNTS = [
    ("S1", "", "u1", "report.created", "2024-06-10", 5),
    ("", "A1", "", "export.run", "2024-06-11", 7),
    ("", "A1", "u3", "other.feature", "2024-06-01", 2),
    ("S2", "", "", "report.created", "2024-06-12", 3),
    ("S2", "", "v2", "export.run", "2024-04-01", 4),
]
SUB_ACCOUNT = {s[0]: s[1] for s in SUBS}


def _rows(counts: list[Any] = COUNTS) -> list[tuple[str, str | None, str, date, int]]:
    """Every use as (account, user or None, feature, day, count), events counting 1."""
    rows: list[tuple[str, str | None, str, date, int]] = [
        (a, u, e, date.fromisoformat(t[:10]), 1) for a, u, e, t in EVENTS
    ]
    for sub, account, user, feature, day, count in counts:
        rows.append(
            (account or SUB_ACCOUNT[sub], user or None, feature, date.fromisoformat(day), count)
        )
    return rows


def expected(account: str, window: int, counts: list[Any] = COUNTS) -> dict[str, int]:
    as_of = AS_OF
    inside = [
        r
        for r in _rows(counts)
        if r[0] == account and as_of - timedelta(days=window) < r[3] <= as_of
    ]
    return {
        f"events_{window}": sum(r[4] for r in inside),
        f"active_users_{window}": len({r[1] for r in inside if r[1] is not None}),
        f"key_features_used_{window}": len({r[2] for r in inside} & set(CONFIG.key_features)),
    }


def _load(con: duckdb.DuckDBPyConnection, folder: Path, counts: list[Any]) -> None:
    write_csv(folder / "accounts.csv", ["account_id", "name", "created_at"], ACCOUNTS)
    header = ["subscription_id", "account_id", "plan", "mrr", "start_date", "status"]
    write_csv(folder / "subscriptions.csv", header, SUBS)
    write_csv(
        folder / "events.csv",
        ["message_id", "account_id", "user_id", "event", "timestamp"],
        [(f"m{i}", *e) for i, e in enumerate(EVENTS)],
    )
    header = ["subscription_id", "account_id", "user_id", "feature", "day", "usage_count"]
    write_csv(folder / "usage.csv", header, counts)
    for kind, name in (
        ("accounts", "accounts.csv"),
        ("subscriptions", "subscriptions.csv"),
        ("events", "events.csv"),
    ):
        assert load_file(con, kind, folder / name).rows_rejected == 0
    result = load_file(con, "usage_daily", folder / "usage.csv", mapping={"usage_count": "count"})
    assert (result.rows_rejected, result.rows_inserted) == (0, len(counts))


@pytest.fixture
def con(tmp_path: Path) -> Any:
    con = connect(tmp_path / "s.duckdb")
    _load(con, tmp_path, COUNTS)
    yield con
    con.close()


@pytest.mark.parametrize("window", [7, 28, 90])
def test_report_counts_usage_rows_beside_events(
    con: duckdb.DuckDBPyConnection, window: int
) -> None:
    usage = {
        r["account_id"]: r
        for r in account_usage(store_sources(con), CONFIG, AS_OF, [window]).to_pyarrow().to_pylist()
    }
    for account in ("A1", "A2"):
        got = {k: usage[account][k] for k in expected(account, window)}
        assert got == expected(account, window), account


def test_feature_counts_add_counts_and_distinct_users(con: duckdb.DuckDBPyConnection) -> None:
    got = {
        (r["account_id"], r["feature"]): (r["events"], r["users"])
        for r in feature_counts(store_sources(con), AS_OF, 28).to_pyarrow().to_pylist()
    }
    want: dict[tuple[str, str], tuple[int, set[str]]] = {}
    for account, user, feature, day, count in _rows():
        if AS_OF - timedelta(days=28) < day <= AS_OF:
            events, users = want.get((account, feature), (0, set()))
            want[(account, feature)] = (events + count, users | ({user} if user else set()))
    assert got == {k: (e, len(u)) for k, (e, u) in want.items()}
    # a user-less row counts events, not users
    assert got[("A2", "report.created")] == (3, 0)


def test_snapshot_build_and_incremental_update_count_usage_rows(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    build_snapshot(con, CONFIG, AS_OF - timedelta(days=1), since=date(2024, 5, 1))
    # a corrected re-export: one count changes, one row is new (a day inside the windows)
    more = [*COUNTS[:-1], ("S2", "", "v2", "export.run", "2024-04-01", 9)]
    more.append(("", "A2", "v3", "report.created", "2024-06-14", 6))
    write_csv(
        tmp_path / "usage2.csv",
        ["subscription_id", "account_id", "user_id", "feature", "day", "count"],
        more,
    )
    result = load_file(con, "usage_daily", tmp_path / "usage2.csv")
    assert (result.rows_inserted, result.rows_updated) == (1, 1)
    update_snapshot(con, CONFIG, AS_OF)
    incremental = con.execute(
        "SELECT * EXCLUDE (computed_at) FROM account_daily_metrics ORDER BY ALL"
    ).fetchall()
    build_snapshot(con, CONFIG, AS_OF, since=date(2024, 5, 1))
    rebuilt = con.execute(
        "SELECT * EXCLUDE (computed_at) FROM account_daily_metrics ORDER BY ALL"
    ).fetchall()
    assert incremental == rebuilt
    for window in (7, 28, 90):
        for account in ("A1", "A2"):
            want = expected(account, window, more)
            cols = ", ".join(want)
            got = con.execute(
                f"SELECT {cols} FROM account_daily_metrics WHERE account_id = ? AND date = ?",
                [account, AS_OF],
            ).fetchall()[0]
            assert dict(zip(want, got, strict=True)) == want, (account, window)
