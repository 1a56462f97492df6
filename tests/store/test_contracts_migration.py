"""Migration 0006 gives a store made before contracts one evergreen monthly contract per
subscription, and the analytics read it exactly as they read the same data loaded fresh."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from outsidein.analytics import AnalyticsConfig, next_renewals, store_sources
from outsidein.ingest import load_file
from outsidein.store import LATEST_VERSION, connect, current_version, migrate
from tests.ingest.helpers import write_csv

SUBS = [
    ("S1", "A", "starter", "100.00", "2023-01-31", None, "active"),
    ("S2", "A", "add-on", "20.00", "2024-03-10", "2024-05-01", "ended"),
    ("S3", "B", "growth", "300.00", "2022-06-15", None, "active"),
]
HEADER = ["subscription_id", "account_id", "plan", "mrr", "start_date", "end_date", "status"]


def renewals_of(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    found = next_renewals(store_sources(con), AnalyticsConfig(), date(2024, 6, 15))
    return sorted(
        (r["contract_id"], r["renewal_date"], r["term_months"], r["billing_period"], r["arr"])
        for r in found.to_pyarrow().to_pylist()
    )


def test_schema_5_store_upgrades_with_one_contract_per_subscription(tmp_path: Path) -> None:
    path = tmp_path / "v5.duckdb"
    old = duckdb.connect(str(path))
    assert migrate(old, target=5) == [1, 2, 3, 4, 5]
    old.execute(
        "INSERT INTO accounts (account_id, name, created_at, source, loaded_at) VALUES "
        "('A', 'Acme', '2023-01-01', 'old', '2023-01-02'), "
        "('B', 'Beta', '2022-06-01', 'old', '2023-01-02')"
    )
    old.executemany(
        "INSERT INTO subscriptions VALUES (?, ?, ?, ?, 'USD', NULL, ?, ?, ?, 'old', "
        "TIMESTAMP '2024-01-01')",
        SUBS,
    )
    old.close()

    con = connect(path)
    assert current_version(con) == LATEST_VERSION >= 6
    contracts = con.execute(
        "SELECT contract_id, account_id, term_start, term_months, billing_period, auto_renew, "
        "cancellation_reason FROM contracts ORDER BY 1"
    ).fetchall()
    assert contracts == [
        ("S1", "A", date(2023, 1, 31), 1, "monthly", True, None),
        ("S2", "A", date(2024, 3, 10), 1, "monthly", True, None),
        ("S3", "B", date(2022, 6, 15), 1, "monthly", True, None),
    ]
    # Linked to their contracts; loaded_at untouched (the snapshot sees no new data).
    linked = con.execute(
        "SELECT subscription_id, contract_id, loaded_at::DATE FROM subscriptions ORDER BY 1"
    )
    assert linked.fetchall() == [(s[0], s[0], date(2024, 1, 1)) for s in SUBS]
    upgraded = renewals_of(con)
    assert upgraded == [
        ("S1", date(2024, 6, 30), 1, "monthly", 1200),
        ("S3", date(2024, 7, 15), 1, "monthly", 3600),
    ]

    # The same subscriptions loaded fresh, from a file without contract columns.
    fresh = connect(tmp_path / "fresh.duckdb")
    accounts = [["A", "Acme", "2023-01-01"], ["B", "Beta", "2022-06-01"]]
    header = ["account_id", "name", "created_at"]
    load_file(fresh, "accounts", write_csv(tmp_path / "a.csv", header, accounts))
    rows = [[v or "" for v in s] for s in SUBS]
    result = load_file(fresh, "subscriptions", write_csv(tmp_path / "s.csv", HEADER, rows))
    assert result.rows_inserted == 3
    assert fresh.execute("SELECT count(*) FROM contracts").fetchone() == (0,)
    assert renewals_of(fresh) == upgraded
    fresh.close()
    con.close()
