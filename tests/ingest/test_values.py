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
