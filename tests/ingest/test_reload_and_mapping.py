"""Reloading changes nothing; mappings and external ids let exports load unedited."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from outsidein.errors import LoadError
from outsidein.ingest import load_file
from tests.ingest.helpers import ACCOUNT_HEADER, ACCOUNTS, write_csv, write_parquet


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    tables = ["accounts", "events", "rejects", "load_log", "external_ids"]
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}


def test_loading_the_same_file_twice_changes_nothing(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [*ACCOUNTS, ["a4", "", "x", "y", "2024-01-01"]]
    path = write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, rows)
    first = load_file(store, "accounts", path)
    before = snapshot(store)
    second = load_file(store, "accounts", path)
    assert second.already_loaded
    assert (first.rows_inserted, first.rows_rejected) == (3, 1)
    assert snapshot(store) == before


def test_same_rows_in_another_file_are_unchanged_and_changes_update(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_file(store, "accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS))
    loaded_at = store.execute("SELECT account_id, loaded_at FROM accounts ORDER BY 1").fetchall()
    changed = [list(r) for r in ACCOUNTS]
    changed[1][1] = "Beta Retail Group"
    result = load_file(store, "accounts", write_csv(tmp_path / "b.csv", ACCOUNT_HEADER, changed))
    assert (result.rows_inserted, result.rows_updated, result.rows_unchanged) == (0, 1, 2)
    after = store.execute("SELECT account_id, loaded_at FROM accounts ORDER BY 1").fetchall()
    assert after[0] == loaded_at[0] and after[2] == loaded_at[2]
    assert store.execute("SELECT name FROM accounts WHERE account_id = 'a2'").fetchone() == (
        "Beta Retail Group",
    )


def test_events_dedup_by_message_id_across_files(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_file(store, "accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS))
    event = {
        "message_id": "m1",
        "account_id": "a1",
        "user_id": "u1",
        "event": "Report Created",
        "timestamp": "2024-05-01T09:30:00Z",
        "properties": {"report": "weekly", "rows": 3},
    }
    first = load_file(store, "events", write_parquet(tmp_path / "e1.parquet", [event]))
    again = {**event, "user_id": "u2"}
    other = {**event, "message_id": "m2"}
    second = load_file(store, "events", write_parquet(tmp_path / "e2.parquet", [again, other]))
    assert (first.rows_inserted, second.rows_inserted, second.rows_unchanged) == (1, 1, 1)
    rows = store.execute(
        "SELECT message_id, user_id, properties->>'$.report' FROM events ORDER BY 1"
    ).fetchall()
    assert rows == [("m1", "u1", "weekly"), ("m2", "u1", "weekly")]


def test_column_mapping_and_external_ids(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    crm = write_csv(
        tmp_path / "crm_export.csv",
        ["Id", "Account Name", "Created Date", "Billing Customer", "Owner"],
        [
            ["001A", "Acme Corp", "2024-01-05", "cus_9", "jane"],
            ["001B", "Beta Retail", "2024-02-01", "cus_7", "joe"],
        ],
    )
    load_file(
        store,
        "accounts",
        crm,
        mapping={
            "Id": "account_id",
            "Account Name": "name",
            "Created Date": "created_at",
            "Billing Customer": "ext:billing",
            "Owner": "csm_id",
        },
        id_system="crm",
    )
    assert store.execute(
        "SELECT * EXCLUDE (source, loaded_at) FROM external_ids ORDER BY 1, 2"
    ).fetchall() == [
        ("billing", "cus_7", "001B"),
        ("billing", "cus_9", "001A"),
        ("crm", "001A", "001A"),
        ("crm", "001B", "001B"),
    ]
    billing = write_csv(
        tmp_path / "stripe.csv",
        ["sub", "customer", "plan", "amount", "start", "status"],
        [
            ["sub_1", "cus_9", "growth", "99.00", "2024-01-05", "active"],
            ["sub_2", "cus_unknown", "growth", "10", "2024-01-05", "active"],
        ],
    )
    result = load_file(
        store,
        "subscriptions",
        billing,
        mapping={
            "sub": "subscription_id",
            "customer": "account_id",
            "amount": "mrr",
            "start": "start_date",
        },
        id_system="billing",
    )
    assert (result.rows_inserted, result.rows_rejected) == (1, 1)
    assert store.execute("SELECT account_id FROM subscriptions").fetchall() == [("001A",)]


def test_mapping_names_a_missing_column(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS)
    with pytest.raises(LoadError, match=r"--map Id=\.\.\.: the file has no column 'Id'"):
        load_file(store, "accounts", path, mapping={"Id": "account_id"})
    with pytest.raises(LoadError, match=r"'nam' is not a column of accounts"):
        load_file(store, "accounts", path, mapping={"name": "nam"})


def test_unknown_kind_and_format(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS)
    with pytest.raises(LoadError, match="unknown kind 'acounts'; one of: csms, accounts"):
        load_file(store, "acounts", path)
    other = tmp_path / "a.xls"
    other.write_bytes(b"x")
    with pytest.raises(LoadError, match=r"a\.xls: unknown file type"):
        load_file(store, "accounts", other)
