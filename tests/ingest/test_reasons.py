"""Every reject reason the file loader stores says what would be valid and what fixes it.

Real files of each kind are loaded into a real store; each reason is pinned word for word.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from outsidein.errors import LoadError
from outsidein.ingest import load_file
from outsidein.ingest.reasons import problem_only, reason, split
from tests.ingest.helpers import ACCOUNT_HEADER, ACCOUNTS, write_csv, write_jsonl

SUB_HEADER = ["subscription_id", "account_id", "plan", "mrr", "seats", "start_date",
              "end_date", "status"]  # fmt: skip


@pytest.fixture
def with_accounts(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    load_file(store, "accounts", write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, ACCOUNTS))
    return store


def reasons_by_line(con: duckdb.DuckDBPyConnection, kind: str) -> dict[tuple[int, str], str]:
    rows = con.execute(
        "SELECT line, coalesce(\"column\", ''), reason FROM rejects WHERE kind = ?", [kind]
    ).fetchall()
    return {(line, column): text for line, column, text in rows}


def test_the_shape_and_its_parts() -> None:
    text = reason("not a number", "a number such as 1.5", "clean it")
    assert text == "not a number; expected a number such as 1.5; fix: clean it"
    assert split(text) == ("not a number; expected a number such as 1.5", "clean it")
    assert problem_only(text) == "not a number"
    assert split("no fix here") == ("no fix here", None)


def test_each_row_check_names_the_valid_values_and_the_option(
    with_accounts: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [
        ["s1", "a1", "growth", "abc", "", "2024-01-05", "", "active"],  # 2: not a number
        ["s2", "", "growth", "10", "", "2024-01-05", "", "active"],  # 3: required
        ["s3", "a1", "growth", "10", "", "2024-01-05", "", "Live"],  # 4: allowed values
        ["s4", "a1", "growth", "10", "1.5", "2024-01-05", "", "active"],  # 5: fraction
        ["s5", "a1", "growth", "-1", "", "2024-01-05", "", "active"],  # 6: below minimum
        ["s6", "a1", "growth", "10", "", "10/16/2024", "", "active"],  # 7: not a date
        ["s7", "a1", "growth", "10", "", "0001-01-01", "", "active"],  # 8: before the bounds
        ["s8", "a1", "growth", "10", "", "2024-05-01", "2024-04-01", "ended"],  # 9: rule
        ["s9", "zz", "growth", "10", "", "2024-01-05", "", "active"],  # 10: unknown account
        ["s11", "a2", "growth", "10", "", "2024-01-05", "", "active"],  # 11: good
        ["s11", "a2", "growth", "10", "", "2024-01-05", "", "active"],  # 12: duplicate key
        ["s10", "a1", "growth", "10", "lots", "2024-01-05", "", "active"],  # 13: not an int
    ]
    path = write_csv(tmp_path / "subs.csv", SUB_HEADER, rows)
    load_file(with_accounts, "subscriptions", path)
    found = reasons_by_line(with_accounts, "subscriptions")
    assert found[2, "mrr"] == (
        "not a number; expected a number such as 1234.50, $1,234.50 or 1.234,50 €; fix: clean "
        "mrr in the export, or map another column to it with --map"
    )
    assert found[3, "account_id"] == (
        "required value is missing; expected account_id on every subscriptions row; fix: fill it "
        "in the export, map another column to it with --map SOURCE=account_id, or give every "
        "row one with --set account_id=VALUE"
    )
    assert found[4, "status"] == (
        "not one of the allowed values: trialing, active, ended, churned; expected one of "
        "these, in any case, with spaces or dashes for _; fix: map the file's values onto these "
        "with --values status:VALUE=trialing (or [load.subscriptions.values.status] VALUE = "
        '"trialing" in outsidein.toml)'
    )
    assert found[5, "seats"] == (
        "not a whole number; expected a whole number such as 12 for seats; fix: round it in "
        "the export"
    )
    assert found[6, "mrr"] == (
        "must be at least 0; expected mrr at least 0; fix: correct the value in the source"
    )
    assert found[7, "start_date"] == (
        "not a date (YYYY-MM-DD); expected a date as YYYY-MM-DD, e.g. 2024-05-01; fix: name "
        "the column's format with --format start_date=FORMAT, e.g. %m/%d/%Y"
    )
    assert found[8, "start_date"] == (
        "is before 1900-01-01 (allowed from 1900-01-01 to any later day); fix: change [store] "
        "earliest_date in outsidein.toml"
    )
    assert found[9, "end_date"] == (
        "end_date is before start_date; fix: correct the row in the source"
    )
    assert found[10, "account_id"] == (
        "unknown account_id: no such account in the store or external_ids (load accounts "
        "first); expected the id of a loaded account; fix: load the accounts file first; if "
        "these are another system's ids, load with --id-system SYSTEM after mapping them on "
        "the accounts file with --map COLUMN=ext:SYSTEM"
    )
    assert found[12, "subscription_id"] == (
        "duplicate key: the same subscription_id is on line 11; expected each subscription_id "
        "once in a file (the first line is loaded); fix: remove the repeat, or map the column "
        "that identifies a row with --map SOURCE=subscription_id"
    )
    assert found[13, "seats"] == (
        "not a whole number; expected a whole number such as 12 or 1,200 (no decimals); fix: "
        "clean seats in the export, or map another column to it with --map"
    )  # as docs/loading.md shows it
    assert all(split(text)[1] for text in found.values())  # every one has its fix


def test_types_bounds_and_other_tables(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header = ["contract_id", "account_id", "term_start", "term_months", "billing_period",
              "auto_renew"]  # fmt: skip
    write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS)
    load_file(store, "accounts", tmp_path / "a.csv")
    contracts = [
        ["c1", "a1", "2024-01-01", "12", "annual", "perhaps"],
        ["c2", "a1", "2024-01-01", "240", "annual", "true"],
    ]
    load_file(store, "contracts", write_csv(tmp_path / "c.csv", header, contracts))
    found = reasons_by_line(store, "contracts")
    assert found[2, "auto_renew"] == (
        "not true or false (TRUE/FALSE, yes/no, Y/N, 1/0, t/f); expected true/false, yes/no, "
        "y/n, t/f or 1/0, any case; fix: map the file's values onto these with --values "
        'auto_renew:VALUE=true (or [load.contracts.values.auto_renew] VALUE = "true" in '
        "outsidein.toml)"
    )
    assert found[3, "term_months"] == (
        "must be at most 120; expected term_months at least 1 and at most 120; fix: correct "
        "the value in the source"
    )
    subs = [["s1", "a1", "growth", "10", "", "2024-01-01", "", "active"]]
    sub_header = [*SUB_HEADER, "contract_id"]
    load_file(store, "subscriptions", write_csv(tmp_path / "s.csv", sub_header,
                                                [[*subs[0], "nope"]]))  # fmt: skip
    assert reasons_by_line(store, "subscriptions")[2, "contract_id"] == (
        "unknown contract_id: no such contract in the store (load contracts first); expected "
        "the id of a loaded contract; fix: outsidein load contracts FILE, then load this file "
        "again"
    )
    events = [
        '{"message_id": "m1", "account_id": "a1", "user_id": "u", "event": "x", '
        '"timestamp": "2999-01-01T00:00:00Z", "properties": "{not json"}',
        "{not json",
        "[1, 2]",
        '{"message_id": "m2", "account_id": "a1", "user_id": "u", "event": "x", '
        '"timestamp": "yesterday"}',
    ]
    load_file(store, "events", write_jsonl(tmp_path / "e.jsonl", events))
    found = reasons_by_line(store, "events")
    assert found[1, "timestamp"].startswith("is in the future (allowed from 2000-01-01 to ")
    assert found[1, "timestamp"].endswith("fix: change [store] future_tolerance_hours in "
                                          "outsidein.toml")  # fmt: skip
    assert found[1, "properties"] == (
        'not valid JSON; expected a JSON value, e.g. {"plan": "growth"}; fix: export '
        "properties as JSON text"
    )
    assert found[2, ""] == (
        "invalid JSON: Expecting property name enclosed in double quotes; expected one JSON "
        "object per line; fix: repair the line"
    )
    assert found[3, ""] == (
        'a line must hold a JSON object; expected one JSON object per line, e.g. {"account_id": '
        '"A-1"}; fix: write the record as an object whose keys are the column names'
    )
    assert found[4, "timestamp"] == (
        "not a timestamp (ISO 8601, e.g. 2024-05-01T09:30:00Z); expected ISO 8601, e.g. "
        "2024-05-01T09:30:00Z or 2024-05-01 09:30, with an optional offset; fix: name the "
        "column's format with --format timestamp=FORMAT, e.g. %m/%d/%Y"
    )


def test_a_short_csv_row_and_a_missing_column(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("account_id,name,created_at\na1,Acme,2024-01-01\na2,Beta\n")
    load_file(store, "accounts", path)
    assert reasons_by_line(store, "accounts")[3, ""] == (
        "expected 3 fields, found 2; expected 3 fields, as in the header; fix: put a value "
        'holding the delimiter in double quotes ("Acme, Inc.")'
    )
    path.write_text("id,name\na1,Acme\n")
    with pytest.raises(LoadError) as refused:
        load_file(store, "accounts", path)
    assert refused.value.message.endswith(
        "Fix: map the file's column with --map SOURCE_COLUMN=account_id (or [mapping.accounts] "
        'SOURCE_COLUMN = "account_id" in outsidein.toml), or give every row the same value with '
        "--set account_id=VALUE"
    )
