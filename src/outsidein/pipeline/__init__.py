"""One background pipeline: incremental steps, run in dependency order by one scheduler.

A capability describes its background work as a :class:`Step` (what it reads, what it
writes, how to run one bounded increment) and registers it with the server's
:class:`Scheduler`; the web app starts and stops the one scheduler. This package imports no
capability package: capabilities import it. Long work a request asks for runs as a job
(:class:`JobRunner`): the same context, cancellable the same way. See docs/pipeline.md.
"""

from __future__ import annotations

from outsidein.pipeline.jobs import Job, JobRunner, JobsBusyError
from outsidein.pipeline.scheduler import Scheduler, steps_feeding
from outsidein.pipeline.status import StepStatus
from outsidein.pipeline.step import Outcome, PipelineError, Step, StepCancelled, StepContext

__all__ = [
    "Job",
    "JobRunner",
    "JobsBusyError",
    "Outcome",
    "PipelineError",
    "Scheduler",
    "Step",
    "StepCancelled",
    "StepContext",
    "StepStatus",
    "steps_feeding",
]
