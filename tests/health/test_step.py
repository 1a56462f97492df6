"""The health step: which accounts it rescores, and that it stores only what changed."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from outsidein.analytics import build_snapshot, update_snapshot
from outsidein.config import OutsideInConfig
from outsidein.health.history import score_at
from outsidein.health.service import score_now
from outsidein.health.step import HealthStep
from outsidein.pipeline import Scheduler
from outsidein.plans import Plan, create_plan, delete_plan
from outsidein.store import connect
from outsidein.store.config_versions import save_config
from tests.health.conftest import CONFIG, D, insert, seed, simple_score
from tests.web.conftest import NOW, TODAY

T = NOW + timedelta(hours=1)


def test_it_rescores_only_accounts_whose_inputs_changed(
    company: duckdb.DuckDBPyConnection,
) -> None:
    seen: list[list[str]] = []

    def score(inputs: pa.Table) -> object:
        seen.append(inputs.column("account_id").to_pylist())
        return simple_score(inputs)

    clock = [T]
    step = HealthStep(score, config=lambda: CONFIG, now=lambda: clock[0])  # type: ignore[arg-type]
    first = step.run(company)
    assert (first.reason, first.accounts, first.written) == ("first run", 3, 3)
    clock[0] += timedelta(minutes=1)
    assert step.run(company).reason == "none" and seen[-1] == ["A-1", "A-2", "A-3"]
    # A case for A-2 (loaded now): A-2 only; its score moves (an open case), so one row.
    insert(company, "cases", [("K-7", "A-2", None, NOW, None, "low", 72.0, "open", "x", None)])
    clock[0] += timedelta(minutes=1)
    run = step.run(company)
    assert (run.reason, seen[-1], run.written) == ("changes", ["A-2"], 1)
    # A survey answer for A-3 changes its inputs but not its score: nothing stored.
    insert(company, "survey_responses", [("R-77", "A-3", None, "NPS", NOW, "nps", 5.0, None,
                                          None, None, None)])  # fmt: skip
    clock[0] += timedelta(minutes=1)
    run = step.run(company)
    assert (seen[-1], run.written) == (["A-3"], 0)
    # A CLV scoring of A-1 (the pipeline's clv step): A-1 only, CLV being an input.
    company.execute(
        "INSERT INTO clv_scores (account_id, as_of, family, clv, recorded_at) "
        "VALUES ('A-1', ?, 'contractual', 1000, now()::TIMESTAMP)",
        [clock[0].date()],
    )
    clock[0] += timedelta(minutes=1)
    run = step.run(company)
    assert (run.reason, seen[-1]) == ("changes", ["A-1"])
    # A success plan agreed for A-3 (through the API, not a load): A-3 only; its deletion
    # (whose account the table no longer holds): everyone.
    plan = Plan(plan_id="P-1", account_id="A-3", title="t", measure_kind="metric",
                measure="active_users_28", baseline=1.0, target=5.0, start_date=D,
                due_date=D + timedelta(days=90))  # fmt: skip
    create_plan(company, plan)
    clock[0] += timedelta(minutes=1)
    run = step.run(company)
    assert (run.reason, seen[-1]) == ("changes", ["A-3"])
    delete_plan(company, "P-1")
    clock[0] += timedelta(minutes=1)
    run = step.run(company)
    assert (run.reason, seen[-1]) == ("a success plan deleted", ["A-1", "A-2", "A-3"])
    clock[0] += timedelta(minutes=1)
    assert step.run(company).reason == "none"
    # A new configuration version: everyone, and each row names its version.
    version = save_config(company, OutsideInConfig(analytics=CONFIG), "api").version
    clock[0] += timedelta(minutes=1)
    run = step.run(company)
    assert run.reason == f"configuration version {version}" and seen[-1] == ["A-1", "A-2", "A-3"]
    two = score_at(company, "A-2", clock[0])
    assert two is not None and two.band == "amber" and two.valid_from == T + timedelta(minutes=2)
    # A new day before the snapshot has a row for it: scoring stays on the last computed day
    # (every account would read as missing and turn red at once otherwise).
    clock[0] += timedelta(days=1)
    run = step.run(company)
    assert (run.reason, run.as_of) == ("none", NOW.date())
    waiting = score_at(company, "A-2", clock[0])
    assert waiting is not None and waiting.band == "amber"


def test_a_new_day_is_scored_once_the_snapshot_reaches_it(tmp_path: Path) -> None:
    con = connect(tmp_path / "day.duckdb")
    seed(con)
    yesterday = TODAY - timedelta(days=1)
    build_snapshot(con, CONFIG, yesterday, since=D - timedelta(days=30))
    clock = [T]

    def later() -> datetime:
        clock[0] += timedelta(minutes=1)
        return clock[0]

    step = HealthStep(simple_score, config=lambda: CONFIG, now=later)
    config = OutsideInConfig(analytics=CONFIG)
    assert step.run(con).as_of == yesterday
    assert score_now(con, config, at=later()).as_of == yesterday  # `outsidein health score`
    update_snapshot(con, CONFIG, TODAY)
    run = step.run(con)
    assert (run.reason, run.as_of) == ("a new day", TODAY)
    assert score_now(con, config, at=later()).as_of == TODAY
    con.close()


def test_new_events_reach_the_score_through_the_snapshot(
    company: duckdb.DuckDBPyConnection,
) -> None:
    step = HealthStep(simple_score, config=lambda: CONFIG, now=lambda: T)
    step.run(company)
    before = score_at(company, "A-3", T)
    assert before is not None and before.score == 50.0
    insert(company, "events", [(f"n{i}", "A-3", f"w{i}", "login", NOW, None) for i in range(6)])
    update_snapshot(company, CONFIG, NOW.date())
    later = T + timedelta(seconds=5)
    step2 = HealthStep(simple_score, config=lambda: CONFIG, now=lambda: later)
    run = step2.run(company)
    assert run.reason == "changes" and run.accounts == 1
    after = score_at(company, "A-3", later)
    assert after is not None and (after.score, after.band) == (100.0, "green")


def test_it_registers_in_the_pipeline_after_the_snapshot(
    company: duckdb.DuckDBPyConnection,
) -> None:
    from outsidein.analytics import SnapshotRefresher

    refresher = SnapshotRefresher(company.cursor, lambda: CONFIG)
    scheduler = Scheduler(company.cursor)
    scheduler.register(HealthStep(simple_score).step(), refresher.step(30))
    assert scheduler.order.index("snapshot") < scheduler.order.index("health")
