"""Health inputs: the catalogue matches the snapshot, values by hand, and as they were on a day."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from outsidein.analytics import update_snapshot
from outsidein.config import OutsideInConfig
from outsidein.health.inputs import FIELDS, SNAPSHOT_FIELDS, field, inputs_at, schema
from outsidein.plans import Plan, create_plan
from outsidein.store import connect
from outsidein.tiers import record_day
from tests.health.conftest import CONFIG, D, at, insert, on
from tests.web.conftest import TODAY


def _row(table: pa.Table, account: str) -> dict[str, Any]:
    (row,) = [r for r in table.to_pylist() if r["account_id"] == account]
    return dict(row)


def test_snapshot_fields_are_every_metric_column_of_the_snapshot(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    columns = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'account_daily_metrics' "
            "ORDER BY column_index"
        ).fetchall()
    ]
    con.close()
    assert [f.name for f in SNAPSHOT_FIELDS] == [
        c for c in columns if c not in ("account_id", "date", "computed_at")
    ]
    assert len({f.name for f in FIELDS}) == len(FIELDS)
    assert field("nps").unit == "0-10"
    assert field("tier").history  # the tier history: known for past days
    with pytest.raises(KeyError, match="no input field 'tiers'"):
        field("tiers")


def test_values_by_hand(company: duckdb.DuckDBPyConnection) -> None:
    table = inputs_at(company, D)
    assert table.schema == schema()
    assert table.column("account_id").to_pylist() == ["A-1", "A-2", "A-3"]
    one = _row(table, "A-1")
    assert one["mrr"] == 1000.0 and one["seats_bought"] == 10.0
    # 10 events, one a day from D-9 to D, users u0..u2
    assert (one["events_7"], one["active_users_28"], one["events_28"]) == (7.0, 3.0, 10.0)
    assert (one["breadth_7"], one["events_prev_28"]) == (1.0, 1.0)
    assert one["days_since_last_activity"] == 0.0 and one["last_activity_date"] == D
    assert one["nps"] == 9.0  # the latest within 365 days, not
    assert one["csat"] == 3.0  # mean of 4 and 2; the answer 120 days ago is out
    assert one["ces"] == 6.0
    assert (one["open_cases"], one["urgent_cases"], one["breached_slas"]) == (2.0, 1.0, 2.0)
    assert one["days_to_renewal"] == float((on(65) - D).days)  # annual, from D-300
    assert (one["lifecycle_status"], one["segment"]) == ("renewal", "Enterprise")
    two = _row(table, "A-2")
    assert two["nps"] is None  # its one answer is 370 days old
    assert (two["lifecycle_status"], two["mrr"], two["days_to_renewal"]) == ("churned", 0.0, None)
    assert two["csat"] is None and two["open_cases"] == 0.0
    assert _row(table, "A-3")["lifecycle_status"] == "prospect"
    # Only accounts that existed: A-3 was created the day before D.
    assert inputs_at(company, D - timedelta(days=2)).column("account_id").to_pylist() == [
        "A-1",
        "A-2",
    ]
    # Some accounts only.
    assert inputs_at(company, D, accounts=["A-2", "nope"]).column("account_id").to_pylist() == [
        "A-2"
    ]


def test_a_missing_snapshot_row_is_null_not_zero(company: duckdb.DuckDBPyConnection) -> None:
    company.execute("DELETE FROM account_daily_metrics WHERE account_id = 'A-3' AND date = ?", [D])
    three = _row(inputs_at(company, D), "A-3")
    assert all(three[f.name] is None for f in SNAPSHOT_FIELDS)
    assert three["lifecycle_status"] == "prospect"


def test_without_any_cases_the_case_counts_are_unknown(
    company: duckdb.DuckDBPyConnection,
) -> None:
    company.execute("DELETE FROM cases")
    one = _row(inputs_at(company, D), "A-1")
    assert (one["open_cases"], one["urgent_cases"], one["breached_slas"]) == (None, None, None)


def test_nothing_dated_after_the_day_changes_its_inputs(
    company: duckdb.DuckDBPyConnection,
) -> None:
    """Append facts dated after D to every source; every field with history stays the same."""
    record_day(company, OutsideInConfig(analytics=CONFIG), D)  # the tiers in force on D
    # An outcome answer and a success plan known on D (outcome satisfaction, plans off track).
    insert(company, "survey_responses", [
        ("R-O1", "A-1", "c1", "W1", at(-3), "outcome", None, "O1", 5, 4, None),
    ])  # fmt: skip
    create_plan(company, Plan(
        plan_id="P-1", account_id="A-1", title="More users", measure_kind="metric",
        measure="active_users_28", baseline=1.0, target=50.0, start_date=on(-30),
        due_date=on(30),
    ))  # fmt: skip
    _clv_scored(company, D - timedelta(days=1), 1000.0)  # the CLV of the last scoring before D
    before = inputs_at(company, D)
    later = inputs_at(company, TODAY)
    # fmt: off
    insert(company, "accounts", [("A-9", "Nine", None, None, "SMB", None, 1, None, at(2))])
    insert(company, "contracts", [("C-9", "A-1", on(1), 24, "multi_year", True, None)])
    insert(company, "subscriptions", [
        ("S-9", "A-1", "Add-on", 400, "USD", 20, on(1), None, "active", "C-9"),
        ("S-10", "A-2", "Back", 300, "USD", 5, on(3), None, "active", None),
        ("S-11", "A-3", "Pro", 50, "USD", 1, on(2), None, "active", None),
    ])
    insert(company, "events", [
        (f"late{i}", acc, f"v{i}", "login", at(1 + i % 20, 3), None)
        for i in range(60) for acc in ("A-1", "A-2", "A-3")
    ])
    insert(company, "cases", [
        ("K-9", "A-1", None, at(1), None, "urgent", 1.0, "open", "support", None),
        ("K-10", "A-2", None, at(2), None, "urgent", 1.0, "open", "support", None),
    ])
    insert(company, "survey_responses", [
        ("R-9", "A-1", None, "NPS", at(1), "nps", 0.0, None, None, None, None),
        ("R-10", "A-1", None, "Case", at(1), "csat", 1.0, None, None, None, None),
        ("R-11", "A-1", None, "Effort", at(1), "ces", 1.0, None, None, None, None),
        ("R-12", "A-2", None, "NPS", at(2), "nps", 1.0, None, None, None, None),
        ("R-O2", "A-1", "c1", "W2", at(1), "outcome", None, "O1", 5, 1, None),
    ])
    # fmt: on
    # An open case closed after D, SLA cases resolved after D.
    company.execute(
        "UPDATE cases SET closed_at = ?, status = 'closed' WHERE case_id = 'K-1'", [at(3)]
    )
    company.execute(
        "UPDATE cases SET closed_at = ?, status = 'solved' WHERE case_id = 'K-5'", [at(4)]
    )
    update_snapshot(company, CONFIG, TODAY)
    record_day(company, OutsideInConfig(analytics=CONFIG), TODAY)  # a later tier row
    _clv_scored(company, D + timedelta(days=1), 5.0)  # a CLV scoring after D
    after = inputs_at(company, D)
    for f in FIELDS:
        if f.history:
            assert after.column(f.name) == before.column(f.name), f.name
            assert before.column(f.name).null_count < before.num_rows, (
                f"{f.name} is null for every account: the test would prove nothing"
            )
    assert after.column("account_id") == before.column("account_id")
    # The appended facts were real: the inputs of today did change.
    moved = inputs_at(company, TODAY, accounts=["A-1", "A-2", "A-3", "A-9"])
    for name in ("events_90", "mrr", "nps", "csat", "ces", "open_cases", "urgent_cases",
                 "lifecycle_status", "clv", "p_alive", "rfm_segment"):  # fmt: skip
        assert moved.column(name).to_pylist()[:3] != later.column(name).to_pylist(), name
    assert "A-9" in moved.column("account_id").to_pylist()


def test_fast_enough_for_many_accounts(tmp_path: Path) -> None:
    """20,000 accounts with a snapshot row, surveys and cases in one set-based pass (a guard
    against a per-account loop; bench/bench_health_step.py measures 100,000)."""
    con = connect(tmp_path / "many.duckdb")
    n = 20_000
    con.execute(
        "INSERT INTO accounts (account_id, name, segment, created_at, source, loaded_at) "
        "SELECT 'A' || i, 'n', 'SMB', TIMESTAMP '2020-01-01', 't', now() FROM range(?) t(i)",
        [n],
    )
    con.execute(
        "INSERT INTO subscriptions (subscription_id, account_id, plan, mrr, currency, start_date,"
        " status, source, loaded_at) SELECT 'S' || i, 'A' || i, 'p', 100, 'USD', "
        "DATE '2021-01-01', 'active', 't', now() FROM range(?) t(i)",
        [n],
    )
    con.execute(
        "INSERT INTO account_daily_metrics SELECT 'A' || i, ?, 100, 1, 1, 1, 1, 1, 1, 1, 1, 1, "
        "1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, NULL, 1, NULL, NULL, now() "
        "FROM range(?) t(i)",
        [D, n],
    )
    con.execute(
        "INSERT INTO cases (case_id, account_id, opened_at, priority, sla_hours, status, source,"
        " loaded_at) SELECT 'K' || i, 'A' || (i % ?), ?, 'urgent', 4, 'open', 't', now() "
        "FROM range(?) t(i)",
        [n, at(-3), 3 * n],
    )
    con.execute(
        "INSERT INTO survey_responses (response_id, account_id, survey, answered_at, kind, score,"
        " source, loaded_at) SELECT 'R' || i, 'A' || (i % ?), 's', ?, 'nps', i % 11, 't', now() "
        "FROM range(?) t(i)",
        [n, at(-3), 3 * n],
    )
    inputs_at(con, D)  # warm up: imports, the Ibis compile
    started = time.perf_counter()
    table = inputs_at(con, D)
    seconds = time.perf_counter() - started
    con.close()
    assert table.num_rows == n
    assert table.column("open_cases").to_pylist()[:1] == [3.0]
    assert seconds < 5.0, f"{seconds:.2f} s for {n:,} accounts"


def test_many_accounts_are_computed_whole_then_kept(
    company: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    narrowed = inputs_at(company, D, accounts=["A-3", "A-1"])
    monkeypatch.setattr("outsidein.health.inputs.MANY", 1)
    assert inputs_at(company, D, accounts=["A-3", "A-1"]) == narrowed
    assert narrowed.column("account_id").to_pylist() == ["A-1", "A-3"]


def _clv_scored(con: duckdb.DuckDBPyConnection, day: date, value: float) -> None:
    """A CLV scoring of A-1 (one-off buyer) and A-2, A-3 (subscribers) on ``day``."""
    con.executemany(
        "INSERT INTO clv_scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
        [
            ("A-1", day, "transactional", value / 2000, None, value / 100, 50.0, value, None,
             3.0, 2.0, 4, 4, 3, "loyal" if value > 100 else "lost"),
            ("A-2", day, "contractual", None, 0.9, None, None, value * 2, 1200.0, None, None,
             None, None, None, None),
            ("A-3", day, "contractual", None, 0.8, None, None, value * 3, 600.0, None, None,
             None, None, None, None),
        ],
    )  # fmt: skip
