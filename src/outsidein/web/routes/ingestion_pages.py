"""``/ingestion``: what arrived through the Segment API, per write key, and what was refused.

The page is for the person who wired up a product's tracking: which keys are sending, when
each was last seen, how much was accepted and rejected, and why events were rejected, with
the latest rejects spelled out (batch index, field, value, reason).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.auth.roles import Role
from outsidein.ingest.segment.activity import ingestion_overview
from outsidein.web.access import requires
from outsidein.web.deps import CursorDep
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get(
    "/ingestion",
    response_class=HTMLResponse,
    name="ingestion_page",
    dependencies=[requires(Role.MANAGER)],
)
def ingestion_page(request: Request, cur: CursorDep) -> Response:
    overview = ingestion_overview(cur)
    active = sum(1 for key in overview.keys if key.revoked_at is None)
    return templates.TemplateResponse(
        request,
        "ingestion.html",
        {"o": overview, "active_keys": active, "host": str(request.base_url).rstrip("/")},
    )
