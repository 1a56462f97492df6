"""Each step's record: when it last ran, how far behind it is, how it failed.

The scheduler keeps one :class:`StepState` per step (changed only under its lock) and hands
out frozen :class:`StepStatus` copies to the status API and page. A repeated failure is
logged once when it starts (with its traceback), once if its message changes, and once
when the step recovers or the server stops, with the count: never a traceback per retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from outsidein.pipeline.step import Step

log = logging.getLogger("outsidein.pipeline")

__all__ = ["StepState", "StepStatus"]

MAX_RETRY_SECONDS = 60.0


@dataclass(frozen=True)
class StepStatus:
    """A step as the status API and page show it."""

    name: str
    description: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    period_seconds: float | None
    budget_seconds: float
    state: str  # "idle", "pending", "running" or "failing"
    runs: int
    errors: int
    consecutive_errors: int
    last_started_at: datetime | None
    last_seconds: float | None
    last_rows: int
    last_detail: str
    last_error: str | None
    last_error_at: datetime | None
    lag_seconds: float
    stale: bool


@dataclass
class StepState:
    """The scheduler's mutable record of one step."""

    step: Step
    dirty_since: float | None = None  # monotonic time of the oldest unprocessed change
    changed_while_running: float | None = None
    urgent: bool = False
    running: bool = False
    last_start: float | None = None  # monotonic
    last_started_at: datetime | None = None
    last_seconds: float | None = None
    last_rows: int = 0
    last_detail: str = ""
    runs: int = 0
    errors: int = 0
    consecutive_errors: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    retry_at: float = 0.0
    _logged_error: str | None = field(default=None, repr=False)

    def mark(self, since: float, *, urgent: bool = False) -> None:
        if self.running:  # the run under way may have read before this change: run again
            self.changed_while_running = self.changed_while_running or since
        elif self.dirty_since is None:
            self.dirty_since = since
        self.urgent = self.urgent or urgent

    def due(self, now: float) -> bool:
        """Time-based: the period has elapsed since the last run started."""
        period = self.step.period
        return period is not None and (self.last_start is None or now >= self.last_start + period)

    def ready_at(self) -> float:
        """The earliest moment a dirty step may run."""
        if self.consecutive_errors:
            return self.retry_at
        if self.urgent or self.last_start is None:
            return 0.0
        return self.last_start + self.step.min_gap

    def started(self, now: float) -> None:
        self.running = True
        self.urgent = False
        self.last_start = now
        self.last_started_at = datetime.now(UTC)

    def _ended(self) -> None:
        """A change announced during the run keeps the step dirty from that moment."""
        self.running = False
        if self.changed_while_running is not None and self.dirty_since is None:
            self.dirty_since = self.changed_while_running
        self.changed_while_running = None

    def succeeded(self, now: float, rows: int, detail: str, more: bool) -> None:
        self.runs += 1
        self.last_seconds = now - (self.last_start or now)
        self.last_rows, self.last_detail = rows, detail
        if self.consecutive_errors:
            log.warning(
                "step %r recovered after failing %d times in a row (last error: %s)",
                self.step.name, self.consecutive_errors, self.last_error,
            )  # fmt: skip
        self.consecutive_errors = 0
        self._logged_error = None
        if more:
            self.urgent = True  # behind: run again without waiting for the gap
        else:
            self.dirty_since = None
        self._ended()

    def failed(self, now: float, error: BaseException, retry_base: float) -> None:
        """Record a failure; log it only when it starts or its message changes.

        The step stays dirty and is retried after ``retry_base`` (at least its gap or
        period) doubled per failure in a row, up to a minute.
        """
        self.runs += 1
        self.errors += 1
        self.consecutive_errors += 1
        self.last_seconds = now - (self.last_start or now)
        self.last_rows, self.last_detail = 0, "failed"
        message = f"{type(error).__name__}: {error}"
        self.last_error, self.last_error_at = message, datetime.now(UTC)
        base = max(self.step.min_gap, self.step.period or 0.0, retry_base)
        delay = min(MAX_RETRY_SECONDS, base * 2 ** min(self.consecutive_errors - 1, 16))
        self.retry_at = now + delay
        if self.dirty_since is None:
            self.dirty_since = self.last_start or now
        self._ended()
        if message != self._logged_error:
            self._logged_error = message
            log.error(
                "step %r failed (%d in a row); it retries with back-off and this is logged "
                "again only when the error changes or the step recovers",
                self.step.name, self.consecutive_errors, exc_info=error,
            )  # fmt: skip

    def cancelled(self, now: float) -> None:
        """Interrupted at shutdown: not an error; the change stays to process next start."""
        self.last_seconds = now - (self.last_start or now)
        self.last_detail = "cancelled at shutdown"
        self._ended()

    def closing(self) -> None:
        """At shutdown, say once how many times a still-failing step failed."""
        if self.consecutive_errors:
            log.warning(
                "step %r was still failing at shutdown: %d times in a row (last error: %s)",
                self.step.name, self.consecutive_errors, self.last_error,
            )  # fmt: skip

    def status(self, now: float) -> StepStatus:
        step = self.step
        lag = 0.0 if self.dirty_since is None else max(0.0, now - self.dirty_since)
        if self.running:
            state = "running"
        elif self.consecutive_errors:
            state = "failing"
        elif self.dirty_since is not None:
            state = "pending"
        else:
            state = "idle"
        stale = step.stale_after is not None and (
            self.consecutive_errors > 0 or lag > step.stale_after
        )
        return StepStatus(
            name=step.name,
            description=step.description,
            inputs=step.inputs,
            outputs=step.outputs,
            period_seconds=step.period,
            budget_seconds=step.budget_seconds,
            state=state,
            runs=self.runs,
            errors=self.errors,
            consecutive_errors=self.consecutive_errors,
            last_started_at=self.last_started_at,
            last_seconds=self.last_seconds,
            last_rows=self.last_rows,
            last_detail=self.last_detail,
            last_error=self.last_error,
            last_error_at=self.last_error_at,
            lag_seconds=round(lag, 3),
            stale=stale,
        )
