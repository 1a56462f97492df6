"""The scheduler on a real store: order from inputs and outputs, only dependants re-run,
cancellation within seconds, and a repeated failure logged once with its count."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from outsidein.pipeline import Outcome, PipelineError, Scheduler, Step, StepContext
from outsidein.store import connect


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(tmp_path / "p.duckdb")
    con.execute("CREATE TABLE runs (seq INTEGER, step VARCHAR)")
    yield con
    con.close()


@pytest.fixture
def scheduler(con: duckdb.DuckDBPyConnection) -> Iterator[Scheduler]:
    s = Scheduler(con.cursor, drain_seconds=5, retry_seconds=0.05)
    yield s
    s.close()


def recording(name: str, writes: bool = True) -> Callable[[StepContext], Outcome]:
    """A run that records itself in the store's ``runs`` table."""

    def run(ctx: StepContext) -> Outcome:
        ctx.cursor.execute("INSERT INTO runs SELECT coalesce(max(seq), 0) + 1, ? FROM runs", [name])
        return Outcome.wrote(1) if writes else Outcome.nothing()

    return run


def ran(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT step FROM runs ORDER BY seq").fetchall()]


def settle(scheduler: Scheduler, timeout: float = 10.0) -> None:
    """Until no step is dirty or running."""
    deadline = time.monotonic() + timeout
    while any(s.state != "idle" for s in scheduler.statuses()):
        assert time.monotonic() < deadline, scheduler.statuses()
        time.sleep(0.01)


def test_steps_run_producers_first_whatever_the_registration_order(
    con: duckdb.DuckDBPyConnection, scheduler: Scheduler
) -> None:
    scheduler.register(
        Step("scores", recording("scores"), inputs=("snapshot",), outputs=("scores",)),
        Step("snapshot", recording("snapshot"), inputs=("events",), outputs=("snapshot",)),
        Step("apply", recording("apply"), inputs=("inbox",), outputs=("events",)),
        Step("tasks", recording("tasks"), inputs=("scores", "events"), outputs=("tasks",)),
    )
    assert scheduler.order == ("apply", "snapshot", "scores", "tasks")
    scheduler.start()
    settle(scheduler)
    assert ran(con) == ["apply", "snapshot", "scores", "tasks"]


def test_a_cycle_is_refused_at_registration_and_names_it(scheduler: Scheduler) -> None:
    scheduler.register(Step("a", recording("a"), inputs=("z",), outputs=("x",)))
    scheduler.register(Step("b", recording("b"), inputs=("x",), outputs=("y",)))
    with pytest.raises(PipelineError, match=r"cycle: .*c -> .*"):
        scheduler.register(Step("c", recording("c"), inputs=("y",), outputs=("z",)))
    assert scheduler.order == ("a", "b")  # the refused step left nothing behind
    with pytest.raises(PipelineError, match="already registered"):
        scheduler.register(Step("a", recording("a")))


def test_a_changed_input_runs_only_its_dependants(
    con: duckdb.DuckDBPyConnection, scheduler: Scheduler
) -> None:
    scheduler.register(
        Step("apply", recording("apply"), inputs=("inbox",), outputs=("events",)),
        Step("last_seen", recording("last_seen"), inputs=("events",), outputs=("seen",)),
        Step("snapshot", recording("snapshot", writes=False), inputs=("events",),
             outputs=("snapshot",)),
        Step("health", recording("health"), inputs=("snapshot",), outputs=("health",)),
        Step("surveys", recording("surveys"), inputs=("responses",), outputs=("nps",)),
    )  # fmt: skip
    scheduler.start()
    settle(scheduler)
    con.execute("DELETE FROM runs")

    scheduler.mark("events")
    settle(scheduler)
    # The snapshot wrote nothing, so health did not run; apply and surveys were not touched.
    assert sorted(ran(con)) == ["last_seen", "snapshot"]

    con.execute("DELETE FROM runs")
    scheduler.mark("inbox")
    settle(scheduler)
    assert ran(con) == ["apply", "last_seen", "snapshot"]
    assert scheduler.status("surveys").runs == 1 and scheduler.status("health").runs == 1


def test_a_period_runs_a_step_without_any_change(
    con: duckdb.DuckDBPyConnection, scheduler: Scheduler
) -> None:
    scheduler.register(Step("tick", recording("tick", writes=False), period=0.1))
    scheduler.start()
    time.sleep(1.0)
    assert 5 <= len(ran(con)) <= 12


def chunks_forever(ctx: StepContext) -> Outcome:
    while True:
        time.sleep(0.05)  # one chunk of work
        ctx.check()


def one_long_query(ctx: StepContext) -> Outcome:
    ctx.cursor.execute("SELECT sum(hash(i)) FROM range(1000000000000) t(i)").fetchall()
    return Outcome.wrote()


@pytest.mark.parametrize("run", [chunks_forever, one_long_query], ids=["chunks", "query"])
def test_shutdown_cancels_a_long_step_within_seconds(
    con: duckdb.DuckDBPyConnection, run: Callable[[StepContext], Outcome]
) -> None:
    scheduler = Scheduler(con.cursor)
    scheduler.register(Step("long", run, outputs=("x",)))
    scheduler.start()
    deadline = time.monotonic() + 10
    while scheduler.status("long").state != "running":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.5)
    asked = time.monotonic()
    scheduler.close()
    took = time.monotonic() - asked
    assert took < 3, f"close took {took:.1f} s"
    status = scheduler.status("long")
    assert status.state == "pending" and status.errors == 0  # cancelled, not failed
    assert status.last_detail == "cancelled at shutdown"
    assert not any(t.name == "pipeline" for t in threading.enumerate())


def test_drain_steps_finish_their_work_at_shutdown(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE inbox AS SELECT range AS i FROM range(1000)")

    def apply(ctx: StepContext) -> Outcome:
        assert ctx.max_rows is not None
        n = ctx.cursor.execute(
            "DELETE FROM inbox WHERE i IN (SELECT i FROM inbox ORDER BY i LIMIT ?)",
            [ctx.max_rows],
        ).fetchall()[0][0]
        return Outcome.wrote(n) if n else Outcome.nothing()

    scheduler = Scheduler(con.cursor)
    scheduler.register(Step("apply", apply, inputs=("in",), outputs=("out",), max_rows=100,
                            min_gap=60, drain=True))  # fmt: skip
    scheduler.start()
    settle(scheduler)
    con.execute("INSERT INTO inbox SELECT range FROM range(5000)")
    scheduler.mark("in")  # within its minute's gap: only the drain will apply these
    scheduler.close()
    assert con.execute("SELECT count(*) FROM inbox").fetchall() == [(0,)]


def test_a_repeated_failure_is_logged_once_with_its_count(
    con: duckdb.DuckDBPyConnection, scheduler: Scheduler, caplog: pytest.LogCaptureFixture
) -> None:
    failures = 5

    def flaky(ctx: StepContext) -> Outcome:
        done = ctx.cursor.execute("SELECT count(*) FROM runs").fetchall()[0][0]
        ctx.cursor.execute("INSERT INTO runs VALUES (?, 'flaky')", [done + 1])
        if done < failures:
            ctx.cursor.execute("SELECT * FROM no_such_table")
        return Outcome.wrote()

    caplog.set_level(logging.INFO, logger="outsidein.pipeline")
    scheduler.register(Step("flaky", flaky, outputs=("x",)))
    scheduler.start()
    deadline = time.monotonic() + 30
    while scheduler.status("flaky").consecutive_errors < 3:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    failing = scheduler.status("flaky")
    assert failing.state == "failing" and "no_such_table" in (failing.last_error or "")
    assert failing.lag_seconds > 0
    settle(scheduler, 60)

    records = [r for r in caplog.records if "'flaky'" in r.getMessage()]
    assert [r.levelname for r in records] == ["ERROR", "WARNING"], records
    assert records[0].exc_info is not None  # the one traceback
    assert f"recovered after failing {failures} times in a row" in records[1].getMessage()
    assert records[1].exc_info is None
    status = scheduler.status("flaky")
    assert (status.runs, status.errors, status.consecutive_errors) == (failures + 1, failures, 0)
    assert status.last_error is not None and status.lag_seconds == 0


def test_a_change_announced_during_a_run_runs_the_step_again(
    con: duckdb.DuckDBPyConnection, scheduler: Scheduler
) -> None:
    """The run may have read its input before the change: it must not be lost."""
    inside, release = threading.Event(), threading.Event()
    con.execute("CREATE TABLE inbox (i INTEGER)")

    def apply(ctx: StepContext) -> Outcome:
        taken = ctx.cursor.execute("DELETE FROM inbox RETURNING i").fetchall()
        inside.set()
        assert release.wait(30)
        return Outcome.wrote(len(taken)) if taken else Outcome.nothing()

    scheduler.register(Step("apply", apply, inputs=("inbox",), outputs=("events",)))
    scheduler.start()
    assert inside.wait(30)  # the first run has read the (empty) inbox
    con.execute("INSERT INTO inbox VALUES (1)")
    scheduler.mark("inbox")  # ... and only now is there something to apply
    release.set()
    deadline = time.monotonic() + 10
    # The second run empties the inbox, then finishes (its count rises after it returns).
    while (
        con.execute("SELECT count(*) FROM inbox").fetchall() != [(0,)]
        or scheduler.status("apply").runs < 2
    ):
        assert time.monotonic() < deadline, scheduler.status("apply")
        time.sleep(0.01)
