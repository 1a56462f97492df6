"""Loading the data journeys need: touchpoints with their case and direction, and the case
assignment history (migration 0025)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from outsidein.ingest.loader import load_file
from tests.ingest.helpers import ACCOUNT_HEADER, ACCOUNTS, write_csv

CASES = [
    ["k1", "a1", "2026-01-05T09:00:00Z", "normal", "open"],
    ["k2", "a2", "2026-01-06T09:00:00Z", "high", "solved"],
]


def seed(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    load_file(store, "accounts", write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, ACCOUNTS))
    header = ["case_id", "account_id", "opened_at", "priority", "status"]
    load_file(store, "cases", write_csv(tmp_path / "cases.csv", header, CASES))


def test_touchpoints_carry_case_and_direction(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    seed(store, tmp_path)
    header = ["touchpoint_id", "account_id", "at", "channel", "function", "outcome"]
    header += ["case_id", "direction"]
    rows = [
        ["t1", "a1", "2026-01-05T09:00:00Z", "phone", "support", "neutral", "k1", "inbound"],
        ["t2", "a1", "2026-01-05T10:00:00Z", "email", "billing", "success", "k1", "outbound"],
        ["t3", "a1", "2026-01-05T11:00:00Z", "email", "billing", "success", "k9", "outbound"],
        ["t4", "a2", "2026-01-06T11:00:00Z", "chat", "support", "failed", "k2", "sideways"],
        ["t5", "a2", "2026-01-07T11:00:00Z", "web", "marketing", "neutral", "", ""],
    ]
    result = load_file(store, "touchpoints", write_csv(tmp_path / "tp.csv", header, rows))
    assert result.rows_loaded == 3
    reasons = {(r.column, r.value): r.reason for r in result.rejects}
    assert ("case_id", "k9") in reasons  # no such case
    assert ("direction", "sideways") in reasons and "inbound" in reasons[("direction", "sideways")]
    got = store.execute(
        "SELECT touchpoint_id, case_id, direction FROM touchpoints ORDER BY 1"
    ).fetchall()
    assert got == [("t1", "k1", "inbound"), ("t2", "k1", "outbound"), ("t5", None, None)]


def test_case_assignments_history(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    seed(store, tmp_path)
    header = ["case_id", "account_id", "function", "owner", "assigned_at"]
    rows = [
        ["k1", "a1", "support", "ann", "2026-01-05T09:00:00Z"],
        ["k1", "a1", "billing", "", "2026-01-05T12:00:00Z"],
        ["k1", "a1", "legal", "bob", "2026-01-06T12:00:00Z"],
    ]
    path = write_csv(tmp_path / "assignments.csv", header, rows)
    result = load_file(store, "case_assignments", path)
    assert result.rows_loaded == 2
    assert [(r.column, r.value) for r in result.rejects] == [("function", "legal")]
    got = store.execute(
        'SELECT "function", owner FROM case_assignments ORDER BY assigned_at'
    ).fetchall()
    assert got == [("support", "ann"), ("billing", None)]
    ids = store.execute("SELECT count(DISTINCT assignment_id) FROM case_assignments").fetchall()
    assert ids == [(2,)]
