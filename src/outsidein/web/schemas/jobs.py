"""A job as the API returns it (docs/metrics.md#jobs)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from outsidein.pipeline import Job


class JobOut(BaseModel):
    """Long work run in the background: poll ``GET /api/v1/jobs/{id}`` until it finished."""

    id: str
    kind: str = Field(description="What it does, e.g. snapshot")
    params: dict[str, Any] = Field(description="What it was asked with")
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    created_at: AwareDatetime
    started_at: AwareDatetime | None
    finished_at: AwareDatetime | None
    result: dict[str, Any] | None = Field(description="Set when done; its shape is per kind")
    error: str | None = Field(description="Why it failed (or was cancelled before it started)")
    url: str = Field(description="Where to poll it")

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            id=job.id,
            kind=job.kind,
            params=job.params,
            status=job.status,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            result=job.result,
            error=job.error,
            url=f"/api/v1/jobs/{job.id}",
        )
