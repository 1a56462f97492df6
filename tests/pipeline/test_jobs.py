"""Jobs: long work run one at a time, its status, result or error, and cancelling within seconds.

The runner is driven over a real DuckDB store; the API (202, status, cancel) is tested with a
real server in tests/web/test_jobs_api.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from outsidein.errors import NotFoundError
from outsidein.pipeline import JobRunner, JobsBusyError, StepContext
from outsidein.store import connect

pytestmark = pytest.mark.timeout(120)

ENDLESS = "SELECT count(*) FROM range(1000000000000) a(i) WHERE md5(i::VARCHAR) = 'x'"


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[JobRunner]:
    con = connect(tmp_path / "s.duckdb")
    jobs = JobRunner(con.cursor, max_queued=2)
    jobs.start()
    try:
        yield jobs
    finally:
        jobs.close()
        con.close()


def endless(ctx: StepContext) -> dict[str, Any]:
    ctx.cursor.execute(ENDLESS).fetchall()
    return {"finished": True}


def test_a_job_runs_and_gives_its_result(runner: JobRunner) -> None:
    job = runner.submit(
        "sum", lambda ctx: {"n": ctx.cursor.execute("SELECT 41 + 1").fetchall()[0][0]}
    )
    assert job.status == "queued"
    done = runner.wait(job.id, 30)
    assert (done.status, done.result, done.error) == ("done", {"n": 42}, None)
    assert done.started_at is not None and done.finished_at is not None
    failed = runner.wait(
        runner.submit("bad", lambda ctx: ctx.cursor.execute("SELECT nope") and {}).id, 30
    )
    assert failed.status == "failed" and "nope" in (failed.error or "")
    with pytest.raises(NotFoundError, match="no job 'feed'"):
        runner.get("feed")


def test_cancel_interrupts_a_running_query_within_a_second(runner: JobRunner) -> None:
    job = runner.submit("endless", endless)
    waiting = runner.submit("next", lambda ctx: {"ran": True})
    while runner.get(job.id).status == "queued":
        time.sleep(0.01)
    time.sleep(0.3)  # well inside the query
    asked = time.monotonic()
    runner.cancel(job.id)
    cancelled = runner.wait(job.id, 10)
    assert cancelled.status == "cancelled" and time.monotonic() - asked < 1.5
    assert runner.wait(waiting.id, 10).result == {"ran": True}  # the next one still runs


def test_queued_jobs_cancel_at_once_and_the_queue_is_bounded(runner: JobRunner) -> None:
    first = runner.submit("endless", endless)
    while runner.get(first.id).status == "queued":
        time.sleep(0.01)
    queued = [runner.submit("later", lambda ctx: {}) for _ in range(2)]
    with pytest.raises(JobsBusyError, match="2 jobs are already waiting"):
        runner.submit("one too many", lambda ctx: {})
    assert runner.cancel(queued[0].id).status == "cancelled"
    runner.cancel(first.id)
    assert runner.wait(first.id, 10).status == "cancelled"
    assert runner.wait(queued[1].id, 10).status == "done"
    assert runner.wait(queued[0].id, 1).error == "cancelled before it started"


def test_a_job_over_its_budget_is_stopped_and_fails(runner: JobRunner) -> None:
    job = runner.submit("endless", endless, budget_seconds=0.5)
    ended = runner.wait(job.id, 10)
    assert (ended.status, ended.error) == ("failed", "stopped after its time budget of 0.5 s")


def test_close_cancels_what_runs(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    jobs = JobRunner(con.cursor)
    jobs.start()
    job = jobs.submit("endless", endless)
    while jobs.get(job.id).status == "queued":
        time.sleep(0.01)
    started = time.monotonic()
    jobs.close()
    assert jobs.get(job.id).status == "cancelled" and time.monotonic() - started < 2
    with pytest.raises(JobsBusyError, match="stopping"):
        jobs.submit("late", lambda ctx: {})
    con.close()
