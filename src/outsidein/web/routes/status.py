"""``GET /api/v1/status``: is the server up, and what does its store hold."""

from __future__ import annotations

from fastapi import APIRouter

from outsidein.web.deps import CursorDep
from outsidein.web.queries.status import store_status
from outsidein.web.schemas.status import Status

router = APIRouter(tags=["status"])


@router.get("/status", response_model=Status, summary="Schema version and row counts")
def get_status(cur: CursorDep) -> Status:
    return store_status(cur)
