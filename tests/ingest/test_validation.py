"""Each class of bad input gives its named reject, and the good rows land."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from outsidein.errors import LoadError
from outsidein.ingest import load_file
from outsidein.ingest.reasons import problem_only
from outsidein.settings.store import StoreConfig
from tests.ingest.helpers import ACCOUNT_HEADER, ACCOUNTS, write_csv, write_jsonl

SUB_HEADER = ["subscription_id", "account_id", "plan", "mrr", "start_date", "end_date", "status"]


@pytest.fixture
def with_accounts(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    load_file(store, "accounts", write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, ACCOUNTS))
    return store


def rejects(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, str, str]]:
    rows = con.execute(
        'SELECT line, "column", "value", reason FROM rejects ORDER BY line, "column"'
    ).fetchall()
    return [(*row[:3], problem_only(row[3])) for row in rows]  # the fixes: test_reasons.py


def test_good_rows_land_and_bad_rows_are_rejected_by_name(
    with_accounts: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [
        ["s1", "a1", "growth", "1200.50", "2024-01-05", "", "active"],  # good
        ["s2", "a2", "starter", "abc", "2024-02-01", "", "active"],  # type
        ["s3", "", "starter", "100", "2024-02-01", "", "active"],  # required
        ["s4", "a2", "starter", "100", "2024-02-01", "", "paused"],  # allowed values
        ["s5", "zz9", "starter", "100", "2024-02-01", "", "active"],  # reference
        ["s6", "a2", "starter", "-10", "2024-02-01", "", "active"],  # negative MRR
        ["s7", "a2", "starter", "100", "2024-05-01", "2024-04-01", "ended"],  # end < start
        ["s1", "a3", "growth", "50", "2024-03-15", "", "active"],  # duplicate key
        ["s8", "a3", "Enterprise", "0", "2024-03-15", "", "Active"],  # good, zero MRR
    ]
    path = write_csv(tmp_path / "subs.csv", SUB_HEADER, rows)
    result = load_file(with_accounts, "subscriptions", path)

    assert (result.rows_read, result.rows_inserted, result.rows_rejected) == (9, 2, 7)
    landed = with_accounts.execute(
        "SELECT subscription_id, account_id, mrr::VARCHAR, status FROM subscriptions ORDER BY 1"
    ).fetchall()
    assert landed == [("s1", "a1", "1200.50", "active"), ("s8", "a3", "0.00", "active")]
    assert rejects(with_accounts) == [
        (3, "mrr", "abc", "not a number"),
        (4, "account_id", None, "required value is missing"),
        (5, "status", "paused", "not one of the allowed values: trialing, active, ended, churned"),
        (
            6,
            "account_id",
            "zz9",
            "unknown account_id: no such account in the store or external_ids "
            "(load accounts first)",
        ),
        (7, "mrr", "-10", "must be at least 0"),
        (8, "end_date", "2024-04-01", "end_date is before start_date"),
        (9, "subscription_id", "s1", "duplicate key: the same subscription_id is on line 2"),
    ]
    file_and_kind = with_accounts.execute("SELECT DISTINCT file, kind FROM rejects").fetchall()
    assert file_and_kind == [(str(path.resolve()), "subscriptions")]


def test_future_dates_are_rejected(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        ACCOUNT_HEADER,
        [["a1", "Acme", "software", "emea", "2024-01-05"], ["a2", "Beta", "x", "y", "2999-01-01"]],
    )
    result = load_file(store, "accounts", path)
    assert result.rows_inserted == 1
    ((line, column, reason),) = store.execute(
        'SELECT line, "column", reason FROM rejects'
    ).fetchall()
    assert (line, column) == (3, "created_at")
    assert reason.startswith("is in the future")


def test_dates_outside_the_store_bounds_are_rejected_naming_the_range(
    with_accounts: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Year 1 and 'infinity' are valid DuckDB dates; the store's bounds refuse them."""
    subs = [
        ["s1", "a1", "growth", "10", "0001-01-01", "", "active"],
        ["s2", "a1", "growth", "10", "1899-12-31", "", "active"],
        ["s3", "a1", "growth", "10", "1900-01-01", "infinity", "active"],
        ["s4", "a1", "growth", "10", "1900-01-01", "2300-01-01", "active"],  # an end may lie ahead
    ]
    load_file(with_accounts, "subscriptions", write_csv(tmp_path / "s.csv", SUB_HEADER, subs))
    events = [
        ["e1", "a1", "u1", "login", "1999-12-31T23:59:59Z"],
        ["e2", "a1", "u1", "login", "2000-01-01T00:00:00Z"],
        ["e3", "a1", "u1", "login", "0001-01-01T00:00:00Z"],
    ]
    header = ["message_id", "account_id", "user_id", "event", "timestamp"]
    load_file(with_accounts, "events", write_csv(tmp_path / "e.csv", header, events))
    found = with_accounts.execute(
        'SELECT kind, line, "column", "value", reason FROM rejects ORDER BY kind, line'
    ).fetchall()
    found = [(*row[:4], problem_only(row[4])) for row in found]
    assert [row[:4] for row in found] == [
        ("events", 2, "timestamp", "1999-12-31T23:59:59Z"),
        ("events", 4, "timestamp", "0001-01-01T00:00:00Z"),
        ("subscriptions", 2, "start_date", "0001-01-01"),
        ("subscriptions", 3, "start_date", "1899-12-31"),
        ("subscriptions", 4, "end_date", "infinity"),
    ]
    assert found[0][4].startswith("is before 2000-01-01 (allowed from 2000-01-01 to 20")
    assert found[2][4] == "is before 1900-01-01 (allowed from 1900-01-01 to any later day)"
    assert found[4][4].startswith("is not a real day")
    assert with_accounts.execute("SELECT count(*) FROM events").fetchone() == (1,)
    kept = with_accounts.execute("SELECT subscription_id FROM subscriptions").fetchall()
    assert kept == [("s4",)]


def test_the_bounds_are_configurable(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    config = StoreConfig(
        earliest_date=date(2020, 1, 1), earliest_event=date(2020, 1, 1), future_tolerance_hours=0
    )
    rows = [["a1", "Acme", "x", "y", "2019-12-31"], ["a2", "Beta", "x", "y", "2020-01-01"]]
    load_file(store, "accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, rows), config=config)
    ((line, reason),) = store.execute("SELECT line, reason FROM rejects").fetchall()
    assert line == 2 and reason.startswith("is before 2020-01-01 (allowed from 2020-01-01 to ")
    with pytest.raises(ValueError, match="earliest_event"):
        StoreConfig(earliest_date=date(2020, 1, 1), earliest_event=date(2010, 1, 1))


def test_missing_required_column_names_file_and_column(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", ["Id", "Company"], [["a1", "Acme"]])
    with pytest.raises(LoadError, match=r"a\.csv: required columns account_id, name, created_at"):
        load_file(store, "accounts", path)


def test_strict_refuses_whole_file(
    with_accounts: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [
        ["s1", "a1", "growth", "100", "2024-01-05", "", "active"],
        ["s2", "a1", "growth", "-1", "2024-01-05", "", "active"],
    ]
    path = write_csv(tmp_path / "subs.csv", SUB_HEADER, rows)
    with pytest.raises(LoadError, match=r"--strict refused the whole file: 1 of 2 rows") as info:
        load_file(with_accounts, "subscriptions", path, strict=True)
    assert "subs.csv:3 mrr = '-1': must be at least 0" in info.value.message
    assert with_accounts.execute("SELECT count(*) FROM subscriptions").fetchone() == (0,)
    assert with_accounts.execute("SELECT count(*) FROM load_log").fetchone() == (1,)


def test_jsonl_bad_lines_and_types(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "accounts.jsonl",
        [
            {"account_id": "a1", "name": "Acme", "created_at": "2024-01-05", "employees": 120},
            "{not json",
            {"account_id": "a2", "name": "Beta", "created_at": "2024-01-05", "employees": 2.5},
            "[1, 2]",
            {"account_id": "a3", "name": "Gamma", "created_at": "2024-01-05", "employees": "x"},
        ],
    )
    result = load_file(store, "accounts", path)
    assert (result.rows_read, result.rows_inserted, result.rows_rejected) == (5, 1, 4)
    reasons = {(line, reason.split(":")[0]) for line, _, _, reason in rejects(store)}
    assert reasons == {
        (2, "invalid JSON"),
        (3, "not a whole number"),
        (4, "a line must hold a JSON object"),
        (5, "not a whole number"),
    }


def test_csv_row_with_wrong_field_count(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "account_id,name,created_at\na1,Acme,2024-01-05\na2,Beta,2024-01-05,extra\n",
        encoding="utf-8",
    )
    result = load_file(store, "accounts", path)
    assert (result.rows_inserted, result.rows_rejected) == (1, 1)
    ((reason,),) = store.execute("SELECT reason FROM rejects").fetchall()
    assert problem_only(reason) == "expected 3 fields, found 4"


def test_survey_rules(with_accounts: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header = ["response_id", "account_id", "survey", "answered_at", "kind", "score"]
    rows = [
        ["r1", "a1", "nps-q1", "2024-03-01", "nps", "9"],
        ["r2", "a1", "nps-q1", "2024-03-01", "nps", "11"],
        ["r3", "a1", "csat", "2024-03-01", "csat", "0"],
        ["r4", "a1", "jtbd", "2024-03-01", "outcome", ""],
    ]
    load_file(with_accounts, "survey_responses", write_csv(tmp_path / "s.csv", header, rows))
    assert [(line, reason) for line, _, _, reason in rejects(with_accounts)] == [
        (3, "an nps score must be 0 to 10"),
        (4, "a csat score must be 1 to 5"),
        (5, "an outcome answer needs outcome_id, importance and satisfaction"),
    ]


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("2024-05-01", "2024-05-01 00:00:00"),
        ("2024-05-01 09:30:00", "2024-05-01 09:30:00"),
        ("2024-05-01T09:30:00", "2024-05-01 09:30:00"),
        ("2024-05-01T09:30:00Z", "2024-05-01 09:30:00"),
        ("2024-05-01T09:30:00.250", "2024-05-01 09:30:00.25"),
        ("2024-05-01T09:30+02", "2024-05-01 07:30:00"),
        ("2024-05-01T09:30:00+02:00", "2024-05-01 07:30:00"),
        ("2024-05-01T09:30:00-0500", "2024-05-01 14:30:00"),
        ("2024-05-01T09:30:00.5+01:00", "2024-05-01 08:30:00.5"),
        ("2024-05-01 09:30:00 Europe/Paris", "2024-05-01 07:30:00"),
        ("2024-05-01 09:30:00 UTC", "2024-05-01 09:30:00"),
    ],
)
def test_timestamps_are_stored_in_utc_whatever_their_shape(
    store: duckdb.DuckDBPyConnection, tmp_path: Path, text: str, stored: str
) -> None:
    """The fast path for zone-less shapes must never swallow an offset or a zone name."""
    path = write_csv(
        tmp_path / "accounts.csv", ["account_id", "name", "created_at"], [["a1", "Acme", text]]
    )
    assert load_file(store, "accounts", path).rows_inserted == 1
    (value,) = store.execute("SELECT created_at::VARCHAR FROM accounts").fetchall()[0]
    assert value == stored
