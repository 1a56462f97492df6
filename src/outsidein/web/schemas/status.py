"""What the running server, its store and its background pipeline look like."""

from __future__ import annotations

from pydantic import BaseModel, Field

from outsidein.web.schemas.types import UtcDatetime


class StepOut(BaseModel):
    """One background step: when it last ran, how far behind it is, how it last failed."""

    name: str
    description: str
    inputs: list[str] = Field(description="Tables or signals it reads")
    outputs: list[str] = Field(description="Tables it writes")
    state: str = Field(description="idle, pending (inputs changed), running or failing")
    period_seconds: float | None = Field(description="Runs at least this often, if set")
    budget_seconds: float = Field(description="The time budget each run is told")
    runs: int = Field(description="Runs since the server started, failed ones included")
    errors: int = Field(description="Failed runs since the server started")
    consecutive_errors: int = Field(description="Failed runs in a row (0: the last one worked)")
    last_started_at: UtcDatetime | None
    last_seconds: float | None = Field(description="Duration of the last run")
    last_rows: int
    last_detail: str
    last_error: str | None = Field(description="The latest failure, kept after a recovery")
    last_error_at: UtcDatetime | None
    lag_seconds: float = Field(description="Since the oldest input change it has not taken in")
    stale: bool = Field(description="Failing, or lagging past its threshold: pages warn")


class Status(BaseModel):
    """Versions, row counts and the pipeline, so an operator sees at a glance what is going on."""

    version: str
    schema_version: int
    latest_schema_version: int
    tables: dict[str, int]
    pipeline: list[StepOut] = Field(description="Background steps, in the order they run")


__all__ = ["Status", "StepOut"]
