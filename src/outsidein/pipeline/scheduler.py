"""The one scheduler of background work: steps run in dependency order when inputs change.

Capabilities register :class:`~outsidein.pipeline.step.Step` s naming what they read and
write; the order is derived from those names (a producer runs before its consumers) and a
cycle is refused at registration. One thread runs every step, so the server's background
writes have one owner; each run gets its own cursor. A run that writes marks only its
outputs' consumers dirty; anything else changing outside the pipeline (the Segment writer's
commits, an asked-for snapshot) is announced with :meth:`Scheduler.mark`.

Each round runs every ready step once, in order, so a step that is behind (``more``) cannot
starve the others. Stopping sets the cancel flag the steps check between chunks and
interrupts the DuckDB query under way, then runs the ``drain`` steps until they are empty.
"""

from __future__ import annotations

import graphlib
import logging
import threading
import time
from collections.abc import Callable, Iterable

import duckdb

from outsidein.pipeline.status import StepState, StepStatus
from outsidein.pipeline.step import Outcome, PipelineError, Step, StepCancelled, StepContext

log = logging.getLogger("outsidein.pipeline")

__all__ = ["Scheduler", "steps_feeding"]

MAX_SLEEP = 5.0  # look again at least this often (periods, retries)


class Scheduler:
    """Runs the registered steps on one thread while the server serves."""

    def __init__(
        self,
        cursors: Callable[[], duckdb.DuckDBPyConnection],
        *,
        drain_seconds: float = 120.0,
        retry_seconds: float = 1.0,
    ) -> None:
        self._cursors = cursors
        self._retry = retry_seconds
        self._drain_seconds = drain_seconds
        self._states: dict[str, StepState] = {}
        self._order: list[str] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._current: tuple[StepState, duckdb.DuckDBPyConnection] | None = None
        self._thread = threading.Thread(target=self._loop, name="pipeline", daemon=True)

    # -- registration and signals ---------------------------------------------------------

    def register(self, *steps: Step) -> None:
        """Add steps (before or after start); each runs once soon to catch up."""
        with self._cond:
            states = dict(self._states)
            for step in steps:
                if step.name in states:
                    raise PipelineError(f"a step named {step.name!r} is already registered")
                states[step.name] = StepState(step)
            order = _order(states)
            now = time.monotonic()
            for step in steps:
                states[step.name].mark(now)
            self._states, self._order = states, order
            self._cond.notify_all()

    def mark(self, *names: str, urgent: bool = False) -> None:
        """Tables or signals ``names`` changed: their consumers run (``urgent``: now)."""
        with self._cond:
            self._mark_consumers(set(names), time.monotonic(), urgent=urgent)
            self._cond.notify_all()

    @property
    def order(self) -> tuple[str, ...]:
        """Step names in the order they run."""
        with self._cond:
            return tuple(self._order)

    def statuses(self) -> list[StepStatus]:
        """Every step's status, in run order."""
        with self._cond:
            now = time.monotonic()
            return [self._states[name].status(now) for name in self._order]

    def status(self, name: str) -> StepStatus:
        with self._cond:
            return self._states[name].status(time.monotonic())

    # -- life -----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Stop: cancel and interrupt what runs (within seconds), drain the drain steps."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if not self._thread.is_alive():
            return
        deadline = time.monotonic() + timeout + self._drain_seconds
        while self._thread.is_alive() and time.monotonic() < deadline:
            self._interrupt()
            self._thread.join(0.1)
        if self._thread.is_alive():
            log.error("the pipeline did not stop within %.0f s", timeout + self._drain_seconds)

    def _interrupt(self) -> None:
        with self._cond:
            current = self._current
            if current is not None and not current[0].step.drain:
                current[1].interrupt()  # its cursor is closed only after _current is cleared

    # -- the loop -------------------------------------------------------------------------

    def _loop(self) -> None:
        ran: set[str] = set()
        while not self._stop.is_set():
            with self._cond:
                now = time.monotonic()
                state = self._next_ready(now, ran)
                if state is None and ran:
                    ran.clear()  # a new round
                    state = self._next_ready(now, ran)
                if state is None:
                    self._cond.wait(self._sleep(now))
                    continue
            ran.add(state.step.name)
            self._run(state, draining=False)
        self._drain()
        with self._cond:
            for name in self._order:
                self._states[name].closing()

    def _next_ready(self, now: float, ran: set[str]) -> StepState | None:
        for name in self._order:
            state = self._states[name]
            if state.dirty_since is None and state.due(now):
                state.mark(now)
            if name in ran or state.dirty_since is None:
                continue
            if now >= state.ready_at():
                return state
        return None

    def _sleep(self, now: float) -> float:
        wakes = [MAX_SLEEP]
        for state in self._states.values():
            if state.dirty_since is not None:
                wakes.append(state.ready_at() - now)
            if state.step.period is not None and state.last_start is not None:
                wakes.append(state.last_start + state.step.period - now)
        return max(0.005, min(wakes))

    def _run(self, state: StepState, *, draining: bool) -> Outcome | None:
        """One run of a step; None when it failed or was cancelled."""
        step = state.step
        cur = self._cursors()
        started = time.monotonic()
        ctx = StepContext(cur, step.budget_seconds, step.max_rows, started, self._stop, draining)
        with self._cond:
            state.started(started)
            self._current = (state, cur)
        outcome: Outcome | None = None
        try:
            outcome = step.run(ctx)
        except StepCancelled:
            pass
        except Exception as exc:
            if not (self._stop.is_set() and isinstance(exc, duckdb.InterruptException)):
                with self._cond:
                    state.failed(time.monotonic(), exc, self._retry)
                    self._current = None
                cur.close()
                return None
        with self._cond:
            self._current = None
            now = time.monotonic()
            if outcome is None:
                state.cancelled(now)
            else:
                state.succeeded(now, outcome.rows, outcome.detail, outcome.more)
                changed = set(step.outputs if outcome.changed is None else outcome.changed)
                self._mark_consumers(changed, now, urgent=False)
        cur.close()
        return outcome

    def _drain(self) -> None:
        """At shutdown: run each drain step until a run writes nothing (or time is up)."""
        deadline = time.monotonic() + self._drain_seconds
        for name in self._order:
            state = self._states[name]
            if not state.step.drain:
                continue
            while time.monotonic() < deadline:
                outcome = self._run(state, draining=True)
                if outcome is None or (not outcome.more and not _wrote(outcome)):
                    break

    def _mark_consumers(self, names: set[str], now: float, *, urgent: bool) -> None:
        if not names:
            return
        for state in self._states.values():
            if names.intersection(state.step.inputs):
                state.mark(now, urgent=urgent)


def _wrote(outcome: Outcome) -> bool:
    return outcome.changed is None or bool(outcome.changed)


def _order(states: dict[str, StepState]) -> list[str]:
    """Producers before consumers; a cycle is a :class:`PipelineError` naming it."""
    producers: dict[str, list[str]] = {}
    for name, state in states.items():
        for output in state.step.outputs:
            producers.setdefault(output, []).append(name)
    graph: dict[str, list[str]] = {
        name: [p for i in state.step.inputs for p in producers.get(i, ()) if p != name]
        for name, state in states.items()
    }
    try:
        return list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise PipelineError(f"the steps depend on each other in a cycle: {cycle}") from None


def steps_feeding(statuses: Iterable[StepStatus], tables: Iterable[str]) -> list[StepStatus]:
    """The steps that write any of ``tables`` (what a page reads)."""
    wanted = set(tables)
    return [s for s in statuses if wanted.intersection(s.outputs)]
