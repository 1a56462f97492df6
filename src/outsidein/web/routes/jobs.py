"""``/api/v1/jobs``: the status, result and cancelling of long work (docs/metrics.md#jobs).

Endpoints that start long work (``POST /api/v1/metrics/snapshot``) answer 202 with a job;
the app's one :class:`~outsidein.pipeline.JobRunner` runs it while the server serves and
cancels what is left at shutdown.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Request

from outsidein.pipeline import JobRunner
from outsidein.web.background import while_serving
from outsidein.web.schemas.errors import ErrorResponse
from outsidein.web.schemas.jobs import JobOut


def jobs_of(app: FastAPI) -> JobRunner:
    """The app's job runner (made by this router's lifespan)."""
    runner: JobRunner = app.state.jobs
    return runner


router = APIRouter(
    prefix="/jobs",
    tags=["jobs"],
    lifespan=while_serving(lambda app: JobRunner(app.state.store.cursor), "jobs"),
)
JobId = Annotated[str, Path(max_length=64, pattern="^[0-9a-f]+$")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such job (jobs are kept while it runs)"}
}


@router.get("", response_model=list[JobOut], summary="Recent jobs")
def list_jobs(request: Request) -> list[JobOut]:
    """The jobs this server ran or runs, newest first (the latest 200)."""
    return [JobOut.of(job) for job in jobs_of(request.app).jobs()]


@router.get("/{job_id}", response_model=JobOut, responses=NOT_FOUND, summary="A job's status")
def get_job(request: Request, job_id: JobId) -> JobOut:
    """queued, running, done (with ``result``), failed (with ``error``) or cancelled."""
    return JobOut.of(jobs_of(request.app).get(job_id))


@router.post("/{job_id}/cancel", response_model=JobOut, responses=NOT_FOUND, summary="Cancel a job")
def cancel_job(request: Request, job_id: JobId) -> JobOut:
    """A queued job is cancelled at once; a running one stops within about a second (its
    query is interrupted and its writes rolled back). Poll until ``status`` is final."""
    return JobOut.of(jobs_of(request.app).cancel(job_id))


@router.delete(
    "/{job_id}", response_model=JobOut, responses=NOT_FOUND, summary="Cancel and forget a job"
)
def delete_job(request: Request, job_id: JobId) -> JobOut:
    """As ``POST /api/v1/jobs/{id}/cancel``, and the job is forgotten: its state at that
    moment is the answer, and the job answers 404 from then on."""
    return JobOut.of(jobs_of(request.app).delete(job_id))
