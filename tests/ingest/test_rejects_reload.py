"""Reloading a file: an all-rejected file runs again, and a file's rejects are its latest load's."""

from __future__ import annotations

from pathlib import Path

import duckdb

from outsidein.ingest import load_file
from tests.ingest.helpers import ACCOUNT_HEADER, ACCOUNTS, write_csv

SUB_HEADER = ["subscription_id", "account_id", "plan", "mrr", "start_date", "status"]
SUBS = [
    ["s1", "a1", "growth", "100", "2024-01-05", "active"],
    ["s2", "a2", "growth", "200", "2024-01-05", "active"],
    ["s3", "a3", "growth", "300", "2024-01-05", "active"],
]


def stored_rejects(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, str]]:
    return con.execute(
        'SELECT load_id, line, "column" FROM rejects ORDER BY load_id, line'
    ).fetchall()


def test_an_all_rejected_file_loads_again_and_replaces_its_rejects(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    subs = write_csv(tmp_path / "subs.csv", SUB_HEADER, SUBS)
    first = load_file(store, "subscriptions", subs)  # no accounts yet: every row is rejected
    assert (first.rows_read, first.rows_rejected, first.rows_loaded) == (3, 3, 0)

    second = load_file(store, "subscriptions", subs)
    assert not second.already_loaded  # it ran again, and failed again
    assert (second.rows_read, second.rows_rejected) == (3, 3)
    assert {row[0] for row in stored_rejects(store)} == {second.load_id}  # no pile-up
    assert len(stored_rejects(store)) == 3

    load_file(store, "accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS))
    third = load_file(store, "subscriptions", subs)  # the same bytes now load
    assert (third.already_loaded, third.rows_inserted, third.rows_rejected) == (False, 3, 0)
    assert stored_rejects(store) == []
    (logged,) = store.execute(
        "SELECT count(*) FROM load_log WHERE kind = 'subscriptions'"
    ).fetchall()[0:1]
    assert logged == (3,)  # the history keeps every attempt

    fourth = load_file(store, "subscriptions", subs)
    assert fourth.already_loaded  # loaded once with good rows: nothing to do


def test_partial_success_keeps_its_rejects_and_a_fixed_file_clears_them(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_file(store, "accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS))
    bad = [*SUBS[:2], ["s3", "a3", "growth", "-5", "2024-01-05", "paused"]]
    path = write_csv(tmp_path / "subs.csv", SUB_HEADER, bad)
    partial = load_file(store, "subscriptions", path)
    assert (partial.rows_inserted, partial.rows_rejected) == (2, 1)
    assert stored_rejects(store) == [
        (partial.load_id, 4, "mrr"),
        (partial.load_id, 4, "status"),
    ]
    again = load_file(store, "subscriptions", path)
    assert again.already_loaded and len(stored_rejects(store)) == 2  # kept

    more = [*bad, ["s4", "a1", "growth", "5", "2024-01-05", "active"]]
    other = load_file(store, "subscriptions", write_csv(tmp_path / "other.csv", SUB_HEADER, more))
    assert other.rows_rejected == 1  # another file: its own rejects, beside the first's
    assert len(stored_rejects(store)) == 4

    write_csv(path, SUB_HEADER, SUBS)  # the same file, fixed
    fixed = load_file(store, "subscriptions", path)
    assert (fixed.rows_updated, fixed.rows_unchanged, fixed.rows_rejected) == (0, 2, 0)
    assert fixed.rows_inserted == 1
    assert {row[0] for row in stored_rejects(store)} == {other.load_id}


def test_events_on_the_append_path_replace_their_rejects_too(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_file(store, "accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS))
    header = ["message_id", "account_id", "user_id", "event", "timestamp"]
    rows = [["m1", "a1", "u", "login", "2024-01-01T00:00:00Z"],
            ["m2", "zz", "u", "login", "2024-01-01T00:00:00Z"]]  # fmt: skip
    path = write_csv(tmp_path / "e.csv", header, rows)
    first = load_file(store, "events", path)
    assert first.rows_rejected == 1
    write_csv(path, header, [rows[0], ["m2", "a2", "u", "login", "2024-01-01T00:00:00Z"]])
    second = load_file(store, "events", path)
    assert (second.rows_inserted, second.rows_unchanged, second.rows_rejected) == (1, 1, 0)
    assert stored_rejects(store) == []
