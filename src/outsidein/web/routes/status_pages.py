"""``/status``: the server, its store and every background step, for the person running it.

Each step of the pipeline with its state, last run (start and duration), lag behind its
inputs, run and error counts and its last error; the same figures as ``GET /api/v1/status``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.web.background import pipeline_of
from outsidein.web.deps import CursorDep
from outsidein.web.queries.status import store_status
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/status", response_class=HTMLResponse, name="status_page")
def status_page(request: Request, cur: CursorDep) -> Response:
    status = store_status(cur, pipeline_of(request.app).statuses())
    return templates.TemplateResponse(request, "status.html", {"s": status})
