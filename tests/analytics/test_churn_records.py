"""Churn records beside the revenue truth: reasons by segment and period (MRR lost the day
before each record), and the accounts where the CRM and revenue disagree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from outsidein.analytics import AnalyticsConfig, store_sources
from outsidein.analytics.churn import churn_disagreements, churn_reasons
from outsidein.analytics.errors import AnalyticsError
from outsidein.ingest import load_file
from outsidein.ingest.reconcile import Reconcile
from outsidein.store import connect
from tests.ingest.helpers import write_csv

AS_OF = date(2025, 6, 30)
# account, segment, CRM churned flag, subscriptions (id, mrr, start, end)
ACCOUNTS: list[tuple[str, str, str, list[tuple[str, int, str, str]]]] = [
    ("A", "smb", "true", [("SA", 100, "2025-01-01", "")]),  # CRM: churned; billing: open
    ("B", "smb", "false", [("SB", 200, "2025-01-01", "2025-03-01")]),  # revenue churn only
    ("C", "enterprise", "", [("SC", 300, "2025-01-01", "2025-02-01")]),  # dates far apart
    ("D", "enterprise", "true", [("SD", 400, "2025-01-01", "2025-05-10")]),  # agree
    ("E", "smb", "", [("SE", 50, "2025-01-01", "")]),  # a customer, nothing to say
]
# account, churned_at, type, reason, refund
RECORDS = [
    ("C", "2025-05-20", "voluntary", "Price", "30"),
    ("D", "2025-05-10", "voluntary", "Price", ""),
    ("E", "2025-04-02", "downgrade", "Budget", ""),
    ("A", "2025-04-15", "Involuntary", "Payment failed", "12.50"),
]


@pytest.fixture
def con(tmp_path: Path) -> Any:
    con = connect(tmp_path / "s.duckdb")
    write_csv(
        tmp_path / "a.csv",
        ["account_id", "name", "created_at", "segment", "churned"],
        [(a, f"Co {a}", "2024-12-01", seg, flag) for a, seg, flag, _ in ACCOUNTS],
    )
    rows = [
        (s, a, "pro", m, st, en, "active") for a, _, _, subs in ACCOUNTS for s, m, st, en in subs
    ]
    header = ["subscription_id", "account_id", "plan", "mrr", "start_date", "end_date", "status"]
    write_csv(tmp_path / "s.csv", header, rows)
    write_csv(tmp_path / "c.csv", ["account_id", "churned_at", "type", "reason", "refund"], RECORDS)
    for kind, name in (
        ("accounts", "a.csv"),
        ("subscriptions", "s.csv"),
        ("churn_records", "c.csv"),
    ):
        assert load_file(con, kind, tmp_path / name).rows_rejected == 0
    yield con
    con.close()


def test_disagreements_account_by_account(con: duckdb.DuckDBPyConnection) -> None:
    got = {
        r["account_id"]: (r["kind"], r["crm_churned_at"], r["revenue_ended_at"], r["mrr"])
        for r in churn_disagreements(store_sources(con), AnalyticsConfig(), AS_OF)
        .to_pyarrow()
        .to_pylist()
    }
    assert got == {
        "A": ("crm_only", date(2025, 4, 15), None, Decimal("100.00")),
        "B": ("revenue_only", None, date(2025, 3, 1), Decimal("0.00")),
        "C": ("dates_differ", date(2025, 5, 20), date(2025, 2, 1), Decimal("0.00")),
    }


def test_the_option_ends_subscriptions_and_the_crm_only_case_goes(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    write_csv(
        tmp_path / "c2.csv", ["account_id", "churned_at", "reason"], [("A", "2025-04-15", "x")]
    )
    result = load_file(
        con, "churn_records", tmp_path / "c2.csv",
        reconcile=Reconcile(churn_ends_subscriptions=True, actor="test"),
    )  # fmt: skip
    assert "1 subscription ended at their account's churn record: SA" in result.notes
    ended = con.execute("SELECT end_date, status FROM subscriptions WHERE subscription_id = 'SA'")
    assert ended.fetchall() == [(date(2025, 4, 15), "churned")]
    # E's record is a downgrade: its subscription stays open
    assert con.execute(
        "SELECT end_date FROM subscriptions WHERE subscription_id = 'SE'"
    ).fetchall() == [(None,)]
    kinds = {
        r["account_id"]: r["kind"]
        for r in churn_disagreements(store_sources(con), AnalyticsConfig(), AS_OF)
        .to_pyarrow()
        .to_pylist()
    }
    assert "A" not in kinds
    audited = con.execute(
        "SELECT actor, target FROM audit_log WHERE action = 'load.churn_ends_subscriptions'"
    ).fetchall()
    assert audited == [("test", "subscriptions")]


def test_reasons_by_segment_and_quarter(con: duckdb.DuckDBPyConnection) -> None:
    rows = (
        churn_reasons(store_sources(con), AnalyticsConfig(), date(2025, 1, 1), AS_OF)
        .to_pyarrow()
        .to_pylist()
    )
    got = {
        (r["period_start"], r["segment"], r["reason"], r["type"]): (
            r["accounts"],
            r["mrr_lost"],
            r["refunds"],
        )
        for r in rows
    }
    # MRR lost: the account's MRR the day before its record (C's subscription ended before)
    assert got == {
        (date(2025, 4, 1), "enterprise", "Price", "voluntary"): (
            2,
            Decimal("400.00"),
            Decimal("30.00"),
        ),
        (date(2025, 4, 1), "smb", "Budget", "downgrade"): (1, Decimal("50.00"), Decimal("0.00")),
        (date(2025, 4, 1), "smb", "Payment failed", "involuntary"): (
            1,
            Decimal("100.00"),
            Decimal("12.50"),
        ),
    }
    monthly = (
        churn_reasons(
            store_sources(con),
            AnalyticsConfig(),
            date(2025, 5, 1),
            AS_OF,
            grain="month",
            by="region",
        )
        .to_pyarrow()
        .to_pylist()
    )
    assert {(r["period_start"], r["region"], r["accounts"]) for r in monthly} == {
        (date(2025, 5, 1), "(unspecified)", 2)
    }
    with pytest.raises(AnalyticsError, match="by must be one of segment"):
        churn_reasons(store_sources(con), AnalyticsConfig(), AS_OF, AS_OF, by="name")
