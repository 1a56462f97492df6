"""Long work a request asks for, run as a job: 202 with an id, then status, result or cancel.

A request that may take long (a snapshot build; later recomputes, backtests, model fits)
submits its work here and answers at once. Jobs run one at a time, in order, on one thread
of their own, each on its own cursor and with the :class:`StepContext` a pipeline step gets:
the work checks :meth:`StepContext.check` between chunks, and cancelling also interrupts the
DuckDB query under way (``interrupt()`` on the job's cursor, repeated until the work stops),
so a cancel takes effect within about a second. A job over its time budget is stopped the
same way and fails, naming the budget. Records live in memory for the server's life (the
latest :data:`KEEP`); a full queue refuses new work with 429.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

import duckdb

from outsidein.errors import NotFoundError, OutsideInError
from outsidein.pipeline.step import StepCancelled, StepContext

log = logging.getLogger("outsidein.jobs")

__all__ = ["Job", "JobRunner", "JobStatus", "JobsBusyError", "Work"]

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
Work = Callable[[StepContext], dict[str, Any]]
KEEP = 200  # finished jobs remembered
MAX_QUEUED = 16
BUDGET_SECONDS = 3600.0
INTERRUPT_EVERY = 0.1


class JobsBusyError(OutsideInError):
    """Too many jobs are waiting: try again when some finished."""

    code = "busy"
    http_status = 429


@dataclass(frozen=True)
class Job:
    """A job as the API shows it (a copy: the runner's record keeps changing)."""

    id: str
    kind: str
    params: dict[str, Any]
    status: JobStatus
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: dict[str, Any] | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "cancelled")


@dataclass
class _Record:
    job: Job
    work: Work
    budget: float
    cancel: threading.Event = field(default_factory=threading.Event)
    expired: bool = False
    cursor: duckdb.DuckDBPyConnection | None = None
    ended: threading.Event = field(default_factory=threading.Event)


def _now() -> datetime:
    return datetime.now(UTC)


class JobRunner:
    """Runs submitted jobs one at a time on its own thread; start once, close once."""

    def __init__(
        self,
        cursors: Callable[[], duckdb.DuckDBPyConnection],
        *,
        max_queued: int = MAX_QUEUED,
        budget_seconds: float = BUDGET_SECONDS,
    ) -> None:
        self._cursors = cursors
        self._max_queued = max_queued
        self._budget = budget_seconds
        self._lock = threading.Lock()
        self._records: dict[str, _Record] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="jobs", daemon=True)
        self._closing = False

    # -- the API's verbs -------------------------------------------------------------------

    def submit(
        self,
        kind: str,
        work: Work,
        params: dict[str, Any] | None = None,
        *,
        budget_seconds: float | None = None,
    ) -> Job:
        """Queue ``work``; it returns the job's JSON-safe result."""
        with self._lock:
            if self._closing:
                raise JobsBusyError("the server is stopping; submit the job again once it runs")
            waiting = sum(1 for r in self._records.values() if r.job.status == "queued")
            if waiting >= self._max_queued:
                raise JobsBusyError(
                    f"{waiting} jobs are already waiting (at most {self._max_queued}); "
                    "try again when some have finished (GET /api/v1/jobs)"
                )
            job = Job(uuid.uuid4().hex, kind, dict(params or {}), "queued", _now())
            self._records[job.id] = _Record(job, work, budget_seconds or self._budget)
            self._forget_old()
        self._queue.put(job.id)
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            return self._record(job_id).job

    def jobs(self) -> list[Job]:
        """Every remembered job, newest first."""
        with self._lock:
            return sorted((r.job for r in self._records.values()),
                          key=lambda j: j.created_at, reverse=True)  # fmt: skip

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued job at once, or stop a running one within about a second.

        A finished job is left as it is (cancelling it again is not an error).
        """
        with self._lock:
            record = self._record(job_id)
            if record.job.status == "queued":
                self._finish(record, "cancelled", error="cancelled before it started")
            elif record.job.status == "running" and not record.cancel.is_set():
                record.cancel.set()
                threading.Thread(target=self._interrupt, args=(record,), daemon=True).start()
            return record.job

    def delete(self, job_id: str) -> Job:
        """:meth:`cancel`, then forget the job: it answers 404 from now on (a running one
        still stops within about a second; its worker holds what it needs until then)."""
        job = self.cancel(job_id)
        with self._lock:
            self._records.pop(job_id, None)
        return job

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job finished (or ``timeout``); its state then."""
        with self._lock:
            record = self._record(job_id)
        record.ended.wait(timeout)
        return self.get(job_id)

    # -- life ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Cancel what waits and what runs, and wait (up to ``timeout``) for the thread."""
        with self._lock:
            self._closing = True
            ids = [r.job.id for r in self._records.values() if not r.job.finished]
        for job_id in ids:
            self.cancel(job_id)
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("a job did not stop within %.0f s of shutdown", timeout)

    # -- the worker ------------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            with self._lock:
                record = self._records.get(job_id)
                if record is None or record.job.status != "queued":
                    continue
                cur = self._cursors()
                record.cursor = cur
                record.job = replace(record.job, status="running", started_at=_now())
            self._run(record, cur)

    def _run(self, record: _Record, cur: duckdb.DuckDBPyConnection) -> None:
        timer = threading.Timer(record.budget, self._expire, args=(record,))
        timer.daemon = True
        timer.start()
        ctx = StepContext(cur, record.budget, None, time.monotonic(), record.cancel)
        status: JobStatus = "done"
        result: dict[str, Any] | None = None
        error: str | None = None
        try:
            result = record.work(ctx)
        except (StepCancelled, duckdb.InterruptException) as exc:
            if not record.cancel.is_set():  # an interrupt nobody asked for is a failure
                status, error = "failed", f"{type(exc).__name__}: {exc}"
            else:
                status = "cancelled"
        except OutsideInError as exc:
            status, error = "failed", exc.message
        except Exception as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            log.exception("job %s (%s) failed", record.job.id, record.job.kind)
        finally:
            timer.cancel()
        # Work that finished before a cancel reached it stands: its status stays "done".
        if record.expired and status != "done":
            status = "failed"
            error = f"stopped after its time budget of {record.budget:g} s"
        with self._lock:
            record.cursor = None
            self._finish(record, status, result=result, error=error)
        cur.close()

    def _finish(
        self,
        record: _Record,
        status: JobStatus,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        record.job = replace(
            record.job, status=status, finished_at=_now(), result=result, error=error
        )
        record.ended.set()

    def _expire(self, record: _Record) -> None:
        with self._lock:
            if record.job.status != "running":
                return
            record.expired = True
            record.cancel.set()
        self._interrupt(record)

    def _interrupt(self, record: _Record) -> None:
        """Interrupt the job's query until the work returns (it may be between queries)."""
        while not record.ended.is_set():
            with self._lock:
                if record.cursor is None:
                    return
                record.cursor.interrupt()
            record.ended.wait(INTERRUPT_EVERY)

    def _record(self, job_id: str) -> _Record:
        record = self._records.get(job_id)
        if record is None:
            raise NotFoundError(f"no job {job_id!r} (jobs are kept while the server runs)")
        return record

    def _forget_old(self) -> None:
        finished = [r.job for r in self._records.values() if r.job.finished]
        for job in sorted(finished, key=lambda j: j.created_at)[: max(0, len(finished) - KEEP)]:
            del self._records[job.id]
