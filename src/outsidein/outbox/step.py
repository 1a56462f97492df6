"""The pipeline step ``outbox``: delivers due messages while the server runs.

It runs when a message is enqueued (its input ``outbox_messages`` is marked by whoever
enqueues: the playbook step's outputs, or the API with :meth:`Scheduler.mark`), and every
few seconds for retries and held messages coming due. Each run delivers one batch within its
budget; ``more`` asks the scheduler to come back at once. Its output ``outbox_deliveries``
names what it changes for readers (the timeline).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from outsidein.config import OutsideInConfig
from outsidein.outbox.deliver import DeliveryRun, deliver_due
from outsidein.outbox.touches import take_touches
from outsidein.pipeline import Outcome, Step, StepContext
from outsidein.settings.outbox import OutboxSettings

__all__ = ["INPUTS", "OUTPUTS", "STEP", "OutboxStep"]

STEP = "outbox"
INPUTS = ("outbox_messages", "touch_requests")  # the playbooks' touches are taken first
OUTPUTS = ("outbox_deliveries",)


class OutboxStep:
    """Delivers with the configuration in force (read at each run) and ``settings``."""

    def __init__(
        self, config: Callable[[], OutsideInConfig], settings: OutboxSettings | None = None
    ) -> None:
        self._config = config
        self.settings = settings or OutboxSettings()
        self.last: DeliveryRun | None = None

    def step(self, *, period: float = 5.0) -> Step:
        return Step(
            STEP,
            self._run,
            inputs=INPUTS,
            outputs=OUTPUTS,
            period=period,
            budget_seconds=60.0,
            stale_after=600.0,
            description="delivers queued emails and webhooks; retries, holds and dead letters",
        )

    def _run(self, ctx: StepContext) -> Outcome:
        started = time.monotonic()

        def keep_going() -> bool:
            ctx.check()
            return time.monotonic() - started < ctx.budget_seconds

        config = self._config()
        taken = take_touches(ctx.cursor, config, self.settings)
        run = deliver_due(ctx.cursor, config.outbox, self.settings, keep_going=keep_going)
        self.last = run
        if not run.touched and not taken.queued and not taken.refused:
            return Outcome.nothing("nothing due")
        detail = (
            f"{run.sent} sent, {run.failed} to retry, {run.dead} dead, {run.held} held, "
            f"{run.suppressed} suppressed"
        )
        if taken.queued or taken.refused:
            detail = f"{taken.queued} playbook touches queued, {len(taken.refused)} refused; " + (
                detail
            )
        return Outcome.wrote(run.touched + taken.queued, more=run.more, detail=detail)
