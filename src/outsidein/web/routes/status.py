"""``GET /api/v1/status``: is the server up, what does its store hold, how is its pipeline."""

from __future__ import annotations

from fastapi import APIRouter, Request

from outsidein.web.background import pipeline_of
from outsidein.web.deps import CursorDep
from outsidein.web.queries.status import store_status
from outsidein.web.schemas.status import Status

router = APIRouter(tags=["status"])


@router.get(
    "/status", response_model=Status, summary="Schema version, row counts and background steps"
)
def get_status(request: Request, cur: CursorDep) -> Status:
    """Each background step's last run, lag, run count and last error (docs/pipeline.md)."""
    return store_status(cur, pipeline_of(request.app).statuses())
