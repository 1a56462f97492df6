"""What a capability hands the scheduler: a step, the context it runs in, what it reports.

A step is incremental: it reads what changed in its ``inputs`` since its last run and writes
its ``outputs``. The scheduler only decides *when* a step runs (its inputs changed, or its
period elapsed) and *in which order* (producers before consumers); the step decides what
"changed" means for its own tables (watermarks, an inbox, a mark) and says whether it wrote.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from outsidein.errors import OutsideInError

__all__ = ["Outcome", "PipelineError", "Step", "StepCancelled", "StepContext"]


class PipelineError(OutsideInError):
    """A step cannot be registered (a name taken twice, a dependency cycle)."""

    code = "pipeline_error"


class StepCancelled(Exception):
    """Raised by :meth:`StepContext.check` when the server is stopping: not an error."""


@dataclass(frozen=True)
class Outcome:
    """What one run did.

    ``changed``: the outputs it wrote (None: all of them; empty: nothing), so that only
    their dependants run next. ``more``: it stopped at its budget or row cap with work
    left; the scheduler runs it again at once (after the other ready steps).
    """

    changed: frozenset[str] | None = frozenset()
    more: bool = False
    rows: int = 0
    detail: str = ""

    @classmethod
    def wrote(cls, rows: int = 0, *, more: bool = False, detail: str = "") -> Outcome:
        """Every output changed."""
        return cls(None, more, rows, detail)

    @classmethod
    def nothing(cls, detail: str = "") -> Outcome:
        """Nothing was written: no dependant needs to run."""
        return cls(frozenset(), False, 0, detail)


@dataclass
class StepContext:
    """What a run is told: its cursor, its budget and row cap, and the cancel flag."""

    cursor: duckdb.DuckDBPyConnection
    budget_seconds: float
    max_rows: int | None
    started: float
    _cancel: threading.Event = field(repr=False)
    draining: bool = False

    def cancelled(self) -> bool:
        """True once the server is stopping (a step checks it between chunks)."""
        return self._cancel.is_set() and not self.draining

    def check(self) -> None:
        """Raise :class:`StepCancelled` if the server is stopping."""
        if self.cancelled():
            raise StepCancelled

    def time_left(self) -> float:
        """Seconds of the budget left (negative when over it)."""
        return self.budget_seconds - (time.monotonic() - self.started)


@dataclass(frozen=True)
class Step:
    """An incremental step: a name, what it reads and writes, how to run it, and when.

    ``period``: also run this often when no input changed (a new day, a setting read at
    run time). ``min_gap``: after an input change, wait until this long after the previous
    run started, so that a burst of changes is handled in one run (a :meth:`Scheduler.mark`
    with ``urgent`` skips the wait). ``budget_seconds`` and ``max_rows`` are told to the
    run, which stops between chunks when over them. ``drain``: at shutdown, run it until it
    has nothing left (and never interrupt it); other steps are interrupted. ``stale_after``:
    pages reading its outputs show a banner when it lags this many seconds or fails.
    """

    name: str
    run: Callable[[StepContext], Outcome]
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    period: float | None = None
    min_gap: float = 0.0
    budget_seconds: float = 60.0
    max_rows: int | None = None
    drain: bool = False
    stale_after: float | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            raise PipelineError("a step needs a name")
        if self.period is not None and self.period <= 0:
            raise PipelineError(f"step {self.name!r}: period must be > 0, not {self.period}")
        shared = set(self.inputs) & set(self.outputs)
        if shared:
            raise PipelineError(
                f"step {self.name!r} reads and writes {sorted(shared)}: a step cannot feed itself"
            )
