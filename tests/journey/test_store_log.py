"""Journeys from the store: touchpoint logs, the handover network and the stage funnel, on a
hand-built store (exact answers) and on a loaded simulated company."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from outsidein.ingest.directory import load_directory
from outsidein.journey import dfg, variants
from outsidein.journey.churn_paths import churn_paths
from outsidein.journey.store_log import Handover, handovers, stage_funnel, touchpoint_log
from outsidein.settings.journey import EIGHT_STEPS, FIVE_STAGES, JourneyConfig
from outsidein.sim import simulate
from outsidein.store import connect


def ts(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 1, day, hour)


@pytest.fixture
def small(store: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    meta = "'test', now()::TIMESTAMP"
    for a in ("a1", "a2", "a3"):
        store.execute(
            "INSERT INTO accounts (account_id, name, created_at, source, loaded_at) "
            f"VALUES ('{a}', '{a}', '2025-01-01', {meta})"
        )
    rows = [
        # account, id, day, channel, function, stage
        ("a1", "t1", 1, "webinar", "marketing", None),
        ("a1", "t2", 2, "demo", "sales", "consideration"),
        ("a1", "t3", 3, "contract", "sales", None),
        ("a1", "t4", 9, "ticket", "support", "service"),
        ("a2", "t5", 1, "webinar", "marketing", None),
        ("a2", "t6", 4, "demo", "sales", None),
        ("a3", "t7", 2, "paid_search", "marketing", "awareness"),
    ]
    for acc, tid, day, ch, fn, st in rows:
        store.execute(
            'INSERT INTO touchpoints (touchpoint_id, account_id, "at", channel, "function", '
            f"stage, outcome, source, loaded_at) VALUES (?, ?, ?, ?, ?, ?, 'neutral', {meta})",
            [tid, acc, ts(day), ch, fn, st],
        )
    store.execute(
        "INSERT INTO cases (case_id, account_id, opened_at, priority, status, source, loaded_at) "
        f"VALUES ('k1', 'a1', ?, 'normal', 'open', {meta}), "
        f"('k2', 'a2', ?, 'normal', 'open', {meta})",
        [ts(9), ts(4)],
    )
    for i, (case, fn, day) in enumerate(
        [("k1", "support", 9), ("k1", "product", 10), ("k1", "support", 12), ("k1", "support", 13),
         ("k2", "support", 4), ("k2", "billing", 5)]
    ):  # fmt: skip
        store.execute(
            'INSERT INTO case_assignments (assignment_id, case_id, account_id, "function", '
            f"assigned_at, source, loaded_at) VALUES (?, ?, 'a1', ?, ?, {meta})",
            [f"s{i}", case, fn, ts(day)],
        )
    return store


def test_touchpoint_log_by_account(small: duckdb.DuckDBPyConnection) -> None:
    log = touchpoint_log(small, activity="function")
    assert dfg(log).edges() == {
        ("marketing", "sales"): 2,
        ("sales", "sales"): 1,
        ("sales", "support"): 1,
    }
    assert {v.activities: v.cases for v in variants(log)} == {
        ("marketing", "sales", "sales", "support"): 1,
        ("marketing", "sales"): 1,
        ("marketing",): 1,
    }
    since = touchpoint_log(small, activity="channel", since=ts(2), until=ts(5))
    assert dfg(since).edges() == {("demo", "contract"): 1}


def test_handover_network_leaves_out_reassignments(small: duckdb.DuckDBPyConnection) -> None:
    assert handovers(small) == [
        Handover("product", "support", 1),
        Handover("support", "billing", 1),
        Handover("support", "product", 1),
    ]


def test_stage_funnel_reads_stage_else_channel(small: duckdb.DuckDBPyConnection) -> None:
    steps = stage_funnel(small, list(FIVE_STAGES))
    got = [(s.stage, s.reached, s.went_on, s.drop_off) for s in steps]
    # a1: awareness (webinar), consideration, acquisition (contract), service;
    # a2: awareness, consideration (demo); a3: awareness only.
    assert got == [
        ("awareness", 3, 2, 1),
        ("consideration", 2, 1, 1),
        ("acquisition", 1, 1, 0),
        ("service", 1, 0, 1),
        ("loyalty", 0, 0, 0),
    ]
    assert steps[0].conversion == pytest.approx(2 / 3) and steps[-1].conversion is None


def test_journey_map_presets_and_checks() -> None:
    assert [s.name for s in JourneyConfig().map()] == [s.name for s in FIVE_STAGES]
    eight = JourneyConfig(preset="eight").map()
    assert len(eight) == 8 and eight == list(EIGHT_STEPS)
    assert {s.phase for s in eight[:4]} == {"pre"} and {s.phase for s in eight[4:]} == {"post"}
    sales = [h for h in JourneyConfig().handoffs if h.from_function == "sales"]
    assert sales[0].to_function == "onboarding" and sales[0].within_hours == 72
    with pytest.raises(ValueError, match="owner 'legal'"):
        JourneyConfig.model_validate({"stages": [{"name": "x", "phase": "pre", "owner": "legal"}]})
    with pytest.raises(ValueError, match="stage names repeat: x"):
        JourneyConfig.model_validate(
            {"stages": [{"name": "x", "phase": "pre", "owner": "sales"}] * 2}
        )


def test_a_loaded_simulated_company(tmp_path: Path) -> None:
    """The simulator's touchpoints and case owners load and give a journey: every case is
    opened by the customer, and support hands work to product, billing and success."""
    out = tmp_path / "company"
    simulate(out, accounts=60, months=6, seed=5, as_of=date(2025, 7, 1), events_per_user_day=0.01)
    con = connect(tmp_path / "store.duckdb")
    try:
        results = load_directory(con, out)
        assert all(r.rows_rejected == 0 for r in results), [
            (r.rejects[:2]) for r in results if r.rows_rejected
        ]
        inbound = con.execute(
            "SELECT count(*) FILTER (WHERE direction = 'inbound'), count(DISTINCT case_id) "
            "FROM touchpoints WHERE case_id IS NOT NULL"
        ).fetchall()[0]
        n_cases = con.execute("SELECT count(*) FROM cases").fetchall()[0]
        # every case opened by the customer; chasing and repeat contacts come on top
        assert inbound[1] == n_cases[0] > 0
        assert inbound[0] > inbound[1]
        net = {(h.from_function, h.to_function) for h in handovers(con)}
        assert {("support", "product"), ("support", "billing"), ("support", "success")} <= net
        log = touchpoint_log(con, case="case", activity="function")
        assert log.n_cases == n_cases[0]
        steps = stage_funnel(con, list(FIVE_STAGES))
        assert steps[0].reached >= steps[2].reached > 0
    finally:
        con.close()


def test_paths_before_churn(small: duckdb.DuckDBPyConnection) -> None:
    small.execute(
        "INSERT INTO churn_records (churn_id, account_id, churned_at, source, loaded_at) "
        "VALUES ('c1', 'a1', '2026-01-20', 'test', now()::TIMESTAMP)"
    )
    # a2 also takes marketing -> sales, but in a window that ends before its last steps
    paths = churn_paths(small, date(2026, 2, 1), steps=2, activity="function")
    got = [(p.steps, p.churned, p.retained, p.lift) for p in paths]
    assert got == [
        (("sales", "support"), 1, 0, None),  # a1's last two steps before it churned
        (("marketing",), 0, 1, 0.0),
        (("marketing", "sales"), 0, 1, 0.0),
    ]
    assert paths[0].churned_share == 1.0 and paths[1].retained_share == 0.5
    short = churn_paths(small, date(2026, 2, 1), steps=3, days=12, activity="function")
    assert short[0].steps == ("support",)  # 12 days before Jan 20: only a1's ticket of Jan 9
