"""Events take the append path: checked rows go straight into the table.

Every behaviour of the staged path must hold here too: the same rejects on the same lines,
external ids resolved, stored message_ids left alone, repeats inside the file named by
line (through the fallback to the staged path), and --strict refusing everything.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from outsidein.errors import LoadError
from outsidein.ingest import load_file, loader
from outsidein.ingest.append import NeedsStaging
from outsidein.ingest.reasons import problem_only
from outsidein.store import connect
from tests.ingest.helpers import ACCOUNT_HEADER, ACCOUNTS, write_csv, write_parquet

HEADER = ["message_id", "account_id", "user_id", "event", "timestamp", "properties"]
GOOD = ["m1", "a1", "u1", "Login", "2024-05-01T09:30:00Z", '{"plan":"growth"}']


def _store(path: Path) -> duckdb.DuckDBPyConnection:
    con = connect(path)
    crm = [*ACCOUNT_HEADER, "ext:crm"]
    rows = [[*row, f"crm-{row[0]}"] for row in ACCOUNTS]
    load_file(con, "accounts", write_csv(path.parent / "accounts.csv", crm, rows))
    return con


@pytest.fixture
def accounts(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return _store(tmp_path / "store" / "outsidein.duckdb")


def _dirty_rows() -> list[list[str]]:
    return [
        GOOD,  # 2
        ["m2", "crm-a2", "u2", "Login", "2024-05-01 10:00:00", ""],  # 3 external id
        ["m3", "a9", "u3", "Login", "2024-05-01 10:00:00", ""],  # 4 unknown account
        ["m4", "a1", "", "Login", "2024-05-01 10:00:00", ""],  # 5 missing user
        ["m5", "a1", "u5", "Login", "yesterday", ""],  # 6 bad timestamp
        ["m6", "a1", "u6", "Login", "2999-01-01 00:00:00", ""],  # 7 future
        ["m7", "a1", "u7", "Login", "2024-05-01 10:00:00", "{not json"],  # 8 bad JSON
        ["m8", "a3", "u8", "Export Run", "2024-05-02T08:00:00+02:00", ""],  # 9 good
    ]


def _refuse(*args: object) -> None:
    """In place of the append path: every load falls back to the staged one."""
    raise NeedsStaging("the test asks for the staged path")


def _contents(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    return {
        "events": con.execute(
            "SELECT message_id, account_id, user_id, event, timestamp, properties FROM events "
            "ORDER BY ALL"
        ).fetchall(),
        "rejects": [
            (*row[:3], problem_only(row[3]))
            for row in con.execute(
                'SELECT line, "column", "value", reason FROM rejects ORDER BY ALL'
            ).fetchall()
        ],
        "log": con.execute(
            "SELECT kind, rows_read, rows_loaded, rows_rejected FROM load_log ORDER BY ALL"
        ).fetchall(),
    }


def test_a_dirty_file_gives_its_rejects_and_the_good_rows_land(
    accounts: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "events.csv", HEADER, _dirty_rows())
    result = load_file(accounts, "events", path)
    assert (result.rows_read, result.rows_inserted, result.rows_rejected) == (8, 3, 5)
    landed = accounts.execute(
        "SELECT message_id, account_id, timestamp::VARCHAR FROM events ORDER BY 1"
    ).fetchall()
    assert landed == [
        ("m1", "a1", "2024-05-01 09:30:00"),
        ("m2", "a2", "2024-05-01 10:00:00"),
        ("m8", "a3", "2024-05-02 06:00:00"),
    ]
    rejected = [(line, column) for line, column, _, _ in _contents(accounts)["rejects"]]
    assert rejected == [
        (4, "account_id"),
        (5, "user_id"),
        (6, "timestamp"),
        (7, "timestamp"),
        (8, "properties"),
    ]


@pytest.mark.parametrize("repeat", [False, True])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_append_path_and_the_staged_path_store_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, repeat: bool
) -> None:
    """Same file, same store before: same events, rejects and log either way.

    With a repeated key the append path itself falls back to the staged one.
    """
    rows = _dirty_rows()
    if repeat:
        rows.append(["m1", "a2", "u9", "Login", "2024-05-03 00:00:00", ""])
    rows += [[f"n{i}", "a1", f"u{i % 7}", "Login", "2024-04-01 12:00:00", ""] for i in range(50)]
    results = []
    for path_kind in ("append", "staged"):
        work = tmp_path / path_kind
        work.mkdir()
        con = _store(work / "outsidein.duckdb")
        load_file(con, "events", write_csv(work / "first.csv", HEADER, [rows[-1], rows[-2]]))
        if fmt == "csv":
            path = write_csv(work / "events.csv", HEADER, rows)
        else:
            records = [dict(zip(HEADER, row, strict=True)) for row in rows]
            path = write_parquet(work / "events.parquet", records)
        if path_kind == "staged":
            monkeypatch.setattr(loader, "AppendLoad", _refuse)
        result = load_file(con, "events", path)
        counts = (result.rows_read, result.rows_inserted, result.rows_unchanged)
        results.append((counts, result.rows_rejected, _contents(con)))
        con.close()
    assert results[0] == results[1]
    counts, rejected, contents = results[0]
    assert counts == (58 + repeat, 51, 2) and rejected == 5 + repeat
    header = fmt == "csv"  # Parquet rows are numbered from 1, CSV lines count the header
    first = f"duplicate key: the same message_id is on line {1 + header}"
    duplicate = (9 + header, "message_id", "m1", first)
    assert (duplicate in contents["rejects"]) == repeat


def test_a_key_repeated_in_the_file_keeps_its_first_row_and_names_the_line(
    accounts: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    again = ["m1", "a2", "u2", "Logout", "2024-05-02 00:00:00", ""]
    result = load_file(accounts, "events", write_csv(tmp_path / "e.csv", HEADER, [GOOD, again]))
    assert (result.rows_inserted, result.rows_rejected) == (1, 1)
    assert result.rejects[0].line == 3
    assert (
        problem_only(result.rejects[0].reason) == "duplicate key: the same message_id is on line 2"
    )
    assert accounts.execute("SELECT user_id, event FROM events").fetchall() == [("u1", "Login")]


def test_stored_message_ids_are_left_alone(
    accounts: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_file(accounts, "events", write_csv(tmp_path / "one.csv", HEADER, [GOOD]))
    before = accounts.execute("SELECT * FROM events").fetchall()
    changed = [*GOOD[:3], "Logout", *GOOD[4:]]
    new = ["m2", "a1", "u2", "Login", "2024-05-01 11:00:00", ""]
    result = load_file(accounts, "events", write_csv(tmp_path / "two.csv", HEADER, [changed, new]))
    assert (result.rows_inserted, result.rows_unchanged, result.rows_rejected) == (1, 1, 0)
    assert accounts.execute("SELECT * FROM events WHERE message_id = 'm1'").fetchall() == before


def test_strict_refuses_the_whole_file_and_leaves_the_store_as_it_was(
    accounts: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_file(accounts, "events", write_csv(tmp_path / "one.csv", HEADER, [GOOD]))
    before = _contents(accounts)
    path = write_csv(tmp_path / "dirty.csv", HEADER, _dirty_rows()[1:])
    with pytest.raises(LoadError, match="--strict refused the whole file: 5 of 7 rows"):
        load_file(accounts, "events", path, strict=True)
    assert _contents(accounts) == before
    assert load_file(accounts, "events", path).rows_inserted == 2  # and it loads afterwards


def test_events_by_external_id_of_a_named_system(
    accounts: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [
        ["m1", "crm-a1", "u1", "Login", "2024-05-01 10:00:00", ""],
        ["m2", "a2", "u1", "Login", "2024-05-01 10:00:00", ""],  # canonical ids still do
        ["m3", "crm-a9", "u1", "Login", "2024-05-01 10:00:00", ""],  # no such crm id
    ]
    path = write_csv(tmp_path / "e.csv", HEADER, rows)
    result = load_file(accounts, "events", path, id_system="crm")
    assert (result.rows_inserted, result.rows_rejected) == (2, 1)
    stored = accounts.execute("SELECT message_id, account_id FROM events ORDER BY 1").fetchall()
    assert stored == [("m1", "a1"), ("m2", "a2")]
    assert (result.rejects[0].line, result.rejects[0].value) == (4, "crm-a9")
