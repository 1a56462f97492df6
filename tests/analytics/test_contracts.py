"""Renewal dates come from contracts: the hand-checked company, a mid-term upgrade loaded
through the real loader, a reference calendar, and subscriptions with no contract at all."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa
import pytest

from outsidein.analytics import (
    Sources,
    arr_at_stake,
    duckdb_lake,
    next_renewals,
    renewals,
    store_sources,
)
from outsidein.analytics.contracts import renewal_after
from outsidein.analytics.errors import AnalyticsError
from outsidein.ingest import load_file
from outsidein.store import connect
from tests.analytics.company import AS_OF, CONFIG
from tests.ingest.helpers import write_csv

D = Decimal


def rows(table: Any) -> list[dict[str, Any]]:
    return list(table.to_pyarrow().to_pylist())


def test_renewals_list_term_contracts_in_the_next_days(sources: Sources) -> None:
    due = rows(renewals(sources, CONFIG, AS_OF, 90))
    assert [(r["contract_id"], r["renewal_date"], r["days_left"], r["arr"]) for r in due] == [
        ("C9", date(2024, 8, 1), 47, D("6000.00")),
        ("C7", date(2024, 8, 6), 52, D("3600.00")),
        ("C10", date(2024, 9, 13), 90, D("180.00")),  # two subscriptions, one row
    ]
    c9 = due[0]
    assert (c9["account_name"], c9["billing_period"], c9["term_months"], c9["auto_renew"]) == (
        "Steady plc",
        "multi_year",
        24,
        False,
    )
    assert (c9["currency"], c9["mrr_original"], c9["mrr"]) == ("GBP", D("400.00"), D("500.00"))
    assert c9["cancellation_reason"] == "Moving to an in-house tool"
    assert due[2]["subscriptions"] == 2 and due[2]["mrr"] == D("15.00")
    assert [r["contract_id"] for r in rows(renewals(sources, CONFIG, AS_OF, 89))] == ["C9", "C7"]
    assert rows(arr_at_stake(sources, CONFIG, AS_OF, 90)) == [{"contracts": 3, "arr": D("9780.00")}]
    # A contract whose last subscription ends on the as-of day is no longer in force.
    assert "C9" not in {r["contract_id"] for r in rows(renewals(sources, CONFIG, date(2024, 8, 1)))}
    with pytest.raises(AnalyticsError, match="days must be 1 or more"):
        renewals(sources, CONFIG, AS_OF, 0)


def test_month_to_month_contracts_only_when_asked(sources: Sources) -> None:
    due = rows(renewals(sources, CONFIG, AS_OF, 90, include_monthly=True))
    monthly = [(r["contract_id"], r["renewal_date"], r["arr"]) for r in due if r["month_to_month"]]
    # Subscriptions without a contract are their own, renewing monthly from their start.
    assert monthly == [
        ("S2c", date(2024, 6, 20), D("1440.00")),
        ("S6b", date(2024, 7, 1), D("480.00")),
        ("S3b", date(2024, 7, 10), D("960.00")),
    ]
    assert len(due) == 6
    assert rows(arr_at_stake(sources, CONFIG, AS_OF, 90, include_monthly=True)) == [
        {"contracts": 6, "arr": D("12660.00")}
    ]


def test_next_renewal_of_every_contract_in_force(sources: Sources) -> None:
    found = {r["contract_id"]: r for r in rows(next_renewals(sources, CONFIG, AS_OF))}
    assert set(found) == {"C1", "C5", "C7", "C9", "C10", "S2c", "S3b", "S6b"}
    # A1 upgraded on 2024-02-10 and downgraded on 02-20, on its contract: dates unchanged.
    assert (found["C1"]["renewal_date"], found["C1"]["arr"]) == (date(2024, 11, 1), D("1800.00"))
    assert found["C5"]["renewal_date"] == date(2025, 6, 1)


CONTRACTS = ["contract_id", "account_id", "term_start", "term_months", "billing_period"]
SUBS = ["subscription_id", "account_id", "plan", "mrr", "currency", "start_date", "end_date"]
SUBS += ["status", "contract_id"]


def test_a_mid_term_upgrade_keeps_the_contract_renewal_date(tmp_path: Path) -> None:
    con = connect(tmp_path / "outsidein.duckdb")
    accounts = write_csv(tmp_path / "a.csv", ["account_id", "name", "created_at"],
                         [["A", "Acme", "2024-01-01"]])  # fmt: skip
    load_file(con, "accounts", accounts)
    contract = [["K", "A", "2024-01-31", "12", "annual"]]
    load_file(con, "contracts", write_csv(tmp_path / "c.csv", CONTRACTS, contract))
    first = [["S1", "A", "starter", "100", "USD", "2024-01-31", "", "active", "K"]]
    load_file(con, "subscriptions", write_csv(tmp_path / "s1.csv", SUBS, first))
    before = rows(next_renewals(store_sources(con), CONFIG, date(2024, 6, 1)))
    assert [(r["renewal_date"], r["arr"]) for r in before] == [(date(2025, 1, 31), D("1200.00"))]

    # The upgrade: S1 ends on 06-10 and S2 starts at three times the price, same contract.
    upgrade = [
        ["S1", "A", "starter", "100", "USD", "2024-01-31", "2024-06-10", "ended", "K"],
        ["S2", "A", "business", "300", "USD", "2024-06-10", "", "active", "K"],
    ]
    result = load_file(con, "subscriptions", write_csv(tmp_path / "s2.csv", SUBS, upgrade))
    assert (result.rows_inserted, result.rows_updated, result.rows_rejected) == (1, 1, 0)
    after = rows(next_renewals(store_sources(con), CONFIG, date(2024, 6, 15)))
    assert [(r["contract_id"], r["renewal_date"], r["arr"]) for r in after] == [
        ("K", date(2025, 1, 31), D("3600.00"))
    ]
    due = rows(renewals(store_sources(con), CONFIG, date(2024, 12, 1), 90))
    assert [(r["renewal_date"], r["days_left"]) for r in due] == [(date(2025, 1, 31), 61)]
    con.close()


def add_months(day: date, months: int) -> date:
    """The reference: the same day ``months`` later, or the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    following = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (following - timedelta(days=1)).day))


def reference_renewal(start: date, term: int, as_of: date) -> date:
    k = 1
    while add_months(start, k * term) <= as_of:
        k += 1
    return add_months(start, k * term)


def test_renewal_dates_agree_with_a_reference_calendar() -> None:
    rng = random.Random(5)
    cases = [
        (date(2024, 1, 31), 1, date(2024, 2, 10)),  # 31 January renews on 29 February
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # ... then on 31 March
        (date(2020, 2, 29), 12, date(2021, 1, 1)),  # a leap day renews on 28 February
        (date(2020, 2, 29), 12, date(2024, 2, 28)),  # ... and on 29 February in a leap year
        (date(2023, 6, 15), 12, date(2024, 6, 15)),  # on the renewal day: the next one
        (date(2024, 7, 1), 12, date(2024, 6, 15)),  # a term starting later
        (date(2022, 8, 1), 36, date(2024, 6, 15)),
        (date(2023, 12, 31), 3, date(2024, 3, 30)),
    ]
    for as_of in (
        date(2024, 2, 29),
        date(2025, 1, 31),
        date(2026, 12, 31),
        date(2024, 4, 30),
        date(2025, 3, 30),
        date(2025, 6, 15),
        date(2026, 2, 1),
    ):
        for _ in range(100):
            start = as_of - timedelta(days=rng.randrange(-60, 4000))
            cases.append((start, rng.choice([1, 2, 3, 6, 12, 24, 36, 120]), as_of))
    backend = ibis.duckdb.from_connection(duckdb.connect())
    for as_of in sorted({c[2] for c in cases}):
        picked = [c for c in cases if c[2] == as_of]
        table = ibis.memtable(
            pa.table(
                {
                    "start": pa.array([c[0] for c in picked], pa.date32()),
                    "term": pa.array([c[1] for c in picked], pa.int64()),
                }
            )
        )
        due = renewal_after(table.start, table.term, as_of)
        for row in backend.to_pyarrow(table.select("start", "term", due=due)).to_pylist():
            assert row["due"] == reference_renewal(row["start"], row["term"], as_of), (row, as_of)


def test_a_lake_without_contracts_makes_each_subscription_its_own(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    con.execute(f"COPY accounts TO '{lake}/accounts.parquet' (FORMAT parquet)")
    con.execute(
        "COPY (SELECT * EXCLUDE (contract_id) FROM subscriptions) "
        f"TO '{lake}/subscriptions.parquet' (FORMAT parquet)"
    )
    con.execute(f"COPY events TO '{lake}/events.parquet' (FORMAT parquet)")
    found = rows(next_renewals(duckdb_lake(lake), CONFIG, AS_OF))
    listed = sorted((r["contract_id"], r["renewal_date"], r["month_to_month"]) for r in found)
    assert listed == [
        ("S10a", date(2024, 7, 14), True),
        ("S10b", date(2024, 7, 14), True),
        ("S1c", date(2024, 6, 20), True),
        ("S2c", date(2024, 6, 20), True),
        ("S3b", date(2024, 7, 10), True),
        ("S5a", date(2024, 7, 1), True),
        ("S6b", date(2024, 7, 1), True),
        ("S7", date(2024, 7, 6), True),
        ("S9", date(2024, 7, 1), True),
    ]
    assert rows(renewals(duckdb_lake(lake), CONFIG, AS_OF)) == []
