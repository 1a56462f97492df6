"""Keys the source lacks: ``--key-from`` makes a stable id, so reloads stay idempotent."""

from __future__ import annotations

from pathlib import Path

import duckdb

from outsidein.ingest import load_file
from outsidein.ingest.transforms import cli_spec
from tests.ingest.helpers import write_csv

HEADER = ["customer", "plan", "mrr", "start_date", "status"]
ROWS = [
    ["a1", "Pro", "100", "2024-01-01", "active"],
    ["a1", "Addon", "10", "2024-01-01", "active"],
    ["a2", "Pro", "100", "2024-02-01", "active"],
    ["a1", "Pro", "120", "2024-06-01", "active"],
]


def _accounts(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "accounts.csv",
        ["account_id", "name", "created_at"],
        [["a1", "A", "2024-01-01"], ["a2", "B", "2024-01-01"]],
    )
    load_file(con, "accounts", path)


def _load(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, int, int, int]:
    spec = cli_spec(maps=["customer=account_id"], key_from="customer,plan,start_date")
    r = load_file(con, "subscriptions", path, transforms=spec)
    return r.rows_inserted, r.rows_updated, r.rows_unchanged, r.rows_rejected


def _ids(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return con.execute(
        "SELECT subscription_id, account_id, plan FROM subscriptions ORDER BY 1"
    ).fetchall()


def test_reloads_in_any_order_find_the_same_keys(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _accounts(store, tmp_path)
    first = write_csv(tmp_path / "subs.csv", HEADER, ROWS)
    assert _load(store, first) == (4, 0, 0, 0)
    ids = _ids(store)
    assert len({i for i, _, _ in ids}) == 4 and all(i.startswith("k_") for i, _, _ in ids)
    # Another export of the same rows in another order (a new file, not "already loaded").
    shuffled = write_csv(tmp_path / "subs-again.csv", HEADER, [ROWS[3], ROWS[1], ROWS[0], ROWS[2]])
    assert _load(store, shuffled) == (0, 0, 4, 0)
    assert _ids(store) == ids
    # A changed value of a non-key column updates the same row.
    changed = write_csv(tmp_path / "subs-3.csv", HEADER, [[*ROWS[0][:2], "150", *ROWS[0][3:]]])
    assert _load(store, changed) == (0, 1, 0, 0)
    assert store.execute("SELECT count(*) FROM subscriptions").fetchall() == [(4,)]


def test_two_rows_with_the_same_identifying_values_are_a_duplicate(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _accounts(store, tmp_path)
    path = write_csv(tmp_path / "subs.csv", HEADER, [ROWS[0], ROWS[0]])
    spec = cli_spec(maps=["customer=account_id"], key_from="customer,plan,start_date")
    result = load_file(store, "subscriptions", path, transforms=spec)
    assert result.rows_rejected == 1
    assert "duplicate key: the same subscription_id is on line 2" in result.rejects[0].reason
