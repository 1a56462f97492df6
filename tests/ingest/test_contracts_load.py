"""Contracts load like every table: bad terms are rejected by name, subscriptions refer to them."""

from __future__ import annotations

from pathlib import Path

import duckdb

from outsidein.ingest import load_file
from outsidein.ingest.reasons import problem_only
from tests.ingest.helpers import ACCOUNT_HEADER, ACCOUNTS, write_csv

CONTRACT_HEADER = ["Contract ID", "account_id", "term_start", "term_months", "billing_period"]
CONTRACT_HEADER += ["auto_renew", "cancellation_reason"]


def rejects(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, str, str]]:
    rows = con.execute(
        'SELECT line, "column", "value", reason FROM rejects ORDER BY line, "column"'
    ).fetchall()
    return [(*row[:3], problem_only(row[3])) for row in rows]  # the fixes: test_reasons.py


def test_contracts_load_and_bad_terms_are_rejected(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_file(store, "accounts", write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, ACCOUNTS))
    rows = [
        ["c1", "a1", "2024-01-05", "12", "Annual", "yes", ""],  # good
        ["c2", "a2", "2024-02-01", "36", "multi-year", "", ""],  # good, auto-renew unknown
        ["c3", "a3", "2024-03-15", "1", "monthly", "false", "Budget cut"],  # good
        ["c4", "a1", "2024-01-05", "12", "weekly", "true", ""],  # unknown billing period
        ["c5", "a1", "2024-01-05", "0", "monthly", "true", ""],  # non-positive term
        ["c6", "a1", "2024-01-05", "-12", "annual", "true", ""],  # negative term
        ["c7", "a1", "2024-01-05", "6", "annual", "true", ""],  # shorter than a billing period
        ["c8", "a1", "2024-01-05", "12", "annual", "perhaps", ""],  # not a boolean
        ["c9", "zz", "2024-01-05", "12", "annual", "true", ""],  # unknown account
        ["c10", "a1", "", "12", "annual", "true", ""],  # no term start
        ["c11", "a1", "2024-01-05", "1.5", "monthly", "true", ""],  # not whole months
        ["c12", "a1", "2024-01-05", "240", "multi_year", "true", ""],  # beyond ten years
    ]
    path = write_csv(tmp_path / "contracts.csv", CONTRACT_HEADER, rows)
    result = load_file(store, "contracts", path)

    assert (result.rows_read, result.rows_inserted, result.rows_rejected) == (12, 3, 9)
    assert store.execute(
        "SELECT contract_id, term_months, billing_period, auto_renew, cancellation_reason "
        "FROM contracts ORDER BY contract_id"
    ).fetchall() == [
        ("c1", 12, "annual", True, None),
        ("c2", 36, "multi_year", None, None),
        ("c3", 1, "monthly", False, "Budget cut"),
    ]
    shorter = (
        "the term is shorter than one billing period (quarterly: 3 months, annual: 12, "
        "multi_year: 24)"
    )
    assert rejects(store) == [
        (5, "billing_period", "weekly", "not one of the allowed values: monthly, quarterly, "
         "annual, multi_year"),
        (6, "term_months", "0", "must be at least 1"),
        (7, "term_months", "-12", "must be at least 1"),
        (7, "term_months", "-12", shorter),
        (8, "term_months", "6", shorter),
        (9, "auto_renew", "perhaps", "not true or false (TRUE/FALSE, yes/no, Y/N, 1/0, t/f)"),
        (10, "account_id", "zz", "unknown account_id: no such account in the store or "
         "external_ids (load accounts first)"),
        (11, "term_start", None, "required value is missing"),
        (12, "term_months", "1.5", "not a whole number"),
        (13, "term_months", "240", "must be at most 120"),
    ]  # fmt: skip


def test_subscriptions_refer_to_contracts_or_to_none(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_file(store, "accounts", write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, ACCOUNTS))
    contracts = [["c1", "a1", "2024-01-05", "12", "annual", "true", ""]]
    load_file(store, "contracts", write_csv(tmp_path / "c.csv", CONTRACT_HEADER, contracts))
    header = ["subscription_id", "account_id", "plan", "mrr", "start_date", "status"]
    subs = [
        ["s1", "a1", "growth", "100", "2024-01-05", "active", "c1"],
        ["s2", "a2", "growth", "100", "2024-02-01", "active", ""],  # its own contract
        ["s3", "a1", "growth", "100", "2024-01-05", "active", "nope"],
    ]
    path = write_csv(tmp_path / "s.csv", [*header, "contract_id"], subs)
    result = load_file(store, "subscriptions", path)
    assert (result.rows_inserted, result.rows_rejected) == (2, 1)
    assert store.execute(
        "SELECT subscription_id, contract_id FROM subscriptions ORDER BY 1"
    ).fetchall() == [("s1", "c1"), ("s2", None)]
    assert rejects(store) == [
        (4, "contract_id", "nope", "unknown contract_id: no such contract in the store "
         "(load contracts first)"),
    ]  # fmt: skip
    # A file without the column still loads (every subscription its own contract).
    row = ["s4", "a3", "starter", "9", "2024-04-01", "active"]
    old = write_csv(tmp_path / "old.csv", header, [row])
    assert load_file(store, "subscriptions", old).rows_inserted == 1
