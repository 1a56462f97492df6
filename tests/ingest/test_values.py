"""Flags and money as exports write them: TRUE/yes/Y/1/t, $1,234.50, 1.234,50 €."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from outsidein.ingest import load_file
from tests.ingest.helpers import ACCOUNT_HEADER, ACCOUNTS, write_csv


def test_booleans_in_their_usual_spellings(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_file(store, "accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS))
    spellings = ["TRUE", "false", "yes", "No", "Y", "n", "1", "0", "t", "F", " true ", "maybe"]
    header = ["contract_id", "account_id", "term_start", "term_months", "billing_period",
              "auto_renew"]  # fmt: skip
    rows = [[f"c{i}", "a1", "2024-01-01", "12", "annual", v] for i, v in enumerate(spellings)]
    result = load_file(store, "contracts", write_csv(tmp_path / "c.csv", header, rows))
    assert result.rows_rejected == 1
    assert result.rejects[0].value == "maybe"
    assert "TRUE/FALSE, yes/no, Y/N, 1/0, t/f" in result.rejects[0].reason
    got = dict(store.execute("SELECT contract_id, auto_renew FROM contracts").fetchall())
    expected = [True, False, True, False, True, False, True, False, True, False, True]
    assert [got[f"c{i}"] for i in range(len(expected))] == expected


def test_money_with_currency_symbols_and_separators(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_file(store, "accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS))
    amounts = {
        "$1,234.50": "1234.50",
        "1.234,50 €": "1234.50",
        "£12,5": "12.50",
        "1,234": "1234.00",
        "1.234": "1.23",  # a decimal point: never read as thousands
        "12,345,678.9": "12345678.90",
        "€ 99": "99.00",
        "42": "42.00",
    }
    header = ["invoice_id", "account_id", "amount", "issued_at"]
    rows = [[f"i{i}", "a1", text, "2024-02-01"] for i, text in enumerate(amounts)]
    rows.append(["bad", "a1", "1,2,3", "2024-02-01"])
    result = load_file(store, "invoices", write_csv(tmp_path / "i.csv", header, rows))
    assert result.rows_rejected == 1 and result.rejects[0].value == "1,2,3"
    got = dict(store.execute("SELECT invoice_id, amount FROM invoices").fetchall())
    assert [got[f"i{i}"] for i in range(len(amounts))] == [Decimal(v) for v in amounts.values()]


def test_only_an_empty_cell_is_missing(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """``NA`` is North America, ``null`` a word: Arrow's null spellings stay as written."""
    spellings = ["NA", "N/A", "null", "NULL", "#N/A", "NaN", "nan", "-nan", "None", ""]
    rows = [[f"a{i}", f"A{i}", "x", v, "2024-01-05"] for i, v in enumerate(spellings)]
    result = load_file(store, "accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, rows))
    assert (result.rows_inserted, result.rows_rejected) == (len(spellings), 0)
    got = dict(store.execute("SELECT account_id, region FROM accounts").fetchall())
    assert [got[f"a{i}"] for i in range(len(spellings))] == [*spellings[:-1], None]


def test_thousands_commas_in_whole_numbers(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """``1,200`` seats is 1200; ``1.200`` and ``1,2`` could be decimals: rejects, named."""
    load_file(store, "accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS))
    header = ["subscription_id", "account_id", "plan", "mrr", "seats", "start_date", "status"]
    seats = ["1,200", "12", "1,234,567", "-1,000", " 3,000 ", "1.200", "1,2", "12,00"]
    rows = [[f"s{i}", "a1", "pro", "10", v, "2024-01-05", "active"] for i, v in enumerate(seats)]
    result = load_file(store, "subscriptions", write_csv(tmp_path / "s.csv", header, rows))
    got = dict(store.execute("SELECT subscription_id, seats FROM subscriptions").fetchall())
    assert got == {"s0": 1200, "s1": 12, "s2": 1234567, "s4": 3000}
    rejected = sorted((r.value, r.reason.split(";")[0]) for r in result.rejects)
    assert rejected == [
        ("-1,000", "must be at least 0"),
        ("1,2", "not a whole number"),
        ("1.200", "not a whole number"),
        ("12,00", "not a whole number"),
    ]
